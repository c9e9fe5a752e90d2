"""Public tests, question "dropout_backward"."""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("dropout_backward")


def test_test_mode_passes_the_gradient_through(submission):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    _out, cache = submission.dropout_forward(x, {"p": 0.5, "mode": "test"})
    dout = np.array([[0.1, -0.2], [0.3, -0.4]])
    assert_close(submission.dropout_backward(dout, cache), dout, rtol=1e-6, atol=0, name="dx in test mode")


@pytest.mark.points(2)
@pytest.mark.hint("Keep the forward pass's mask in the cache and reuse it: dx = dout * mask / (1 - p).")
def test_train_mode_uses_the_forward_mask(submission):
    x = np.full((20, 30), 2.0)
    out, cache = submission.dropout_forward(x, {"p": 0.4, "mode": "train", "seed": 1})
    dout = np.arange(600.0).reshape(20, 30) / 100 + 1.0  # no zeros
    expected = dout * np.asarray(out) / x  # out / x is the scaled mask: 0 or 1 / (1 - p)
    assert_close(submission.dropout_backward(dout, cache), expected, rtol=1e-5, atol=1e-8, name="dx in train mode")
