"""Public tests, question "rmsprop":

    cache = rho*cache + (1 - rho)*dw**2,   next_w = w - learning_rate*dw / (sqrt(cache) + eps)

with learning_rate 1e-2, decay_rate (rho) 0.99 and epsilon 1e-8 by default.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("rmsprop")


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


@pytest.mark.hint("cache = rho*cache + (1 - rho)*dw**2 from cache = 0, then next_w = w - lr*dw / (sqrt(cache) + eps).")
def test_first_step(submission):
    # cache = 0.01 * [4, 0.25] = [0.04, 0.0025], sqrt = [0.2, 0.05]; step = 0.01 * [2/0.2, -0.5/0.05] = [0.1, -0.1].
    next_w, config = submission.rmsprop(np.array([1.0, -1.0]), np.array([2.0, -0.5]), None)
    if _near(next_w, [0.5, 1.0]):  # step = 0.01 * [2/0.04, -0.5/0.0025] = [0.5, -2]
        raise Failure("rmsprop(w, dw, None) is [0.5, 1], expected [0.9, -0.9]: this matches RMSprop without the "
                      "square root, dw / (cache + eps)",
                      hint="Divide by the root of the cache: w - lr*dw / (np.sqrt(cache) + eps).")
    assert_close(next_w, np.array([0.9, -0.9]), name="rmsprop(w, dw, None)")


def test_cache_is_stored(submission):
    _, config = submission.rmsprop(np.array([1.0, -1.0]), np.array([2.0, -0.5]), None)
    assert_close(config.get("cache"), np.array([0.04, 0.0025]), name="config['cache'] after one step")


@pytest.mark.hint("Each step: cache = rho*cache + (1 - rho)*dw**2, starting from the cache of the step before; "
                  "next_w = w - lr*dw / (sqrt(cache) + eps).")
def test_two_steps(submission):
    # rho = 0.9: cache = 0.4, step = 0.1*2/sqrt(0.4) = 0.31623; then cache = 0.9*0.4 + 0.1*4 = 0.76,
    # step = 0.1*2/sqrt(0.76) = 0.22942.
    w, config = submission.rmsprop(np.array([1.0]), np.array([2.0]), {"learning_rate": 0.1, "decay_rate": 0.9})
    assert_close(w, np.array([0.683772238983162]), name="w after one step")
    w, config = submission.rmsprop(w, np.array([2.0]), config)
    assert_close(w, np.array([0.4543565077441791]), name="w after two steps")
