"""Public tests, question "derivatives": the activations' derivatives.

sigma'(z) = sigma(z)(1 - sigma(z)), tanh'(z) = 1 - tanh(z)^2,
relu'(z) = 1 if z > 0 else 0, leaky_relu'(z) = 1 if z > 0 else alpha.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("derivatives")


def test_sigmoid_grad_values(submission):
    # sigma(0) = 1/2, so sigma'(0) = 1/4; sigma'(z) is even: sigma'(-2) = sigma'(2).
    z = np.array([-2.0, 0.0, 2.0])
    expected = np.array([0.10499358540350662, 0.25, 0.10499358540350662])
    assert_close(submission.sigmoid_grad(z), expected, name="sigmoid_grad([-2, 0, 2])")


def test_tanh_grad_values(submission):
    z = np.array([0.0, 1.0])
    expected = np.array([1.0, 0.41997434161402614])
    assert_close(submission.tanh_grad(z), expected, name="tanh_grad([0, 1])")


@pytest.mark.hint("The lecture's convention is relu'(0) = 0.")
def test_relu_grad_values(submission):
    z = np.array([-1.0, 0.0, 2.0])
    assert_close(submission.relu_grad(z), np.array([0.0, 0.0, 1.0]), name="relu_grad([-1, 0, 2])")


def test_leaky_relu_grad_values(submission):
    z = np.array([-1.0, 0.0, 2.0])
    assert_close(
        submission.leaky_relu_grad(z, alpha=0.1),
        np.array([0.1, 0.1, 1.0]),
        name="leaky_relu_grad([-1, 0, 2], alpha=0.1)",
    )
