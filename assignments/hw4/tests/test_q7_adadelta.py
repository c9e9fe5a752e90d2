"""Public tests, question "adadelta" (Zeiler 2012), with rho 0.95 and epsilon 1e-6 by default:

    cache = rho*cache + (1 - rho)*dw**2
    dx    = -sqrt(delta + eps) / sqrt(cache + eps) * dw
    delta = rho*delta + (1 - rho)*dx**2
    next_w = w + dx
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("adadelta")


@pytest.mark.hint("Epsilon goes inside both square roots: sqrt(delta + eps) / sqrt(cache + eps).")
def test_first_step(submission):
    # cache = 0.05; dx = -sqrt(1e-6) / sqrt(0.05 + 1e-6) = -0.001 / 0.223609 = -0.00447209.
    next_w, _ = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    assert_close(next_w, np.array([-0.00447209123431084]), name="adadelta(0, 1, None)")


def test_delta_after_one_step(submission):
    # delta = 0.05 * dx**2 = 0.05 * 2.0e-5 = 9.9998e-7.
    _, config = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    assert_close(config.get("delta"), np.array([9.999800003999919e-07]), name="config['delta'] after one step")


@pytest.mark.hint("Pass the returned config back in: cache and delta carry over from step to step.")
def test_second_step(submission):
    # cache = 0.0975, delta = 9.9998e-7: dx = -sqrt(1.99998e-6) / sqrt(0.097501) = -0.00452906.
    w, config = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    next_w, _ = submission.adadelta(w, np.array([1.0]), config)
    assert_close(next_w, np.array([-0.00900115349984404]), name="w after two steps")
