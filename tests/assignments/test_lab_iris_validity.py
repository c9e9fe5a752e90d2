"""Validity of lab-iris's tests, through the real harness.

The reference gets full marks, the untouched template loads cleanly and scores
nothing, and the example submissions in ``submissions/lab-iris/`` get the
outcomes their README states: honest networks full marks, each rule broken
loses its own points, the memoriser fails the label-permutation check and is
unverified (its lookup cannot be rebuilt from whitelisted layers), every honest
network is verified, and a network reused across calls of build_model fails
the accuracy test.

``grace`` (a training loop that never ends) is left out: it costs three 30 s
timeouts. All submissions are graded in one session with the unisolated
subprocess backend: isolation is not what is under test here.
"""

from __future__ import annotations

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
REFERENCE = ROOT / "reference" / "lab-iris" / "lab_iris.py"
TEMPLATE = ROOT / "assignments" / "lab-iris" / "lab-iris.ipynb"
SUBMISSIONS = ROOT / "submissions" / "lab-iris"
QUESTIONS = {"architecture", "accuracy", "learning"}

# student -> (score, points lost per question), as in submissions/lab-iris/README.md
EXPECTED = {
    "alice": (100, {}),
    "bob": (100, {}),
    "kate": (100, {}),
    "carol": (31, {"accuracy": 44, "learning": 25}),
    "dave": (76, {"architecture": 24}),
    "erin": (88, {"architecture": 12}),
    "frank": (34, {"architecture": 1, "accuracy": 40, "learning": 25}),
    "heidi": (0, {"architecture": 31, "accuracy": 44, "learning": 25}),
    "ivan": (60, {"accuracy": 40}),
    "judy": (60, {"accuracy": 40}),
}


def _lost(result: SubmissionResult) -> dict[str, float]:
    lost: dict[str, float] = {}
    for t in result.tests:
        if t.score < t.max_score:
            lost[t.question] = lost.get(t.question, 0.0) + t.max_score - t.score
    return lost


def _failures(result: SubmissionResult) -> str:
    return "\n".join(f"  {t.name}: {t.message[:300]}" for t in result.tests if not t.passed)


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    config = load_assignment(Course.at(ROOT), "lab-iris")
    session = GradingSession(config, make_backend("subprocess"), include_hidden=True)
    try:
        subs = [from_path(REFERENCE, config, student="reference"), from_path(TEMPLATE, config, student="template")]
        subs += [from_path(SUBMISSIONS / s, config) for s in EXPECTED]
        return {r.student: r for r in session.grade(subs)}
    finally:
        session.close()


def test_reference_gets_full_marks(graded):
    result = graded["reference"]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.score == result.max_score == 100, _failures(result)
    assert {t.question for t in result.tests} == QUESTIONS
    assert result.metrics["accuracy_mean"] >= 0.95
    assert result.metrics["learns_from_labels"] == 1.0
    assert result.metrics["train_time_s"] < 2.0


def test_template_loads_cleanly_and_scores_nothing(graded):
    result = graded["template"]
    assert result.status is SubmissionStatus.GRADED
    assert result.message == "", "the untouched template should run without a cell error"
    assert result.score == 0.0
    assert all("NotImplementedError" in t.message for t in result.tests)


@pytest.mark.parametrize("student", EXPECTED)
def test_example_submission_outcome(graded, student):
    result = graded[student]
    score, lost = EXPECTED[student]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.score == pytest.approx(score), _failures(result)
    assert _lost(result) == pytest.approx(lost), _failures(result)


def test_memoriser_is_caught(graded):
    metrics = graded["frank"].metrics
    assert metrics["learns_from_labels"] == 0.0
    assert metrics["permutation_accuracy"] > 0.9
    assert metrics["verified"] == 0.0  # torch.cdist and indexing: not on the whitelist
    assert metrics["accuracy_mean"] < 0.5  # the species are recoded in every run


def test_honest_networks_learn_from_labels(graded):
    for student in ("reference", "alice", "bob", "kate", "dave", "erin", "judy"):
        metrics = graded[student].metrics
        assert metrics["learns_from_labels"] == 1.0, student
        assert metrics["permutation_accuracy"] <= 0.7, student
        assert metrics["shuffled_fit_p"] <= 0.05, student


def test_honest_networks_are_verified(graded):
    for student in ("reference", "alice", "bob", "carol", "kate", "dave", "erin", "judy"):
        assert graded[student].metrics["verified"] == 1.0, student
    assert graded["reference"].metrics["n_params"] == 4 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3 + 8


def test_rule_breakers_are_marked(graded):
    assert graded["dave"].metrics["architecture_ok"] == 0.0
    assert graded["erin"].metrics["architecture_ok"] == 0.0
    assert graded["alice"].metrics["architecture_ok"] == 1.0


def test_network_reused_across_calls_records_no_accuracy(graded):
    assert "accuracy_mean" not in graded["ivan"].metrics
    assert "build_model" in next(t.message for t in graded["ivan"].tests if not t.passed)
