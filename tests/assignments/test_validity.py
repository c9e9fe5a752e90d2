"""Validity of hw1-hw5's test suites: they tell right from wrong, through the real pipeline.

For each assignment ``<hw>``:

* the reference solution gets full marks from the public and the hidden suite, with the points per
  question and visibility that the template notebook announces ("(hidden + public points)");
* every correct implementation in ``reference/<hw>/variants/`` (other styles: loops, einsum,
  float32, torch, ...) gets full marks;
* every one-mistake mutant in ``reference/<hw>/mutants/`` (patches against the reference, written
  out as files by ``tests/conftest.py``) loses points in exactly the questions its docstring names
  ("Must lose points in: ..."), and in no other: partial credit follows the mistake;
* where a matcher recognises a mutant's mistake, the failure names it and carries a hint, and no
  hint is shown where it does not apply (the in-place hint only for a change in place, the hint
  about epsilon's place only for epsilon in the wrong place);
* the untouched template loads cleanly and scores nothing.

Each assignment's files are graded once, in one session (tests collected once) in the bubblewrap
sandbox, as ``grader grade`` does; the public suite alone (``grader check``) is graded once for the
reference and the template.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from validity import ROOT, failures, grade_files, lost_points, named_questions, student_id

from grader.config import load_assignment
from grader.course import Course
from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


@dataclass(frozen=True)
class Suite:
    """What one assignment's suites must show.

    Attributes:
        points: question -> (hidden, public) points, in the order the template notebook lists them.
        named: mutant name -> (question, words that a failed test's message of that question holds),
            for the mistakes a matcher recognises.
    """

    name: str
    points: dict[str, tuple[int, int]]
    named: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return ROOT / "reference" / self.name

    @property
    def reference(self) -> Path:
        return self.folder / f"{self.name}.py"

    @property
    def template(self) -> Path:
        return ROOT / "assignments" / self.name / f"{self.name}.ipynb"

    @property
    def variants(self) -> list[Path]:
        return sorted((self.folder / "variants").glob("*.py"))

    @property
    def mutants(self) -> list[Path]:
        return sorted((self.folder / "mutants").glob("*.py"))


SUITES = {s.name: s for s in [
    Suite("hw1", {"activations": (20, 5), "derivatives": (20, 4), "neuron": (15, 4), "affine": (12, 3),
                  "mlp": (13, 4)}),
    Suite("hw2", {"softmax": (15, 4), "losses": (20, 5), "softmax_loss": (17, 4), "spiral": (8, 2),
                  "linear_classifier": (20, 5)}, named={
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
    }),
    Suite("hw3", {"affine_backward": (11, 3), "activations": (11, 3), "gradient_check": (11, 3),
                  "two_layer_net": (19, 5), "value_ops": (14, 2), "value_composition": (4, 2),
                  "value_backward": (10, 2)}),
    Suite("hw4", {"linear_regression": (15, 3), "sgd": (6, 2), "momentum": (11, 3), "rmsprop": (11, 3),
                  "adam": (14, 3), "adagrad": (11, 3), "adadelta": (12, 3)}, named={
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
    }),
    Suite("hw5", {"minibatches": (14, 4), "dropout": (16, 4), "dropout_backward": (8, 3),
                  "early_stopping": (15, 4), "training": (16, 3), "spiral": (11, 2)}),
]}


def _cases(kind: str) -> list:
    """``(suite, path)`` parameters over every assignment's variants or mutants, with ids ``hw1-name``."""
    return [pytest.param(s, p, id=f"{s.name}-{p.stem}") for s in SUITES.values() for p in getattr(s, kind)]


def _named_cases() -> list:
    return [pytest.param(s, stem, id=f"{s.name}-{stem}") for s in SUITES.values() for stem in sorted(s.named)]


suites = pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))


@functools.cache
def graded(hw: str) -> dict[str, SubmissionResult]:
    """Public + hidden suite (``grader grade``) over the reference, the template, every variant and mutant."""
    s = SUITES[hw]
    return grade_files(hw, [s.reference, s.template, *s.variants, *s.mutants], include_hidden=True)


@functools.cache
def checked(hw: str) -> dict[str, SubmissionResult]:
    """Public suite only (``grader check``) over the reference and the template."""
    s = SUITES[hw]
    return grade_files(hw, [s.reference, s.template], include_hidden=False)


def _points(result: SubmissionResult) -> dict[tuple[str, str], float]:
    points: dict[tuple[str, str], float] = {}
    for t in result.tests:
        key = (t.question, "public" if t.visibility == "public" else "hidden")
        points[key] = points.get(key, 0.0) + t.max_score
    return points


def _announced(notebook: Path) -> list[tuple[int, int]]:
    """The "(hidden + public points)" of each question, in the order the notebook's markdown lists them."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return [(int(h), int(p)) for h, p in re.findall(r"\((\d+) \+ (\d+) points\)", text)]


@suites
def test_fixtures_are_there(suite):
    assert len(suite.variants) >= 6
    assert len(suite.mutants) >= 15
    assert all(name in {p.stem for p in suite.mutants} for name in suite.named)


@suites
def test_reference_gets_full_marks_with_the_announced_points(suite):
    result = graded(suite.name)[student_id(suite.reference)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.max_score == load_assignment(Course.at(ROOT), suite.name).points == 100
    assert result.score == result.max_score, failures(result)
    expected = {}
    for question, (hidden, public) in suite.points.items():
        expected[(question, "hidden")] = hidden
        expected[(question, "public")] = public
    assert _points(result) == pytest.approx(expected)
    assert _announced(suite.template) == list(suite.points.values()), "the notebook announces other points"


@suites
def test_reference_passes_the_public_tests(suite):
    result = checked(suite.name)[student_id(suite.reference)]
    assert result.max_score == 20
    assert result.score == result.max_score, failures(result)
    assert all(t.visibility == "public" for t in result.tests)


@suites
@pytest.mark.parametrize("suite_of", [graded, checked], ids=["graded", "checked"])
def test_template_loads_cleanly_and_scores_nothing(suite, suite_of):
    result = suite_of(suite.name)[student_id(suite.template)]
    assert result.status is SubmissionStatus.GRADED
    assert result.message == "", "the untouched template should run without a cell error"
    assert result.score == 0.0
    assert all("NotImplementedError" in t.message for t in result.tests), failures(result)


@pytest.mark.parametrize("suite, path", _cases("variants"))
def test_variant_gets_full_marks(suite, path):
    result = graded(suite.name)[student_id(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    assert result.score == result.max_score == 100, f"{path.name} lost points:\n{failures(result)}"


@pytest.mark.parametrize("suite, path", _cases("mutants"))
def test_mutant_loses_points_in_the_named_questions_only(suite, path):
    named = named_questions(path)
    assert named <= set(suite.points), f"unknown questions {named - set(suite.points)}"
    result = graded(suite.name)[student_id(path)]
    assert result.status is SubmissionStatus.GRADED, result.message
    lost = lost_points(result)
    assert set(lost) == named, f"{path.name} should lose points in {sorted(named)}, lost {lost}:\n{failures(result)}"


@pytest.mark.parametrize("suite, stem", _named_cases())
def test_the_failure_names_the_mistake(suite, stem):
    question, words = suite.named[stem]
    result = graded(suite.name)[student_id(suite.folder / "mutants" / f"{stem}.py")]
    named = [t for t in result.tests if not t.passed and t.question == question and words in t.message]
    assert named, f"no failed test of {question} says {words!r}:\n{failures(result)}"
    assert all(t.hint for t in named), "a recognised mistake comes with its hint"


@pytest.mark.parametrize("suite, path", _cases("mutants"))
def test_hints_only_where_they_apply(suite, path):
    """The in-place hint only for a change in place, the hint about epsilon's place only for epsilon in
    the wrong place: a wrong value that changed nothing in place (cross_entropy summing instead of
    averaging, classical momentum) gets no in-place hint, and an epsilon already outside the root is not
    told to move it outside."""
    for t in graded(suite.name)[student_id(path)].tests:
        if t.passed:
            continue
        if "in place" in t.hint:
            assert "in_place" in path.stem, f"{t.name} shows the in-place hint: {t.message}"
        if "outside the root" in t.hint or "sqrt(E + eps)" in t.hint:
            assert "eps" in path.stem, f"{t.name} shows the hint about epsilon's place: {t.message}"
