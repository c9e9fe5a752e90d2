"""Public tests, question "dropout_backward".

dx is judged against your own forward pass: its out / x is the scaled mask,
so a backward pass consistent with your dropout_forward passes even if that
forward pass is wrong (its points are lost in "dropout"). Where your forward
pass gives nothing to judge against (no kept unit, NaN, no pair), your
backward pass gets a cache made here in CS231n's layout instead:
(dropout_param, mask / (1 - p)); in test mode, dx = dout passes too.
"""

import numpy as np
import pytest

from grader.remote import StudentError
from grader.testing import Failure, as_numeric, assert_close

pytestmark = pytest.mark.question("dropout_backward")


def _scale_and_cache(submission, x, param):
    """out / x of your forward pass and its cache; a hand-made (param, scaled mask) where it gives none."""
    try:
        out, cache = submission.dropout_forward(x, dict(param))
        out = as_numeric(out).astype(float)
        if out.shape == x.shape and np.isfinite(out).all() and np.any(out != 0):
            return out / x, cache
    except (StudentError, AssertionError, TypeError, ValueError):
        pass
    if param["mode"] == "test":
        return np.ones(x.shape), (dict(param), None)
    mask = (np.random.default_rng(param["seed"]).random(x.shape) >= param["p"]) / (1 - param["p"])
    return mask, (dict(param), mask)


def test_test_mode_passes_the_gradient_through(submission):
    # 20 units: a forward pass that (wrongly) drops units in test mode keeps at least one of them but
    # once in a million runs, so it is judged against its own mask rather than a made-up cache
    x = np.arange(1.0, 21.0).reshape(4, 5)
    scale, cache = _scale_and_cache(submission, x, {"p": 0.5, "mode": "test"})
    dout = np.linspace(-1.0, 1.0, 20).reshape(4, 5)
    dx = submission.dropout_backward(dout, cache)
    try:
        d = as_numeric(dx).astype(float)
    except AssertionError:
        d = None
    if d is not None and d.shape == dout.shape and np.allclose(d, dout * scale, rtol=1e-6, atol=0):
        return  # the gradient of your own forward pass (dout itself when that forward pass is the identity)
    assert_close(dx, dout, rtol=1e-6, atol=0, name="dx in test mode")


@pytest.mark.points(2)
def test_train_mode_uses_the_forward_mask(submission):
    x = np.full((20, 30), 2.0)
    scale, cache = _scale_and_cache(submission, x, {"p": 0.4, "mode": "train", "seed": 1})
    dout = np.arange(600.0).reshape(20, 30) / 100 + 1.0  # no zeros
    dx = submission.dropout_backward(dout, cache)
    try:
        d = as_numeric(dx).astype(float)
    except AssertionError:
        d = None
    if d is not None and d.shape == dout.shape and not np.allclose(d, dout * scale, rtol=1e-5, atol=1e-8):
        if np.allclose(d, dout * (scale != 0)):
            raise Failure("dx is dout * mask without the scaling",
                          hint="The backward pass scales by 1 / (1 - p) too: dx = dout * mask / (1 - p).")
        if not np.array_equal(d == 0, scale == 0):
            raise Failure("dx is zero at other units than the ones the forward pass dropped",
                          hint="Keep the forward pass's mask in the cache and reuse it: dx = dout * mask / (1 - p).")
    assert_close(dx, dout * scale, rtol=1e-5, atol=1e-8, name="dx in train mode")
