"""Public tests, question "value_ops": the Value class's operations and their local gradients."""

import math

import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("value_ops")


@pytest.mark.points(2)
def test_lecture_example(submission):
    # The lecture's graph: f = (x + y) z at x = -2, y = 5, z = -4 gives f = -12,
    # df/dx = df/dy = z = -4 and df/dz = x + y = 3.
    x, y, z = submission.Value(-2.0), submission.Value(5.0), submission.Value(-4.0)
    f = (x + y) * z
    f.backward()
    assert_close(f.data, -12.0, name="f.data")
    assert_close(x.grad, -4.0, name="x.grad")
    assert_close(y.grad, -4.0, name="y.grad")
    assert_close(z.grad, 3.0, name="z.grad")


@pytest.mark.hint("d tanh(a)/da = 1 - tanh(a)**2.")
def test_tanh(submission):
    a = submission.Value(2.0)
    t = a.tanh()
    t.backward()
    assert_close(t.data, math.tanh(2.0), name="Value(2.0).tanh().data")
    assert_close(a.grad, 1.0 - math.tanh(2.0) ** 2, name="a.grad for a.tanh()")
