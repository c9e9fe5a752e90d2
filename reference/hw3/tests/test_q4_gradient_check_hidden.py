"""Hidden tests, question "gradient_check" (11 points): numerical_gradient(f, x, h=1e-5).

df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h) for every element of x, with x
restored after each element. The tests pass their own f (it runs here, in the
grader, each time your code calls it) and record every x it is evaluated at.
From those records: both x + h e_i and x - h e_i for every element (centred,
not one-sided), the step h given (and 1e-5 by default), and every evaluation
at most one element away from the original x (x restored). The values are
compared with the reference's centred differences at the same h, which
differ only by rounding.
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import as_numeric, assert_close

pytestmark = pytest.mark.question("gradient_check")


class Recorder:
    """A smooth f(x) = sum(a * sin(x)) + sum(x**3) / 3 + sum(exp(x / 2)), remembering every x it sees."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)
        self.points = []

    def value(self, x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(self.a * np.sin(x)) + np.sum(x**3) / 3.0 + np.sum(np.exp(0.5 * x)))

    def __call__(self, x):
        x = np.array(x, dtype=float)  # a copy: the record must not change afterwards
        if x.shape != self.a.shape:
            raise ValueError(f"f expects an array of shape {self.a.shape} (the shape of x), got {x.shape}")
        self.points.append(x)
        return self.value(x)


def _setup(rng, shape):
    return rng.normal(size=shape), Recorder(rng.normal(size=shape))


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _offsets(points, x0):
    """For each evaluation: the elements that moved, and by how much."""
    scale = 1e-9 * np.maximum(1.0, np.abs(x0))
    return [(np.flatnonzero((np.abs(p - x0) > scale).ravel()), (p - x0).ravel()) for p in points]


def _one_sided(f, x0, h):
    grad = np.zeros(x0.shape)
    f0 = f.value(x0)
    for ix in np.ndindex(x0.shape):
        x = x0.copy()
        x[ix] += h
        grad[ix] = (f.value(x) - f0) / h
    return grad


def _check_values(submission, reference, rng, shape, h):
    x0, f = _setup(rng, shape)
    grad = submission.numerical_gradient(f, x0.copy(), h)
    expected = reference.numerical_gradient(f.value, x0.copy(), h)
    value = _numeric(grad)
    if value is not None and value.shape == x0.shape and not np.allclose(value, expected, rtol=1e-6):
        if np.allclose(value, _one_sided(f, x0, h), rtol=1e-6):
            raise AssertionError("the gradient matches the one-sided difference (f(x + h) - f(x)) / h; "
                                 "use the centred (f(x + h) - f(x - h)) / (2h)")
        if np.allclose(value, 2 * expected, rtol=1e-6):
            raise AssertionError("the gradient is twice the centred difference: divide by 2h, not h")
    assert_close(grad, expected, rtol=1e-6, atol=1e-8, name=f"numerical_gradient, x of shape {shape}, h = {h}")


@pytest.mark.points(3)
@pytest.mark.hint("grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h), with the h you are given.")
@pytest.mark.parametrize("h", [1e-3, 1e-4])
@pytest.mark.parametrize("n", [1, 6])
def test_values_1d(submission, reference, rng, n, h):
    _check_values(submission, reference, rng, (n,), h)


@pytest.mark.points(2)
@pytest.mark.hint("x can have any shape: perturb one element at a time (np.nditer with multi_index, "
                  "np.ndindex(x.shape)), and return an array of x's shape.")
@pytest.mark.parametrize("shape", [(3, 4), (2, 2, 3)], ids=str)
def test_values_multidim(submission, reference, rng, shape):
    _check_values(submission, reference, rng, shape, 1e-3)


def _steps(submission, rng, shape, **h):
    x0, f = _setup(rng, shape)
    submission.numerical_gradient(f, x0.copy(), **h)
    if not f.points:
        raise AssertionError("numerical_gradient never called f")
    return x0, f.points


def _where(i, shape):
    return int(i) if len(shape) == 1 else tuple(int(j) for j in np.unravel_index(i, shape))


def _assert_steps(x0, points, h):
    for moved, diff in _offsets(points, x0):
        for i in moved:
            if not np.isclose(abs(diff[i]), h, rtol=1e-6):
                raise AssertionError(f"f was called with x[{_where(i, x0.shape)}] moved by {diff[i]:.3g}; "
                                     f"the step must be h = {h:g}")


@pytest.mark.hint("The default step is h = 1e-5.")
def test_default_step(submission, rng):
    x0, points = _steps(submission, rng, (4,))
    _assert_steps(x0, points, 1e-5)


@pytest.mark.hint("Use the step h you are given, not a fixed one.")
def test_given_step(submission, rng):
    x0, points = _steps(submission, rng, (4,), h=1e-2)
    _assert_steps(x0, points, 1e-2)


@pytest.mark.points(2)
@pytest.mark.hint("Centred differences evaluate f at x + h e_i and at x - h e_i for every element i.")
@pytest.mark.parametrize("shape", [(5,), (2, 3)], ids=str)
def test_centred(submission, rng, shape):
    h = 1e-3
    x0, points = _steps(submission, rng, shape, h=h)
    signs = {i: set() for i in range(x0.size)}
    for _moved, diff in _offsets(points, x0):
        for i in np.flatnonzero(np.isclose(np.abs(diff), h, rtol=1e-6)):
            signs[int(i)].add(1 if diff[i] > 0 else -1)
    for i, seen in signs.items():
        if seen == {1}:
            raise AssertionError(f"f was evaluated at x + h e_i but never at x - h e_i (i = {_where(i, x0.shape)}): "
                                 "this is the one-sided difference; use (f(x + h) - f(x - h)) / (2h)")
        if seen != {1, -1}:
            raise AssertionError(f"f was never evaluated with x[{_where(i, x0.shape)}] moved by +h and by -h")


@pytest.mark.hint("After evaluating f at x + h e_i and x - h e_i, put x[i] back to its old value before "
                  "moving on to the next element.")
@pytest.mark.parametrize("shape", [(5,), (2, 3)], ids=str)
def test_restores_x(submission, rng, shape):
    x0, points = _steps(submission, rng, shape, h=1e-3)
    for k, (moved, diff) in enumerate(_offsets(points, x0)):
        if len(moved) > 1:
            where = [_where(i, x0.shape) for i in moved]
            raise AssertionError(
                f"evaluation #{k + 1} of f had {len(moved)} elements of x moved ({where[:6]}): "
                "x must be restored after each element, so that every evaluation moves one element only"
            )


@pytest.mark.hint("When numerical_gradient returns, x must hold its original values: restore every element, "
                  "the last one included (x[ix] = old).")
@pytest.mark.parametrize("shape", [(5,), (2, 3)], ids=str)
def test_x_unchanged_afterwards(submission, rng, shape):
    x0, f = _setup(rng, shape)
    record = call_with_args(submission.numerical_gradient, f, x0.copy(), 1e-3)
    assert_close(record.args[1], x0, rtol=1e-12, atol=1e-15, name="x after numerical_gradient returned")
