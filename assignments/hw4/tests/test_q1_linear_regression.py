"""Public tests, question "linear_regression": gradient descent on the MSE.

The line y = 1 + 2x through x = [0, 1, 2], y = [1, 3, 5]. From beta0 = beta1 = 0:
mean(y) = 3, mean(x*y) = 13/3, mean(y**2) = 35/3. Run them with
``grader check hw4 hw4.ipynb``.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("linear_regression")

X = np.array([0.0, 1.0, 2.0])
Y = np.array([1.0, 3.0, 5.0])


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


@pytest.mark.hint("From beta = 0: dL/dbeta0 = -2*mean(y - y_hat), dL/dbeta1 = -2*mean(x*(y - y_hat)), both from "
                  "the same y_hat; losses[0] = mean(y**2), recorded before the update.")
def test_first_epoch(submission):
    # beta0 = 0.1 * 2 * 3 = 0.6, beta1 = 0.1 * 2 * 13/3 = 0.8667; losses = [35/3].
    beta0, beta1, losses = submission.linear_regression_gd(X, Y, learning_rate=0.1, n_epochs=1)
    assert_close(beta0, 0.6, name="beta0 after one epoch")
    assert_close(beta1, 0.8666666666666667, name="beta1 after one epoch")
    assert_close(losses, [35.0 / 3], name="losses after one epoch")


@pytest.mark.hint("Each epoch: r = y - (beta0 + beta1*x), record mean(r**2), then beta0 += 2*lr*mean(r) and "
                  "beta1 += 2*lr*mean(x*r), both from the same r.")
def test_two_epochs(submission):
    # y_hat = 0.6 + 0.8667 x = [0.6, 1.4667, 2.3333], residuals r = [0.4, 1.5333, 2.6667]:
    # beta0 = 0.6 + 0.2 * mean(r) = 0.90667, beta1 = 0.8667 + 0.2 * mean(x*r) = 1.32444, MSE = mean(r**2) = 3.20741.
    beta0, beta1, losses = submission.linear_regression_gd(X, Y, learning_rate=0.1, n_epochs=2)
    # updated one after the other (beta1's gradient from the new beta0): beta0 = 0.93067, beta1 = 1.17831
    if _near([beta0, beta1], [0.9306666666666668, 1.1783111111111113]):
        raise Failure(f"beta1 after two epochs is {float(beta1):.6g}, expected 1.32444: this matches beta1's "
                      "gradient computed after beta0 was updated",
                      hint="Compute both gradients from the same predictions, then update both coefficients.")
    assert_close(beta0, 0.9066666666666667, name="beta0 after two epochs")
    assert_close(beta1, 1.3244444444444445, name="beta1 after two epochs")
    assert_close(losses, [35.0 / 3, 3.2074074074074073], name="losses after two epochs")


def test_converges_to_the_line(submission):
    beta0, beta1, losses = submission.linear_regression_gd(X, Y, learning_rate=0.1, n_epochs=2000)
    assert_close(beta0, 1.0, rtol=1e-6, atol=1e-6, name="beta0 after 2000 epochs")
    assert_close(beta1, 2.0, rtol=1e-6, atol=1e-6, name="beta1 after 2000 epochs")
    assert np.shape(losses) == (2000,), f"losses should hold one MSE per epoch: shape (2000,), got {np.shape(losses)}"
