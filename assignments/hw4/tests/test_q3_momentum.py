"""Public tests, question "momentum": the lecture's form

    v = beta*v + (1 - beta)*dw,   next_w = w - learning_rate*v

with learning_rate 1e-2 and momentum (beta) 0.9 by default, v starting at zeros.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

# sgd_momentum may take its step with your sgd: a failing test is run again with the reference's sgd in its
# place, so an sgd mistake costs points in question "sgd" only.
pytestmark = [pytest.mark.question("momentum"), pytest.mark.reference_helpers("sgd")]

W = np.array([1.0, -1.0])
DW = np.array([1.0, 2.0])


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


@pytest.mark.hint("v = beta*v + (1 - beta)*dw from v = 0, then next_w = w - lr*v, and config['velocity'] = v.")
def test_first_step(submission):
    # v = 0.1 * [1, 2] = [0.1, 0.2]; w - 0.01 * v = [0.999, -1.002].
    next_w, config = submission.sgd_momentum(W, DW, None)
    if _near(next_w, [0.99, -1.02]):  # w - lr*dw: v = -lr*dw (classical) or v = dw (no 1 - beta)
        raise Failure("sgd_momentum(w, dw, None) is [0.99, -1.02], expected [0.999, -1.002]: a first step of "
                      "lr*dw, as classical momentum (v = mu*v - lr*dw) or v = beta*v + dw take",
                      hint="This assignment's velocity is a moving average: v = beta*v + (1 - beta)*dw, "
                           "then w - lr*v; the first step is (1 - beta)*lr*dw.")
    assert_close(next_w, np.array([0.999, -1.002]), name="sgd_momentum(w, dw, None)")
    assert_close(config.get("velocity"), np.array([0.1, 0.2]), name="config['velocity'] after one step")


@pytest.mark.hint("The second step starts from the velocity of the first: v = beta*v + (1 - beta)*dw, "
                  "next_w = w - lr*v, config['velocity'] = v.")
def test_second_step(submission):
    # v = 0.9 * [0.1, 0.2] + 0.1 * [1, 2] = [0.19, 0.38]; [0.999, -1.002] - 0.01 * v = [0.9971, -1.0058].
    w, config = submission.sgd_momentum(W, DW, None)
    next_w, config = submission.sgd_momentum(w, DW, config)
    assert_close(next_w, np.array([0.9971, -1.0058]), name="w after two steps")
    assert_close(config.get("velocity"), np.array([0.19, 0.38]), name="config['velocity'] after two steps")


def test_given_hyperparameters(submission):
    # beta = 0.5: v = 0.5 * [1, 2] = [0.5, 1]; w - 0.1 * v = [0.95, -1.1].
    next_w, _ = submission.sgd_momentum(W, DW, {"learning_rate": 0.1, "momentum": 0.5})
    assert_close(next_w, np.array([0.95, -1.1]), name="sgd_momentum with learning_rate 0.1, momentum 0.5")
