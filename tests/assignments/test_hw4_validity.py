"""Validity of hw4's tests: they tell right from wrong, through the real pipeline.

Every implementation in ``reference/hw4/variants/`` (float32, loops, torch
tensors, equivalent rearrangements, configs kept immutable or as lists) must
get full marks, and every one-mistake mutant in ``reference/hw4/mutants/``
must lose points in exactly the questions its docstring names ("Must lose
points in: ..."), and in no other: partial credit follows the mistake. The
reference gets full marks from the public and the hidden suite, and the
untouched template loads cleanly but scores nothing.

All submissions are graded in one session (tests collected once) in the
bubblewrap sandbox, as ``grader grade`` does.
"""

from __future__ import annotations

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.config import load_assignment
from grader.course import Course
from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

HW = "hw4"
CORRECT = sorted((ROOT / "reference" / HW / "variants").glob("*.py"))
MUTANTS = sorted((ROOT / "reference" / HW / "mutants").glob("*.py"))
REFERENCE = ROOT / "reference" / HW / "hw4.py"
TEMPLATE = ROOT / "assignments" / HW / "hw4.ipynb"
QUESTIONS = {"linear_regression", "sgd", "momentum", "rmsprop", "adam", "adagrad", "adadelta"}
POINTS = {"linear_regression": 18, "sgd": 8, "momentum": 14, "rmsprop": 14, "adam": 17, "adagrad": 14,
          "adadelta": 15}


# Mutants whose mistake a matcher recognises: the question, and words the failure message must contain
# (the matcher's Failure names the cause, and brings its own hint).
NAMED = {
    "adam_t_starts_at_one": ("adam", "t starting at 1"),
    "adam_t_never_incremented": ("adam", "t is never incremented"),
    "adam_t_not_stored": ("adam", "t is not stored back into config"),
    "adam_no_bias_correction": ("adam", "without bias correction"),
    "adam_eps_inside_sqrt": ("adam", "epsilon inside the square root"),
    "rmsprop_no_sqrt": ("rmsprop", "RMSprop without the square root"),
    "rmsprop_eps_inside_sqrt": ("rmsprop", "epsilon inside the square root"),
    "adagrad_no_sqrt": ("adagrad", "Adagrad without the square root"),
    "adagrad_state_in_global": ("adagrad", "kept outside the config"),
    "adadelta_eps_outside_sqrt": ("adadelta", "epsilon outside the square roots"),
    "momentum_classical": ("momentum", "classical momentum"),
    "momentum_velocity_not_stored": ("momentum", "velocity that is not stored"),
    "sgd_plus_sign": ("sgd", "a step uphill"),
    "sgd_defaults_only_when_empty": ("sgd", "defaults of learning_rate are not used"),
    "linreg_missing_factor_two": ("linear_regression", "without its factor 2"),
    "sgd_in_place": ("sgd", "changed its argument 1 in place"),
}


@pytest.fixture(scope="module")
def config():
    return load_assignment(Course.at(ROOT), HW)


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over every fixture, the reference and the template."""
    return grade_files(HW, [REFERENCE, TEMPLATE, *CORRECT, *MUTANTS], include_hidden=True)


@pytest.fixture(scope="module")
def checked() -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    return grade_files(HW, [REFERENCE, TEMPLATE], include_hidden=False)


def test_fixtures_are_there():
    assert len(CORRECT) >= 6
    assert len(MUTANTS) >= 15


def test_reference_gets_full_marks(graded, config):
    result = graded[student_id(REFERENCE)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == config.points == 100
    assert result.score == result.max_score, failures(result)
    points: dict[str, float] = {}
    for t in result.tests:
        points[t.question] = points.get(t.question, 0.0) + t.max_score
    assert points == pytest.approx(POINTS)


def test_reference_passes_the_public_tests(checked):
    result = checked[student_id(REFERENCE)]
    assert result.max_score == 20
    assert result.score == result.max_score, failures(result)
    assert all(t.visibility == "public" for t in result.tests)


@pytest.mark.parametrize("suite", ["graded", "checked"])
def test_template_loads_cleanly_and_scores_nothing(request, suite):
    result = request.getfixturevalue(suite)[student_id(TEMPLATE)]
    assert result.status is SubmissionStatus.GRADED
    assert result.message == "", "the untouched template should run without a cell error"
    assert result.score == 0.0
    assert all("NotImplementedError" in t.message for t in result.tests)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
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


@pytest.mark.parametrize("stem", sorted(NAMED))
def test_the_failure_names_the_mistake(graded, stem):
    question, words = NAMED[stem]
    result = graded[student_id(ROOT / "reference" / HW / "mutants" / f"{stem}.py")]
    named = [t for t in result.tests if not t.passed and t.question == question and words in t.message]
    assert named, f"no failed test of {question} says {words!r}:\n{failures(result)}"
    assert all(t.hint for t in named), "a recognised mistake comes with its hint"


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_hints_only_where_they_apply(graded, path):
    """The in-place hint only for a change in place, the hint about epsilon's place only for epsilon
    in the wrong place: a wrong value that changed nothing in place gets no in-place hint (classical
    momentum), and an epsilon already outside is not told to move it outside."""
    result = graded[student_id(path)]
    for t in result.tests:
        if t.passed:
            continue
        if "in place" in t.hint:
            assert "in_place" in path.stem, f"{t.name} shows the in-place hint: {t.message}"
        if "outside the root" in t.hint or "sqrt(E + eps)" in t.hint:
            assert "eps" in path.stem, f"{t.name} shows the hint about epsilon's place: {t.message}"
