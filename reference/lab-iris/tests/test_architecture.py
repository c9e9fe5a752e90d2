"""Hidden tests, question "architecture" (25 points): the lab's network rules.

* at least three ``nn.Linear`` layers (10 points);
* hidden sizes not all equal: the ``out_features`` of every ``nn.Linear`` but
  the last, in registration order, hold at least two different values
  (10 points; 4 -> 16 -> 16 -> 3 fails, 4 -> 32 -> 16 -> 3 passes);
* raw features of shape (N, 4), float32, in; finite logits of shape (N, 3) out,
  for a single flower, a few and the whole data set (5 points).

The layers are counted on the network the grader rebuilds from the
description the worker gives (:mod:`grader.competition`); only for a network
that cannot be rebuilt (unverified: graded, never ranked) are they the worker's
word. No training happens here: these tests take well under a second.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from grader.crossval import load_iris_csv
from grader.competition import check_network

pytestmark = pytest.mark.question("architecture")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"


@pytest.mark.points(10)
@pytest.mark.hint("The lab asks for at least three nn.Linear layers, e.g. 4 -> 32 -> 16 -> 3.")
def test_at_least_three_linear_layers(submission):
    X, _ = load_iris_csv(DATA)
    linear = _eval(submission.build_model(), X).linear_layers
    assert len(linear) >= 3, f"the network needs at least 3 nn.Linear layers, it has {len(linear)}: {linear}"


@pytest.mark.points(10)
@pytest.mark.hint("The lab asks for hidden layers of different sizes, e.g. 32 then 16.")
def test_hidden_sizes_not_all_equal(submission):
    X, _ = load_iris_csv(DATA)
    linear = _eval(submission.build_model(), X).linear_layers
    hidden = [out for _, out in linear[:-1]]
    assert len(set(hidden)) >= 2, (
        f"the hidden layer sizes (out_features of every nn.Linear but the last) must not all be "
        f"equal, got {hidden}"
    )


@pytest.mark.points(5)
@pytest.mark.hint("model(X) must map raw features of shape (N, 4) to logits of shape (N, 3), for any N.")
@pytest.mark.parametrize("rows", [slice(0, 1), slice(45, 55), slice(0, 150)], ids=["1", "10", "150"])
def test_logits_shape(submission, rows):
    X, _ = load_iris_csv(DATA)
    X = X[rows]
    model = submission.build_model()
    model.eval()
    logits = model(torch.from_numpy(X))
    assert isinstance(logits, np.ndarray), f"model(X) must return a tensor, got {type(logits).__name__}"
    assert logits.shape == (len(X), 3), (
        f"model(X) for X of shape {X.shape} must have shape ({len(X)}, 3), got {logits.shape}"
    )
    assert np.isfinite(logits).all(), "model(X) holds NaN or infinite values"


def _eval(model, X):
    model.eval()
    return check_network(model, X)
