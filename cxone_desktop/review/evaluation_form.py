"""Evaluation forms: sections with weights, questions with points, N/A and fatal questions.

A form is a small TOML or JSON file:

    id = "customer-service"            # optional; defaults to the file name
    title = "Customer service"
    version = "1"

    [[sections]]
    id = "opening"                     # optional; defaults to s1, s2, …
    title = "Opening"
    weight = 2                         # > 0; default 1

      [[sections.questions]]
      id = "greeting"                  # optional; defaults to <section>.q1, …
      text = "Greeted the customer and gave their name"
      points = 5                       # the most a question can score, > 0
      choices = [0, 3, 5]              # optional: the allowed scores; default [0, points]
      na = true                        # optional: "not applicable" allowed (default false)
      fatal = "section"                # optional: "section" or "form"

A fatal question that scores less than its full points fails its section (the
section then scores 0) or the whole form (the form then scores 0). Scoring is in
`evaluation.py`. Every problem is reported as a FormError naming the file and
the place (`sections[1].questions[0].points`).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxone_desktop.errors import FormError

FATAL_SCOPES = ("section", "form")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    points: float
    choices: tuple[float, ...]
    na_allowed: bool = False
    fatal: str | None = None  # None, "section" or "form"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    weight: float
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class EvaluationForm:
    id: str
    title: str
    version: str
    sections: tuple[Section, ...]
    description: str = ""

    def question(self, question_id: str) -> tuple[Section, Question]:
        for s in self.sections:
            for q in s.questions:
                if q.id == question_id:
                    return s, q
        raise KeyError(question_id)

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def to_dict(self) -> dict[str, Any]:
        """The form as JSON data; `form_from_dict` reads it back (evaluations embed it)."""
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "description": self.description,
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "weight": s.weight,
                    "questions": [
                        {
                            "id": q.id,
                            "text": q.text,
                            "points": q.points,
                            "choices": list(q.choices),
                            "na": q.na_allowed,
                            **({"fatal": q.fatal} if q.fatal else {}),
                        }
                        for q in s.questions
                    ],
                }
                for s in self.sections
            ],
        }


def load_form(path: Path) -> EvaluationForm:
    """Read a .toml or .json form. Raises FormError naming the file and the problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormError(f"Cannot read the form {path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError is a ValueError
        raise FormError(f"The form {path} is not valid {path.suffix[1:].upper()}: {exc}") from exc
    return form_from_dict(data, source=str(path), default_id=path.stem)


def form_from_dict(data: Any, *, source: str = "form", default_id: str = "form") -> EvaluationForm:
    """Validate form data (from a file or embedded in an evaluation)."""
    at = _Place(source)
    if not isinstance(data, dict):
        raise at.fail("top level", "expected a table/object with `title` and `sections`")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise at.fail("title", "missing or empty")
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise at.fail("sections", "expected a non-empty list of sections")
    sections: list[Section] = []
    seen: set[str] = set()
    for i, s in enumerate(sections_raw):
        where = f"sections[{i}]"
        if not isinstance(s, dict):
            raise at.fail(where, "expected a table/object")
        sid = at.ident(s.get("id"), f"s{i + 1}", f"{where}.id")
        s_title = s.get("title", sid)
        if not isinstance(s_title, str):
            raise at.fail(f"{where}.title", "expected text")
        weight = at.positive(s.get("weight", 1), f"{where}.weight")
        qs_raw = s.get("questions")
        if not isinstance(qs_raw, list) or not qs_raw:
            raise at.fail(f"{where}.questions", "expected a non-empty list of questions")
        questions: list[Question] = []
        for j, q in enumerate(qs_raw):
            qw = f"{where}.questions[{j}]"
            if not isinstance(q, dict):
                raise at.fail(qw, "expected a table/object")
            qid = at.ident(q.get("id"), f"{sid}.q{j + 1}", f"{qw}.id")
            if qid in seen:
                raise at.fail(f"{qw}.id", f"{qid!r} is used twice")
            seen.add(qid)
            text = q.get("text")
            if not isinstance(text, str) or not text.strip():
                raise at.fail(f"{qw}.text", "missing or empty")
            points = at.positive(q.get("points"), f"{qw}.points")
            choices = at.choices(q.get("choices"), points, f"{qw}.choices")
            na = q.get("na", q.get("na_allowed", False))
            if not isinstance(na, bool):
                raise at.fail(f"{qw}.na", "expected true or false")
            fatal = q.get("fatal")
            if fatal is not None and fatal not in FATAL_SCOPES:
                raise at.fail(f"{qw}.fatal", f"expected 'section' or 'form', got {fatal!r}")
            questions.append(Question(qid, text.strip(), points, choices, na, fatal))
        sections.append(Section(sid, s_title.strip() or sid, weight, tuple(questions)))
    form_id = at.ident(data.get("id"), default_id, "id")
    description = data.get("description", "")
    return EvaluationForm(
        form_id,
        title.strip(),
        str(data.get("version", "1")),
        tuple(sections),
        description if isinstance(description, str) else "",
    )


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class _Place:
    """Builds FormErrors that name the file and the place in it."""

    source: str

    def fail(self, where: str, what: str) -> FormError:
        return FormError(f"{self.source}: {where}: {what}")

    def ident(self, value: Any, default: str, where: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(where, "expected letters, digits, '.', '_' or '-' (at most 64)")
        return value

    def positive(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(where, f"expected a number above 0, got {value!r}")
        if value == float("inf"):
            raise self.fail(where, "expected a finite number")
        return float(value)

    def choices(self, value: Any, points: float, where: str) -> tuple[float, ...]:
        if value is None:
            return (0.0, points)
        if not isinstance(value, list) or not value:
            raise self.fail(where, "expected a non-empty list of scores")
        out: list[float] = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= points:
                raise self.fail(where, f"each score must be from 0 to {points:g}, got {v!r}")
            out.append(float(v))
        if max(out) != points:
            raise self.fail(where, f"the highest choice must be the question's points ({points:g})")
        return tuple(sorted(set(out)))


def shipped_forms() -> list[Path]:
    """The example forms that come with the app (resources/forms)."""
    from cxone_desktop.assets import resource_path

    try:
        folder = resource_path("forms")
    except FileNotFoundError:
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".toml", ".json"))
