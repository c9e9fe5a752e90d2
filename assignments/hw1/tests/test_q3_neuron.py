"""Public tests, question "neuron": y_hat = g(b + x . w).

The neuron calls an activation of question "activations", whose mistakes
cost points there: a neuron whose result is your own sigmoid of the right
b + x . w passes here (and in the full grading a failing test is run again
with the reference's activations in place of yours).
"""

import numpy as np
import pytest

from grader.remote import StudentError
from grader.testing import Failure, as_numeric, assert_close, assert_close_naming, responds_to_input

pytestmark = [pytest.mark.question("neuron"),
              pytest.mark.reference_helpers("sigmoid", "tanh", "relu", "leaky_relu")]

SIGMOID_OF_MINUS_6 = 0.0024726231566347748


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


@pytest.mark.points(2)
def test_lecture_example(submission):
    # b = 1, w = [3, -2], x = [-1, 2]: b + x . w = 1 - 3 - 4 = -6, sigma(-6) ~ 0.00247.
    y = submission.neuron(np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0)
    a = _numeric(y)
    if a is not None and not (a.shape == () and np.isclose(a, SIGMOID_OF_MINUS_6)):
        try:
            own = _numeric(submission.sigmoid(-6.0))
        except StudentError:
            own = None
        wrong_sigmoid = (own is not None and not (own.shape == () and np.isclose(own, SIGMOID_OF_MINUS_6))
                         and responds_to_input(submission.sigmoid))  # a constant does no work
        if wrong_sigmoid and a.shape == own.shape and np.allclose(a, own):
            return  # your own sigmoid of the right z = -6: its mistake costs points in "activations"
    s7 = 1 / (1 + np.exp(7.0))  # sigma(x . w) = sigma(-7)
    assert_close_naming(y, SIGMOID_OF_MINUS_6, [
        ("sigma(x . w) + b: the bias added after the activation", s7 + 1.0,
         "Add the bias before the activation: sigma(b + x . w)."),
        ("sigma(x . w): the bias is missing", s7, "Add the bias before the activation: sigma(b + x . w)."),
        ("b + x . w: no activation", -6.0, "Without an activation argument the neuron applies the sigmoid."),
    ], name="neuron(x=[-1, 2], w=[3, -2], b=1)")


@pytest.mark.points(2)
def test_batch_linear(submission):
    x = np.array([[-1.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    y = submission.neuron(x, np.array([3.0, -2.0]), 1.0, activation="linear")
    expected = np.array([-6.0, 1.0, 2.0])
    a = _numeric(y)
    if a is not None and a.shape != (3,) and a.size == 3 and np.allclose(a.reshape(3), expected):
        raise Failure(f"neuron(x of shape (3, 2), activation='linear') has the right values but shape {a.shape}",
                      hint="A batch x of shape (N, m) gives one output per row: shape (N,), not (N, 1).")
    assert_close(y, expected, name="neuron(x of shape (3, 2), activation='linear')")
