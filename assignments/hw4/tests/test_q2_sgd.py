"""Public tests, question "sgd": next_w = w - learning_rate * dw (default learning_rate 1e-2)."""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("sgd")

W = np.array([1.0, 2.0])
DW = np.array([0.5, -1.0])


@pytest.mark.hint("sgd returns the pair (next_w, config): next_w = w - lr*dw with lr = config['learning_rate'], "
                  "whose default 1e-2 is filled into the returned config.")
def test_default_learning_rate(submission):
    next_w, config = submission.sgd(W, DW, None)  # [1 - 0.01*0.5, 2 + 0.01*1]
    assert_close(next_w, np.array([0.995, 2.01]), name="sgd(w, dw, None)")
    assert_close(config.get("learning_rate"), 0.01, name="the returned config['learning_rate']")


@pytest.mark.hint("sgd returns the pair (next_w, config): next_w = w - config['learning_rate'] * dw.")
def test_given_learning_rate(submission):
    next_w, _ = submission.sgd(W, DW, {"learning_rate": 0.1})
    assert_close(next_w, np.array([0.95, 2.1]), name="sgd(w, dw, {'learning_rate': 0.1})")
