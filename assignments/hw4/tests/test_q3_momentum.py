"""Public tests, question "momentum": the lecture's form

    v = beta*v + (1 - beta)*dw,   next_w = w - learning_rate*v

with learning_rate 1e-2 and momentum (beta) 0.9 by default, v starting at zeros.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("momentum")

W = np.array([1.0, -1.0])
DW = np.array([1.0, 2.0])


@pytest.mark.hint("This is not classical momentum (v = mu*v - lr*dw): v = beta*v + (1 - beta)*dw, then w - lr*v.")
def test_first_step(submission):
    # v = 0.1 * [1, 2] = [0.1, 0.2]; w - 0.01 * v = [0.999, -1.002].
    next_w, config = submission.sgd_momentum(W, DW, None)
    assert_close(next_w, np.array([0.999, -1.002]), name="sgd_momentum(w, dw, None)")
    assert_close(config.get("velocity"), np.array([0.1, 0.2]), name="config['velocity'] after one step")


@pytest.mark.hint("Pass the returned config back in: the velocity is the state carried from step to step.")
def test_second_step(submission):
    # v = 0.9 * [0.1, 0.2] + 0.1 * [1, 2] = [0.19, 0.38]; [0.999, -1.002] - 0.01 * v = [0.9971, -1.0058].
    w, config = submission.sgd_momentum(W, DW, None)
    next_w, config = submission.sgd_momentum(w, DW, config)
    assert_close(next_w, np.array([0.9971, -1.0058]), name="w after two steps")
    assert_close(config.get("velocity"), np.array([0.19, 0.38]), name="config['velocity'] after two steps")


def test_given_hyperparameters(submission):
    # beta = 0.5: v = 0.5 * [1, 2] = [0.5, 1]; w - 0.1 * v = [0.95, -1.1].
    next_w, _ = submission.sgd_momentum(W, DW, {"learning_rate": 0.1, "momentum": 0.5})
    assert_close(next_w, np.array([0.95, -1.1]), name="sgd_momentum with learning_rate 0.1, momentum 0.5")
