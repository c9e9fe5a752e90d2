"""Hidden tests, question "derivatives" (20 points).

sigma'(z) = sigma(z)(1 - sigma(z)); tanh'(z) = 1 - tanh(z)^2;
relu'(z) = 1 if z > 0 else 0 (so relu'(0) = 0); leaky_relu'(z) = 1 if z > 0 else alpha.

The mistakes these catch: a wrong sign or a missing square (values tests), the
formula applied to z instead of sigma(z), relu'(0) = 1 (the zero tests), a
slope that ignores alpha (the alpha tests), NaN for |z| = 1e4, the input
array changed in place (test_inputs_unchanged). Each known mistake is named in
the failure message, with its hint, when the answer matches it; another wrong
answer gets the test's formula as its hint.

A derivative may call its activation (sigmoid_grad = sigmoid(z) * (1 -
sigmoid(z))): a failing test is run again with the reference's activations in
place of the student's, so an activation's mistake is charged in the question
"activations" only. The large-input tests include moderate values too: at
|z| >= 50 every derivative is 0 (or alpha, or 1), which a constant would match.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

# the derivatives may call your activations of question 1: a failing test is run again with the reference's
# activations in their place, so an activation's mistake is charged in its own question only.
pytestmark = [pytest.mark.question("derivatives"),
              pytest.mark.reference_helpers("sigmoid", "tanh", "relu", "leaky_relu")]

RTOL, ATOL = 1e-4, 1e-6
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 4)]
EXTREMES = {
    "1e4": np.array([1e4]),
    "-1e4": np.array([-1e4]),
    "mixed": np.array([[-1e4, -1e3, -50.0], [50.0, 1e3, 1e4]]),
    "710": np.array([-710.0, 710.0]),
}
MODERATE = np.array([-1.5, -0.25, 0.4, 2.0])  # derivatives well away from 0 and from their limits
ALPHAS = [0.2, 0.05]

FLOAT_HINT = "A Python float must work too: the result is a number (a float or a 0-d array), not an array of shape (1,)."
IN_PLACE_HINT = ("Do not change the array you are given (z[z > 0] = 1, z *= ...): the caller still needs it. "
                 "Build a new array ((z > 0).astype(float), np.where(z > 0, 1.0, alpha)) or work on z.copy().")


def _sig(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# known mistakes: (what the answer matches, the mistaken derivative, the hint)
MISTAKES = {
    "sigmoid_grad": [
        ("sigma(z) * (1 + sigma(z)): a plus for the minus", lambda z: _sig(z) * (1 + _sig(z)),
         "sigma'(z) = sigma(z) * (1 - sigma(z)): minus, not plus."),
        ("z * (1 - z): the formula applied to z instead of sigma(z)", lambda z: z * (1 - z),
         "Evaluate the sigmoid first: s = sigma(z), then s * (1 - s)."),
        ("sigma(z): the sigmoid itself, not its derivative", _sig, "sigma'(z) = sigma(z) * (1 - sigma(z))."),
    ],
    "tanh_grad": [
        ("1 + tanh(z)**2: a plus for the minus", lambda z: 1 + np.tanh(z) ** 2, "tanh'(z) = 1 - tanh(z)**2: minus."),
        ("1 - tanh(z): the square is missing", lambda z: 1 - np.tanh(z), "tanh'(z) = 1 - tanh(z)**2: squared."),
        ("1 - z**2: the formula applied to z instead of tanh(z)", lambda z: 1 - z**2,
         "Evaluate tanh first: t = np.tanh(z), then 1 - t**2."),
    ],
    "relu_grad": [
        ("1 at z = 0: relu'(0) should be 0", lambda z: (z >= 0).astype(float),
         "The lecture's convention: relu'(z) = 1 if z > 0 else 0, so relu'(0) = 0 (z > 0, not z >= 0)."),
    ],
}
FORMULA_HINT = {
    "sigmoid_grad": "sigma'(z) = sigma(z) * (1 - sigma(z)).",
    "tanh_grad": "tanh'(z) = 1 - tanh(z)**2.",
    "relu_grad": "relu'(z) = 1 if z > 0 else 0.",
    "leaky_relu_grad": "leaky_relu'(z) = 1 if z > 0 else alpha (alpha at z = 0 too).",
}


def _leaky_mistakes(alpha):
    return [
        ("the slope for alpha = 0.01: the alpha argument is ignored",
         lambda z: np.where(z > 0, 1.0, 0.01), "Use the alpha you are given; 0.01 is only its default."),
        ("alpha * z for z <= 0: the function's value, not its slope",
         lambda z: np.where(z > 0, 1.0, alpha * z), "For z <= 0 the derivative is the constant alpha, not alpha * z."),
        ("1 at z = 0: leaky_relu'(0) should be alpha", lambda z: np.where(z >= 0, 1.0, alpha),
         "By the same convention as relu, leaky_relu'(0) = alpha (z > 0, not z >= 0)."),
    ]


def _z(rng, shape, scale=3.0):
    """Random pre-activations with no exact zeros (the kink is tested on its own)."""
    z = rng.normal(0.0, scale, size=shape)
    return np.where(np.abs(z) < 1e-3, 0.5, z)


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _check(submission, reference, name, z, *args, label=None, mistakes=None, **kwargs):
    """The student's ``name(z, *args, **kwargs)`` against the reference's; a wrong answer that matches a known
    mistake raises a Failure naming it, any other the test's formula as its hint."""
    label = label or f"{name}(z)"
    expected = getattr(reference, name)(z, *args, **kwargs)
    actual = getattr(submission, name)(z, *args, **kwargs)
    a = _numeric(actual)
    zf = np.asarray(z, dtype=float)
    close = a is not None and a.shape == np.shape(expected) and np.allclose(a, expected, rtol=RTOL, atol=ATOL)
    if a is not None and not close:
        if a.shape == zf.shape and not np.isfinite(a).all() and np.isfinite(zf).all():
            raise Failure(f"{label} has NaN or infinity for large |z|: an exponential overflows",
                          hint="Compute the activation stably first (exponentiate only -|z|, or use np.tanh), "
                               "then the derivative from it: exp(-z)/(1+exp(-z))**2 is inf/inf for large -z.")
        if a.shape != () and a.size == 1 and np.shape(expected) == () and np.allclose(a, expected, rtol=RTOL, atol=ATOL):
            raise Failure(f"{label} has the right value but shape {a.shape}: a Python float should give a number",
                          hint=FLOAT_HINT)
        for what, wrong, hint in (mistakes if mistakes is not None else MISTAKES.get(name, [])):
            with np.errstate(all="ignore"):
                w = np.asarray(wrong(zf), dtype=float)
            if a.shape == w.shape and np.allclose(a, w, rtol=1e-6, atol=1e-9):
                raise Failure(f"{label} is wrong: it matches {what}", hint=hint)
    try:
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=label)
    except AssertionError as exc:
        raise Failure(str(exc), hint=FORMULA_HINT[name]) from None


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_grad_values(submission, reference, rng, shape):
    _check(submission, reference, "sigmoid_grad", _z(rng, shape), label=f"sigmoid_grad(z), z of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_sigmoid_grad_large_inputs(submission, reference, z):
    z = np.append(z, MODERATE)
    _check(submission, reference, "sigmoid_grad", z, label=f"sigmoid_grad(z), z = {z.tolist()}")


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tanh_grad_values(submission, reference, rng, shape):
    _check(submission, reference, "tanh_grad", _z(rng, shape, scale=1.5), label=f"tanh_grad(z), z of shape {shape}")


@pytest.mark.parametrize("z", EXTREMES.values(), ids=EXTREMES.keys())
def test_tanh_grad_large_inputs(submission, reference, z):
    z = np.append(z, MODERATE)
    _check(submission, reference, "tanh_grad", z, label=f"tanh_grad(z), z = {z.tolist()}")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_grad_values(submission, reference, rng, shape):
    z = _z(rng, shape)
    if z.size > 1:  # both slopes, whatever the draw
        z.flat[0], z.flat[1] = -abs(z.flat[0]), abs(z.flat[1])
    _check(submission, reference, "relu_grad", z, label=f"relu_grad(z), z of shape {shape}")


@pytest.mark.points(2)
def test_relu_grad_at_zero(submission, reference):
    _check(submission, reference, "relu_grad", np.array([[-2.0, 0.0, 3.0], [0.0, -0.0, 1e-3]]),
           label="relu_grad([[-2, 0, 3], [0, -0, 1e-3]])")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_leaky_relu_grad_default_alpha(submission, reference, rng, shape):
    z = _z(rng, shape)
    if z.size > 1:
        z.flat[0], z.flat[1] = -abs(z.flat[0]), abs(z.flat[1])
    _check(submission, reference, "leaky_relu_grad", z, label=f"leaky_relu_grad(z), z of shape {shape}",
           mistakes=_leaky_mistakes(0.01)[1:])


@pytest.mark.points(2)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_grad_alpha_positional(submission, reference, rng, alpha):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4, -1.0, 1.0])
    _check(submission, reference, "leaky_relu_grad", z, alpha, label=f"leaky_relu_grad(z, {alpha})",
           mistakes=_leaky_mistakes(alpha))


@pytest.mark.parametrize("alpha", ALPHAS)
def test_leaky_relu_grad_alpha_keyword(submission, reference, rng, alpha):
    z = np.append(_z(rng, (13,)), [-1.0, 1.0]).reshape(3, 5)
    _check(submission, reference, "leaky_relu_grad", z, alpha=alpha, label=f"leaky_relu_grad(z, alpha={alpha})",
           mistakes=_leaky_mistakes(alpha))


def test_leaky_relu_grad_at_zero(submission, reference):
    _check(submission, reference, "leaky_relu_grad", np.array([-1.0, 0.0, 1.0]), 0.2,
           label="leaky_relu_grad([-1, 0, 1], 0.2)", mistakes=_leaky_mistakes(0.2))


@pytest.mark.parametrize("name", ["sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"])
def test_python_float_input(submission, reference, name):
    for z in (-2.5, 0.75):
        _check(submission, reference, name, z, label=f"{name}({z})", mistakes=[])


@pytest.mark.parametrize("name", ["sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"])
def test_inputs_unchanged(submission, reference, rng, name):
    z = np.append(_z(rng, (12,)), [-1e4, 1e4, 0.0]).reshape(3, 5)
    assert_inputs_unchanged(getattr(submission, name), z, name=name, reference_fn=getattr(reference, name),
                            rtol=RTOL, atol=ATOL, hint=IN_PLACE_HINT)
    if name == "leaky_relu_grad":
        assert_inputs_unchanged(submission.leaky_relu_grad, z, 0.2, name="leaky_relu_grad",
                                reference_fn=reference.leaky_relu_grad, rtol=RTOL, atol=ATOL, hint=IN_PLACE_HINT)
