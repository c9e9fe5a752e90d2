"""Hidden tests, question "dropout_backward" (8 points).

The gradient of inverted dropout goes through the forward pass's own mask
and scaling: dx = dout * mask / (1 - p) in training, dx = dout in test mode.
The test does not know the student's mask, so it reads it off the forward
pass: x has no zeros, and ``out / x`` is the scaled mask (0 for a dropped
unit, 1/(1-p) for a kept one). The expected gradient is then
``dout * out / x``: a backward pass consistent with the student's own
forward pass passes, even if that forward pass is wrong (its points are lost
in the question "dropout").

The cache is whatever the student's dropout_forward returned. It is passed
back exactly as received: plain data (a tuple of a dict and an array) comes
back as a copy, anything else (a generator object in the tuple, a class
instance) as a remote object that stays in the worker.

dout must be left as it was (test_inputs_unchanged: dout *= mask changes the
caller's array); the cache is the layer's own, and is not checked.
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import as_numeric, assert_close

pytestmark = pytest.mark.question("dropout_backward")


def _x(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _forward(submission, x, **param):
    result = submission.dropout_forward(x, param)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        f"dropout_forward must return the pair (out, cache), not {type(result).__name__}"
    )
    return as_numeric(result[0], "dropout_forward's out"), result[1]


def _mask_mistake(dx, dout, out, x):
    """A hint when dx matches a known mistake."""
    if not np.array_equal(dx == 0, out == 0):
        return (" dx is zero at other units than the ones the forward pass dropped: dropout_backward must "
                "reuse the forward pass's mask (keep it in the cache), not draw a new one.")
    if np.allclose(dx, dout * (out != 0)):
        return " dx is dout * mask without the scaling: the backward pass scales by 1 / (1 - p) too."
    return ""


@pytest.mark.points(5)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.7])
@pytest.mark.parametrize("shape", [(60, 50), (4, 3, 5, 5), (1, 9)], ids=str)
def test_train_mode_uses_the_forward_mask(submission, rng, p, shape):
    x = _x(rng, shape)
    out, cache = _forward(submission, x, p=p, mode="train", seed=41)
    dout = rng.normal(size=shape)
    dx = as_numeric(submission.dropout_backward(dout, cache), "dx")
    expected = dout * out / x
    assert dx.shape == shape, f"dx should have dout's shape {shape}, got {dx.shape}"
    assert np.allclose(dx, expected, rtol=1e-5, atol=1e-7, equal_nan=True), (
        f"dx should be dout * mask / (1 - p), with the mask of the forward pass (p={p})."
        + _mask_mistake(dx, dout, out, x)
    )


@pytest.mark.parametrize("p", [0.25, 0.9])
def test_test_mode_passes_the_gradient_through(submission, rng, p):
    x = _x(rng, (20, 30))
    _out, cache = _forward(submission, x, p=p, mode="test")
    dout = rng.normal(size=x.shape)
    dx = submission.dropout_backward(dout, cache)
    assert_close(dx, dout, rtol=1e-6, atol=0, name=f"dropout_backward in test mode (p={p})")


@pytest.mark.hint("dropout_backward must not depend on randomness: the mask is in the cache.")
def test_backward_is_repeatable(submission, rng):
    x = _x(rng, (30, 30))
    out, cache = _forward(submission, x, p=0.5, mode="train", seed=43)
    dout = rng.normal(size=x.shape)
    first = as_numeric(submission.dropout_backward(dout, cache), "dx")
    second = as_numeric(submission.dropout_backward(dout, cache), "dx")
    assert np.array_equal(first, second), "two backward passes with the same cache gave different dx"
    assert np.allclose(second, dout * out / x, rtol=1e-5, atol=1e-7), (
        "dx should be dout * mask / (1 - p), with the forward pass's mask" + _mask_mistake(second, dout, out, x)
    )


@pytest.mark.hint("Do not change dout in place (dout *= mask, dout[~keep] = 0): the caller still needs it. "
                  "Return a new array: dx = dout * mask.")
@pytest.mark.parametrize("mode", ["train", "test"])
def test_inputs_unchanged(submission, rng, mode):
    x = _x(rng, (20, 30))
    _out, cache = _forward(submission, x, p=0.5, mode=mode, seed=52)
    dout = rng.normal(size=x.shape)
    record = call_with_args(submission.dropout_backward, dout, cache)
    assert_close(record.args[0], dout, rtol=0, atol=0, name="dout after dropout_backward returned")
    # leaving dout alone earns its point only with a dx that is a gradient of this dropout (a constant
    # leaves dout alone too): dout times one positive factor where the forward kept the unit, 0 where
    # it dropped it (the factor's value is checked by the other tests)
    dx = as_numeric(record.result, "dropout_backward's dx")
    assert dx.shape == dout.shape, f"dropout_backward's dx has shape {dx.shape}, expected {dout.shape}"
    kept = _out != 0
    assert np.all(dx[~kept] == 0), "dropout_backward's dx is not 0 where the forward pass dropped the unit"
    factor = dx[kept] / dout[kept]
    assert factor.size and factor.min() > 0 and np.allclose(factor, factor[0], rtol=1e-5), (
        "dropout_backward's dx is not dout scaled by one factor where the unit was kept")
