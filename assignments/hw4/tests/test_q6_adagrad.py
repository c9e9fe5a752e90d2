"""Public tests, question "adagrad":

    cache = cache + dw**2,   next_w = w - learning_rate*dw / (sqrt(cache) + eps)

with learning_rate 1e-2 and epsilon 1e-8 by default.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("adagrad")

W = np.array([1.0, 1.0])


def _near(actual, expected):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-6, atol=1e-9, equal_nan=True))


def test_first_step(submission):
    # cache = [9, 16]: step = 0.01 * [3/3, 4/4] = [0.01, 0.01].
    next_w, _ = submission.adagrad(W, np.array([3.0, 4.0]), None)
    assert_close(next_w, np.array([0.99, 0.99]), name="adagrad(w, dw, None)")


@pytest.mark.hint("cache = cache + dw**2 (the sum of all squared gradients so far), stored in config; "
                  "next_w = w - lr*dw / (sqrt(cache) + eps).")
def test_second_step(submission):
    # cache = [9 + 16, 16 + 9] = [25, 25]: step = 0.01 * [4/5, 3/5] = [0.008, 0.006].
    w, config = submission.adagrad(W, np.array([3.0, 4.0]), None)
    next_w, _ = submission.adagrad(w, np.array([4.0, 3.0]), config)
    if _near(next_w, [0.98, 0.98]):  # cache = dw**2 only: a step of lr again
        raise Failure("w after two steps is [0.98, 0.98], expected [0.982, 0.984]: this matches a cache that is "
                      "overwritten (cache = dw**2) or not stored, not accumulated",
                      hint="Accumulate and store: cache = cache + dw**2, config['cache'] = cache.")
    assert_close(next_w, np.array([0.982, 0.984]), name="w after two steps")


def test_cache_is_the_sum_of_squares(submission):
    w, config = submission.adagrad(W, np.array([3.0, 4.0]), None)
    _, config = submission.adagrad(w, np.array([4.0, 3.0]), config)
    assert_close(config.get("cache"), np.array([25.0, 25.0]), name="config['cache'] after two steps")
