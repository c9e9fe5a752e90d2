"""Public tests, question "losses": mse_loss, binary_cross_entropy, cross_entropy.

Each loss is a mean: over every entry (MSE, BCE) or over the batch (cross-entropy).
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close, assert_close_naming

# cross_entropy may use your softmax or log_softmax: a failing test is run again with the reference's in their
# place, so their mistakes cost points in question "softmax" only.
pytestmark = [pytest.mark.question("losses"), pytest.mark.reference_helpers("softmax", "log_softmax")]


def _near(actual, expected, nonfinite=False):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    if nonfinite:
        return a.shape == np.shape(expected) and not bool(np.all(np.isfinite(a)))
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-5, atol=1e-8))


def test_mse_example(submission):
    # ((1-1)^2 + (0-2)^2 + (0-3)^2) / 3 = 13/3
    out = submission.mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
    assert_close_naming(out, 13 / 3, [
        ("the sum of the squared errors, not their mean", 13.0, "Average over every entry: np.mean((y_pred - y)**2)."),
        ("half the mean (the 1/2 of some textbooks)", 13 / 6, "The course's MSE has no 1/2: np.mean((y_pred - y)**2)."),
        ("the root of the mean (RMSE)", np.sqrt(13 / 3), "No square root: the MSE is the mean of the squares."),
    ], name="mse_loss(y_pred=[1, 2, 3], y=[1, 0, 0])")


def test_binary_cross_entropy_example(submission):
    # -(log 0.9 + log(1 - 0.2)) / 2
    out = submission.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))
    assert_close_naming(out, 0.164252033486018, [
        ("the sum over the entries, not their mean", 2 * 0.164252033486018, "Average over the entries: np.mean(...)."),
        ("the mean without its minus sign", -0.164252033486018, "The loss is -mean(y log p + (1 - y) log(1 - p))."),
    ], name="binary_cross_entropy(p=[0.9, 0.2], y=[1, 0])")


@pytest.mark.hint("p is clipped to [eps, 1 - eps] (eps = 1e-12 by default) before the logs: at p = 0 and y = 1 "
                  "the loss is -log(1e-12) = 27.631.")
def test_binary_cross_entropy_clips(submission):
    # p = 0 is clipped to eps = 1e-12: the loss is -log(1e-12) = 27.631...
    out = submission.binary_cross_entropy(np.array([0.0]), np.array([1.0]))
    if _near(out, 0.0, nonfinite=True):
        raise Failure("binary_cross_entropy(p=[0], y=[1]) is not finite: log(0) = -inf, p was not clipped",
                      hint="Clip p to [eps, 1 - eps] before the logs: p = np.clip(p, eps, 1 - eps).")
    for other in (1e-15, 1e-10, 1e-8, 1e-7):
        if _near(out, -np.log(other)):
            raise Failure(f"binary_cross_entropy(p=[0], y=[1]) is {-np.log(other):.5g} = -log({other:g}): p was "
                          f"clipped with eps = {other:g}, a constant of your own",
                          hint="Clip with the eps argument (default 1e-12): np.clip(p, eps, 1 - eps).")
    assert_close(out, 27.631021115928547, rtol=1e-5, name="binary_cross_entropy(p=[0], y=[1])")


@pytest.mark.points(2)
@pytest.mark.hint("The loss is the mean over the batch of -log softmax(logits)[i, y_i].")
def test_cross_entropy_example(submission):
    logits = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    out = submission.cross_entropy(logits, np.array([0, 2]))
    # row 0: -log softmax([2, 1, 0.1])[0] = 0.41703; row 1: -log(1/3) = 1.09861
    assert_close_naming(out, 0.7578211524729717, [
        ("the sum over the batch, not the mean", 2 * 0.7578211524729717, "Divide by the batch size N: take the mean."),
        ("the mean over all N x C entries of onehot * log p, not over the N examples", 0.7578211524729717 / 3,
         "Average over the batch only: -mean_i log p[i, y_i], one term per example."),
    ], rtol=1e-5, name="cross_entropy(logits, y=[0, 2])")
