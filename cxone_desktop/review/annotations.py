"""The analyst's notes on a call: `annotations.json` in the session folder.

Each note sits at a moment or over a stretch of session time, with an optional
category. Every change is saved at once, atomically (temp file + rename, 0600),
so a crash never leaves half a file. Exports: an Audacity label track
(`labels.txt`: start<TAB>end<TAB>text, seconds) and CSV.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cxone_desktop.errors import ReviewError
from cxone_desktop.private_files import describe_os_error, write_private_file
from cxone_desktop.review.wall_time import utc_now_iso

ANNOTATIONS_JSON = "annotations.json"
CATEGORIES = ("compliance", "tone", "audio problem", "greeting", "resolution", "other")
_VERSION = 1


@dataclass(frozen=True)
class Annotation:
    """A note; a point when `end_s == start_s`. Times are session seconds."""

    id: str
    start_s: float
    end_s: float
    text: str
    category: str = ""
    author: str = ""
    created_utc: str = ""
    updated_utc: str = ""

    @property
    def is_span(self) -> bool:
        return self.end_s > self.start_s

    @property
    def label(self) -> str:
        """The text with its category, as exports show it."""
        return f"[{self.category}] {self.text}" if self.category else self.text


class AnnotationStore:
    """The notes of one session folder, kept in order of time; saved on every change."""

    def __init__(self, folder: Path, *, author: str = "") -> None:
        self.path = Path(folder) / ANNOTATIONS_JSON
        self.author = author
        self._items: list[Annotation] = []
        self.load()

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[Annotation]:
        return list(self._items)

    def get(self, note_id: str) -> Annotation:
        for a in self._items:
            if a.id == note_id:
                return a
        raise KeyError(note_id)

    def load(self) -> None:
        """Read the file (none yet is an empty store). Raises ReviewError if unreadable."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._items = []
            return
        except OSError as exc:
            raise ReviewError(f"Cannot read {self.path}: {describe_os_error(exc)}") from exc
        try:
            doc = json.loads(text)
            raw = doc["annotations"] if isinstance(doc, dict) else doc
            self._items = sorted((_from_dict(d) for d in raw), key=_order)
        except (ValueError, KeyError, TypeError) as exc:
            raise ReviewError(
                f"{self.path} is not an annotations file ({exc}); move it away to start afresh",
                remedy="Rename or remove the file, then reopen the session.",
            ) from exc

    def add(self, start_s: float, end_s: float | None, text: str, category: str = "") -> Annotation:
        now = _now()
        start, end = _span(start_s, end_s)
        note = Annotation(
            id=uuid.uuid4().hex[:12],
            start_s=start,
            end_s=end,
            text=text.strip(),
            category=category.strip(),
            author=self.author,
            created_utc=now,
            updated_utc=now,
        )
        self._save([*self._items, note])
        return note

    def update(self, note_id: str, **changes: Any) -> Annotation:
        """Change text, category, start_s or end_s of a note."""
        old = self.get(note_id)
        allowed = {"text", "category", "start_s", "end_s"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"cannot change {sorted(unknown)}")
        new = replace(old, **changes, updated_utc=_now())
        start, end = _span(new.start_s, new.end_s)
        new = replace(new, start_s=start, end_s=end, text=new.text.strip())
        self._save([new if a.id == note_id else a for a in self._items])
        return new

    def delete(self, note_id: str) -> None:
        self.get(note_id)
        self._save([a for a in self._items if a.id != note_id])

    def _save(self, items: list[Annotation]) -> None:
        items = sorted(items, key=_order)
        doc = {"version": _VERSION, "annotations": [asdict(a) for a in items]}
        try:
            write_private_file(self.path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise ReviewError(
                f"Cannot save {self.path}: {describe_os_error(exc)}; the note was not saved",
                remedy="Check that the session folder is writable, then try again.",
            ) from exc
        self._items = items


def audacity_labels(notes: Iterable[Annotation]) -> str:
    """An Audacity label track: `start\\tend\\tlabel` per line, seconds to 6 decimals."""
    lines = []
    for a in notes:
        text = a.label.replace("\t", " ").replace("\r", " ").replace("\n", " ")
        lines.append(f"{a.start_s:.6f}\t{a.end_s:.6f}\t{text}\n")
    return "".join(lines)


def annotations_csv(notes: Iterable[Annotation]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["start_s", "end_s", "category", "text", "author", "created_utc", "updated_utc"])
    for a in notes:
        w.writerow(
            [
                f"{a.start_s:.3f}",
                f"{a.end_s:.3f}",
                a.category,
                a.text,
                a.author,
                a.created_utc,
                a.updated_utc,
            ]
        )
    return buf.getvalue()


def export_annotations(notes: Iterable[Annotation], dest: Path) -> Path:
    """Write `labels.txt` (a `.csv` destination gets CSV instead); returns the path."""
    dest = Path(dest)
    items = list(notes)
    text = annotations_csv(items) if dest.suffix.lower() == ".csv" else audacity_labels(items)
    try:
        write_private_file(dest, text)
    except OSError as exc:
        raise ReviewError(f"Cannot write {dest}: {describe_os_error(exc)}") from exc
    return dest


def _span(start_s: float, end_s: float | None) -> tuple[float, float]:
    start = max(0.0, float(start_s))
    end = start if end_s is None else max(0.0, float(end_s))
    return (min(start, end), max(start, end))


def _order(a: Annotation) -> tuple[float, float, str]:
    return (a.start_s, a.end_s, a.created_utc)


def _from_dict(d: Any) -> Annotation:
    if not isinstance(d, dict):
        raise TypeError("an annotation is not an object")
    start_s = float(d["start_s"])
    end_s = d.get("end_s")
    start, end = _span(start_s, float(end_s) if end_s is not None else None)
    return Annotation(
        id=str(d.get("id") or uuid.uuid4().hex[:12]),
        start_s=start,
        end_s=end,
        text=str(d.get("text", "")),
        category=str(d.get("category", "")),
        author=str(d.get("author", "")),
        created_utc=str(d.get("created_utc", "")),
        updated_utc=str(d.get("updated_utc", "")),
    )


def _now() -> str:
    return utc_now_iso()
