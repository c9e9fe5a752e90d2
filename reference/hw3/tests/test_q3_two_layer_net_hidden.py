"""Hidden tests, question "two_layer_net" (19 points).

scores = relu(X W1 + b1) W2 + b2; loss = mean softmax cross-entropy
+ 0.5 * reg * (sum W1**2 + sum W2**2); grads has the keys of params.

Scores, the loss without and with the penalty, the output layer's gradients,
the hidden layer's gradients and the penalty's gradients are separate tests,
so partial credit follows the mistake. The mistakes we know of are named in
the failure message, found by comparing with the mistaken formula: the loss
summed instead of averaged over the batch, reg * sum W**2 without the 0.5, the
biases regularised, the penalty's gradient missing or doubled. Shapes have
D, H and C all different, and a batch of one; the output bias is centred so
that every class has negative scores (a ReLU on the output shows).
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import Failure, as_numeric, assert_close

# two_layer_net may call your layers of questions 1 and 2: a failing test is run again with the reference's
# layers in their place, so a layer's mistake is charged in its own question only.
pytestmark = [pytest.mark.question("two_layer_net"),
              pytest.mark.reference_helpers("affine_forward", "affine_backward", "relu_forward", "relu_backward")]

CASES = [(1, 3, 4, 2), (5, 4, 10, 3), (8, 3, 6, 5), (20, 2, 50, 3)]
RTOL = 1e-5
GRAD_RTOL = 1e-4


def _net(reference, rng, n, d, h, c):
    """X (n, d), params for d -> h -> c, and labels y (n,)."""
    X = rng.normal(size=(n, d))
    params = {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(d), size=(d, h)),
        "b1": rng.normal(0.0, 0.2, size=h),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(h), size=(h, c)),
        "b2": rng.normal(0.0, 0.2, size=c),
    }
    params["b2"] = params["b2"] - reference.two_layer_net(X, params).mean(axis=0)  # negative scores in every column
    y = rng.integers(0, c, size=n)
    return X, params, y


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _loss_and_grads(submission, X, params, y, reg):
    result = submission.two_layer_net(X, params, y, reg=reg)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError("with labels y, two_layer_net must return the pair (loss, grads), "
                             f"not {type(result).__name__}")
    loss, grads = result
    if not isinstance(grads, dict):
        raise AssertionError(f"grads must be a dict with the keys of params, not {type(grads).__name__}")
    missing = set(params) - set(grads)
    if missing:
        raise AssertionError(f"grads has no {sorted(missing)}: it must have the keys of params")
    return loss, grads


def _grad_close(actual, expected, name):
    atol = 1e-5 * max(1e-3, float(np.max(np.abs(expected))))
    assert_close(actual, expected, rtol=GRAD_RTOL, atol=atol, name=name)


def _label(n, d, h, c):
    return f"N={n}, D={d}, H={h}, C={c}"


@pytest.mark.points(2)
@pytest.mark.hint("scores = relu(X @ W1 + b1) @ W2 + b2: a ReLU on the hidden layer only, none on the scores.")
@pytest.mark.parametrize("n,d,h,c", CASES[1:])
def test_scores(submission, reference, rng, n, d, h, c):
    X, params, _y = _net(reference, rng, n, d, h, c)
    scores = submission.two_layer_net(X, params)
    assert_close(scores, reference.two_layer_net(X, params), rtol=RTOL, atol=1e-6,
                 name=f"scores (y = None), {_label(n, d, h, c)}")


@pytest.mark.hint("X of shape (1, D) gives scores of shape (1, C).")
def test_scores_batch_of_one(submission, reference, rng):
    X, params, _y = _net(reference, rng, 1, 3, 4, 2)
    scores = submission.two_layer_net(X, params)
    assert_close(scores, reference.two_layer_net(X, params), rtol=RTOL, atol=1e-6, name="scores for N = 1")


@pytest.mark.points(3)
@pytest.mark.hint("The data loss is the mean over the batch of -log softmax(scores)[i, y_i].")
@pytest.mark.parametrize("n,d,h,c", CASES)
def test_loss_without_reg(submission, reference, rng, n, d, h, c):
    X, params, y = _net(reference, rng, n, d, h, c)
    loss, _grads = _loss_and_grads(submission, X, params, y, 0.0)
    expected = reference.two_layer_net(X, params, y, 0.0)[0]
    value = _numeric(loss)
    if value is not None and value.shape == () and n > 1 and np.isclose(value, n * expected, rtol=1e-5):
        raise Failure(f"the loss is {float(value):.6g}, N = {n} times the expected {expected:.6g}: "
                      "the cross-entropy summed over the batch", hint="Divide the summed cross-entropy by the batch size N.")
    assert_close(loss, expected, rtol=RTOL, atol=1e-7, name=f"loss (reg = 0), {_label(n, d, h, c)}")


@pytest.mark.points(2)
@pytest.mark.hint("The penalty is 0.5 * reg * (sum W1**2 + sum W2**2), on the weights only.")
@pytest.mark.parametrize("reg", [0.1, 0.7])
def test_loss_with_reg(submission, reference, rng, reg):
    X, params, y = _net(reference, rng, 6, 4, 5, 3)
    loss, _grads = _loss_and_grads(submission, X, params, y, reg)
    expected = reference.two_layer_net(X, params, y, reg)[0]
    data_loss = reference.two_layer_net(X, params, y, 0.0)[0]
    sq_w = float(np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    sq_b = float(np.sum(params["b1"] ** 2) + np.sum(params["b2"] ** 2))
    mistakes = {
        "reg * (sum W1**2 + sum W2**2), without the 0.5": (data_loss + reg * sq_w,
                                                           "This assignment's penalty is 0.5 * reg * sum W**2."),
        "the biases regularised too": (data_loss + 0.5 * reg * (sq_w + sq_b), "The penalty is on W1 and W2 only."),
        "the loss without the penalty": (data_loss, "Add 0.5 * reg * (sum W1**2 + sum W2**2) to the data loss."),
    }
    value = _numeric(loss)
    if value is not None and value.shape == () and not np.isclose(value, expected, rtol=RTOL):
        for what, (wrong, fix) in mistakes.items():
            if np.isclose(value, wrong, rtol=1e-6):
                raise Failure(f"the loss ({float(value):.6g}, expected {expected:.6g}) matches {what}", hint=fix)
    assert_close(loss, expected, rtol=RTOL, atol=1e-7, name=f"loss (reg = {reg})")


@pytest.mark.points(2)
@pytest.mark.hint("ds = (softmax(scores) - onehot(y)) / N; dW2 = h.T @ ds, db2 = ds.sum(axis=0).")
@pytest.mark.parametrize("n,d,h,c", CASES)
def test_grads_output_layer(submission, reference, rng, n, d, h, c):
    X, params, y = _net(reference, rng, n, d, h, c)
    _loss, grads = _loss_and_grads(submission, X, params, y, 0.0)
    expected = reference.two_layer_net(X, params, y, 0.0)[1]
    for key in ("W2", "b2"):
        _grad_close(grads[key], expected[key], f"grads[{key!r}] (reg = 0), {_label(n, d, h, c)}")


@pytest.mark.points(3)
@pytest.mark.hint("dh = ds @ W2.T; through the ReLU dz = dh * (z > 0) with z = X @ W1 + b1; "
                  "dW1 = X.T @ dz, db1 = dz.sum(axis=0).")
@pytest.mark.parametrize("n,d,h,c", CASES)
def test_grads_hidden_layer(submission, reference, rng, n, d, h, c):
    X, params, y = _net(reference, rng, n, d, h, c)
    _loss, grads = _loss_and_grads(submission, X, params, y, 0.0)
    expected = reference.two_layer_net(X, params, y, 0.0)[1]
    for key in ("W1", "b1"):
        _grad_close(grads[key], expected[key], f"grads[{key!r}] (reg = 0), {_label(n, d, h, c)}")


@pytest.mark.points(2)
@pytest.mark.hint("The gradient of 0.5 * reg * sum W**2 is reg * W: add it to dW1 and dW2 (not to db1, db2).")
@pytest.mark.parametrize("reg", [0.25, 1.5])
def test_grads_with_reg(submission, reference, rng, reg):
    X, params, y = _net(reference, rng, 7, 3, 6, 4)
    _loss, grads = _loss_and_grads(submission, X, params, y, reg)
    expected = reference.two_layer_net(X, params, y, reg)[1]
    plain = reference.two_layer_net(X, params, y, 0.0)[1]
    for key in ("W1", "W2", "b1", "b2"):
        value = _numeric(grads[key])
        if key.startswith("W") and value is not None and value.shape == params[key].shape:
            if np.allclose(value, plain[key], rtol=1e-5, atol=1e-8):
                raise Failure(f"grads[{key!r}] has no penalty term", hint=f"Add reg * {key} to grads[{key!r}].")
            if np.allclose(value, plain[key] + 2 * reg * params[key], rtol=1e-5, atol=1e-8):
                raise Failure(f"grads[{key!r}] has the penalty term twice (2 * reg * {key})",
                              hint=f"The gradient of 0.5 * reg * sum {key}**2 is reg * {key}.")
        _grad_close(grads[key], expected[key], f"grads[{key!r}] (reg = {reg})")


@pytest.mark.points(2)
@pytest.mark.hint("softmax(s) = softmax(s - max(s)) row by row: the loss and gradients with scores near 1000 "
                  "are those with scores near 0.")
def test_large_scores(submission, reference, rng):
    X, params, y = _net(reference, rng, 8, 4, 6, 3)
    params["b2"] = params["b2"] + 1000.0  # every score near 1000; the softmax does not change
    loss, grads = _loss_and_grads(submission, X, params, y, 0.1)
    values = [_numeric(loss)] + [_numeric(g) for g in grads.values()]
    if any(v is not None and v.dtype.kind in "fc" and not np.isfinite(v).all() for v in values):
        raise Failure("with scores near 1000 the loss or a gradient is NaN or infinite: exp(1000) overflows",
                      hint="Subtract each row's max from the scores before exponentiating.")
    expected_loss, expected = reference.two_layer_net(X, params, y, 0.1)
    # float32 scores near 1000 carry errors near 1e-4: the tolerance is loose, NaN and inf are not
    assert_close(loss, expected_loss, rtol=1e-3, atol=1e-3, name="loss with scores near 1000")
    for key in params:
        assert_close(grads[key], expected[key], rtol=1e-2, atol=1e-3, name=f"grads[{key!r}] with scores near 1000")


@pytest.mark.hint("Return (loss, grads): loss a number, grads a dict with keys W1, b1, W2, b2, "
                  "each gradient of its parameter's shape.")
def test_returns_loss_and_grads(submission, reference, rng):
    X, params, y = _net(reference, rng, 5, 3, 7, 4)
    loss, grads = _loss_and_grads(submission, X, params, y, 0.1)
    value = _numeric(loss)
    if value is None or value.shape != ():
        raise AssertionError(f"the loss must be a single number, got {loss!r:.200}")
    if sorted(grads) != sorted(params):
        raise AssertionError(f"grads has keys {sorted(grads)}, expected {sorted(params)}")
    for key in params:
        shape = _numeric(grads[key]).shape if _numeric(grads[key]) is not None else None
        if shape != params[key].shape:
            raise AssertionError(f"grads[{key!r}] has shape {shape}, expected {params[key].shape}")


IN_PLACE = ("two_layer_net must leave X, params and y as they were: build new arrays and a new grads dict "
            "(grads = params, then grads['W1'] = dW1, overwrites the caller's weights).")


def test_inputs_unchanged(submission, reference, rng):
    X, params, y = _net(reference, rng, 6, 4, 5, 3)
    record = call_with_args(submission.two_layer_net, X, params, y, reg=0.1)
    X_after, params_after, y_after = record.args
    try:
        assert_close(X_after, X, rtol=0, atol=0, name="X after two_layer_net returned")
        assert_close(y_after, y, rtol=0, atol=0, name="y after two_layer_net returned")
        if not isinstance(params_after, dict) or sorted(params_after) != sorted(params):
            raise AssertionError("two_layer_net changed the keys of its params dict")
        for key in params:
            assert_close(params_after[key], params[key], rtol=0, atol=0,
                         name=f"params[{key!r}] after two_layer_net returned")
    except AssertionError as exc:
        raise Failure(str(exc), hint=IN_PLACE) from None
    # leaving the inputs alone earns its points only with the right loss (a constant leaves them alone too)
    result = record.result
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise AssertionError("two_layer_net with y must return the pair (loss, grads)")
    try:
        assert_close(result[0], reference.two_layer_net(X, params, y, reg=0.1)[0], rtol=RTOL, atol=1e-8,
                     name="two_layer_net's loss")
    except AssertionError as exc:
        raise Failure(f"two_layer_net left its inputs alone, but its loss is wrong, so this test does not count yet "
                      f"(the other tests say what is wrong): {exc}") from None
