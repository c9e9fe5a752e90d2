"""Hidden tests, question "dropout_backward" (8 points).

The gradient of inverted dropout goes through the forward pass's own mask
and scaling: dx = dout * mask / (1 - p) in training, dx = dout in test mode.
The test does not know the student's mask, so it reads it off the forward
pass: x has no zeros, and ``out / x`` is the scaled mask (0 for a dropped
unit, 1/(1-p) for a kept one). The expected gradient is then
``dout * out / x``: a backward pass consistent with the student's own
forward pass passes, even if that forward pass is wrong (its points are lost
in the question "dropout"); in test mode, dx = dout passes too.

Where the student's forward pass gives nothing to judge against (it raised,
returned no pair, NaN, or no kept unit at all: ``dout * out / x`` would be 0
and a backward that returns zeros would pass), the backward pass gets the
reference's forward pass's cache instead, ``(dropout_param, mask)`` with the
scaled mask, CS231n's layout.

The cache is whatever the student's dropout_forward returned. It is passed
back exactly as received: plain data (a tuple of a dict and an array) comes
back as a copy, anything else (a generator object in the tuple, a class
instance) as a remote object that stays in the worker.

dout must be left as it was (test_inputs_unchanged: dout *= mask changes the
caller's array); the cache is the layer's own, and is not checked. A wrong dx
that matches a known mistake (a new mask drawn, the 1 / (1 - p) forgotten) is
named in the message, with its hint.
"""

import numpy as np
import pytest

from grader.remote import StudentError, call_with_args
from grader.testing import Failure, as_numeric, assert_close

pytestmark = pytest.mark.question("dropout_backward")

FORMULA_HINT = "dx = dout * mask / (1 - p) with the forward pass's own mask (keep it in the cache); dx = dout in test mode."


def _x(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _forward(submission, reference, x, **param):
    """(the scaled mask out / x, the cache) of the student's forward pass; those of the reference's where
    the student's gives nothing to judge a backward pass against."""
    try:
        result = submission.dropout_forward(x, param)
        if isinstance(result, (tuple, list)) and len(result) == 2:
            out = as_numeric(result[0], "dropout_forward's out").astype(float)
            if out.shape == x.shape and np.isfinite(out).all() and np.any(out != 0):
                return out / x, result[1]
    except (StudentError, AssertionError):
        pass
    out, cache = reference.dropout_forward(x, dict(param))
    return out / x, cache


def _check(dx, dout, scale, label, test_mode=False):
    """dx = dout * scale (scale = out / x, the forward pass's scaled mask); a known mistake is named."""
    try:
        d = as_numeric(dx, "dx").astype(float)
    except AssertionError as exc:
        raise Failure(str(exc), hint=FORMULA_HINT) from None
    if d.shape != dout.shape:
        raise Failure(f"{label}: dx should have dout's shape {dout.shape}, got {d.shape}", hint=FORMULA_HINT)
    expected = dout * scale
    if np.allclose(d, expected, rtol=1e-5, atol=1e-7) or (test_mode and np.allclose(d, dout, rtol=1e-6, atol=0)):
        return
    kept = scale != 0
    if not np.array_equal(d == 0, ~kept) and np.any(d == 0) and np.any(~kept):
        raise Failure(f"{label}: dx is zero at other units than the ones the forward pass dropped",
                      hint="dropout_backward must reuse the forward pass's mask (keep it in the cache), not draw "
                           "a new one.")
    if np.any(scale[kept] != 1) and np.allclose(d, dout * kept, rtol=1e-5, atol=1e-7):
        raise Failure(f"{label}: dx is dout * mask without the scaling",
                      hint="The backward pass scales by 1 / (1 - p) too: dx = dout * mask / (1 - p).")
    raise Failure(f"{label}: dx should be dout * mask / (1 - p), with the forward pass's mask; "
                  + _first_difference(d, expected), hint=FORMULA_HINT)


def _first_difference(d, expected):
    i = np.unravel_index(int(np.argmax(np.abs(d - expected))), d.shape)
    return f"at index {tuple(int(k) for k in i)} it is {d[i]:.6g}, expected {expected[i]:.6g}"


@pytest.mark.points(5)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.7])
@pytest.mark.parametrize("shape", [(60, 50), (4, 3, 5, 5), (1, 9)], ids=str)
def test_train_mode_uses_the_forward_mask(submission, reference, rng, p, shape):
    x = _x(rng, shape)
    scale, cache = _forward(submission, reference, x, p=p, mode="train", seed=41)
    dout = rng.normal(size=shape)
    _check(submission.dropout_backward(dout, cache), dout, scale, f"train mode, p={p}, shape {shape}")


@pytest.mark.parametrize("p", [0.25, 0.9])
def test_test_mode_passes_the_gradient_through(submission, reference, rng, p):
    x = _x(rng, (20, 30))
    scale, cache = _forward(submission, reference, x, p=p, mode="test")
    dout = rng.normal(size=x.shape)
    _check(submission.dropout_backward(dout, cache), dout, scale, f"test mode, p={p}", test_mode=True)


def test_backward_is_repeatable(submission, reference, rng):
    x = _x(rng, (30, 30))
    scale, cache = _forward(submission, reference, x, p=0.5, mode="train", seed=43)
    dout = rng.normal(size=x.shape)
    first = as_numeric(submission.dropout_backward(dout, cache), "dx")
    second = as_numeric(submission.dropout_backward(dout, cache), "dx")
    if not np.array_equal(first, second):
        raise Failure("two backward passes with the same cache gave different dx",
                      hint="dropout_backward must not depend on randomness: the mask is in the cache.")
    _check(second, dout, scale, "train mode, p=0.5")


IN_PLACE_HINT = ("Do not change dout in place (dout *= mask, dout[~keep] = 0): the caller still needs it. "
                 "Return a new array: dx = dout * mask.")


@pytest.mark.parametrize("mode", ["train", "test"])
def test_inputs_unchanged(submission, reference, rng, mode):
    x = _x(rng, (20, 30))
    scale, cache = _forward(submission, reference, x, p=0.5, mode=mode, seed=52)
    dout = rng.normal(size=x.shape)
    record = call_with_args(submission.dropout_backward, dout, cache)
    try:
        assert_close(record.args[0], dout, rtol=0, atol=0, name="dout after dropout_backward returned")
    except AssertionError as exc:
        raise Failure(str(exc), hint=IN_PLACE_HINT) from None
    # leaving dout alone earns its point only with a right dx (a constant leaves dout alone too)
    try:
        _check(record.result, dout, scale, f"{mode} mode, p=0.5", test_mode=mode == "test")
    except AssertionError as exc:
        raise Failure(f"dropout_backward left dout alone, but its dx is wrong, so this test does not count yet "
                      f"(the other tests say what is wrong): {exc}") from None
