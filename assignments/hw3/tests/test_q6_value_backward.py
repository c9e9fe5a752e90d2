"""Public tests, question "value_backward": backward()'s seed, and gradients that add up over several uses."""

import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("value_backward")


@pytest.mark.hint("backward() starts from out.grad = 1 (d out / d out).")
def test_output_grad_is_one(submission):
    v = submission.Value(3.0)
    v.backward()
    assert_close(v.grad, 1.0, name="v.grad after v = Value(3.0); v.backward()")


@pytest.mark.hint("a + a uses a twice: a.grad = 1 + 1 = 2. Gradients from every use add up.")
def test_a_plus_a(submission):
    a = submission.Value(3.0)
    c = a + a
    c.backward()
    assert_close(a.grad, 2.0, name="a.grad for c = a + a")
