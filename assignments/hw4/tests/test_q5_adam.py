"""Public tests, question "adam": with t incremented first and the bias corrected,
m_hat = dw and v_hat = dw**2 at t = 1, so the first step is about learning_rate * sign(dw).
Defaults: learning_rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("adam")

W = np.array([1.0, -1.0, 0.5])
DW = np.array([0.2, -3.0, 0.0])


@pytest.mark.hint("Increment t first, then divide m by 1 - beta1**t and v by 1 - beta2**t.")
def test_first_step(submission):
    next_w, _ = submission.adam(W, DW, None)  # w - 1e-3 * dw / |dw| (and no step where dw = 0)
    assert_close(next_w, np.array([0.999, -0.999, 0.5]), name="adam(w, dw, None)")


def test_second_step_with_the_same_gradient(submission):
    # With a constant gradient, m_hat = dw and v_hat = dw**2 at every t: steps of 1e-3 * sign(dw) again.
    w, config = submission.adam(W, DW, None)
    next_w, _ = submission.adam(w, DW, config)
    assert_close(next_w, np.array([0.998, -0.998, 0.5]), name="w after two steps")


def test_state_after_two_steps(submission):
    # m = 0.1*dw, then 0.9*0.1*dw + 0.1*dw = 0.19*dw; t counts the steps.
    w, config = submission.adam(W, DW, None)
    _, config = submission.adam(w, DW, config)
    assert_close(config.get("t"), 2, name="config['t'] after two steps")
    assert_close(config.get("m"), 0.19 * DW, name="config['m'] after two steps")
