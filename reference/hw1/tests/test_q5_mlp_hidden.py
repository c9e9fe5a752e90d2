"""Hidden tests, question "mlp" (13 points): the forward pass of an MLP.

h_0 = x, h_i = g(h_{i-1} W_i + b_i) for the hidden layers, logits = h_{L-1} W_L + b_L.
The mistakes these catch: an activation on the output layer
(test_single_layer, and every test, since the logits have negative entries),
the activation argument ignored (test_hidden_activation), a skipped or
repeated layer (test_two_layers, test_deep), a squeezed (N,) result for
d_L = 1 (test_deep), x or params changed in place, the list included
(params.pop(), an array updated with -= or *=: test_inputs_unchanged).
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import assert_close

pytestmark = pytest.mark.question("mlp")

RTOL, ATOL = 1e-4, 1e-5


def _network(reference, rng, dims, n, activation="relu"):
    """A batch x of shape (n, dims[0]) and params [(W_1, b_1), ..., (W_L, b_L)], W_i of shape
    (dims[i-1], dims[i]), scaled to keep |h| ~ 1.

    The output bias is shifted so that each logit column is centred on 0: every column
    has negative entries, so an activation on the output layer always shows.
    """
    x = rng.normal(size=(n, dims[0]))
    params = [
        (rng.normal(0.0, 1.0 / np.sqrt(d_in), size=(d_in, d_out)), rng.normal(0.0, 0.5, size=d_out))
        for d_in, d_out in zip(dims[:-1], dims[1:])
    ]
    w_out, b_out = params[-1]
    params[-1] = (w_out, b_out - reference.mlp_forward(x, params, activation=activation).mean(axis=0))
    return x, params


@pytest.mark.points(3)
@pytest.mark.hint("With one layer, the MLP is just the output layer: x @ W + b, with no activation.")
def test_single_layer(submission, reference, rng):
    x, params = _network(reference, rng, [4, 5], 6)
    expected = reference.mlp_forward(x, params)
    actual = submission.mlp_forward(x, params)
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name="logits, one layer 4 -> 5")


@pytest.mark.points(3)
@pytest.mark.hint("Hidden layers apply the activation (relu by default); the output layer is linear.")
@pytest.mark.parametrize("dims", [[3, 8, 4], [5, 5, 5]], ids=lambda d: "-".join(map(str, d)))
def test_two_layers(submission, reference, rng, dims):
    x, params = _network(reference, rng, dims, 7)
    expected = reference.mlp_forward(x, params)
    actual = submission.mlp_forward(x, params)
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=f"logits, layers {dims}")


@pytest.mark.points(3)
@pytest.mark.hint("Use the activation named by `activation` in every hidden layer.")
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_hidden_activation(submission, reference, rng, activation):
    dims = [4, 6, 5, 3]
    x, params = _network(reference, rng, dims, 8, activation)
    assert_close(
        submission.mlp_forward(x, params, activation=activation),
        reference.mlp_forward(x, params, activation=activation),
        rtol=RTOL,
        atol=ATOL,
        name=f"logits, layers {dims}, activation={activation!r}",
    )


@pytest.mark.points(3)
@pytest.mark.hint("Apply every (W, b) in params, in order; x (N, d_0) gives logits (N, d_L), even for d_L = 1.")
@pytest.mark.parametrize("dims", [[6, 8, 5, 7, 3], [5, 5, 5, 5, 5, 1]], ids=lambda d: "-".join(map(str, d)))
def test_deep(submission, reference, rng, dims):
    x, params = _network(reference, rng, dims, 9)
    expected = reference.mlp_forward(x, params)
    actual = submission.mlp_forward(x, params)
    assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=f"logits, layers {dims}")


def _same(after, before, what):
    """``after`` (as the call left it) is exactly ``before``; AssertionError naming ``what`` otherwise."""
    assert_close(after, before, rtol=0, atol=0, name=f"{what} after mlp_forward returned")


@pytest.mark.hint("Leave x and params as they were: do not update an array in place (h = x, then h += b "
                  "changes x) and do not change the list (params.pop() removes the caller's output layer).")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_inputs_unchanged(submission, reference, rng, activation):
    dims = [4, 6, 5, 3]
    x, params = _network(reference, rng, dims, 5, activation)
    record = call_with_args(submission.mlp_forward, x, params, activation=activation)
    x_after, params_after = record.args
    _same(x_after, x, "x")
    if not isinstance(params_after, (list, tuple)) or len(params_after) != len(params):
        raise AssertionError(f"mlp_forward changed its params list: it held {len(params)} (W, b) pairs, and after "
                             "the call it holds "
                             + (f"{len(params_after)}" if isinstance(params_after, (list, tuple)) else "no list"))
    for i, (pair, (w, b)) in enumerate(zip(params_after, params)):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise AssertionError(f"mlp_forward changed params[{i}]: it is no longer the pair (W, b)")
        _same(pair[0], w, f"params[{i}][0] (W_{i + 1})")
        _same(pair[1], b, f"params[{i}][1] (b_{i + 1})")
    # leaving the inputs alone earns its point only with the right output (a constant leaves them alone too)
    expected = reference.mlp_forward(x, params, activation=activation)
    assert_close(record.result, expected, rtol=RTOL, atol=ATOL, name="mlp_forward(...)")
