"""Public tests, question "value_ops": single operations of the Value class and their local gradients.

Each test applies one operation to leaves, so it depends on no other operation.
If your backward() is wrong (question "value_backward"), the graph is walked
again with a correct traversal over your own nodes (``_prev``, ``_backward``),
so an operation is graded on its own local rule.
"""

import math

import pytest

from grader.valuegraph import Outcome, judge

pytestmark = pytest.mark.question("value_ops")


@pytest.mark.hint("d(a + b)/da = d(a + b)/db = 1; d(a * b)/da = b and d(a * b)/db = a.")
@pytest.mark.parametrize("op", ["+", "*"])
def test_add_and_mul(submission, op):
    if op == "+":
        judge(submission.Value, "a + b", lambda a, b, c: a + b, (2.0, -3.0, 0.0), Outcome(-1.0, (1.0, 1.0, 0.0)),
              n=2, rtol=1e-5, atol=1e-8)
    else:
        judge(submission.Value, "a * b", lambda a, b, c: a * b, (2.0, -3.0, 0.0), Outcome(-6.0, (-3.0, 2.0, 0.0)),
              n=2, rtol=1e-5, atol=1e-8)


@pytest.mark.hint("d tanh(a)/da = 1 - tanh(a)**2.")
def test_tanh(submission):
    t = math.tanh(2.0)
    judge(submission.Value, "a.tanh()", lambda a, b, c: a.tanh(), (2.0, 0.0, 0.0), Outcome(t, (1 - t * t, 0.0, 0.0)),
          rtol=1e-5, atol=1e-8)
