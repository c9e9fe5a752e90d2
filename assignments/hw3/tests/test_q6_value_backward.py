"""Public tests, question "value_backward": backward() and gradients that add up over several paths."""

import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("value_backward")


@pytest.mark.points(2)
@pytest.mark.hint("a is used twice, so a.grad gets a contribution from each use: accumulate with +=, never =.")
def test_a_times_b_plus_a(submission):
    a, b = submission.Value(2.0), submission.Value(-3.0)
    c = a * b + a
    c.backward()
    assert_close(c.data, -4.0, name="c.data")
    assert_close(a.grad, -2.0, name="a.grad for c = a*b + a")  # b + 1
    assert_close(b.grad, 2.0, name="b.grad for c = a*b + a")  # a


@pytest.mark.hint("a + a uses a twice: a.grad = 1 + 1 = 2. Accumulate with +=, never =.")
def test_a_plus_a(submission):
    a = submission.Value(3.0)
    c = a + a
    c.backward()
    assert_close(a.grad, 2.0, name="a.grad for c = a + a")
