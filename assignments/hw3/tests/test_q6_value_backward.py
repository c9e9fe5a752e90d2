"""Public tests, question "value_backward": backward()'s seed, and gradients that add up over several uses."""

import pytest

from grader.testing import assert_close
from grader.valuegraph import Outcome, run_walked

pytestmark = pytest.mark.question("value_backward")


@pytest.mark.hint("backward() starts from out.grad = 1 (d out / d out).")
def test_output_grad_is_one(submission):
    v = submission.Value(3.0)
    v.backward()
    assert_close(v.grad, 1.0, name="v.grad after v = Value(3.0); v.backward()")


def _add_is_right(Value):
    """Whether a + b alone is right (walked in the reference order): a wrong + is value_ops' to charge."""
    try:
        got = run_walked(Value, lambda a, b, c: a + b, (1.5, -0.5, 0.0))
    except AssertionError:  # + raised: value_ops says so
        return False
    return got is None or got.matches(Outcome(1.0, (1.0, 1.0, 0.0)))


@pytest.mark.hint("A value used twice gets a gradient from each use: they add up (+=).")
def test_a_plus_a(submission):
    a = submission.Value(3.0)
    if _add_is_right(submission.Value):
        (a + a).backward()
        assert_close(a.grad, 2.0, name="a.grad for c = a + a")
    else:  # your + is graded in value_ops: a * a uses a twice too
        (a * a).backward()
        assert_close(a.grad, 6.0, name="a.grad for c = a * a at a = 3 (your + is graded in value_ops)")
