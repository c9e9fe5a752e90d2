"""Validity of hw5's tests: they tell right from wrong, through the real pipeline.

Every implementation in ``reference/hw5/variants/`` must get full marks, and
every one-mistake mutant in ``reference/hw5/mutants/`` must lose points in
exactly the questions its docstring names ("Must lose points in: ..."), and in
no other: partial credit follows the mistake. The reference gets full marks
from the public and the hidden suite, and the untouched template loads cleanly
but scores nothing.

All submissions are graded in one session (tests collected once) in the
bubblewrap sandbox, as ``grader grade`` does. Most of the time goes into
train_spiral's 3000-epoch runs (about 1.5 s of training per submission).
"""

from __future__ import annotations

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.config import load_assignment
from grader.course import Course
from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

VARIANTS = sorted((ROOT / "reference" / "hw5" / "variants").glob("*.py"))
MUTANTS = sorted((ROOT / "reference" / "hw5" / "mutants").glob("*.py"))
REFERENCE = ROOT / "reference" / "hw5" / "hw5.py"
TEMPLATE = ROOT / "assignments" / "hw5" / "hw5.ipynb"
QUESTIONS = {"minibatches", "dropout", "dropout_backward", "early_stopping", "training", "spiral"}
PUBLIC_POINTS = {"minibatches": 4, "dropout": 4, "dropout_backward": 3, "early_stopping": 4, "training": 3,
                 "spiral": 2}


@pytest.fixture(scope="module")
def config():
    return load_assignment(Course.at(ROOT), "hw5")


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over the reference, the template, every variant and mutant."""
    return grade_files("hw5", [REFERENCE, TEMPLATE, *VARIANTS, *MUTANTS], include_hidden=True)


@pytest.fixture(scope="module")
def checked() -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    return grade_files("hw5", [REFERENCE, TEMPLATE], include_hidden=False)


def test_fixtures_are_there():
    assert len(VARIANTS) >= 6
    assert len(MUTANTS) >= 15


def test_reference_gets_full_marks(graded, config):
    result = graded[student_id(REFERENCE)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == config.points == 100
    assert result.score == result.max_score, failures(result)
    assert {t.question for t in result.tests} == QUESTIONS


def test_reference_passes_the_public_tests(checked):
    result = checked[student_id(REFERENCE)]
    assert result.max_score == 20
    assert result.score == result.max_score, failures(result)
    assert all(t.visibility == "public" for t in result.tests)
    per_question: dict[str, float] = {}
    for t in result.tests:
        per_question[t.question] = per_question.get(t.question, 0.0) + t.max_score
    assert per_question == PUBLIC_POINTS


@pytest.mark.parametrize("suite", ["graded", "checked"])
def test_template_loads_cleanly_and_scores_nothing(request, suite):
    result = request.getfixturevalue(suite)[student_id(TEMPLATE)]
    assert result.status is SubmissionStatus.GRADED
    assert result.message == "", "the untouched template should run without a cell error"
    assert result.score == 0.0
    assert all("NotImplementedError" in t.message for t in result.tests)


@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.stem)
def test_correct_variant_gets_full_marks(graded, path):
    result = graded[student_id(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.score == result.max_score == 100, f"{path.name} lost points:\n{failures(result)}"


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_mutant_loses_points_in_the_named_questions_only(graded, path):
    named = named_questions(path)
    assert named <= QUESTIONS, f"unknown questions {named - QUESTIONS}"
    result = graded[student_id(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    lost = lost_points(result)
    assert set(lost) == named, (
        f"{path.name} should lose points in {sorted(named)}, lost {lost}:\n{failures(result)}"
    )
