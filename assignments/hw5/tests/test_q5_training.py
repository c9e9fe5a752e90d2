"""Public tests, question "training": what train_spiral returns.

The spiral is the lecture's (CS231n): 100 points per class, 2-D, 3 classes.
"""

import math

import numpy as np
import pytest

from grader.testing import Failure

pytestmark = pytest.mark.question("training")


def _spiral(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + 0.2 * rng.standard_normal(n_per_class)
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


@pytest.mark.points(2)
@pytest.mark.call_timeout(60)
def test_result_keys_and_shapes(submission):
    X, y = _spiral()
    result = submission.train_spiral(X, y, hidden_size=10, n_epochs=5)
    assert isinstance(result, dict) and {"params", "loss_history", "train_acc"} <= set(result), (
        "train_spiral must return a dict with the keys params, loss_history, train_acc"
    )
    shapes = {k: np.shape(result["params"][k]) for k in ("W1", "b1", "W2", "b2")}
    assert shapes == {"W1": (2, 10), "b1": (10,), "W2": (10, 3), "b2": (3,)}, f"parameter shapes: {shapes}"
    assert len(result["loss_history"]) == 5, "one loss per epoch"


@pytest.mark.call_timeout(60)
def test_first_loss_is_about_ln_3(submission):
    X, y = _spiral()
    first = float(np.ravel(submission.train_spiral(X, y, n_epochs=1)["loss_history"])[0])
    if abs(first - len(y) * math.log(3)) < 0.01 * len(y):
        raise Failure(f"the first loss is {first:.4f}, about N * ln 3 = {len(y) * math.log(3):.1f}: the cross-entropy "
                      "summed over the samples", hint="The loss is the mean over the N samples, not their sum.")
    if abs(first - math.log(3)) >= 0.01:
        raise Failure(f"the first loss should be about ln 3 = 1.0986, got {first:.4f}",
                      hint="W = 0.01 * randn and b = 0 give scores near 0, a uniform softmax, and a loss of ln 3.")
