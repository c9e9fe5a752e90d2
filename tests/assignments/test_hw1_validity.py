"""Validity of hw1's tests: they tell right from wrong, through the real harness.

Every implementation in ``tests/fixtures/hw1/correct/`` must get full marks,
and every one-mistake mutant in ``tests/fixtures/hw1/mutants/`` must lose
points in exactly the questions its docstring names ("Must lose points in:
..."), and in no other: partial credit follows the mistake. The reference
gets full marks from the public and the hidden suite, and the untouched
template loads cleanly but scores nothing.

All submissions are graded in one session (tests collected once) with the
unisolated subprocess backend: isolation is not what is under test here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.config import load_assignment
from grader.course import Course
from grader.harness.session import GradingSession
from grader.results import SubmissionResult, SubmissionStatus
from grader.sandbox import make_backend
from grader.submissions import from_path

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "hw1"
CORRECT = sorted((FIXTURES / "correct").glob("*.py"))
MUTANTS = sorted((FIXTURES / "mutants").glob("*.py"))
REFERENCE = ROOT / "reference" / "hw1" / "hw1.py"
TEMPLATE = ROOT / "assignments" / "hw1" / "hw1.ipynb"
QUESTIONS = {"activations", "derivatives", "neuron", "affine", "mlp"}


def _student(path: Path) -> str:
    """A unique student id per graded file: reference, template, correct-<name>, mutants-<name>."""
    special = {REFERENCE: "reference", TEMPLATE: "template"}
    return special.get(path, f"{path.parent.name}-{path.stem}")


def _named_questions(path: Path) -> set[str]:
    match = re.search(r"Must lose points in: ([\w, ]+)\.", path.read_text())
    assert match, f"{path.name}: the docstring must say 'Must lose points in: <questions>.'"
    return {q.strip() for q in match.group(1).split(",")}


def _lost(result: SubmissionResult) -> dict[str, float]:
    lost: dict[str, float] = {}
    for t in result.tests:
        if t.score < t.max_score:
            lost[t.question] = lost.get(t.question, 0.0) + t.max_score - t.score
    return lost


def _failures(result: SubmissionResult) -> str:
    return "\n".join(f"  {t.name}: {t.message[:200]}" for t in result.tests if not t.passed)


@pytest.fixture(scope="module")
def config():
    return load_assignment(Course.at(ROOT), "hw1")


def _grade(config, paths: list[Path], *, include_hidden: bool) -> dict[str, SubmissionResult]:
    session = GradingSession(config, make_backend("subprocess"), include_hidden=include_hidden)
    try:
        subs = [from_path(p, config, student=_student(p)) for p in paths]
        return {r.student: r for r in session.grade(subs)}
    finally:
        session.close()


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
