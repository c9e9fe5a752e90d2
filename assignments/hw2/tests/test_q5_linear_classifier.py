"""Public tests, question "linear_classifier": l2_penalty and train_linear_softmax.

The penalty is 0.5 * reg * sum(W**2). Training is full-batch gradient descent on
the softmax cross-entropy plus the penalty, from W = 0.01 * randn(D, K), b = 0.
"""

import math

import numpy as np
import pytest

from grader.testing import assert_close

# train_linear_softmax may use your softmax_loss (or softmax, log_softmax, cross_entropy): a failing test is run
# again with the reference's in their place, so their mistakes cost points in their own questions only.
pytestmark = [pytest.mark.question("linear_classifier"),
              pytest.mark.reference_helpers("softmax_loss", "softmax", "log_softmax", "cross_entropy")]


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


def _spiral(n=100, k=3, seed=0):
    """The lecture's spiral, written out here so that this test does not depend on your spiral_data."""
    rng = np.random.default_rng(seed)
    X, y = np.zeros((n * k, 2)), np.zeros(n * k, dtype=int)
    for j in range(k):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4 * j, 4 * (j + 1), n) + 0.2 * rng.standard_normal(n)
        X[j * n:(j + 1) * n] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[j * n:(j + 1) * n] = j
    return X, y


@pytest.mark.points(2)
@pytest.mark.hint("l2_penalty(W, reg) = 0.5 * reg * sum(W**2), with the lecture's factor 1/2.")
def test_l2_penalty_example(submission):
    W = np.array([[1.0, -2.0], [3.0, 0.0]])
    assert_close(submission.l2_penalty(W, 0.1), 0.7, name="l2_penalty(W, 0.1), sum(W**2) = 14")


@pytest.mark.hint("With W = 0.01 * randn(D, K) and b = 0 every score is about 0, so the first loss is about log K.")
def test_initial_loss(submission):
    X, y = _spiral()
    _W, _b, losses = submission.train_linear_softmax(X, y, n_iters=1)
    require(len(losses) == 1, f"losses should hold one loss per iteration (1), not {len(losses)}")
    assert_close(losses[0], math.log(3), atol=0.01, name="losses[0] on the spiral (K = 3)")


@pytest.mark.points(2)
@pytest.mark.hint("With the defaults (200 steps of size 1.0, reg 1e-3) the lecture's classifier plateaus around "
                  "a loss of 0.75.")
def test_spiral_plateau(submission):
    X, y = _spiral()
    W, b, losses = submission.train_linear_softmax(X, y)
    require(np.shape(W) == (2, 3), f"W should have shape (D, K) = (2, 3), not {np.shape(W)}")
    require(len(losses) == 200, f"losses should hold one loss per iteration (n_iters = 200), not {len(losses)}")
    assert_close(losses[-1], 0.75, atol=0.02, name="the last loss on the lecture's spiral")
