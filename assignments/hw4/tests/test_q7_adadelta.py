"""Public tests, question "adadelta" (Zeiler 2012), with rho 0.95 and epsilon 1e-6 by default:

    cache = rho*cache + (1 - rho)*dw**2
    dx    = -sqrt(delta + eps) / sqrt(cache + eps) * dw
    delta = rho*delta + (1 - rho)*dx**2
    next_w = w + dx
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("adadelta")


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


@pytest.mark.hint("cache = rho*cache + (1 - rho)*dw**2, dx = -sqrt(delta + eps) / sqrt(cache + eps) * dw, "
                  "next_w = w + dx.")
def test_first_step(submission):
    # cache = 0.05; dx = -sqrt(1e-6) / sqrt(0.05 + 1e-6) = -0.001 / 0.223609 = -0.00447209.
    next_w, _ = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    if _near(next_w, [-1e-6 / (np.sqrt(0.05) + 1e-6)]):
        raise Failure("adadelta(0, 1, None) is about -4.5e-6, expected -0.00447209: this matches epsilon outside "
                      "the square roots, (sqrt(delta) + eps) / (sqrt(cache) + eps)",
                      hint="Zeiler's RMS is sqrt(E + eps), for both accumulators: "
                           "dx = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw.")
    assert_close(next_w, np.array([-0.00447209123431084]), name="adadelta(0, 1, None)")


def test_delta_after_one_step(submission):
    # delta = 0.05 * dx**2 = 0.05 * 2.0e-5 = 9.9998e-7.
    _, config = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    assert_close(config.get("delta"), np.array([9.999800003999919e-07]), name="config['delta'] after one step")


@pytest.mark.hint("The second step starts from the cache and delta of the first: cache = rho*cache + "
                  "(1 - rho)*dw**2, dx = -sqrt(delta + eps) / sqrt(cache + eps) * dw, delta = rho*delta + "
                  "(1 - rho)*dx**2.")
def test_second_step(submission):
    # cache = 0.0975, delta = 9.9998e-7: dx = -sqrt(1.99998e-6) / sqrt(0.097501) = -0.00452906.
    w, config = submission.adadelta(np.array([0.0]), np.array([1.0]), None)
    next_w, _ = submission.adadelta(w, np.array([1.0]), config)
    assert_close(next_w, np.array([-0.00900115349984404]), name="w after two steps")
