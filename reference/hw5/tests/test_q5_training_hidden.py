"""Hidden tests, question "training" (16 points): train_spiral's mechanics.

train_spiral trains the lecture's 2-layer net (affine -> ReLU -> affine ->
softmax) by full-batch steps: one epoch is one step. Everything it does is
deterministic given the seed, so the steps can be checked exactly:

* ``n_epochs=0`` returns the initialisation (W = 0.01 * randn, b = 0);
* the parameters after ``n_epochs=k+1`` are those after ``n_epochs=k`` moved
  by one update, computed here with ``torch.autograd`` as the oracle for the
  gradient of cross-entropy + 0.5 * reg * (sum W1^2 + sum W2^2), reg = 1e-3,
  and the update rule (SGD with step size 1.0; Adam with lr 1e-2, betas 0.9
  and 0.999, eps 1e-8, t incremented first, bias-corrected);
* loss_history[k] is the loss at the parameters before step k;
* train_acc is the accuracy of the returned parameters.

Only the initialisation's random draws belong to the student (any
generator), so each check starts from parameters the student's code
returned. Tolerances: float32 arithmetic passes (relative error ~1e-6);
a missing L2 term in the gradient (1% of it) or in the loss, dscores not
divided by N, or Adam without bias correction are off by far more.

A wrong step or loss that matches a known mistake is named in the message,
with its fix as the hint; a wrong answer of another kind gets its message
only (and the test's hint where it has one that holds for any wrong answer).

train_spiral trains by full-batch steps and calls no function of another
question (no mini-batches, no dropout, no early stopping), so these tests run
it as it is, with no reference helpers in its place.
"""

import math

import numpy as np
import pytest
import torch

from grader.remote import StudentError
from grader.testing import Failure, as_numeric

pytestmark = pytest.mark.question("training")

REG = 1e-3
SGD_LR = 1.0
ADAM_LR, BETA1, BETA2, EPS = 1e-2, 0.9, 0.999, 1e-8
KEYS = ("W1", "b1", "W2", "b2")
TIMEOUT = 60


def _spiral(n_per_class=100, n_classes=3, seed=0):
    """The lecture's spiral (CS231n), noise from np.random.default_rng(seed)."""
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


def _blobs(n=60, d=3, k=4, seed=0):
    """k Gaussian blobs in d dimensions, every class present: N != D != K != H."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = 2.0 * rng.normal(size=(k, d))[y] + rng.normal(size=(n, d))
    return X, y


DATA = {"spiral": (_spiral(), 100), "blobs": (_blobs(), 7)}


def _train(submission, X, y, raw_shapes=None, **kwargs):
    """(params, loss_history, train_acc) from train_spiral, checked for form; biases of shape (1, H)
    are flattened (their shape costs points in test_shapes_follow_the_data_and_hidden_size only)."""
    result = submission.train_spiral(X, y, **kwargs)
    # a result of the wrong form is a Failure without a hint: the tests' hints are about other things
    if not isinstance(result, dict):
        raise Failure(f"train_spiral must return a dict, got {type(result).__name__}")
    missing = {"params", "loss_history", "train_acc"} - set(result)
    if missing:
        raise Failure(f"train_spiral's dict lacks the keys {sorted(missing)}")
    params = result["params"]
    if not (isinstance(params, dict) and set(KEYS) <= set(params)):
        raise Failure(f"result['params'] must be a dict with the keys W1, b1, W2, b2, got {params!r:.200}")
    try:
        P = {k: as_numeric(params[k], f"params[{k!r}]").astype(np.float64) for k in KEYS}
        history = as_numeric(result["loss_history"], "loss_history").astype(np.float64).reshape(-1)
        acc = as_numeric(result["train_acc"], "train_acc")
    except AssertionError as exc:
        raise Failure(str(exc)) from None
    if acc.size != 1:
        raise Failure(f"train_acc should be one number, got shape {acc.shape}")
    if raw_shapes is not None:
        raw_shapes.update({k: P[k].shape for k in KEYS})
    for k in ("b1", "b2"):  # CS231n's (1, H) biases: only the shape test takes points for them
        if P[k].ndim == 2 and P[k].shape[0] == 1:
            P[k] = P[k].reshape(-1)
    return P, history, float(acc.reshape(()))


def _loss_and_grads(X, y, P, reg=REG):
    """Loss and gradients by torch.autograd: the oracle."""
    t = {k: torch.tensor(P[k], dtype=torch.float64, requires_grad=True) for k in KEYS}
    Xt = torch.tensor(X, dtype=torch.float64)
    h = torch.relu(Xt @ t["W1"] + t["b1"])
    scores = h @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y, dtype=torch.int64))
    loss = loss + 0.5 * reg * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    loss.backward()
    return loss.item(), {k: t[k].grad.numpy() for k in KEYS}


def _accuracy(X, y, P):
    scores = np.maximum(0.0, X @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"]
    top2 = np.sort(scores, axis=1)[:, -2:]
    ambiguous = int(np.sum(top2[:, 1] - top2[:, 0] < 1e-5 * (1.0 + np.abs(top2[:, 1]))))
    return float(np.mean(scores.argmax(axis=1) == y)), ambiguous


def _close(a, b, scale):
    """Parameter updates a and b agree, within 1e-4 of b and of the largest update of any parameter
    (``scale``): float32 rounding and the cancellation in db2 = sum(dscores) stay far below that."""
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-4 * scale + 1e-12)


def _check_update(actual, expected, alternatives, what):
    """Compare per-parameter updates; name a known mistake if the update matches one."""
    scale = max(float(np.max(np.abs(expected[k]))) for k in KEYS)
    bad = [k for k in KEYS if not _close(actual[k], expected[k], scale)]
    if not bad:
        return
    k = bad[0]
    if actual[k].shape != expected[k].shape:
        raise AssertionError(f"{what}: params[{k!r}] has shape {actual[k].shape}, expected {expected[k].shape}")
    i = np.unravel_index(np.argmax(np.abs(actual[k] - expected[k])), expected[k].shape)
    message = (f"{what}: the update of {', '.join(bad)} is wrong; e.g. {k}{list(i)} moved by {actual[k][i]:.6g}, "
               f"expected {expected[k][i]:.6g}.")
    for text, (alt, fix) in alternatives.items():
        if all(_close(actual[j], alt[j], scale) for j in KEYS):
            raise Failure(f"{message} It matches {text}.", hint=fix)
    raise AssertionError(message)


def _sgd_alternatives(X, y, P):
    """Updates a known mistake would make from P."""
    _, g0 = _loss_and_grads(X, y, P, reg=0.0)
    n = X.shape[0]
    w = {k: (P[k] if k.startswith("W") else 0.0) for k in KEYS}
    return {  # what the step matches: (the step, how to fix it)
        "a gradient without the L2 term reg * W": (
            {k: -SGD_LR * g0[k] for k in KEYS}, "Add reg * W1 and reg * W2 to dW1 and dW2."),
        "an L2 gradient of 0.5 * reg * W": (
            {k: -SGD_LR * (g0[k] + 0.5 * REG * w[k]) for k in KEYS},
            "The derivative of 0.5 * reg * W**2 is reg * W, not 0.5 * reg * W."),
        "dscores not divided by N": (
            {k: -SGD_LR * (n * g0[k] + REG * w[k]) for k in KEYS},
            "The loss is the mean over the N samples: dscores = (probs - onehot(y)) / N."),
        "an L2 term on the biases too": (
            {k: -SGD_LR * (g0[k] + REG * P[k]) for k in KEYS}, "Only W1 and W2 are regularised: no reg * b."),
        "a step of learning rate 1e-2": (
            {k: -1e-2 * (g0[k] + REG * w[k]) for k in KEYS},
            "This assignment's SGD uses the lecture's step size 1.0: w -= 1.0 * dw."),
    }


@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.parametrize("hidden_size", [7, 1])
def test_shapes_follow_the_data_and_hidden_size(submission, hidden_size):
    X, y = _blobs()
    shapes = {}
    P, history, acc = _train(submission, X, y, raw_shapes=shapes, hidden_size=hidden_size, n_epochs=5)
    expected = {"W1": (3, hidden_size), "b1": (hidden_size,), "W2": (hidden_size, 4), "b2": (4,)}
    assert shapes == expected, (
        f"for X of shape (60, 3), y with K=4 classes and hidden_size={hidden_size} the shapes should be "
        f"{expected}, got {shapes} (D = X.shape[1], K = y.max() + 1)"
    )
    assert history.shape == (5,), f"loss_history should hold one loss per epoch (5), got {history.size}"
    assert np.all(np.isfinite(history)), "loss_history has NaN or inf"
    assert 0.0 <= acc <= 1.0, f"train_acc should be a fraction in [0, 1], got {acc}"


INIT_HINT = "Initialise W1, W2 with 0.01 * standard normal draws and b1, b2 with zeros, as in the lecture."


@pytest.mark.points(2)
@pytest.mark.call_timeout(TIMEOUT)
def test_zero_epochs_return_the_initialisation(submission):
    X, y = _spiral()
    P, history, acc = _train(submission, X, y, n_epochs=0)
    assert history.size == 0, f"with n_epochs=0 the loss history should be empty, got {history.size} entries"
    w = np.concatenate([P["W1"].ravel(), P["W2"].ravel()])
    if not (0.008 <= w.std() <= 0.012 and abs(w.mean()) < 0.003):
        raise Failure(f"W1 and W2 should start as 0.01 * randn: their std should be about 0.01, got {w.std():.4g} "
                      f"(mean {w.mean():.3g})", hint=INIT_HINT)
    if not (np.all(P["b1"] == 0) and np.all(P["b2"] == 0)):
        raise Failure("b1 and b2 should start at zero", hint=INIT_HINT)
    ours, ambiguous = _accuracy(X, y, P)
    assert abs(acc - ours) <= (ambiguous + 0.5) / len(y), (
        f"train_acc should be the accuracy of the returned params: {ours:.4f}, got {acc:.4f}"
    )


@pytest.mark.points(4)
@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.parametrize("data", list(DATA))
def test_sgd_epoch_is_one_gradient_step(submission, data):
    (X, y), hidden = DATA[data]
    runs = [_train(submission, X, y, hidden_size=hidden, n_epochs=k)[0] for k in (1, 2, 3)]
    for k, (before, after) in enumerate(zip(runs, runs[1:]), start=1):
        _, g = _loss_and_grads(X, y, before)
        expected = {j: -SGD_LR * g[j] for j in KEYS}
        actual = {j: after[j] - before[j] for j in KEYS}
        _check_update(actual, expected, _sgd_alternatives(X, y, before),
                      f"{data}: epoch {k} with optimizer='sgd' should be w -= 1.0 * dL/dw")


@pytest.mark.points(3)
@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.parametrize("data", list(DATA))
def test_adam_epochs_follow_kingma_and_ba(submission, data):
    (X, y), hidden = DATA[data]
    runs = [_train(submission, X, y, hidden_size=hidden, n_epochs=k, optimizer="adam")[0] for k in (0, 1, 2)]
    m = {j: np.zeros_like(runs[0][j]) for j in KEYS}
    v = {j: np.zeros_like(runs[0][j]) for j in KEYS}
    for t, (before, after) in enumerate(zip(runs, runs[1:]), start=1):
        _, g = _loss_and_grads(X, y, before)
        m = {j: BETA1 * m[j] + (1 - BETA1) * g[j] for j in KEYS}
        v = {j: BETA2 * v[j] + (1 - BETA2) * g[j] ** 2 for j in KEYS}
        expected = {j: -ADAM_LR * (m[j] / (1 - BETA1**t)) / (np.sqrt(v[j] / (1 - BETA2**t)) + EPS) for j in KEYS}
        alternatives = {
            "Adam without bias correction": (
                {j: -ADAM_LR * m[j] / (np.sqrt(v[j]) + EPS) for j in KEYS},
                "Correct m and v for their bias: m / (1 - beta1**t) and v / (1 - beta2**t), with t counted from 1."),
            "an Adam whose m and v restart at zero every epoch": (
                {j: -ADAM_LR * g[j] / (np.abs(g[j]) + EPS) for j in KEYS},
                "Keep m and v for each parameter across epochs: create them once, before the loop."),
            "a plain gradient step (optimizer='adam' is ignored)": (
                {j: -SGD_LR * g[j] for j in KEYS}, "With optimizer='adam', update with Adam's rule."),
        }
        actual = {j: after[j] - before[j] for j in KEYS}
        _check_update(actual, expected, alternatives, f"{data}: Adam step t={t}")


@pytest.mark.points(3)
@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.parametrize("k", [2, 100])
def test_loss_history_is_the_loss_before_each_step(submission, k):
    X, y = _spiral()
    p_k, _, _ = _train(submission, X, y, n_epochs=k)
    p_next, history, _ = _train(submission, X, y, n_epochs=k + 1)
    assert history.shape == (k + 1,), f"n_epochs={k + 1} should record {k + 1} losses, got {history.size}"
    expected = _loss_and_grads(X, y, p_k)[0]
    data_only = _loss_and_grads(X, y, p_k, reg=0.0)[0]
    mistakes = {  # what the loss matches: (its value, how to fix it)
        "the loss without the L2 penalty": (data_only, "Add 0.5 * reg * (sum W1**2 + sum W2**2) to the loss."),
        "an L2 penalty of reg * sum W^2": (2 * expected - data_only,
                                           "The lecture's penalty is 0.5 * reg * sum W**2, not reg * sum W**2."),
        "the loss after the update": (_loss_and_grads(X, y, p_next)[0],
                                      "Record the loss of the epoch's forward pass, before the step."),
    }
    got = float(history[k])
    message = (f"loss_history[{k}] should be the loss (cross-entropy + 0.5 * reg * (sum W1^2 + sum W2^2)) at the "
               f"parameters before step {k}: {expected:.8g}; got {got:.8g}.")
    if not math.isclose(got, expected, rel_tol=2e-6, abs_tol=1e-9):
        for text, (value, fix) in mistakes.items():
            if math.isclose(got, value, rel_tol=2e-6):
                raise Failure(f"{message} It matches {text}.", hint=fix)
        raise AssertionError(message)
    assert abs(history[0] - math.log(3)) < 0.01, (
        f"loss_history[0] should be about ln 3 = 1.0986 (small weights, uniform softmax), got {history[0]:.6g}"
    )


@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.hint("Compute train_acc from the parameters you return, after the last step.")
@pytest.mark.parametrize("n_epochs", [1, 2, 40])
def test_train_acc_is_the_accuracy_of_the_returned_params(submission, n_epochs):
    X, y = _spiral()
    P, _, acc = _train(submission, X, y, n_epochs=n_epochs)
    ours, ambiguous = _accuracy(X, y, P)
    assert abs(acc - ours) <= (ambiguous + 0.5) / len(y), (
        f"after {n_epochs} epochs the returned params classify {ours:.4f} of the training set correctly, "
        f"but train_acc is {acc:.4f}"
    )


@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.hint("Seed the initialisation's generator with `seed` (e.g. np.random.default_rng(seed)).")
def test_seed_makes_training_reproducible(submission):
    X, y = _blobs()
    a = _train(submission, X, y, hidden_size=7, n_epochs=5, seed=3)
    b = _train(submission, X, y, hidden_size=7, n_epochs=5, seed=3)
    c = _train(submission, X, y, hidden_size=7, n_epochs=5, seed=4)
    assert all(np.array_equal(a[0][k], b[0][k]) for k in KEYS) and np.array_equal(a[1], b[1]), (
        "two runs with seed=3 gave different parameters or losses"
    )
    assert not np.array_equal(a[0]["W1"], c[0]["W1"]), "seeds 3 and 4 gave the same W1"


@pytest.mark.call_timeout(TIMEOUT)
def test_unknown_optimizer_raises_value_error(submission):
    X, y = _blobs()
    with pytest.raises(StudentError) as info:
        submission.train_spiral(X, y, hidden_size=7, optimizer="adagrad", n_epochs=2)
    assert info.value.exc_type == "ValueError", (
        f"optimizer='adagrad' should raise ValueError, got {info.value.exc_type}"
    )
