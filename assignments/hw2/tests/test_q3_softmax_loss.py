"""Public tests, question "softmax_loss": CS231n's softmax_loss(x, y) -> (loss, dx).

loss = mean_i -log p[i, y_i] with p = softmax(x); dx = (p - onehot(y)) / N.
"""

import numpy as np
import pytest

from grader.testing import assert_close, assert_close_naming

# softmax_loss may use your softmax, log_softmax or cross_entropy: a failing test is run again with the
# reference's in their place, so their mistakes cost points in their own questions only.
pytestmark = [pytest.mark.question("softmax_loss"),
              pytest.mark.reference_helpers("softmax", "log_softmax", "cross_entropy")]


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
Y = np.array([2, 0])


def _pair(result):
    require(isinstance(result, (tuple, list)) and len(result) == 2, (
        f"softmax_loss must return the pair (loss, dx), not {type(result).__name__}"
    ))
    return result


@pytest.mark.points(2)
def test_loss(submission):
    loss, _dx = _pair(submission.softmax_loss(X, Y))
    # (-log 0.66524 - log 0.54655) / 2
    assert_close_naming(loss, 0.5058682848905544, [
        ("the sum over the batch, not the mean", 2 * 0.5058682848905544, "Divide the summed loss by N = x.shape[0]."),
    ], rtol=1e-5, name="loss")


@pytest.mark.points(2)
@pytest.mark.hint("dx = (p - onehot(y)) / N: subtract 1 at each row's correct class, then divide by N = 2.")
def test_dx(submission):
    _loss, dx = _pair(submission.softmax_loss(X, Y))
    expected = np.array([
        [0.04501528658519022, 0.12236423552739882, -0.1673795221125891],
        [-0.22672530636691018, 0.06097582615486442, 0.16574948021204575],
    ])
    assert_close(dx, expected, rtol=1e-5, atol=1e-7, name="dx")
