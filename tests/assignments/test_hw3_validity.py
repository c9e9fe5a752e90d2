"""Validity of hw3's tests: they tell right from wrong, through the real pipeline.

Every implementation in ``reference/hw3/variants/`` (loops, float32, einsum,
PyTorch autograd, CS231n's and micrograd's own code, caches that are objects)
must get full marks, and every one-mistake mutant in ``reference/hw3/mutants/``
must lose points in exactly the questions its docstring names ("Must lose
points in: ..."), and in no other: partial credit follows the mistake. The
reference gets full marks from the public and the hidden suite, with the
points per question that the notebook announces, and the untouched template
loads cleanly but scores nothing.

All submissions are graded in one session (tests collected once) in the
bubblewrap sandbox, as ``grader grade`` does.
"""

from __future__ import annotations

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

HW = ROOT / "reference" / "hw3"
VARIANTS = sorted((HW / "variants").glob("*.py"))
MUTANTS = sorted((HW / "mutants").glob("*.py"))
REFERENCE = HW / "hw3.py"
TEMPLATE = ROOT / "assignments" / "hw3" / "hw3.ipynb"
# (hidden, public) points per question, as the template notebook announces them
POINTS = {
    "affine_backward": (11, 3),
    "activations": (11, 3),
    "gradient_check": (11, 3),
    "two_layer_net": (19, 5),
    "value_ops": (14, 2),
    "value_composition": (4, 2),
    "value_backward": (10, 2),
}


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over the reference, the template, every variant and mutant."""
    return grade_files("hw3", [REFERENCE, TEMPLATE, *VARIANTS, *MUTANTS], include_hidden=True)


@pytest.fixture(scope="module")
def checked() -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    return grade_files("hw3", [REFERENCE, TEMPLATE], include_hidden=False)


def test_fixtures_are_there():
    assert len(VARIANTS) >= 6
    assert len(MUTANTS) >= 15


def test_reference_gets_full_marks(graded):
    result = graded[student_id(REFERENCE)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == 100
    assert result.score == result.max_score, failures(result)


def test_points_per_question_are_the_announced_ones(graded):
    result = graded[student_id(REFERENCE)]
    points: dict[tuple[str, str], float] = {}
    for t in result.tests:
        key = (t.question, t.visibility)
        points[key] = points.get(key, 0.0) + t.max_score
    expected = {}
    for question, (hidden, public) in POINTS.items():
        expected[(question, "hidden")] = hidden
        expected[(question, "public")] = public
    assert points == pytest.approx(expected)
    template = TEMPLATE.read_text()
    for question, (hidden, public) in POINTS.items():
        assert f"({hidden} + {public} points)" in template, f"the notebook does not announce {question}'s points"


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
    assert named <= set(POINTS), f"unknown questions {named - set(POINTS)}"
    result = graded[student_id(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    lost = lost_points(result)
    assert set(lost) == named, f"{path.name} should lose points in {sorted(named)}, lost {lost}:\n{failures(result)}"
