"""Public tests, question "rmsprop":

    cache = rho*cache + (1 - rho)*dw**2,   next_w = w - learning_rate*dw / (sqrt(cache) + eps)

with learning_rate 1e-2, decay_rate (rho) 0.99 and epsilon 1e-8 by default.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("rmsprop")


@pytest.mark.hint("Divide by the square root of the cache: dw / (sqrt(cache) + eps).")
def test_first_step(submission):
    # cache = 0.01 * [4, 0.25] = [0.04, 0.0025], sqrt = [0.2, 0.05]; step = 0.01 * [2/0.2, -0.5/0.05] = [0.1, -0.1].
    next_w, config = submission.rmsprop(np.array([1.0, -1.0]), np.array([2.0, -0.5]), None)
    assert_close(next_w, np.array([0.9, -0.9]), name="rmsprop(w, dw, None)")


def test_cache_is_stored(submission):
    _, config = submission.rmsprop(np.array([1.0, -1.0]), np.array([2.0, -0.5]), None)
    assert_close(config.get("cache"), np.array([0.04, 0.0025]), name="config['cache'] after one step")


@pytest.mark.hint("Pass the returned config back in; the cache decays by rho and adds (1 - rho)*dw**2.")
def test_two_steps(submission):
    # rho = 0.9: cache = 0.4, step = 0.1*2/sqrt(0.4) = 0.31623; then cache = 0.9*0.4 + 0.1*4 = 0.76,
    # step = 0.1*2/sqrt(0.76) = 0.22942.
    w, config = submission.rmsprop(np.array([1.0]), np.array([2.0]), {"learning_rate": 0.1, "decay_rate": 0.9})
    assert_close(w, np.array([0.683772238983162]), name="w after one step")
    w, config = submission.rmsprop(w, np.array([2.0]), config)
    assert_close(w, np.array([0.4543565077441791]), name="w after two steps")
