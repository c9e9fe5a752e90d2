"""One wrong ``Value`` primitive costs that primitive's test, and composition, nothing else.

Each case injects exactly one mistake into the reference ``Value`` (a wrong
local derivative, a forward pass that forgets to wrap plain numbers, a derived
operation built the wrong way, ``backward()`` without seeding or without the
reverse order), grades it through the real pipeline (bubblewrap sandbox,
public and hidden suites) and checks:

* the test of the injected operation fails (the mistake is caught);
* every other failing test is the composition question's (compound
  expressions use every operation); a ``backward()`` mistake costs the
  backward question and composition: no other operation's test and no other
  question loses a point;
* the composition question's message names the injected operation, found by
  the trusted side checking the primitives one by one.

The mistakes are text substitutions in one method of the reference, so the
rest of the engine is the reference's, line for line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from validity import ROOT, failures, grade_files, student_id

from grader.results import SubmissionResult, SubmissionStatus

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

REFERENCE = ROOT / "reference" / "hw3" / "hw3.py"

# name: (method, old text, new text, the tests of that method)
INJECTIONS: dict[str, tuple[str, str, str, set[str]]] = {
    "add_grad_one_side": ("__add__", "other.grad += out.grad", "pass", {"test_add", "test_add_and_mul"}),
    "add_no_wrap": ("__add__", "other = other if isinstance(other, Value) else Value(other)", "pass",
                    {"test_add"}),
    "mul_grad_swapped": ("__mul__", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad",
                         {"test_mul", "test_add_and_mul"}),
    "mul_no_wrap": ("__mul__", "other = other if isinstance(other, Value) else Value(other)", "pass",
                    {"test_mul"}),
    "pow_missing_exponent": ("__pow__", "other * self.data ** (other - 1)", "self.data ** (other - 1)",
                             {"test_pow"}),
    "exp_grad_of_input": ("exp", "out.data * out.grad", "self.data * out.grad", {"test_exp"}),
    "tanh_grad_is_one_minus_t": ("tanh", "(1.0 - t * t)", "(1.0 - t)", {"test_tanh"}),
    "relu_grad_one_at_zero": ("relu", "(out.data > 0)", "(self.data >= 0)", {"test_relu"}),
    "relu_forward_identity": ("relu", "self.data if self.data > 0 else 0.0", "self.data", {"test_relu"}),
    "sigmoid_grad_is_s": ("sigmoid", "s * (1.0 - s) * out.grad", "s * out.grad", {"test_sigmoid"}),
    "neg_detached": ("__neg__", "return self * -1", "return Value(-self.data)", {"test_neg"}),
    "radd_missing": ("__radd__", "return self + other", "return NotImplemented", {"test_radd"}),
    "sub_operands_swapped": ("__sub__", "return self + (-other)", "return other + (-self)", {"test_sub"}),
    "rsub_wrong_sign": ("__rsub__", "return other + (-self)", "return self + (-other)", {"test_rsub"}),
    "rmul_detached": ("__rmul__", "return self * other", "return Value(self.data * other)", {"test_rmul"}),
    "truediv_operands_swapped": ("__truediv__", "return self * other**-1", "return other * self**-1",
                                 {"test_truediv"}),
    "rtruediv_wrong": ("__rtruediv__", "return other * self**-1", "return self * other**-1", {"test_rtruediv"}),
    "backward_no_seed": ("backward", "self.grad = 1.0", "pass",
                         {"test_output_grad_is_one", "test_output_grad_stays_one"}),
    "backward_not_reversed": ("backward", "for v in reversed(topo):", "for v in topo:",
                              {"test_shared_intermediate_node", "test_paths_of_different_lengths",
                               "test_long_chain_with_reuse"}),
}

# Mistakes that show only at a kink (relu at 0), where no compound expression is evaluated.
AT_ZERO_ONLY = {"relu_grad_one_at_zero"}

# The questions a mistake in one operation may cost, besides the operation's own test.
OP_QUESTIONS = {"value_ops", "value_composition"}
BACKWARD_QUESTIONS = {"value_backward", "value_composition"}


def inject(source: str, method: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced by ``new`` once, inside ``Value.<method>`` only.

    Raises:
        AssertionError: ``old`` is not in that method exactly once (the reference changed).
    """
    start = source.index("class Value")
    head = re.compile(rf"\n    def {re.escape(method)}\(").search(source, start)
    assert head, f"Value.{method} is not in the reference"
    end = source.find("\n    def ", head.end())
    end = len(source) if end < 0 else end
    body = source[head.start():end]
    assert body.count(old) == 1, f"{old!r} is not once in Value.{method}"
    return source[:head.start()] + body.replace(old, new) + source[end:]


def test_every_operation_has_an_injection():
    injected = {method for method, *_ in INJECTIONS.values()}
    methods = set(re.findall(r"\n    def (\w+)\(", REFERENCE.read_text().split("class Value", 1)[1]))
    assert methods - {"__init__", "__repr__"} <= injected


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, SubmissionResult]:
    folder = tmp_path_factory.mktemp("one_mistake")
    source = REFERENCE.read_text()
    paths: list[Path] = []
    for name, (method, old, new, _own) in INJECTIONS.items():
        path = folder / f"{name}.py"
        path.write_text(inject(source, method, old, new))
        paths.append(path)
    results = grade_files("hw3", paths, include_hidden=True)
    return {name: results[student_id(path)] for name, path in zip(INJECTIONS, paths)}


def _function(test_name: str) -> str:
    """``test_add[a + b-(1.5, -2.0)]`` -> ``test_add``."""
    return test_name.split("[", 1)[0].rsplit("::", 1)[-1]


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_one_wrong_primitive_costs_its_own_test_only(graded, name):
    method, _old, _new, own = INJECTIONS[name]
    result = graded[name]
    assert result.status is SubmissionStatus.GRADED, result.message
    failed = [t for t in result.tests if t.score < t.max_score]
    allowed_questions = BACKWARD_QUESTIONS if method == "backward" else OP_QUESTIONS
    assert {_function(t.name) for t in failed} & own, f"{name}: no test of {method} failed:\n{failures(result)}"
    strays = [t.name for t in failed
              if t.question not in allowed_questions
              or (t.question == "value_ops" and _function(t.name) not in own)]
    assert not strays, f"{name} ({method}) also cost {strays}:\n{failures(result)}"


@pytest.mark.parametrize("name", [n for n in INJECTIONS if n != "backward_not_reversed"])
def test_composition_names_the_wrong_operation(graded, name):
    """backward() in the wrong order is not a piece that can be checked alone: it has no name to give."""
    method = INJECTIONS[name][0]
    result = graded[name]
    composition = [t for t in result.tests
                   if t.question == "value_composition" and t.visibility == "hidden" and not t.passed]
    if name in AT_ZERO_ONLY:
        return
    assert composition, f"{name}: no compound expression exposed it:\n{failures(result)}"
    for t in composition:
        assert "pieces are wrong" in t.message and f"{method}" in t.message, f"{t.name}: {t.message[:400]}"
