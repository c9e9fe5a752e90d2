"""Public tests, question "mlp": hidden layers apply the activation, the output layer is linear.

mlp_forward may call affine_forward and the activations, whose mistakes cost
points in their own questions: logits that are your own activation composed
with right affine layers pass here (and in the full grading a failing test is
run again with the reference's affine_forward and activations in place of
yours).
"""

import numpy as np
import pytest

from grader.remote import StudentError
from grader.testing import Failure, as_numeric, assert_close, responds_to_input

pytestmark = [pytest.mark.question("mlp"),
              pytest.mark.reference_helpers("affine_forward", "sigmoid", "tanh", "relu", "leaky_relu")]

X = np.array([[1.0, -1.0]])
PARAMS = [
    (np.array([[1.0, 2.0], [-1.0, 1.0]]), np.array([-3.0, 0.0])),  # x W1 + b1 = [-1, 1]
    (np.array([[2.0], [3.0]]), np.array([-5.0])),
]


Z1 = np.array([[-1.0, 1.0]])  # the hidden layer's pre-activation x W1 + b1


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _own_activation_logits(submission, name, right):
    """The logits with your own activation ``name`` on the hidden layer, if it is wrong on Z1 (and not a
    constant); else None."""
    if not responds_to_input(getattr(submission, name)):
        return None
    try:
        h = _numeric(getattr(submission, name)(Z1))
    except StudentError:
        return None
    if h is None or h.shape != Z1.shape or np.allclose(h, right):
        return None
    return h @ PARAMS[1][0] + PARAMS[1][1]


def _check(submission, out, expected, name, label):
    a = _numeric(out)
    if a is not None and not (a.shape == expected.shape and np.allclose(a, expected)):
        right_hidden = {"relu": np.maximum(Z1, 0.0), "tanh": np.tanh(Z1)}[name]
        own = _own_activation_logits(submission, name, right_hidden)
        if own is not None and a.shape == own.shape and np.allclose(a, own):
            return  # your own activation, wrong as it is: its mistake costs points in "activations"
        if name == "relu" and a.shape == expected.shape and np.allclose(a, np.maximum(expected, 0.0)):
            raise Failure(f"{label} is {a.tolist()}, the relu of the logits {expected.tolist()}",
                          hint="The output layer returns logits: no activation after the last layer.")
    assert_close(out, expected, name=label)


@pytest.mark.points(2)
def test_two_layers_relu(submission):
    # relu([-1, 1]) = [0, 1]; 0*2 + 1*3 - 5 = -2 (negative: no relu on the output).
    _check(submission, submission.mlp_forward(X, PARAMS), np.array([[-2.0]]), "relu", "mlp_forward(x, params)")


@pytest.mark.points(2)
def test_two_layers_tanh(submission):
    # tanh([-1, 1]) = [-0.76159, 0.76159]; -2*0.76159 + 3*0.76159 - 5 = -4.23841.
    out = submission.mlp_forward(X, PARAMS, activation="tanh")
    _check(submission, out, np.array([[-4.238405844044235]]), "tanh", "mlp_forward(x, params, activation='tanh')")
