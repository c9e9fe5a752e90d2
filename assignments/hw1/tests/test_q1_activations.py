"""Public tests, question "activations": sigmoid, tanh, relu, leaky_relu.

The expected values are worked out by hand from the lecture's formulas.
Run them with ``grader check hw1 hw1.ipynb``.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_close_naming

pytestmark = pytest.mark.question("activations")


def test_sigmoid_lecture_values(submission):
    # sigma(-6) is the lecture example's output; sigma(0) = 1/2; sigma(6) = 1 - sigma(-6).
    z = np.array([-6.0, 0.0, 6.0])
    expected = np.array([0.0024726231566347748, 0.5, 0.9975273768433653])
    assert_close(submission.sigmoid(z), expected, name="sigmoid([-6, 0, 6])")


def test_sigmoid_large_inputs_are_finite(submission):
    z = np.array([-1e4, 1e4])
    out = submission.sigmoid(z)
    try:
        finite = np.isfinite(as_numeric(out).astype(float)).all()
    except AssertionError:
        finite = True  # not numbers: assert_close says so
    if not finite:
        raise Failure(f"sigmoid([-1e4, 1e4]) is {np.asarray(out).tolist()}: NaN or infinity, an exponential overflows",
                      hint="For large |z|, exp(z) or exp(-z) overflows to inf; use a form that only exponentiates -|z|.")
    assert_close(out, np.array([0.0, 1.0]), name="sigmoid([-1e4, 1e4])")


def test_tanh_values(submission):
    z = np.array([-1.0, 0.0, 1.0])
    expected = np.array([-0.7615941559557649, 0.0, 0.7615941559557649])
    assert_close(submission.tanh(z), expected, name="tanh([-1, 0, 1])")


def test_relu_values(submission):
    z = np.array([-2.0, 0.0, 3.0])
    assert_close(submission.relu(z), np.array([0.0, 0.0, 3.0]), name="relu([-2, 0, 3])")


def test_leaky_relu_values(submission):
    z = np.array([-2.0, 3.0])
    assert_close(submission.leaky_relu(z), np.array([-0.02, 3.0]), name="leaky_relu([-2, 3])")
    assert_close_naming(submission.leaky_relu(z, alpha=0.1), np.array([-0.2, 3.0]), [
        ("the default slope 0.01, not alpha = 0.1", np.array([-0.02, 3.0]),
         "Use the alpha argument: np.where(z > 0, z, alpha * z)."),
    ], name="leaky_relu([-2, 3], alpha=0.1)")
