"""Public tests, question "derivatives": the activations' derivatives.

sigma'(z) = sigma(z)(1 - sigma(z)), tanh'(z) = 1 - tanh(z)^2,
relu'(z) = 1 if z > 0 else 0, leaky_relu'(z) = 1 if z > 0 else alpha.

A derivative may call its activation: in the full grading a failing test is
run again with the reference's activations in place of yours, so an
activation's mistake costs points in "activations" only.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_close_naming

pytestmark = [pytest.mark.question("derivatives"),
              pytest.mark.reference_helpers("sigmoid", "tanh", "relu", "leaky_relu")]


def test_sigmoid_grad_values(submission):
    # sigma(0) = 1/2, so sigma'(0) = 1/4; sigma'(z) is even: sigma'(-2) = sigma'(2).
    z = np.array([-2.0, 0.0, 2.0])
    expected = np.array([0.10499358540350662, 0.25, 0.10499358540350662])
    s = 1 / (1 + np.exp(-z))
    assert_close_naming(submission.sigmoid_grad(z), expected, [
        ("z * (1 - z): the formula applied to z instead of to sigmoid(z)", z * (1 - z),
         "sigma'(z) = s * (1 - s) with s = sigmoid(z): compute s first."),
        ("s * (1 + s): a sign slip", s * (1 + s), "sigma'(z) = s * (1 - s)."),
        ("sigmoid(z) itself", s, "The derivative is s * (1 - s), not s."),
    ], name="sigmoid_grad([-2, 0, 2])")


def test_tanh_grad_values(submission):
    z = np.array([0.0, 1.0])
    expected = np.array([1.0, 0.41997434161402614])
    t = np.tanh(z)
    assert_close_naming(submission.tanh_grad(z), expected, [
        ("1 - tanh(z): the square is missing", 1 - t, "tanh'(z) = 1 - tanh(z)**2."),
        ("1 + tanh(z)**2: a sign slip", 1 + t**2, "tanh'(z) = 1 - tanh(z)**2."),
    ], name="tanh_grad([0, 1])")


def test_relu_grad_values(submission):
    z = np.array([-1.0, 0.0, 2.0])
    out = submission.relu_grad(z)
    try:
        one_at_zero = np.array_equal(as_numeric(out).astype(float), [0.0, 1.0, 1.0])
    except AssertionError:
        one_at_zero = False
    if one_at_zero:
        raise Failure("relu_grad([-1, 0, 2]) is [0, 1, 1]: relu'(0) should be 0",
                      hint="The lecture's convention is relu'(0) = 0: relu'(z) = 1 if z > 0 else 0 (z > 0, not z >= 0).")
    assert_close(out, np.array([0.0, 0.0, 1.0]), name="relu_grad([-1, 0, 2])")


def test_leaky_relu_grad_values(submission):
    z = np.array([-1.0, 0.0, 2.0])
    assert_close_naming(submission.leaky_relu_grad(z, alpha=0.1), np.array([0.1, 0.1, 1.0]), [
        ("1 at z = 0: the course takes the negative side's slope there", np.array([0.1, 1.0, 1.0]),
         "Use z > 0 for the slope 1: at z = 0 the derivative is alpha."),
        ("the default slope 0.01, not alpha = 0.1", np.array([0.01, 0.01, 1.0]), "Use the alpha argument."),
    ], name="leaky_relu_grad([-1, 0, 2], alpha=0.1)")
