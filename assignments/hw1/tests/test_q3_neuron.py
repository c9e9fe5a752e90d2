"""Public tests, question "neuron": y_hat = g(b + x . w)."""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("neuron")


@pytest.mark.points(2)
def test_lecture_example(submission):
    # b = 1, w = [3, -2], x = [-1, 2]: b + x . w = 1 - 3 - 4 = -6, sigma(-6) ~ 0.00247.
    y = submission.neuron(np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0)
    assert_close(y, 0.0024726231566347748, name="neuron(x=[-1, 2], w=[3, -2], b=1)")


@pytest.mark.points(2)
@pytest.mark.hint("A batch x of shape (N, m) gives one output per row: shape (N,), not (N, 1).")
def test_batch_linear(submission):
    x = np.array([[-1.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    y = submission.neuron(x, np.array([3.0, -2.0]), 1.0, activation="linear")
    assert_close(y, np.array([-6.0, 1.0, 2.0]), name="neuron(x of shape (3, 2), activation='linear')")
