"""Hidden tests, question "derivatives" (20 points).

sigma'(z) = sigma(z)(1 - sigma(z)); tanh'(z) = 1 - tanh(z)^2;
relu'(z) = 1 if z > 0 else 0 (so relu'(0) = 0); leaky_relu'(z) = 1 if z > 0 else alpha.

The mistakes these catch: a wrong sign or a missing square (values tests), the
formula applied to z instead of sigma(z), relu'(0) = 1 (the zero tests), a
slope that ignores alpha (the alpha tests), NaN for |z| = 1e4, the input
array changed in place (test_inputs_unchanged).
"""

import numpy as np
import pytest

from grader.testing import assert_close, assert_inputs_unchanged, compare_to_reference

pytestmark = pytest.mark.question("derivatives")

RTOL, ATOL = 1e-4, 1e-6
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 4)]
EXTREMES = {
    "1e4": np.array([1e4]),
    "-1e4": np.array([-1e4]),
    "mixed": np.array([[-1e4, -1e3, -50.0], [50.0, 1e3, 1e4]]),
    "710": np.array([-710.0, 710.0]),
}
ALPHAS = [0.2, 0.05]


def _z(rng, shape, scale=3.0):
    """Random pre-activations with no exact zeros (the kink is tested on its own)."""
    z = rng.normal(0.0, scale, size=shape)
    return np.where(np.abs(z) < 1e-3, 0.5, z)


def _compare(submission, reference, name, *inputs):
    compare_to_reference(getattr(submission, name), getattr(reference, name), inputs, rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
@pytest.mark.hint("sigma'(z) = sigma(z) * (1 - sigma(z)), with sigma evaluated at z.")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_grad_values(submission, reference, rng, shape):
    _compare(submission, reference, "sigmoid_grad", _z(rng, shape))


@pytest.mark.points(2)
@pytest.mark.hint("Compute sigma(z) stably first; exp(-z)/(1+exp(-z))**2 is inf/inf for large -z.")
@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_sigmoid_grad_large_inputs(submission, reference, z):
    _compare(submission, reference, "sigmoid_grad", z)


@pytest.mark.points(3)
@pytest.mark.hint("tanh'(z) = 1 - tanh(z)**2: minus, and squared.")
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tanh_grad_values(submission, reference, rng, shape):
    _compare(submission, reference, "tanh_grad", _z(rng, shape, scale=1.5))


@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_tanh_grad_large_inputs(submission, reference, z):
    _compare(submission, reference, "tanh_grad", z)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_grad_values(submission, reference, rng, shape):
    _compare(submission, reference, "relu_grad", _z(rng, shape))


@pytest.mark.points(2)
@pytest.mark.hint("The lecture's convention: relu'(z) = 1 if z > 0 else 0, so relu'(0) = 0.")
def test_relu_grad_at_zero(submission, reference):
    _compare(submission, reference, "relu_grad", np.array([[-2.0, 0.0, 3.0], [0.0, -0.0, 1e-3]]))


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_leaky_relu_grad_default_alpha(submission, reference, rng, shape):
    _compare(submission, reference, "leaky_relu_grad", _z(rng, shape))


@pytest.mark.points(2)
@pytest.mark.hint("For z <= 0 the derivative is the alpha you are given, not 0.01 and not alpha * z.")
@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_grad_alpha_positional(submission, reference, rng, alpha):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4])
    _compare(submission, reference, "leaky_relu_grad", (z, alpha))


@pytest.mark.hint("For z <= 0 the derivative is the alpha you are given, not 0.01 and not alpha * z.")
@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_grad_alpha_keyword(submission, reference, rng, alpha):
    z = _z(rng, (3, 5))
    expected = reference.leaky_relu_grad(z, alpha=alpha)
    actual = submission.leaky_relu_grad(z, alpha=alpha)
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=f"leaky_relu_grad(z, alpha={alpha})")


@pytest.mark.hint("By the same convention as relu, leaky_relu'(0) = alpha.")
def test_leaky_relu_grad_at_zero(submission, reference):
    _compare(submission, reference, "leaky_relu_grad", (np.array([-1.0, 0.0, 1.0]), 0.2))


@pytest.mark.hint(
    "A Python float must work too: the result is a number (a float or a 0-d array), not an array of shape (1,)."
)
@pytest.mark.parametrize("name", ["sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"])
def test_python_float_input(submission, reference, name):
    _compare(submission, reference, name, -2.5, 0.75)


@pytest.mark.hint(
    "Do not change the array you are given (z[z > 0] = 1, z *= ...): the caller still needs it. "
    "Build a new array ((z > 0).astype(float), np.where(z > 0, 1.0, alpha)) or work on z.copy()."
)
@pytest.mark.parametrize("name", ["sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"])
def test_inputs_unchanged(submission, reference, rng, name):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4, 0.0]).reshape(3, 5)
    assert_inputs_unchanged(getattr(submission, name), z, name=name, reference_fn=getattr(reference, name),
                            rtol=RTOL, atol=ATOL)
    if name == "leaky_relu_grad":
        assert_inputs_unchanged(submission.leaky_relu_grad, z, 0.2, name="leaky_relu_grad",
                                reference_fn=reference.leaky_relu_grad, rtol=RTOL, atol=ATOL)
