"""Hidden tests, question "affine" (12 points): CS231n's affine_forward.

out = x.reshape(N, D) @ w + b, cache = (x, w, b). The 2-d and flattening tests
use b = 0, so a missing bias costs only test_bias; a missing reshape costs only
test_flattens. x, w and b must be left as they were (test_inputs_unchanged):
x.reshape(N, -1) is a new view, but x.shape = (N, -1) or x += ... changes the
caller's array.

A wrong answer that matches a known mistake (the bias left out, x flattened
in column-major order) is named in the message, with its hint; any other
gets the formula.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("affine")

RTOL, ATOL = 1e-4, 1e-5
FORMULA_HINT = "out = x.reshape(N, -1) @ w + b, with N = x.shape[0]."


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


def _judge(out, x, w, b, reference, label):
    """``out`` against the reference's; a known mistake is named, any other wrong answer gets the formula."""
    expected, _ = reference.affine_forward(x, w, b)
    try:
        a = as_numeric(out).astype(float)
    except AssertionError:
        a = None
    if a is not None and a.shape == expected.shape and not np.allclose(a, expected, rtol=RTOL, atol=ATOL):
        n = x.shape[0]
        mistakes = [
            ("x @ w without the bias", x.reshape(n, -1) @ w, "Add b (shape (M,)) to every row of x @ w."),
            ("x flattened in column-major (Fortran) order", x.reshape(n, -1, order="F") @ w + b,
             "Flatten each example in row-major order: x.reshape(x.shape[0], -1) (numpy's default order)."),
        ]
        for what, wrong, hint in mistakes:  # (a mistake that changes nothing here is not one)
            if not np.allclose(wrong, expected) and np.allclose(a, wrong, rtol=RTOL, atol=ATOL):
                raise Failure(f"{label} is wrong: it matches {what}", hint=hint)
    try:
        assert_close(out, expected, rtol=RTOL, atol=ATOL, name=label)
    except AssertionError as exc:
        raise Failure(str(exc), hint=FORMULA_HINT) from None


@pytest.mark.points(3)
@pytest.mark.parametrize("n,d,m", [(1, 3, 2), (4, 5, 3), (10, 8, 1), (6, 6, 6)])
def test_2d_input(submission, reference, rng, n, d, m):
    x = rng.normal(size=(n, d))
    w, b = _layer(rng, d, m, bias=False)
    _judge(_out(submission, x, w, b), x, w, b, reference, f"out, x of shape {x.shape}")


@pytest.mark.points(3)
@pytest.mark.parametrize("n,d,m", [(4, 5, 3), (7, 2, 4)])
def test_bias(submission, reference, rng, n, d, m):
    x = rng.normal(size=(n, d))
    w, b = _layer(rng, d, m)
    _judge(_out(submission, x, w, b), x, w, b, reference, f"out, b = {np.round(b, 3).tolist()}")


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", [(3, 2, 4), (2, 3, 2, 2), (5, 1, 6)], ids=str)
def test_flattens(submission, reference, rng, shape):
    x = rng.normal(size=shape)
    w, b = _layer(rng, int(np.prod(shape[1:])), 3, bias=False)
    _judge(_out(submission, x, w, b), x, w, b, reference, f"out, x of shape {shape}")


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


@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4)], ids=str)
def test_inputs_unchanged(submission, reference, rng, shape):
    x = rng.normal(size=shape)
    w, b = _layer(rng, int(np.prod(shape[1:])), 3)
    assert_inputs_unchanged(submission.affine_forward, x, w, b, name="affine_forward",
                            reference_fn=reference.affine_forward, rtol=RTOL, atol=ATOL,
                            hint="Do not change x, w or b in place (x.shape = (N, -1), x += ...): the caller still "
                                 "needs them. x.reshape(N, -1) gives a new view and leaves x as it was.")
