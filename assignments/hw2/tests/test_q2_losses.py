"""Public tests, question "losses": mse_loss, binary_cross_entropy, cross_entropy.

Each loss is a mean: over every entry (MSE, BCE) or over the batch (cross-entropy).
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("losses")


def test_mse_example(submission):
    # ((1-1)^2 + (0-2)^2 + (0-3)^2) / 3 = 13/3
    out = submission.mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
    assert_close(out, 13 / 3, name="mse_loss(y_pred=[1, 2, 3], y=[1, 0, 0])")


def test_binary_cross_entropy_example(submission):
    # -(log 0.9 + log(1 - 0.2)) / 2
    out = submission.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))
    assert_close(out, 0.164252033486018, name="binary_cross_entropy(p=[0.9, 0.2], y=[1, 0])")


@pytest.mark.hint("Clip p to [eps, 1 - eps] before taking logs: at p = 0, log(p) is -inf.")
def test_binary_cross_entropy_clips(submission):
    # p = 0 is clipped to eps = 1e-12: the loss is -log(1e-12) = 27.631...
    out = submission.binary_cross_entropy(np.array([0.0]), np.array([1.0]))
    assert_close(out, 27.631021115928547, rtol=1e-5, name="binary_cross_entropy(p=[0], y=[1])")


@pytest.mark.points(2)
@pytest.mark.hint("The loss is the mean over the batch of -log softmax(logits)[i, y_i].")
def test_cross_entropy_example(submission):
    logits = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    out = submission.cross_entropy(logits, np.array([0, 2]))
    # row 0: -log softmax([2, 1, 0.1])[0] = 0.41703; row 1: -log(1/3) = 1.09861
    assert_close(out, 0.7578211524729717, rtol=1e-5, name="cross_entropy(logits, y=[0, 2])")
