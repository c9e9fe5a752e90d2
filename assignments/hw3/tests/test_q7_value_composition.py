"""Public tests, question "value_composition": operations and backward() together."""

import pytest

from grader.testing import Failure, assert_close
from grader.valuegraph import diagnose

pytestmark = pytest.mark.question("value_composition")


@pytest.mark.points(2)
def test_lecture_example(submission):
    # The lecture's graph: f = (x + y) z at x = -2, y = 5, z = -4 gives f = -12,
    # df/dx = df/dy = z = -4 and df/dz = x + y = 3.
    x, y, z = submission.Value(-2.0), submission.Value(5.0), submission.Value(-4.0)
    f = (x + y) * z
    f.backward()
    try:
        assert_close(f.data, -12.0, name="f.data")
        assert_close(x.grad, -4.0, name="x.grad")
        assert_close(y.grad, -4.0, name="y.grad")
        assert_close(z.grad, 3.0, name="z.grad")
    except AssertionError as exc:
        wrong = diagnose(submission.Value)
        if wrong:
            raise Failure(f"{exc}. Checked one at a time, these pieces are wrong: " + "; ".join(wrong)) from None
        raise
