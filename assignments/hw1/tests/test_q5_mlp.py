"""Public tests, question "mlp": hidden layers apply the activation, the output layer is linear."""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("mlp")

X = np.array([[1.0, -1.0]])
PARAMS = [
    (np.array([[1.0, 2.0], [-1.0, 1.0]]), np.array([-3.0, 0.0])),  # x W1 + b1 = [-1, 1]
    (np.array([[2.0], [3.0]]), np.array([-5.0])),
]


@pytest.mark.points(2)
@pytest.mark.hint("The output layer returns logits: no activation after the last layer.")
def test_two_layers_relu(submission):
    # relu([-1, 1]) = [0, 1]; 0*2 + 1*3 - 5 = -2 (negative: no relu on the output).
    assert_close(submission.mlp_forward(X, PARAMS), np.array([[-2.0]]), name="mlp_forward(x, params)")


@pytest.mark.points(2)
def test_two_layers_tanh(submission):
    # tanh([-1, 1]) = [-0.76159, 0.76159]; -2*0.76159 + 3*0.76159 - 5 = -4.23841.
    out = submission.mlp_forward(X, PARAMS, activation="tanh")
    assert_close(out, np.array([[-4.238405844044235]]), name="mlp_forward(x, params, activation='tanh')")
