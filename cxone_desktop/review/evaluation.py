"""One analyst's scoring of a call against a form; saved as `evaluation-<analyst>-<UTC>.json`.

The score (percent):

    score = 100 · Σ_s w_s · Σ_q p_q  /  Σ_s w_s · Σ_q max_q

over the questions answered with points (p_q their points, max_q their full
points, w_s the section's weight). N/A answers and unanswered questions count as
neither. A section with a failed fatal question ("section") keeps its Σ max_q
but its Σ p_q becomes 0; a failed fatal question of scope "form" makes the
whole score 0. A fatal question fails when it scores below its full points.

The file embeds the form it was scored against, so it stays readable when the
form file changes later. A saved evaluation belongs to its analyst: reopened and
saved by the same analyst it is rewritten in place (`updated_utc` moves, the file
name and `created_utc` stay); saved under another analyst's name it becomes a new
evaluation of theirs (`reassigned`) and the original is left as it was, so two
analysts' evaluations of one call stay two (calibration).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxone_desktop.errors import FormError, ReviewError
from cxone_desktop.private_files import describe_os_error, write_private_file
from cxone_desktop.review.evaluation_form import EvaluationForm, form_from_dict
from cxone_desktop.review.wall_time import utc_now_iso

_VERSION = 1


@dataclass(frozen=True)
class Answer:
    """`points` None means N/A. `time_s` is the moment of the call it refers to (optional)."""

    question_id: str
    points: float | None
    comment: str = ""
    time_s: float | None = None

    @property
    def is_na(self) -> bool:
        return self.points is None


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    title: str
    weight: float
    points: float  # after a fatal failure: 0
    max_points: float
    failed: bool  # a fatal question of this section failed
    answered: int
    not_applicable: int
    unanswered: int

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points > 0 else math.nan


@dataclass(frozen=True)
class FormScore:
    percent: float  # NaN when nothing has been scored yet
    weighted_points: float
    weighted_max: float
    form_failed: bool
    failed_questions: tuple[str, ...]
    sections: tuple[SectionScore, ...]

    @property
    def complete(self) -> bool:
        return all(s.unanswered == 0 for s in self.sections)


@dataclass
class Evaluation:
    form: EvaluationForm
    analyst: str
    answers: dict[str, Answer] = field(default_factory=dict)
    created_utc: str = field(default_factory=utc_now_iso)
    updated_utc: str = ""
    call_id: str = ""
    session: str = ""
    summary_comment: str = ""
    #: The file this evaluation was read from or last saved to; saving rewrites it.
    path: Path | None = None

    def answer(
        self,
        question_id: str,
        points: float | None,
        *,
        comment: str = "",
        time_s: float | None = None,
    ) -> Answer:
        """Record an answer; `points` must be one of the question's choices, None for N/A."""
        _section, q = self.form.question(question_id)
        if points is None:
            if not q.na_allowed:
                raise FormError(f"{q.id}: N/A is not allowed for this question")
        elif float(points) not in q.choices:
            allowed = ", ".join(f"{c:g}" for c in q.choices)
            raise FormError(f"{q.id}: {points:g} is not one of the allowed scores ({allowed})")
        a = Answer(question_id, None if points is None else float(points), comment.strip(), time_s)
        self.answers[question_id] = a
        return a

    def clear(self, question_id: str) -> None:
        self.answers.pop(question_id, None)

    def score(self) -> FormScore:
        return score_evaluation(self.form, self.answers)

    # -- files -------------------------------------------------------------------------------
    def file_name(self) -> str:
        stamp = _stamp(self.created_utc)
        return f"evaluation-{safe_name(self.analyst)}-{stamp}.json"

    def to_dict(self) -> dict[str, Any]:
        s = self.score()
        return {
            "version": _VERSION,
            "analyst": self.analyst,
            "call_id": self.call_id,
            "session": self.session,
            "created_utc": self.created_utc,
            "updated_utc": self.updated_utc or self.created_utc,
            "summary_comment": self.summary_comment,
            "form": self.form.to_dict(),
            "answers": [
                {
                    "question_id": a.question_id,
                    "points": a.points,
                    "na": a.is_na,
                    "comment": a.comment,
                    "time_s": a.time_s,
                }
                for a in self.answers.values()
            ],
            "score": {
                "percent": None if math.isnan(s.percent) else round(s.percent, 3),
                "form_failed": s.form_failed,
                "failed_questions": list(s.failed_questions),
                "complete": s.complete,
                "sections": {
                    x.section_id: None if math.isnan(x.percent) else round(x.percent, 3)
                    for x in s.sections
                },
            },
        }

    def reassigned(self, analyst: str) -> Evaluation:
        """A new, unsaved evaluation by `analyst` starting from these answers."""
        return Evaluation(
            self.form,
            analyst,
            dict(self.answers),
            call_id=self.call_id,
            session=self.session,
            summary_comment=self.summary_comment,
        )

    def save(self, folder: Path) -> Path:
        """Write this evaluation: its own file again once it has one, else a new file in
        `folder`; returns the path."""
        self.updated_utc = utc_now_iso()
        path = self.path or Path(folder) / self.file_name()
        try:
            write_private_file(
                path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
            )
        except OSError as exc:
            raise ReviewError(
                f"Cannot save the evaluation to {path}: {describe_os_error(exc)}",
                remedy="Check that the session folder is writable, then save again.",
            ) from exc
        self.path = path
        return path


def score_evaluation(form: EvaluationForm, answers: dict[str, Answer]) -> FormScore:
    """Apply the module's formula (see the docstring)."""
    sections: list[SectionScore] = []
    failed: list[str] = []
    form_failed = False
    for s in form.sections:
        points = max_points = 0.0
        answered = na = unanswered = 0
        section_failed = False
        for q in s.questions:
            a = answers.get(q.id)
            if a is None:
                unanswered += 1
                continue
            if a.points is None:
                na += 1
                continue
            answered += 1
            points += a.points
            max_points += q.points
            if q.fatal and a.points < q.points:
                failed.append(q.id)
                section_failed = True
                form_failed = form_failed or q.fatal == "form"
        sections.append(
            SectionScore(
                s.id,
                s.title,
                s.weight,
                0.0 if section_failed else points,
                max_points,
                section_failed,
                answered,
                na,
                unanswered,
            )
        )
    weighted_points = sum(x.weight * x.points for x in sections)
    weighted_max = sum(x.weight * x.max_points for x in sections)
    if form_failed:
        percent = 0.0
    elif weighted_max > 0:
        percent = 100.0 * weighted_points / weighted_max
    else:
        percent = math.nan
    return FormScore(
        percent,
        0.0 if form_failed else weighted_points,
        weighted_max,
        form_failed,
        tuple(failed),
        tuple(sections),
    )


def load_evaluation(path: Path) -> Evaluation:
    """Read an evaluation file (with the form embedded in it)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormError(f"Cannot read {path}: {describe_os_error(exc)}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormError(f"{path} is not an evaluation file: {exc}") from exc
    if not isinstance(doc, dict) or "form" not in doc:
        raise FormError(f"{path} is not an evaluation file (no embedded form)")
    form = form_from_dict(doc["form"], source=f"{path} (embedded form)")
    ev = Evaluation(
        form,
        str(doc.get("analyst", "")),
        created_utc=str(doc.get("created_utc", "")),
        updated_utc=str(doc.get("updated_utc", "")),
        call_id=str(doc.get("call_id", "")),
        session=str(doc.get("session", "")),
        summary_comment=str(doc.get("summary_comment", "")),
        path=path,
    )
    for i, raw in enumerate(doc.get("answers", [])):
        if not isinstance(raw, dict) or "question_id" not in raw:
            raise FormError(f"{path}: answers[{i}] is not an answer")
        points = raw.get("points")
        time_s = raw.get("time_s")
        try:
            ev.answer(
                str(raw["question_id"]),
                None if points is None or raw.get("na") else float(points),
                comment=str(raw.get("comment", "")),
                time_s=float(time_s) if isinstance(time_s, int | float) else None,
            )
        except KeyError as exc:
            raise FormError(f"{path}: answers[{i}] names no question of the form") from exc
    return ev


@dataclass(frozen=True)
class ComparisonRow:
    """One question of a calibration: what each analyst gave (None = N/A, "" = unanswered)."""

    section: str
    question_id: str
    text: str
    a: float | str | None
    b: float | str | None

    @property
    def agree(self) -> bool:
        return self.a == self.b


def compare(a: Evaluation, b: Evaluation) -> list[ComparisonRow]:
    """Question-by-question rows for two evaluations of the same form (calibration)."""
    if a.form.id != b.form.id:
        raise FormError(
            f"These evaluations use different forms ({a.form.id!r} and {b.form.id!r})",
            remedy="Compare two evaluations made with the same form.",
        )
    rows = []
    for s in a.form.sections:
        for q in s.questions:
            rows.append(ComparisonRow(s.title, q.id, q.text, _given(a, q.id), _given(b, q.id)))
    return rows


def agreement(rows: list[ComparisonRow]) -> float:
    """Percent of questions answered by both on which they agree (NaN if none)."""
    both = [r for r in rows if r.a != "" and r.b != ""]
    return 100.0 * sum(r.agree for r in both) / len(both) if both else math.nan


def _given(ev: Evaluation, question_id: str) -> float | str | None:
    ans = ev.answers.get(question_id)
    return "" if ans is None else ans.points


def safe_name(text: str) -> str:
    """A file-name-safe analyst name (never empty)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:40] or "analyst"


def _stamp(iso: str) -> str:
    try:
        moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        moment = datetime.now(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")
