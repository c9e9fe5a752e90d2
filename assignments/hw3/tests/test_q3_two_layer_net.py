"""Public tests, question "two_layer_net": affine -> ReLU -> affine, softmax loss, L2 penalty.

The scores and losses of a hand-sized network are worked out by hand; the
gradients are checked as in the lecture, against a numerical gradient (centred
differences) of your own loss.
"""

import math

import numpy as np
import pytest

from grader.testing import assert_close

# In `grader grade`, a failing test is run again with the reference's layers (questions 1 and 2) in place of
# yours, so a layer's mistake is charged in its own question only.
pytestmark = [pytest.mark.question("two_layer_net"),
              pytest.mark.reference_helpers("affine_forward", "affine_backward", "relu_forward", "relu_backward")]

X = np.array([[1.0, -1.0]])
PARAMS = {
    "W1": np.array([[1.0, 2.0], [-1.0, 1.0]]),
    "b1": np.array([-3.0, 0.0]),  # z = x W1 + b1 = [-1, 1], h = relu(z) = [0, 1]
    "W2": np.array([[2.0, 0.0, 1.0], [3.0, -1.0, 0.0]]),
    "b2": np.array([-5.0, 0.0, 1.0]),  # scores = h W2 + b2 = [-2, -1, 1]
}


@pytest.mark.hint("scores = relu(X @ W1 + b1) @ W2 + b2: the output layer gives the scores (logits) as they are.")
def test_scores_hand_example(submission):
    scores = submission.two_layer_net(X, PARAMS)
    assert_close(scores, np.array([[-2.0, -1.0, 1.0]]), name="two_layer_net(X, params) scores")


@pytest.mark.points(2)
@pytest.mark.hint("loss = mean over the batch of -log softmax(scores)[y], plus 0.5 * reg * (sum W1**2 + sum W2**2).")
def test_loss_hand_example(submission):
    # scores [-2, -1, 1], y = 2: loss = log(e^-2 + e^-1 + e^1) - 1
    data_loss = math.log(math.exp(-2.0) + math.exp(-1.0) + math.exp(1.0)) - 1.0
    loss, _grads = submission.two_layer_net(X, PARAMS, np.array([2]))
    assert_close(loss, data_loss, name="loss with reg = 0")
    # sum W1**2 = 7, sum W2**2 = 15: 0.5 * 0.1 * 22 = 1.1 (the biases are not regularised)
    loss, _grads = submission.two_layer_net(X, PARAMS, np.array([2]), reg=0.1)
    assert_close(loss, data_loss + 1.1, name="loss with reg = 0.1")
    # all-zero weights: every class has probability 1/3, the loss is log 3 whatever y is
    zeros = {k: np.zeros_like(v) for k, v in PARAMS.items()}
    loss, _grads = submission.two_layer_net(np.ones((4, 2)), zeros, np.array([0, 1, 2, 2]))
    assert_close(loss, math.log(3.0), name="loss with all-zero weights")


@pytest.mark.points(2)
@pytest.mark.hint("Backpropagate through the same layers in reverse; the penalty adds reg * W to dW1 and dW2.")
def test_grads_match_a_numerical_gradient(submission):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2))
    y = np.array([0, 2, 1, 2])
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=3),
              "W2": rng.normal(size=(3, 3)), "b2": rng.normal(size=3)}
    _loss, grads = submission.two_layer_net(x, params, y, reg=0.1)
    h = 1e-3  # large enough that a loss computed in float32 still gives a usable difference
    for key, value in params.items():
        numerical = np.zeros_like(value)
        for ix in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][ix] = value[ix] + h
            f_plus = submission.two_layer_net(x, shifted, y, reg=0.1)[0]
            shifted[key][ix] = value[ix] - h
            f_minus = submission.two_layer_net(x, shifted, y, reg=0.1)[0]
            numerical[ix] = (f_plus - f_minus) / (2 * h)
        assert_close(grads[key], numerical, rtol=1e-3, atol=5e-4, name=f"grads[{key!r}]")
