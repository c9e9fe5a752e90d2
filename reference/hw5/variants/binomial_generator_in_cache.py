"""Correct: rng.binomial masks, a Generator kept in the cache, np.array_split at
the right places, scipy.special.softmax, and the layers as small functions.

The cache is a tuple that holds a numpy Generator next to plain data: the
tuple reaches the test as a tuple whose Generator is a remote object.
"""
import numpy as np
from scipy.special import softmax


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    n = X.shape[0]
    idx = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    # split points batch_size, 2*batch_size, ...: consecutive slices, the last one shorter
    for part in np.array_split(idx, np.arange(batch_size, n, batch_size)):
        if len(part):
            yield X[part], y[part]


def dropout_forward(x, dropout_param):
    p = float(dropout_param["p"])
    mode = dropout_param["mode"]
    rng = np.random.default_rng(dropout_param["seed"] if "seed" in dropout_param else None)
    if mode == "test":
        return np.asarray(x), (mode, p, None, rng)
    keep = rng.binomial(1, 1.0 - p, size=np.shape(x))
    return x * keep / (1.0 - p), (mode, p, keep, rng)


def dropout_backward(dout, cache):
    mode, p, keep, _rng = cache
    if mode == "test":
        return dout
    return dout * keep / (1.0 - p)


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch = float("inf"), None
        self.wait, self.calls = 0, 0

    def step(self, val_loss):
        improved = bool(val_loss < self.best - self.min_delta)
        if improved:
            self.best, self.best_epoch, self.wait = float(val_loss), self.calls, 0
        else:
            self.wait += 1
        self.calls += 1
        return self.wait >= self.patience


def affine_relu_forward(x, w, b):
    a = x @ w + b
    return np.maximum(a, 0), a


def net(X, y, params, reg):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    h, a = affine_relu_forward(X, W1, b1)
    probs = softmax(h @ W2 + b2, axis=1)
    n = len(y)
    loss = -np.log(probs[range(n), y]).sum() / n + reg / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    dscores = probs
    dscores[range(n), y] -= 1
    dscores = dscores / n
    dh = dscores @ W2.T
    da = dh * (a > 0)
    grads = dict(W1=X.T @ da + reg * W1, b1=da.sum(0), W2=h.T @ dscores + reg * W2, b2=dscores.sum(0))
    return loss, grads


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    rng = np.random.default_rng(seed)
    D = X.shape[1]
    K = int(np.max(y)) + 1
    params = dict(W1=0.01 * rng.standard_normal((D, hidden_size)), b1=np.zeros(hidden_size),
                  W2=0.01 * rng.standard_normal((hidden_size, K)), b2=np.zeros(K))
    if optimizer == "sgd":
        def update(name, w, g, t):
            return w - 1.0 * g
    elif optimizer == "adam":
        moments = {name: [np.zeros_like(w), np.zeros_like(w)] for name, w in params.items()}

        def update(name, w, g, t):
            mv = moments[name]
            mv[0] = 0.9 * mv[0] + 0.1 * g
            mv[1] = 0.999 * mv[1] + 0.001 * g * g
            return w - 0.01 * (mv[0] / (1 - 0.9 ** t)) / (np.sqrt(mv[1] / (1 - 0.999 ** t)) + 1e-8)
    else:
        raise ValueError("optimizer: 'sgd' or 'adam'")
    history = []
    for t in range(1, n_epochs + 1):
        loss, grads = net(X, y, params, 1e-3)
        history.append(loss)
        params = {name: update(name, w, grads[name], t) for name, w in params.items()}
    scores = affine_relu_forward(X, params["W1"], params["b1"])[0] @ params["W2"] + params["b2"]
    return {"params": params, "loss_history": history, "train_acc": np.mean(scores.argmax(axis=1) == y)}
