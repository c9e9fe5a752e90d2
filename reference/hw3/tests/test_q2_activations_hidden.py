"""Hidden tests, question "activations" (11 points): relu and sigmoid layers.

relu: out = max(0, x); dx = dout * (x > 0), masked on the layer's *input* x,
with a zero gradient at x = 0 (the lecture's convention, and PyTorch's).
sigmoid: out = sigma(x), finite for |x| up to 1e4; dx = dout * sigma(x) * (1 - sigma(x)).

No layer may change its arguments in place. The cache is whatever your forward pass returns: each backward test calls
your ``*_forward`` first and hands its cache to your ``*_backward``. The
forward and backward passes have separate tests, and the mistakes we know of
are named in the failure message: relu's mask taken on dout, relu'(0) = 1,
the sigmoid's derivative taken of x instead of sigma(x), dout forgotten.
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("activations")

RTOL, ATOL = 1e-5, 1e-7
SHAPES = [(1,), (7,), (3, 4), (2, 3, 4)]
LARGE = {
    "1e4": np.array([-1e4, 1e4]),
    "mixed": np.array([[-1e4, -1e3, -50.0], [50.0, 1e3, 1e4]]),
    "710": np.array([-710.0, 710.0, -800.0, 800.0]),  # exp(710) overflows float64
}


def _x(rng, shape, scale=3.0):
    """Random inputs without exact zeros (the kink is tested on its own)."""
    x = rng.normal(0.0, scale, size=shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def _forward(submission, name, x):
    result = getattr(submission, name)(x)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError(f"{name} must return the pair (out, cache), not {type(result).__name__}")
    return result


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _matches(actual, mistaken):
    a = _numeric(actual)
    return a is not None and a.shape == mistaken.shape and np.allclose(a, mistaken, rtol=1e-6, atol=1e-9)


def _overflow(value, name):
    """A named mistake when the result has NaN or infinity where it should not."""
    a = _numeric(value)
    if a is not None and not np.isfinite(a).all():
        raise Failure(f"{name} has NaN or infinity for |x| = 1e4", hint="exp(x) overflows to inf for x > 709, "
                      "and inf / inf is NaN: exponentiate only -|x| (np.where(x >= 0, ..., ...)).")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_forward(submission, reference, rng, shape):
    x = _x(rng, shape)
    x.flat[::3] = 0.0
    out, _cache = _forward(submission, "relu_forward", x)
    assert_close(out, reference.relu_forward(x)[0], rtol=RTOL, atol=ATOL, name=f"relu_forward out, x of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint("dx = dout * (x > 0): the gradient passes where the layer's input x was positive.")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_backward(submission, reference, rng, shape):
    x, dout = _x(rng, shape), rng.normal(size=shape)
    _out, cache = _forward(submission, "relu_forward", x)
    dx = submission.relu_backward(dout, cache)
    if _matches(dx, dout * (dout > 0)) and not _matches(dx, dout * (x > 0)):
        raise Failure("dx matches dout * (dout > 0): the mask came from the upstream gradient",
                      hint="The mask comes from the layer's input x: dx = dout * (x > 0).")
    assert_close(dx, reference.relu_backward(dout, x), rtol=RTOL, atol=ATOL, name=f"relu_backward dx, shape {shape}")


@pytest.mark.hint("The lecture's convention is relu'(0) = 0: dx = dout * (x > 0).")
def test_relu_backward_at_zero(submission, reference, rng):
    x = np.array([[-2.0, 0.0, 3.0], [0.0, -0.0, 1e-3]])
    dout = rng.normal(size=x.shape) + 2.0
    _out, cache = _forward(submission, "relu_forward", x)
    dx = submission.relu_backward(dout, cache)
    if _matches(dx, dout * (x >= 0)):
        raise Failure("dx matches dout * (x >= 0): at x = 0 the gradient must be 0 (relu'(0) = 0)",
                      hint="Mask with (x > 0), not (x >= 0).")
    assert_close(dx, reference.relu_backward(dout, x), rtol=RTOL, atol=ATOL, name="relu_backward dx at x = 0")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_forward(submission, reference, rng, shape):
    x = _x(rng, shape)
    out, _cache = _forward(submission, "sigmoid_forward", x)
    assert_close(out, reference.sigmoid_forward(x)[0], rtol=RTOL, atol=ATOL,
                 name=f"sigmoid_forward out, x of shape {shape}")


@pytest.mark.hint("sigma(x) is finite for every x: about 1 for large positive x, about 0 for large negative x.")
@pytest.mark.parametrize("x", LARGE.values(), ids=LARGE.keys())
def test_sigmoid_forward_large_inputs(submission, reference, x):
    out, _cache = _forward(submission, "sigmoid_forward", x)
    _overflow(out, "sigmoid_forward out")
    assert_close(out, reference.sigmoid_forward(x)[0], rtol=RTOL, atol=ATOL, name="sigmoid_forward out")


@pytest.mark.points(2)
@pytest.mark.hint("dx = dout * s * (1 - s) with s = sigma(x), the forward pass's output.")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_backward(submission, reference, rng, shape):
    x, dout = _x(rng, shape, scale=2.0), rng.normal(size=shape)
    _out, cache = _forward(submission, "sigmoid_forward", x)
    dx = submission.sigmoid_backward(dout, cache)
    s = reference.sigmoid_forward(x)[0]
    if _matches(dx, dout * x * (1 - x)):
        raise Failure("dx matches dout * x * (1 - x): the derivative was taken at x instead of sigma(x)",
                      hint="The derivative is sigma(x) * (1 - sigma(x)): cache sigma(x), or recompute it from x.")
    if _matches(dx, s * (1 - s)):
        raise Failure("dx matches sigma(x) * (1 - sigma(x)) without dout",
                      hint="Multiply the local gradient by the upstream gradient dout (the chain rule).")
    assert_close(dx, reference.sigmoid_backward(dout, s), rtol=RTOL, atol=ATOL,
                 name=f"sigmoid_backward dx, shape {shape}")


@pytest.mark.hint("At |x| = 1e4 the sigmoid is saturated and its gradient is 0 (finite, not NaN).")
@pytest.mark.parametrize("x", LARGE.values(), ids=LARGE.keys())
def test_sigmoid_backward_large_inputs(submission, reference, x):
    dout = np.ones_like(x)
    _out, cache = _forward(submission, "sigmoid_forward", x)
    dx = submission.sigmoid_backward(dout, cache)
    _overflow(dx, "sigmoid_backward dx")
    assert_close(dx, reference.sigmoid_backward(dout, reference.sigmoid_forward(x)[0]), rtol=RTOL, atol=ATOL,
                 name="sigmoid_backward dx")


IN_PLACE = ("Do not change your arguments in place (x[x < 0] = 0, dout[mask] = 0): the caller still needs them. "
            "Work on a copy, or build a new array (np.maximum(x, 0), dout * mask).")


@pytest.mark.parametrize("name", ["relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward"])
def test_inputs_unchanged(submission, reference, rng, name):
    x, dout = _x(rng, (4, 5)), rng.normal(size=(4, 5))
    if name == "relu_backward":  # CS231n's dx = dout; dx[x <= 0] = 0 without a copy
        _out, cache = _forward(submission, "relu_forward", x)
        after = call_with_args(submission.relu_backward, dout, cache).args
        changed = _numeric(after[0]) if after else None
        if changed is not None and changed.shape == dout.shape and not np.array_equal(changed, dout) \
                and np.allclose(changed, dout * (x > 0)):
            raise Failure("relu_backward overwrote dout: after the call, the caller's dout is zero where x <= 0 "
                          "(dx = dout, then dx[x <= 0] = 0, changes dout itself)",
                          hint="Copy first (dx = dout.copy(); dx[x <= 0] = 0), or build a new array: dx = dout * (x > 0).")
    if name.endswith("_forward"):
        assert_inputs_unchanged(getattr(submission, name), x, name=name, reference_fn=getattr(reference, name),
                                rtol=RTOL, atol=ATOL, hint=IN_PLACE)
    else:
        _out, cache = _forward(submission, name.replace("backward", "forward"), x)
        forward = getattr(reference, name.replace("backward", "forward"))
        assert_inputs_unchanged(getattr(submission, name), dout, cache, name=name, rtol=RTOL, atol=ATOL, hint=IN_PLACE,
                                reference_fn=lambda d, _cache: getattr(reference, name)(d, forward(x)[1]))
