"""Validity of hw2's tests: they tell right from wrong, through the real pipeline.

Every implementation in ``reference/hw2/variants/`` must get full marks, and
every one-mistake mutant in ``reference/hw2/mutants/`` must lose points in
exactly the questions its docstring names ("Must lose points in: ..."), and in
no other: partial credit follows the mistake. The reference gets full marks
from the public and the hidden suite, and the untouched template loads cleanly
but scores nothing.

All submissions are graded in one session (tests collected once) in the
bubblewrap sandbox, as ``grader grade`` does.
"""

from __future__ import annotations

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

HW = ROOT / "reference" / "hw2"
VARIANTS = sorted((HW / "variants").glob("*.py"))
MUTANTS = sorted((HW / "mutants").glob("*.py"))
REFERENCE = HW / "hw2.py"
TEMPLATE = ROOT / "assignments" / "hw2" / "hw2.ipynb"
QUESTIONS = {"softmax", "losses", "softmax_loss", "spiral", "linear_classifier"}
# Mutants whose mistake a matcher recognises: the question, and words the failure message must contain
# (the matcher's Failure names the cause, and brings its own hint).
NAMED = {
    "softmax_axis0": ("softmax", "the softmax over axis 0"),
    "softmax_global_max": ("softmax", "one max of the whole batch"),
    "softmax_no_max_shift": ("softmax", "the raw logits exponentiated"),
    "log_softmax_log_of_softmax": ("softmax", "np.log(softmax(z))"),
    "log_softmax_no_shift": ("softmax", "without the max shift"),
    "mse_half": ("losses", "1/2 MSE"),
    "bce_no_clip": ("losses", "not clipped"),
    "bce_fixed_eps": ("losses", "a constant of your own"),
    "cross_entropy_sum": ("losses", "the sum over the batch"),
    "cross_entropy_eps_in_log": ("losses", "an eps inside the log"),
    "softmax_loss_dx_not_divided_by_n": ("softmax_loss", "dx not divided by N"),
    "softmax_loss_dx_columns": ("softmax_loss", "dx[:, y] -= 1"),
    "l2_penalty_no_half": ("linear_classifier", "without the factor 1/2"),
    "train_no_reg_gradient": ("linear_classifier", "a gradient without the penalty's term"),
    "spiral_sin_cos_swapped": ("spiral", "sin and cos swapped"),
    "softmax_shift_in_place": ("softmax", "changed its argument 1 in place"),
}


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over the reference, the template, every variant and mutant."""
    return grade_files("hw2", [REFERENCE, TEMPLATE, *VARIANTS, *MUTANTS], include_hidden=True)


@pytest.fixture(scope="module")
def checked() -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    return grade_files("hw2", [REFERENCE, TEMPLATE], include_hidden=False)


def test_fixtures_are_there():
    assert len(VARIANTS) >= 6
    assert len(MUTANTS) >= 15


def test_reference_gets_full_marks(graded):
    result = graded[student_id(REFERENCE)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == 100
    assert result.score == result.max_score, failures(result)
    assert {t.question for t in result.tests} == QUESTIONS


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
    assert all("NotImplementedError" in t.message for t in result.tests), failures(result)


@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.stem)
def test_variant_gets_full_marks(graded, path):
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
    result = graded[student_id(HW / "mutants" / f"{stem}.py")]
    named = [t for t in result.tests if not t.passed and t.question == question and words in t.message]
    assert named, f"no failed test of {question} says {words!r}:\n{failures(result)}"
    assert all(t.hint for t in named), "a recognised mistake comes with its hint"


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_in_place_hints_only_for_changes_in_place(graded, path):
    """A wrong value that changed nothing in place (cross_entropy summing instead of averaging) gets
    no in-place hint: assert_inputs_unchanged gives it only for an argument changed in place."""
    result = graded[student_id(path)]
    for t in result.tests:
        if not t.passed and "in place" in t.hint:
            assert "in_place" in path.stem, f"{t.name} shows the in-place hint: {t.message}"
