"""Public tests, question "dropout": dropout_forward.

p is the probability of DROPPING a unit (as in torch.nn.Dropout(p)); kept
units are scaled by 1 / (1 - p); test mode is the identity.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("dropout")


def test_test_mode_is_the_identity(submission):
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
    out, _cache = submission.dropout_forward(x, {"p": 0.5, "mode": "test"})
    assert_close(out, x, rtol=1e-6, atol=0, name="dropout_forward(x, mode='test')")


@pytest.mark.points(2)
@pytest.mark.hint("p is the probability of dropping a unit: keep it with probability 1 - p and scale it by 1 / (1 - p).")
def test_train_mode_drops_about_p_and_rescales(submission):
    x = np.ones((100, 100))
    out, _cache = submission.dropout_forward(x, {"p": 0.25, "mode": "train", "seed": 0})
    out = np.asarray(out)
    wrong = out[(out != 0) & ~np.isclose(out, 4 / 3, rtol=1e-6, atol=0)]
    assert wrong.size == 0, f"every output should be 0 or 1 / (1 - 0.25) = 4/3; found {wrong[:3].tolist()}"
    frac = float(np.mean(out == 0))
    assert 0.2 < frac < 0.3, f"with p=0.25 about a quarter of the units should be dropped, got {frac:.3f}"


def test_p_zero_keeps_every_unit(submission):
    x = np.array([[1.0, -2.0], [3.0, 0.25]])
    out, _cache = submission.dropout_forward(x, {"p": 0.0, "mode": "train", "seed": 0})
    assert not np.isnan(out).any(), "with p=0 the output has NaN: p is the drop probability, divide by 1 - p"
    assert_close(out, x, rtol=1e-6, atol=0, name="dropout_forward(x, p=0, mode='train')")
