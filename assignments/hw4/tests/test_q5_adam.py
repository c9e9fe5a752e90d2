"""Public tests, question "adam": with t incremented first and the bias corrected,
m_hat = dw and v_hat = dw**2 at t = 1, so the first step is about learning_rate * sign(dw).
Defaults: learning_rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("adam")

W = np.array([1.0, -1.0, 0.5])
DW = np.array([0.2, -3.0, 0.0])


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


# the first step of known mistakes (steps 1e-3 * sign(dw) * factor)
FIRST_STEP_MISTAKES = {
    0.1 / np.sqrt(0.001): ("Adam without bias correction (m and v used as they are)",
                           "Correct the bias: m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t)."),
    (0.1 / 0.19) / np.sqrt(0.001 / 0.001999): ("Adam with t starting at 1 (the first step corrects with t = 2)",
                                               "t starts at 0 and is incremented before its use, so the first "
                                               "step uses t = 1."),
}


@pytest.mark.hint("t = 1 at the first step; m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t); "
                  "next_w = w - lr * m_hat / (sqrt(v_hat) + eps).")
def test_first_step(submission):
    next_w, _ = submission.adam(W, DW, None)  # w - 1e-3 * dw / |dw| (and no step where dw = 0)
    for factor, (what, fix) in FIRST_STEP_MISTAKES.items():
        if _near(next_w, W - 1e-3 * factor * np.sign(DW)):
            raise Failure(f"adam(w, dw, None) is {np.asarray(next_w).tolist()}, expected [0.999, -0.999, 0.5]: "
                          f"this matches {what}", hint=fix)
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
