"""Public tests, question "activations": relu and sigmoid layers, forward and backward.

relu: out = max(0, x), dx = dout * (x > 0) (so the gradient at x = 0 is 0).
sigmoid: out = sigma(x), dx = dout * sigma(x) * (1 - sigma(x)).
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("activations")


@pytest.mark.points(2)
@pytest.mark.hint("relu_backward masks dout where the *input* x was not positive: dx = dout * (x > 0).")
def test_relu_forward_backward(submission):
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]])
    dout = np.array([[5.0, 6.0, -7.0], [-1.0, 2.0, 3.0]])
    out, cache = submission.relu_forward(x)
    assert_close(out, np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 0.5]]), name="relu_forward out")
    dx = submission.relu_backward(dout, cache)
    assert_close(dx, np.array([[0.0, 0.0, -7.0], [-1.0, 0.0, 3.0]]), name="relu_backward dx")


@pytest.mark.hint("sigma'(x) = sigma(x) * (1 - sigma(x)), times the upstream gradient dout.")
def test_sigmoid_forward_backward(submission):
    x = np.array([-2.0, 0.0, 2.0])
    out, cache = submission.sigmoid_forward(x)
    assert_close(out, np.array([0.11920292202211755, 0.5, 0.8807970779778823]), name="sigmoid_forward out")
    dx = submission.sigmoid_backward(np.array([1.0, 4.0, -2.0]), cache)
    # sigma'(0) = 1/4, and sigma'(2) = sigma'(-2) = 0.104993585...
    assert_close(dx, np.array([0.10499358540350662, 1.0, -0.20998717080701323]), name="sigmoid_backward dx")
