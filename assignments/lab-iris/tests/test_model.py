"""Public tests, question "architecture": the rules your network must follow.

Run them with ``grader check lab-iris <your notebook>``. The same rules are
graded, with more points, by hidden tests.
"""

import numpy as np
import pytest
import torch

from grader.competition import check_network

pytestmark = pytest.mark.question("architecture")


@pytest.mark.points(1)
@pytest.mark.hint("build_model() must return a torch.nn.Module mapping (N, 4) raw features to (N, 3) logits.")
def test_forward_shape(submission, rng):
    X = torch.from_numpy(rng.normal(5.0, 2.0, size=(8, 4)).astype(np.float32))
    model = submission.build_model()
    model.eval()
    logits = model(X)
    assert isinstance(logits, np.ndarray), f"model(X) must return a tensor, got {type(logits).__name__}"
    assert logits.shape == (8, 3), f"model(X) for X of shape (8, 4) must have shape (8, 3), got {logits.shape}"
    assert np.isfinite(logits).all(), "model(X) holds NaN or infinite values"


@pytest.mark.points(2)
@pytest.mark.hint("Use at least three nn.Linear layers, e.g. 4 -> 32 -> 16 -> 3.")
def test_at_least_three_linear_layers(submission, rng):
    linear = _checked(submission, rng).linear_layers
    assert len(linear) >= 3, f"the network needs at least 3 nn.Linear layers, it has {len(linear)}: {linear}"


@pytest.mark.points(2)
@pytest.mark.hint("Give the hidden layers different widths, e.g. 32 then 16.")
def test_hidden_sizes_not_all_equal(submission, rng):
    linear = _checked(submission, rng).linear_layers
    hidden = [out for _, out in linear[:-1]]
    assert len(set(hidden)) >= 2, (
        f"the hidden layer sizes (out_features of every nn.Linear but the last) must not all be "
        f"equal, got {hidden}"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Build the network from standard layers (nn.Linear, activations such as nn.ReLU, torch.tanh or F.relu, "
    "nn.Dropout, nn.BatchNorm1d, nn.LayerNorm) and plain arithmetic on tensors (standardisation): the grader "
    "rebuilds it from those to compute your accuracy itself. An unverified network is graded but not ranked."
)
def test_network_is_verified(submission, rng):
    net = _checked(submission, rng)
    assert net.verified, f"your network is unverified: {net.reason}"


def _checked(submission, rng):
    model = submission.build_model()
    model.eval()
    return check_network(model, rng.normal(5.0, 2.0, size=(16, 4)).astype(np.float32))
