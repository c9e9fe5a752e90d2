"""Hidden tests, question "affine" (12 points): CS231n's affine_forward.

out = x.reshape(N, D) @ w + b, cache = (x, w, b). The 2-d and flattening tests
use b = 0, so a missing bias costs only test_bias; a missing reshape costs only
test_flattens. x, w and b must be left as they were (test_inputs_unchanged):
x.reshape(N, -1) is a new view, but x.shape = (N, -1) or x += ... changes the
caller's array.
"""

import numpy as np
import pytest

from grader.testing import assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("affine")

RTOL, ATOL = 1e-4, 1e-5


def _layer(rng, d, m, bias=True):
    w = rng.normal(0.0, 1.0 / np.sqrt(d), size=(d, m))
    b = rng.normal(0.0, 1.0, size=m) if bias else np.zeros(m)
    return w, b


def _out(submission, x, w, b):
    """The student's ``out``, after checking that affine_forward returned a pair (out, cache)."""
    result = submission.affine_forward(x, w, b)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        f"affine_forward must return the pair (out, cache), not {type(result).__name__}"
    )
    return result[0]


@pytest.mark.points(3)
@pytest.mark.parametrize("n,d,m", [(1, 3, 2), (4, 5, 3), (10, 8, 1), (6, 6, 6)])
def test_2d_input(submission, reference, rng, n, d, m):
    x = rng.normal(size=(n, d))
    w, b = _layer(rng, d, m, bias=False)
    out = _out(submission, x, w, b)
    expected, _ = reference.affine_forward(x, w, b)
    assert_close(out, expected, rtol=RTOL, atol=ATOL, name=f"out, x of shape {x.shape}")


@pytest.mark.points(3)
@pytest.mark.hint("Add b (shape (M,)) to every row of x @ w.")
@pytest.mark.parametrize("n,d,m", [(4, 5, 3), (7, 2, 4)])
def test_bias(submission, reference, rng, n, d, m):
    x = rng.normal(size=(n, d))
    w, b = _layer(rng, d, m)
    out = _out(submission, x, w, b)
    expected, _ = reference.affine_forward(x, w, b)
    assert_close(out, expected, rtol=RTOL, atol=ATOL, name=f"out, b = {np.round(b, 3).tolist()}")


@pytest.mark.points(3)
@pytest.mark.hint("Flatten each example in row-major order: x.reshape(x.shape[0], -1).")
@pytest.mark.parametrize("shape", [(3, 2, 4), (2, 3, 2, 2), (5, 1, 6)], ids=str)
def test_flattens(submission, reference, rng, shape):
    x = rng.normal(size=shape)
    w, b = _layer(rng, int(np.prod(shape[1:])), 3, bias=False)
    out = _out(submission, x, w, b)
    expected, _ = reference.affine_forward(x, w, b)
    assert_close(out, expected, rtol=RTOL, atol=ATOL, name=f"out, x of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint("Return (out, cache) with cache = (x, w, b), x in its original shape, as in CS231n.")
def test_cache(submission, rng):
    x = rng.normal(size=(2, 3, 2))
    w, b = _layer(rng, 6, 4)
    result = submission.affine_forward(x, w, b)
    assert isinstance(result, (tuple, list)) and len(result) == 2, "affine_forward must return (out, cache)"
    cache = result[1]
    assert isinstance(cache, (tuple, list)) and len(cache) == 3, "cache must be the tuple (x, w, b)"
    assert_close(cache[0], x, rtol=0, atol=0, name="cache[0] (x, in its original shape)")
    assert_close(cache[1], w, rtol=0, atol=0, name="cache[1] (w)")
    assert_close(cache[2], b, rtol=0, atol=0, name="cache[2] (b)")


@pytest.mark.hint("Do not change x, w or b in place (x.shape = (N, -1), x += ...): the caller still needs them. "
                  "x.reshape(N, -1) gives a new view and leaves x as it was.")
@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4)], ids=str)
def test_inputs_unchanged(submission, reference, rng, shape):
    x = rng.normal(size=shape)
    w, b = _layer(rng, int(np.prod(shape[1:])), 3)
    assert_inputs_unchanged(submission.affine_forward, x, w, b, name="affine_forward",
                            reference_fn=reference.affine_forward, rtol=RTOL, atol=ATOL)
