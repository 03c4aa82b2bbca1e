"""Evaluation forms: validation, the weighted score (fatal and N/A), files, calibration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cxone_desktop.errors import FormError
from cxone_desktop.review.evaluation import (
    Evaluation,
    agreement,
    compare,
    load_evaluation,
    score_evaluation,
)
from cxone_desktop.review.evaluation_form import form_from_dict, load_form, shipped_forms

FORM = {
    "id": "t",
    "title": "Test form",
    "sections": [
        {
            "id": "a",
            "title": "A",
            "weight": 2,
            "questions": [
                {"id": "a1", "text": "one", "points": 4, "choices": [0, 2, 4]},
                {"id": "a2", "text": "two", "points": 2, "na": True},
                {"id": "a3", "text": "three", "points": 1, "fatal": "section"},
            ],
        },
        {
            "id": "b",
            "title": "B",
            "weight": 1,
            "questions": [
                {"id": "b1", "text": "four", "points": 5, "choices": [0, 1, 2, 3, 4, 5]},
                {"id": "b2", "text": "five", "points": 1, "na": True, "fatal": "form"},
            ],
        },
    ],
}


def evaluation(**answers: float | None) -> Evaluation:
    ev = Evaluation(form_from_dict(FORM), "ana")
    for qid, pts in answers.items():
        ev.answer(qid, pts)
    return ev


def test_weighted_score_by_hand() -> None:
    # A: (2 + 2 + 1) / (4 + 2 + 1) weight 2; B: (3 + 1) / (5 + 1) weight 1.
    s = evaluation(a1=2, a2=2, a3=1, b1=3, b2=1).score()
    assert s.percent == pytest.approx(100 * (2 * 5 + 1 * 4) / (2 * 7 + 1 * 6))
    assert s.sections[0].percent == pytest.approx(100 * 5 / 7)
    assert s.complete and not s.form_failed


def test_na_counts_as_neither() -> None:
    # a2 and b2 N/A: A (4 + 1) / (4 + 1) · 2, B 3/5 · 1.
    s = evaluation(a1=4, a2=None, a3=1, b1=3, b2=None).score()
    assert s.percent == pytest.approx(100 * (2 * 5 + 3) / (2 * 5 + 5))
    assert s.sections[0].not_applicable == 1


def test_unanswered_counts_as_neither_but_leaves_it_incomplete() -> None:
    s = evaluation(a1=4, b1=5).score()
    assert s.percent == pytest.approx(100.0) and not s.complete
    assert math.isnan(evaluation().score().percent)


def test_fatal_question_fails_its_section() -> None:
    # a3 missed: section A scores 0 of its 7; B 3/5.
    s = evaluation(a1=4, a2=2, a3=0, b1=3, b2=1).score()
    assert s.sections[0].failed and s.sections[0].points == 0
    assert s.percent == pytest.approx(100 * (0 + 4) / (2 * 7 + 6))
    assert s.failed_questions == ("a3",) and not s.form_failed


def test_fatal_form_question_fails_everything_but_na_does_not() -> None:
    s = evaluation(a1=4, a2=2, a3=1, b1=5, b2=0).score()
    assert s.form_failed and s.percent == 0.0 and s.failed_questions == ("b2",)
    assert not evaluation(a1=4, a3=1, b1=5, b2=None).score().form_failed


def test_answers_must_be_allowed_choices() -> None:
    ev = evaluation()
    with pytest.raises(FormError, match="not one of the allowed scores"):
        ev.answer("a1", 3)
    with pytest.raises(FormError, match="N/A is not allowed"):
        ev.answer("a1", None)
    with pytest.raises(KeyError):
        ev.answer("zz", 1)


def test_save_load_round_trip_with_comments_and_times(tmp_path: Path) -> None:
    ev = evaluation(a1=2, a3=1)
    ev.answer("b1", 4, comment="good recovery", time_s=61.5)
    ev.answer("a2", None)
    ev.call_id = "call-77"
    path = ev.save(tmp_path)
    assert path.name.startswith("evaluation-ana-") and path.name.endswith("Z.json")
    back = load_evaluation(path)
    assert back.answers == ev.answers
    assert back.score() == ev.score() and back.call_id == "call-77"
    doc = json.loads(path.read_text())
    assert doc["score"]["percent"] == pytest.approx(ev.score().percent, abs=1e-3)
    assert doc["form"]["title"] == "Test form"  # the form travels with the evaluation


def test_reopened_and_saved_by_its_analyst_it_is_rewritten_in_place(tmp_path: Path) -> None:
    first = evaluation(a1=2, a3=1)
    path = first.save(tmp_path)
    created = json.loads(path.read_text())["created_utc"]
    again = load_evaluation(path)
    assert again.path == path
    again.answer("a1", 4, comment="heard it again: full marks")
    again.clear("a3")
    assert again.save(tmp_path) == path
    assert sorted(tmp_path.glob("evaluation-*.json")) == [path]  # no second file
    doc = json.loads(path.read_text())
    assert doc["created_utc"] == created and doc["updated_utc"] >= created
    back = load_evaluation(path)
    assert back.answers["a1"].points == 4 and back.answers["a1"].comment.startswith("heard")
    assert "a3" not in back.answers
    assert back.score().percent == pytest.approx(100.0)  # a1 4/4 alone


def test_saved_under_another_analyst_it_is_a_new_evaluation(tmp_path: Path) -> None:
    ana = evaluation(a1=2, a2=2, a3=1, b1=3)
    ana_path = ana.save(tmp_path)
    before = ana_path.read_bytes()
    bob = load_evaluation(ana_path).reassigned("bob")
    assert bob.path is None and bob.analyst == "bob"
    bob.answer("a1", 4)
    bob_path = bob.save(tmp_path)
    assert bob_path != ana_path and bob_path.name.startswith("evaluation-bob-")
    assert ana_path.read_bytes() == before  # ana's evaluation is untouched
    rows = compare(load_evaluation(ana_path), load_evaluation(bob_path))
    assert [r.question_id for r in rows if not r.agree] == ["a1"]


def test_calibration_compare() -> None:
    a = evaluation(a1=4, a2=2, a3=1, b1=3)
    b = evaluation(a1=2, a2=2, a3=1, b1=3, b2=None)
    rows = compare(a, b)
    assert [(r.question_id, r.a, r.b, r.agree) for r in rows] == [
        ("a1", 4.0, 2.0, False),
        ("a2", 2.0, 2.0, True),
        ("a3", 1.0, 1.0, True),
        ("b1", 3.0, 3.0, True),
        ("b2", "", None, False),
    ]
    assert agreement(rows) == pytest.approx(75.0)
    other = Evaluation(form_from_dict({**FORM, "id": "other"}), "bo")
    with pytest.raises(FormError, match="different forms"):
        compare(a, other)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda f: f.pop("title"), "title"),
        (lambda f: f["sections"][1].update(weight=0), r"sections\[1\].weight"),
        (lambda f: f["sections"][0]["questions"][1].update(points="5"), r"questions\[1\].points"),
        (lambda f: f["sections"][0]["questions"][0].update(choices=[0, 2]), "highest choice"),
        (lambda f: f["sections"][0]["questions"][2].update(fatal="call"), "fatal"),
        (lambda f: f["sections"][1]["questions"][0].update(id="a1"), "used twice"),
        (lambda f: f["sections"][1].update(questions=[]), r"sections\[1\].questions"),
    ],
)
def test_invalid_forms_name_the_place(change: object, where: str) -> None:
    data = json.loads(json.dumps(FORM))
    change(data)  # type: ignore[operator]
    with pytest.raises(FormError, match=where):
        form_from_dict(data, source="my-form.json")


def test_form_files_toml_and_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("title = ")
    with pytest.raises(FormError, match="not valid TOML"):
        load_form(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(FORM))
    assert load_form(good).title == "Test form"


def test_shipped_forms_load_and_score() -> None:
    forms = {load_form(p).id: load_form(p) for p in shipped_forms()}
    assert {"customer-service", "compliance-check"} <= set(forms)
    cs = forms["customer-service"]
    ev = Evaluation(cs, "qa")
    for q in cs.questions:
        ev.answer(q.id, q.points)
    assert ev.score().percent == pytest.approx(100.0)
    ev.answer("verification", 0)  # fatal for the form
    assert ev.score().percent == 0.0
    assert score_evaluation(cs, {}).sections[0].unanswered == 2
