"""Public tests, question "affine": out = x.reshape(N, D) @ w + b (CS231n)."""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("affine")


@pytest.mark.points(2)
def test_affine_forward_2d(submission):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, -1.0, 2.0])
    out, _cache = submission.affine_forward(x, w, b)
    assert_close(out, np.array([[5.5, 1.0, 1.0], [11.5, 3.0, -1.0]]), name="affine_forward out")


@pytest.mark.hint("Flatten each example first: x.reshape(N, -1) with N = x.shape[0].")
def test_affine_forward_flattens(submission):
    x = np.arange(8.0).reshape(2, 2, 2)  # example 0 is [0, 1, 2, 3], example 1 is [4, 5, 6, 7]
    out, _cache = submission.affine_forward(x, np.ones((4, 1)), np.zeros(1))
    assert_close(out, np.array([[6.0], [22.0]]), name="affine_forward out for x of shape (2, 2, 2)")
