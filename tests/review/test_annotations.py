"""Notes round-trip through annotations.json, atomically, and export as Audacity labels and CSV."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from pathlib import Path

import pytest

from cxone_desktop.errors import ReviewError
from cxone_desktop.review.annotations import (
    ANNOTATIONS_JSON,
    AnnotationStore,
    annotations_csv,
    audacity_labels,
    export_annotations,
)


def test_add_edit_delete_round_trip(tmp_path: Path) -> None:
    store = AnnotationStore(tmp_path, author="ana")
    a = store.add(12.5, None, "  Greeting skipped ", "compliance")
    b = store.add(30.0, 25.0, "Talks over the customer", "tone")  # given backwards
    assert (b.start_s, b.end_s) == (25.0, 30.0) and b.is_span and not a.is_span
    assert a.text == "Greeting skipped" and a.author == "ana"
    again = AnnotationStore(tmp_path)
    assert [n.text for n in again] == ["Greeting skipped", "Talks over the customer"]
    store.update(a.id, text="Greeting late", category="tone", end_s=14.0)
    store.delete(b.id)
    final = AnnotationStore(tmp_path).items
    assert [(n.start_s, n.end_s, n.text, n.category) for n in final] == [
        (12.5, 14.0, "Greeting late", "tone")
    ]
    assert final[0].created_utc == a.created_utc and final[0].updated_utc >= a.updated_utc
    doc = json.loads((tmp_path / ANNOTATIONS_JSON).read_text())
    assert doc["version"] == 1 and len(doc["annotations"]) == 1
    assert stat.S_IMODE(os.stat(tmp_path / ANNOTATIONS_JSON).st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))  # the temp file was renamed, not left behind
    with pytest.raises(KeyError):
        store.delete("nope")
    with pytest.raises(TypeError):
        store.update(final[0].id, author="someone else")


def test_a_failed_save_keeps_the_notes_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(tmp_path)
    store.add(1.0, None, "kept")

    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ReviewError, match=r"No space left.*not saved"):
        store.add(2.0, None, "lost")
    monkeypatch.undo()
    assert [n.text for n in store] == ["kept"]
    assert [n.text for n in AnnotationStore(tmp_path)] == ["kept"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_corrupt_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / ANNOTATIONS_JSON).write_text("{broken")
    with pytest.raises(ReviewError, match="not an annotations file"):
        AnnotationStore(tmp_path)
    assert (tmp_path / ANNOTATIONS_JSON).read_text() == "{broken"


def test_audacity_label_track_and_csv(tmp_path: Path) -> None:
    store = AnnotationStore(tmp_path, author="ana")
    store.add(1.25, None, "tab\there and\nnewline", "audio problem")
    store.add(3.0, 4.5, "span")
    text = audacity_labels(store)
    lines = text.splitlines()
    assert lines[0] == "1.250000\t1.250000\t[audio problem] tab here and newline"
    assert lines[1] == "3.000000\t4.500000\tspan"
    assert all(len(line.split("\t")) == 3 for line in lines)
    rows = list(csv.DictReader(io.StringIO(annotations_csv(store))))
    assert rows[1]["start_s"] == "3.000" and rows[1]["end_s"] == "4.500"
    assert rows[0]["category"] == "audio problem" and rows[0]["author"] == "ana"
    assert export_annotations(store, tmp_path / "labels.txt").read_text() == text
    assert export_annotations(store, tmp_path / "notes.csv").read_text().startswith("start_s,")
