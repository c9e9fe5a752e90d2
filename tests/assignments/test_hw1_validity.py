"""Validity of hw1's tests: they tell right from wrong, through the real pipeline.

Every implementation in ``reference/hw1/variants/`` must get full marks, and
every one-mistake mutant in ``reference/hw1/mutants/`` must lose points in
exactly the questions its docstring names ("Must lose points in: ..."), and in
no other: partial credit follows the mistake. The reference gets full marks
from the public and the hidden suite, and the untouched template loads cleanly
but scores nothing.

All submissions are graded in one session (tests collected once) in the
bubblewrap sandbox, as ``grader grade`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.config import load_assignment
from grader.course import Course
from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

CORRECT = sorted((ROOT / "reference" / "hw1" / "variants").glob("*.py"))
MUTANTS = sorted((ROOT / "reference" / "hw1" / "mutants").glob("*.py"))
REFERENCE = ROOT / "reference" / "hw1" / "hw1.py"
TEMPLATE = ROOT / "assignments" / "hw1" / "hw1.ipynb"
QUESTIONS = {"activations", "derivatives", "neuron", "affine", "mlp"}


def _student(path: Path) -> str:
    return student_id(path)


_named_questions = named_questions
_lost = lost_points
_failures = failures


@pytest.fixture(scope="module")
def config():
    return load_assignment(Course.at(ROOT), "hw1")


def _grade(config, paths: list[Path], *, include_hidden: bool) -> dict[str, SubmissionResult]:
    return grade_files("hw1", paths, include_hidden=include_hidden)


@pytest.fixture(scope="module")
def graded(config) -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over every fixture, the reference and the template."""
    return _grade(config, [REFERENCE, TEMPLATE, *CORRECT, *MUTANTS], include_hidden=True)


@pytest.fixture(scope="module")
def checked(config) -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    return _grade(config, [REFERENCE, TEMPLATE], include_hidden=False)


def test_fixtures_are_there():
    assert len(CORRECT) >= 6
    assert len(MUTANTS) >= 15


def test_reference_gets_full_marks(graded, config):
    result = graded[_student(REFERENCE)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == config.points == 100
    assert result.score == result.max_score, _failures(result)
    assert {t.question for t in result.tests} == QUESTIONS


def test_reference_passes_the_public_tests(checked):
    result = checked[_student(REFERENCE)]
    assert result.max_score == 20
    assert result.score == result.max_score, _failures(result)
    assert all(t.visibility == "public" for t in result.tests)


@pytest.mark.parametrize("suite", ["graded", "checked"])
def test_template_loads_cleanly_and_scores_nothing(request, suite):
    result = request.getfixturevalue(suite)[_student(TEMPLATE)]
    assert result.status is SubmissionStatus.GRADED
    assert result.message == "", "the untouched template should run without a cell error"
    assert result.score == 0.0
    assert all("NotImplementedError" in t.message for t in result.tests)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_variant_gets_full_marks(graded, path):
    result = graded[_student(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.score == result.max_score == 100, f"{path.name} lost points:\n{_failures(result)}"


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_mutant_loses_points_in_the_named_questions_only(graded, path):
    named = _named_questions(path)
    assert named <= QUESTIONS, f"unknown questions {named - QUESTIONS}"
    result = graded[_student(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    lost = _lost(result)
    assert set(lost) == named, (
        f"{path.name} should lose points in {sorted(named)}, lost {lost}:\n{_failures(result)}"
    )
