"""Public tests, question "adagrad":

    cache = cache + dw**2,   next_w = w - learning_rate*dw / (sqrt(cache) + eps)

with learning_rate 1e-2 and epsilon 1e-8 by default.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("adagrad")

W = np.array([1.0, 1.0])


def test_first_step(submission):
    # cache = [9, 16]: step = 0.01 * [3/3, 4/4] = [0.01, 0.01].
    next_w, _ = submission.adagrad(W, np.array([3.0, 4.0]), None)
    assert_close(next_w, np.array([0.99, 0.99]), name="adagrad(w, dw, None)")


@pytest.mark.hint("Accumulate: cache += dw**2, and pass the returned config back in.")
def test_second_step(submission):
    # cache = [9 + 16, 16 + 9] = [25, 25]: step = 0.01 * [4/5, 3/5] = [0.008, 0.006].
    w, config = submission.adagrad(W, np.array([3.0, 4.0]), None)
    next_w, _ = submission.adagrad(w, np.array([4.0, 3.0]), config)
    assert_close(next_w, np.array([0.982, 0.984]), name="w after two steps")


def test_cache_is_the_sum_of_squares(submission):
    w, config = submission.adagrad(W, np.array([3.0, 4.0]), None)
    _, config = submission.adagrad(w, np.array([4.0, 3.0]), config)
    assert_close(config.get("cache"), np.array([25.0, 25.0]), name="config['cache'] after two steps")
