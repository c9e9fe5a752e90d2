"""Public tests, question "affine": out = x.reshape(N, D) @ w + b (CS231n)."""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close

pytestmark = pytest.mark.question("affine")


@pytest.mark.points(2)
def test_affine_forward_2d(submission):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, -1.0, 2.0])
    out, _cache = submission.affine_forward(x, w, b)
    assert_close(out, np.array([[5.5, 1.0, 1.0], [11.5, 3.0, -1.0]]), name="affine_forward out")


def test_affine_forward_flattens(submission):
    x = np.arange(8.0).reshape(2, 2, 2)  # example 0 is [0, 1, 2, 3], example 1 is [4, 5, 6, 7]
    w = np.array([[1.0], [2.0], [3.0], [4.0]])
    out, _cache = submission.affine_forward(x, w, np.zeros(1))
    try:
        a = as_numeric(out).astype(float)
    except AssertionError:
        a = None
    if a is not None and a.shape == (2, 1) and np.allclose(a, x.reshape(2, -1, order="F") @ w):
        raise Failure("affine_forward's out matches x flattened in column-major (Fortran) order, which mixes "
                      "the examples", hint="Flatten each example in row-major order: x.reshape(N, -1) with "
                                           "N = x.shape[0] (numpy's default order).")
    assert_close(out, np.array([[20.0], [60.0]]), name="affine_forward out for x of shape (2, 2, 2)")
