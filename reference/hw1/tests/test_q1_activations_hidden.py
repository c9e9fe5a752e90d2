"""Hidden tests, question "activations" (20 points).

Each behaviour has its own test, so that a mistake loses only its own points:
values on random inputs of several shapes, values at |z| up to 1e4 (finite,
no NaN), relu at zero, leaky_relu's alpha passed by default, by position and by
keyword, a Python float as input, and the input array left as it was (no
change in place: the caller still needs z).

Tolerances: float32 arithmetic (relative error ~1e-7) passes; every mistake
we know of is off by far more than RTOL.

Hints come with the mistake they explain, found by looking at the answer:
NaN or infinity for large |z| (an exponential that overflows), leaky_relu's
result for alpha = 0.01 when another alpha was given, an array of shape (1,)
for a Python float, an input changed in place. A wrong answer of any other
kind gets its message only. The large-input tests include a few moderate
values too, so that a function that is right only in the limits (a step
function for the sigmoid, the sign for tanh) does not pass them.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged, compare_to_reference

pytestmark = pytest.mark.question("activations")

RTOL, ATOL = 1e-4, 1e-6
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 4)]
EXTREMES = {
    "1e4": np.array([1e4]),
    "-1e4": np.array([-1e4]),
    "mixed": np.array([[-1e4, -1e3, -50.0], [50.0, 1e3, 1e4]]),
    "800": np.array([-800.0, 800.0]),
    "710": np.array([-710.0, 710.0]),  # exp(710) overflows float64
}
ALPHAS = [0.2, 0.05]
MODERATE = np.array([-1.5, -0.25, 0.4, 2.0])  # nonzero slopes, values away from the limits

OVERFLOW_HINT = {
    "sigmoid": "exp(z) overflows to inf for z > 709 and inf/inf is NaN. Exponentiate only -|z|: "
               "sigma(z) = 1/(1+exp(-z)) for z >= 0, exp(z)/(1+exp(z)) for z < 0.",
    "tanh": "(exp(z) - exp(-z)) / (exp(z) + exp(-z)) is inf/inf for large |z|: use np.tanh, or 2*sigmoid(2z) - 1.",
}
ALPHA_HINT = "Use the alpha you are given for the negative slope; 0.01 is only its default."
FLOAT_HINT = "A Python float must work too: the result is a number (a float or a 0-d array), not an array of shape (1,)."
IN_PLACE_HINT = ("Do not change the array you are given (z[z < 0] = 0, z *= alpha, np.exp(z, out=z)): the caller "
                 "still needs it. Build a new array (np.maximum(z, 0), np.where(z > 0, z, alpha * z)) or work on "
                 "z.copy().")


def _z(rng, shape, scale=4.0):
    """Random pre-activations with no exact zeros (relu's kink is tested on its own)."""
    z = rng.normal(0.0, scale, size=shape)
    return np.where(np.abs(z) < 1e-3, 0.5, z)


def _compare(submission, reference, name, *inputs):
    compare_to_reference(getattr(submission, name), getattr(reference, name), inputs, rtol=RTOL, atol=ATOL)


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _matches(actual, mistaken):
    a = _numeric(actual)
    return a is not None and a.shape == np.shape(mistaken) and np.allclose(a, mistaken, rtol=1e-6, atol=1e-9)


def _check_large(submission, reference, name, z):
    """``name`` on large inputs (and a few moderate ones): NaN or infinity is the overflow mistake."""
    z = np.append(z, MODERATE)
    expected = getattr(reference, name)(z)
    actual = getattr(submission, name)(z)
    a = _numeric(actual)
    if a is not None and a.shape == z.shape and not np.isfinite(a).all():
        i = int(np.flatnonzero(~np.isfinite(a))[0])
        raise Failure(f"{name}(z) is {a[i]} at z = {z[i]:g}, where {expected[i]:.6g} was expected: "
                      "an exponential overflows", hint=OVERFLOW_HINT[name])
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=f"{name}(z), z = {z.tolist()}")


def _check_alpha(actual, reference, z, alpha, label):
    """leaky_relu with ``alpha``; its result for the default 0.01 is the mistake of ignoring alpha."""
    expected = reference.leaky_relu(z, alpha)
    if not _matches(actual, expected) and _matches(actual, reference.leaky_relu(z, 0.01)):
        raise Failure(f"{label} is leaky_relu with alpha = 0.01: the alpha argument ({alpha}) is ignored",
                      hint=ALPHA_HINT)
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=label)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_values(submission, reference, rng, shape):
    _compare(submission, reference, "sigmoid", _z(rng, shape))


@pytest.mark.points(2)
@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_sigmoid_large_inputs(submission, reference, z):
    _check_large(submission, reference, "sigmoid", z)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tanh_values(submission, reference, rng, shape):
    _compare(submission, reference, "tanh", _z(rng, shape, scale=2.0))


@pytest.mark.points(2)
@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_tanh_large_inputs(submission, reference, z):
    _check_large(submission, reference, "tanh", z)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_values(submission, reference, rng, shape):
    _compare(submission, reference, "relu", _z(rng, shape))


def test_relu_zero_and_large_inputs(submission, reference):
    _compare(submission, reference, "relu", np.array([-1e4, -1.0, -0.0, 0.0, 1.0, 1e4]))


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_leaky_relu_default_alpha(submission, reference, rng, shape):
    _compare(submission, reference, "leaky_relu", _z(rng, shape))


@pytest.mark.points(2)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_alpha_positional(submission, reference, rng, alpha):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4])
    _check_alpha(submission.leaky_relu(z, alpha), reference, z, alpha, f"leaky_relu(z, {alpha})")


@pytest.mark.points(2)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_alpha_keyword(submission, reference, rng, alpha):
    z = _z(rng, (3, 5))
    _check_alpha(submission.leaky_relu(z, alpha=alpha), reference, z, alpha, f"leaky_relu(z, alpha={alpha})")


@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_python_float_input(submission, reference, name):
    for z in (-2.5, 0.75):
        actual = getattr(submission, name)(z)
        expected = getattr(reference, name)(z)
        a = _numeric(actual)
        if a is not None and a.shape != () and a.size == 1 and np.allclose(a, expected, rtol=RTOL, atol=ATOL):
            raise Failure(f"{name}({z}) has the right value but shape {a.shape}: a Python float should give a "
                          "number", hint=FLOAT_HINT)
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=f"{name}({z})")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_inputs_unchanged(submission, reference, rng, name):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4, 0.0]).reshape(3, 5)
    assert_inputs_unchanged(getattr(submission, name), z, name=name, reference_fn=getattr(reference, name),
                            rtol=RTOL, atol=ATOL, hint=IN_PLACE_HINT)
    if name == "leaky_relu":
        assert_inputs_unchanged(submission.leaky_relu, z, 0.2, name="leaky_relu", reference_fn=reference.leaky_relu,
                                rtol=RTOL, atol=ATOL, hint=IN_PLACE_HINT)
