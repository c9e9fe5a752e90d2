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
"""

import math

import numpy as np
import pytest
import torch

from grader.remote import StudentError
from grader.testing import as_numeric

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
    assert isinstance(result, dict), f"train_spiral must return a dict, got {type(result).__name__}"
    missing = {"params", "loss_history", "train_acc"} - set(result)
    assert not missing, f"train_spiral's dict lacks the keys {sorted(missing)}"
    params = result["params"]
    assert isinstance(params, dict) and set(KEYS) <= set(params), (
        f"result['params'] must be a dict with the keys W1, b1, W2, b2, got {params!r:.200}"
    )
    P = {k: as_numeric(params[k], f"params[{k!r}]").astype(np.float64) for k in KEYS}
    history = as_numeric(result["loss_history"], "loss_history").astype(np.float64).reshape(-1)
    acc = as_numeric(result["train_acc"], "train_acc")
    assert acc.size == 1, f"train_acc should be one number, got shape {acc.shape}"
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
    hint = next((text for text, alt in alternatives.items() if all(_close(actual[j], alt[j], scale) for j in KEYS)), "")
    i = np.unravel_index(np.argmax(np.abs(actual[k] - expected[k])), expected[k].shape)
    raise AssertionError(
        f"{what}: the update of {', '.join(bad)} is wrong; e.g. {k}{list(i)} moved by {actual[k][i]:.6g}, "
        f"expected {expected[k][i]:.6g}." + (f" It matches {hint}." if hint else "")
    )


def _sgd_alternatives(X, y, P):
    """Updates a known mistake would make from P."""
    _, g0 = _loss_and_grads(X, y, P, reg=0.0)
    n = X.shape[0]
    w = {k: (P[k] if k.startswith("W") else 0.0) for k in KEYS}
    return {
        "a gradient without the L2 term reg * W": {k: -SGD_LR * g0[k] for k in KEYS},
        "an L2 gradient of 0.5 * reg * W (the derivative of 0.5 * reg * W^2 is reg * W)":
            {k: -SGD_LR * (g0[k] + 0.5 * REG * w[k]) for k in KEYS},
        "dscores not divided by N": {k: -SGD_LR * (n * g0[k] + REG * w[k]) for k in KEYS},
        "an L2 term on the biases too (only W1 and W2 are regularised)":
            {k: -SGD_LR * (g0[k] + REG * P[k]) for k in KEYS},
        "a step of learning rate 1e-2 (this assignment's SGD uses the lecture's step size 1.0)":
            {k: -1e-2 * (g0[k] + REG * w[k]) for k in KEYS},
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


@pytest.mark.points(2)
@pytest.mark.call_timeout(TIMEOUT)
@pytest.mark.hint("Initialise W1, W2 with 0.01 * standard normal draws and b1, b2 with zeros, as in the lecture.")
def test_zero_epochs_return_the_initialisation(submission):
    X, y = _spiral()
    P, history, acc = _train(submission, X, y, n_epochs=0)
    assert history.size == 0, f"with n_epochs=0 the loss history should be empty, got {history.size} entries"
    w = np.concatenate([P["W1"].ravel(), P["W2"].ravel()])
    assert 0.008 <= w.std() <= 0.012 and abs(w.mean()) < 0.003, (
        f"W1 and W2 should start as 0.01 * randn: their std should be about 0.01, got {w.std():.4g} "
        f"(mean {w.mean():.3g})"
    )
    assert np.all(P["b1"] == 0) and np.all(P["b2"] == 0), "b1 and b2 should start at zero"
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
            "Adam without bias correction": {j: -ADAM_LR * m[j] / (np.sqrt(v[j]) + EPS) for j in KEYS},
            "an Adam whose m and v restart at zero every epoch":
                {j: -ADAM_LR * g[j] / (np.abs(g[j]) + EPS) for j in KEYS},
            "a plain gradient step (optimizer='adam' is ignored)": {j: -SGD_LR * g[j] for j in KEYS},
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
    mistakes = {
        "the loss without the L2 penalty 0.5 * reg * (sum W1^2 + sum W2^2)": data_only,
        "an L2 penalty of reg * sum W^2 (the lecture's is 0.5 * reg * sum W^2)": 2 * expected - data_only,
        "the loss after the update (record the loss of the epoch's forward pass, before the step)":
            _loss_and_grads(X, y, p_next)[0],
    }
    got = float(history[k])
    hint = next((text for text, value in mistakes.items() if math.isclose(got, value, rel_tol=2e-6)), "")
    assert math.isclose(got, expected, rel_tol=2e-6, abs_tol=1e-9), (
        f"loss_history[{k}] should be the loss (cross-entropy + 0.5 * reg * (sum W1^2 + sum W2^2)) at the "
        f"parameters before step {k}: {expected:.8g}; got {got:.8g}." + (f" It matches {hint}." if hint else "")
    )
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
