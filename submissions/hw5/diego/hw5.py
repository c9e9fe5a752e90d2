"""hw5 -- Diego."""
import math

import numpy as np


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    """Yield the mini-batches (Xb, yb) of one epoch."""
    n = len(X)
    idx = np.arange(n)
    if shuffle:
        idx = np.random.default_rng(seed).permutation(n)
    for start in range(0, n, batch_size):
        batch = idx[start:start + batch_size]
        yield X[batch], y[batch]


def dropout_forward(x, dropout_param):
    """Forward pass of inverted dropout (as in CS231n)."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout."""
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout
    return dout * mask


class EarlyStopping:
    """Stop training when the validation loss stops improving."""

    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = None
        self.wait = 0
        self.epoch = 0

    def step(self, val_loss):
        """Record one epoch's validation loss; return True when training should stop."""
        if val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.best_epoch = self.epoch
            self.wait = 0
        else:
            self.wait += 1
        self.epoch += 1
        return self.wait > self.patience


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    """Train the 2-layer net (affine -> ReLU -> affine -> softmax) by full-batch steps."""
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"unknown optimizer {optimizer!r}")
    N, D = X.shape
    K = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    params = {"W1": 0.01 * rng.standard_normal((D, hidden_size)), "b1": np.zeros(hidden_size),
              "W2": 0.01 * rng.standard_normal((hidden_size, K)), "b2": np.zeros(K)}
    reg = 1e-3
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(w) for k, w in params.items()}
    loss_history = []
    for t in range(1, n_epochs + 1):
        # forward
        h = np.maximum(0, X @ params["W1"] + params["b1"])
        scores = h @ params["W2"] + params["b2"]
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        data_loss = -np.log(probs[np.arange(N), y]).mean()
        reg_loss = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
        loss_history.append(data_loss + reg_loss)
        # backward
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {"W2": h.T @ dscores + reg * params["W2"], "b2": dscores.sum(axis=0)}
        dh = dscores @ params["W2"].T
        dh[h <= 0] = 0
        grads["W1"] = X.T @ dh + reg * params["W1"]
        grads["b1"] = dh.sum(axis=0)
        # update
        for k in params:
            if optimizer == "sgd":
                params[k] -= 1.0 * grads[k]
            else:
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                m_hat = m[k] / (1 - 0.9 ** t)
                v_hat = v[k] / (1 - 0.999 ** t)
                params[k] -= 1e-2 * m_hat / (np.sqrt(v_hat) + 1e-8)
    h = np.maximum(0, X @ params["W1"] + params["b1"])
    train_acc = np.mean(np.argmax(h @ params["W2"] + params["b2"], axis=1) == y)
    return {"params": params, "loss_history": loss_history, "train_acc": train_acc}
