"""Hidden tests, question "affine_backward" (11 points).

For out = x.reshape(N, D) @ w + b (CS231n's affine layer):
dx = (dout @ w.T).reshape(x.shape), dw = x.reshape(N, D).T @ dout, db = dout.sum(axis=0).
The cache is the tuple (x, w, b) fixed in homework 1; the tests build it
themselves, so affine_backward is graded on its own.

Each of dx, dw and db has its own test, so a mistake in one costs only its
points: db summed over the wrong axis or averaged (test_db, with N = M too, so
that the wrong axis gives the right shape), dx left flat (test_dx_has_the_shape_of_x),
dw from the unflattened x (test_dw_multidim_x). Tolerances: relative 1e-5 and
absolute 1e-6 of the largest expected entry, which float32 arithmetic meets.
"""

import numpy as np
import pytest

from grader.testing import as_numeric, assert_close

pytestmark = pytest.mark.question("affine_backward")

RTOL = 1e-5
CASES_2D = [(1, 3, 2), (4, 5, 3), (6, 6, 6), (10, 2, 7)]
MULTIDIM = [(3, 2, 4), (2, 3, 2, 2), (5, 1, 6)]


def _case(rng, x_shape, m, scale=1.0):
    """dout and the cache (x, w, b) for x of shape x_shape and M = m outputs."""
    d = int(np.prod(x_shape[1:]))
    x = scale * rng.normal(size=x_shape)
    w = rng.normal(0.0, 1.0 / np.sqrt(d), size=(d, m))
    b = rng.normal(size=m)
    dout = rng.normal(size=(x_shape[0], m))
    return dout, (x, w, b)


def _backward(submission, dout, cache):
    result = submission.affine_backward(dout, cache)
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise AssertionError(f"affine_backward must return the tuple (dx, dw, db), not {type(result).__name__}")
    return result


def _numeric(value):
    """value as a float array, or None if it is not numeric data (assert_close then says what it is)."""
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _close(actual, expected, name):
    atol = 1e-6 * max(1.0, float(np.max(np.abs(expected))))
    assert_close(actual, expected, rtol=RTOL, atol=atol, name=name)


@pytest.mark.points(3)
@pytest.mark.hint("dx = dout @ w.T: each input feature collects the gradient of every output it feeds.")
@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("n,d,m", CASES_2D)
def test_dx(submission, reference, rng, n, d, m, scale):
    dout, cache = _case(rng, (n, d), m, scale)
    dx = _backward(submission, dout, cache)[0]
    _close(dx, reference.affine_backward(dout, cache)[0], f"dx, x of shape {(n, d)}, M = {m}")


@pytest.mark.points(3)
@pytest.mark.hint("dw = x.T @ dout, with x flattened to (N, D): shape (D, M), the shape of w.")
@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("n,d,m", CASES_2D)
def test_dw(submission, reference, rng, n, d, m, scale):
    dout, cache = _case(rng, (n, d), m, scale)
    dw = _backward(submission, dout, cache)[1]
    _close(dw, reference.affine_backward(dout, cache)[1], f"dw, x of shape {(n, d)}, M = {m}")


@pytest.mark.points(2)
@pytest.mark.hint("b is added to every row of the batch, so db = dout.sum(axis=0), of shape (M,).")
@pytest.mark.parametrize("n,d,m", CASES_2D)
def test_db(submission, reference, rng, n, d, m):
    dout, cache = _case(rng, (n, d), m)
    db = _backward(submission, dout, cache)[2]
    arr = _numeric(db)
    if arr is not None and arr.shape == (n,) and n != m:
        raise AssertionError(f"db has shape ({n},), one entry per example: sum dout over axis 0 "
                             f"(the batch), not axis 1, to get shape ({m},)")
    if arr is not None and arr.shape == (m,) and n > 1:
        if n == m and np.allclose(arr, dout.sum(axis=1), rtol=1e-6):
            raise AssertionError("db matches dout.sum(axis=1): sum over axis 0 (the batch), not axis 1")
        if np.allclose(arr, dout.mean(axis=0), rtol=1e-6):
            raise AssertionError("db matches dout.mean(axis=0): the gradient of a bias added to every "
                                 "example is the sum over the batch, not the mean")
    _close(db, reference.affine_backward(dout, cache)[2], f"db, N = {n}, M = {m}")


@pytest.mark.points(2)
@pytest.mark.hint("dx must have the shape of the original x: (dout @ w.T).reshape(x.shape).")
@pytest.mark.parametrize("x_shape", MULTIDIM, ids=str)
def test_dx_has_the_shape_of_x(submission, reference, rng, x_shape):
    dout, cache = _case(rng, x_shape, 4)
    dx = _backward(submission, dout, cache)[0]
    _close(dx, reference.affine_backward(dout, cache)[0], f"dx, x of shape {x_shape}")


@pytest.mark.hint("Flatten x to (N, D) before dw = x.T @ dout: dw has the shape (D, M) of w.")
@pytest.mark.parametrize("x_shape", MULTIDIM, ids=str)
def test_dw_multidim_x(submission, reference, rng, x_shape):
    dout, cache = _case(rng, x_shape, 3)
    dw = _backward(submission, dout, cache)[1]
    _close(dw, reference.affine_backward(dout, cache)[1], f"dw, x of shape {x_shape}")
