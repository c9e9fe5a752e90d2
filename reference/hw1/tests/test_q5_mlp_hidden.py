"""Hidden tests, question "mlp" (13 points): the forward pass of an MLP.

h_0 = x, h_i = g(h_{i-1} W_i + b_i) for the hidden layers, logits = h_{L-1} W_L + b_L.
The mistakes these catch: an activation on the output layer
(test_single_layer, and every test, since the logits have negative entries),
the activation argument ignored (test_hidden_activation), a skipped or
repeated layer (test_two_layers, test_deep), a squeezed (N,) result for
d_L = 1 (test_deep), x or params changed in place, the list included
(params.pop(), an array updated with -= or *=: test_inputs_unchanged). A wrong
answer that matches a known mistake is named in the message, with its hint;
any other gets the formula.

mlp_forward may call affine_forward (question "affine") and the activations
(question "activations"): their mistakes are charged there, not here. A
failing test is run again with the reference's affine_forward and
activations in place of the student's; and logits that are the student's own
activation, wrong as it is, composed with right affine layers pass (for an
mlp_forward that keeps its activations in a dict made when the module
loaded, which the rerun cannot reach).
"""

import numpy as np
import pytest

from grader.remote import StudentError, call_with_args
from grader.testing import Failure, as_numeric, assert_close, responds_to_input

# mlp_forward may call your affine_forward and activations: a failing test is run again with the reference's
# in their place, so their mistakes are charged in their own questions only.
pytestmark = [pytest.mark.question("mlp"),
              pytest.mark.reference_helpers("affine_forward", "sigmoid", "tanh", "relu", "leaky_relu")]

RTOL, ATOL = 1e-4, 1e-5
FORMULA_HINT = ("h_0 = x, h_i = g(h_{i-1} @ W_i + b_i) for every hidden layer, logits = h_{L-1} @ W_L + b_L: "
                "the activation g on the hidden layers only, logits of shape (N, d_L).")


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


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _close(a, expected):
    return a is not None and a.shape == np.shape(expected) and np.allclose(a, expected, rtol=RTOL, atol=ATOL)


def _forward(x, params, g, g_out=None):
    """The MLP's logits with the activation g on the hidden layers (and g_out on the output, if given)."""
    h = x
    for w, b in params[:-1]:
        h = np.asarray(g(h @ w + b), dtype=float)
    out = h @ params[-1][0] + params[-1][1]
    return out if g_out is None else np.asarray(g_out(out), dtype=float)


def _with_own_activation(submission, reference, x, params, name):
    """The logits with the student's own activation ``name`` on the hidden layers, where it differs from the
    reference's on them; else None."""
    if not responds_to_input(getattr(submission, name)):
        return None  # a constant "activation" does no work: it stands in for nothing
    h, differs = x, False
    for w, b in params[:-1]:
        z = h @ w + b
        try:
            own = _numeric(getattr(submission, name)(z))
        except StudentError:
            return None
        if own is None or own.shape != z.shape:
            return None
        differs = differs or not _close(own, getattr(reference, name)(z))
        h = own
    return h @ params[-1][0] + params[-1][1] if differs else None


def _judge(submission, reference, actual, x, params, label, activation=None):
    """The student's logits against the reference's, or against the student's own activation composed with
    right affine layers (the activation's mistake is charged in its own question)."""
    name = activation or "relu"
    expected = reference.mlp_forward(x, params, activation=name)
    a = _numeric(actual)
    if _close(a, expected):
        return
    if len(params) > 1 and name != "linear":
        own = _with_own_activation(submission, reference, x, params, name)
        if own is not None and _close(a, own):
            return  # the student's own activation, wrong as it is: its mistake costs points in "activations"
    if a is not None:
        if a.shape != expected.shape and a.size == expected.size and np.allclose(a.reshape(expected.shape), expected,
                                                                                 rtol=RTOL, atol=ATOL):
            raise Failure(f"{label} has the right values but shape {a.shape}, expected {expected.shape}",
                          hint="Return the logits of shape (N, d_L), even for d_L = 1: do not squeeze them.")
        g = getattr(reference, name) if name != "linear" else (lambda t: t)
        mistakes = [(f"the {name} applied to the output layer too",
                     _forward(x, params, g, g_out=g),
                     "The output layer is linear: logits = h_{L-1} @ W_L + b_L, with no activation after it.")]
        if name != "relu":
            mistakes.append((f"relu on the hidden layers, not the {name}", _forward(x, params, reference.relu),
                             "Use the activation named by `activation` in every hidden layer."))
        for what, wrong, hint in mistakes:
            if not _close(np.asarray(expected), wrong) and _close(a, wrong):
                raise Failure(f"{label} is wrong: it matches {what}", hint=hint)
    try:
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=label)
    except AssertionError as exc:
        raise Failure(str(exc), hint=FORMULA_HINT) from None


def _check(submission, reference, x, params, label, activation=None):
    kwargs = {} if activation is None else {"activation": activation}
    _judge(submission, reference, submission.mlp_forward(x, params, **kwargs), x, params, label, activation)


@pytest.mark.points(3)
def test_single_layer(submission, reference, rng):
    x, params = _network(reference, rng, [4, 5], 6)
    _check(submission, reference, x, params, "logits, one layer 4 -> 5")


@pytest.mark.points(3)
@pytest.mark.parametrize("dims", [[3, 8, 4], [5, 5, 5]], ids=lambda d: "-".join(map(str, d)))
def test_two_layers(submission, reference, rng, dims):
    x, params = _network(reference, rng, dims, 7)
    _check(submission, reference, x, params, f"logits, layers {dims}")


@pytest.mark.points(3)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_hidden_activation(submission, reference, rng, activation):
    dims = [4, 6, 5, 3]
    x, params = _network(reference, rng, dims, 8, activation)
    _check(submission, reference, x, params, f"logits, layers {dims}, activation={activation!r}", activation)


@pytest.mark.points(3)
@pytest.mark.parametrize("dims", [[6, 8, 5, 7, 3], [5, 5, 5, 5, 5, 1]], ids=lambda d: "-".join(map(str, d)))
def test_deep(submission, reference, rng, dims):
    x, params = _network(reference, rng, dims, 9)
    _check(submission, reference, x, params, f"logits, layers {dims}")


IN_PLACE_HINT = ("Leave x and params as they were: do not update an array in place (h = x, then h += b "
                 "changes x) and do not change the list (params.pop() removes the caller's output layer).")


def _same(after, before, what):
    """``after`` (as the call left it) is exactly ``before``; a Failure with the in-place hint otherwise."""
    try:
        assert_close(after, before, rtol=0, atol=0, name=f"{what} after mlp_forward returned")
    except AssertionError as exc:
        raise Failure(str(exc), hint=IN_PLACE_HINT) from None


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_inputs_unchanged(submission, reference, rng, activation):
    dims = [4, 6, 5, 3]
    x, params = _network(reference, rng, dims, 5, activation)
    record = call_with_args(submission.mlp_forward, x, params, activation=activation)
    x_after, params_after = record.args
    _same(x_after, x, "x")
    if not isinstance(params_after, (list, tuple)) or len(params_after) != len(params):
        raise Failure(f"mlp_forward changed its params list: it held {len(params)} (W, b) pairs, and after "
                      "the call it holds "
                      + (f"{len(params_after)}" if isinstance(params_after, (list, tuple)) else "no list"),
                      hint=IN_PLACE_HINT)
    for i, (pair, (w, b)) in enumerate(zip(params_after, params)):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise Failure(f"mlp_forward changed params[{i}]: it is no longer the pair (W, b)", hint=IN_PLACE_HINT)
        _same(pair[0], w, f"params[{i}][0] (W_{i + 1})")
        _same(pair[1], b, f"params[{i}][1] (b_{i + 1})")
    # leaving the inputs alone earns its point only with the right output (a constant leaves them alone too)
    try:
        _judge(submission, reference, record.result, x, params, "mlp_forward(...)", activation)
    except AssertionError as exc:
        raise Failure(f"mlp_forward left x and params alone, but its result is wrong, so this test does not count "
                      f"yet (the other tests say what is wrong): {exc}") from None
