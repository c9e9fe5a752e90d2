"""Mutant: the mask is applied in test mode too (mode ignored in forward and backward).

dropout_backward is judged against the student's own forward pass: this one's dx = dout *
mask is the right gradient of a forward pass that applied that mask, so the mistake is
charged in "dropout" only.

Must lose points in: dropout.
"""
import math

import numpy as np


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    X = np.asarray(X)
    y = np.asarray(y)
    n = X.shape[0]
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = None
        self.bad_epochs = 0
        self.epoch = -1

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.best_epoch = self.epoch
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


REG = 1e-3


def _loss_grads(X, y, P):
    n = X.shape[0]
    h = np.maximum(0, X @ P["W1"] + P["b1"])
    scores = h @ P["W2"] + P["b2"]
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y])) + 0.5 * REG * (np.sum(P["W1"] ** 2) + np.sum(P["W2"] ** 2))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dh = dscores @ P["W2"].T
    dh[h <= 0] = 0
    grads = {
        "W1": X.T @ dh + REG * P["W1"],
        "b1": dh.sum(axis=0),
        "W2": h.T @ dscores + REG * P["W2"],
        "b2": dscores.sum(axis=0),
    }
    return loss, grads


def _accuracy(X, y, P):
    h = np.maximum(0, X @ P["W1"] + P["b1"])
    return float(np.mean(np.argmax(h @ P["W2"] + P["b2"], axis=1) == y))


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"unknown optimizer {optimizer!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=int)
    D, H, K = X.shape[1], hidden_size, int(y.max()) + 1
    rng = np.random.default_rng(seed)
    P = {"W1": 0.01 * rng.standard_normal((D, H)), "b1": np.zeros(H),
         "W2": 0.01 * rng.standard_normal((H, K)), "b2": np.zeros(K)}
    m = {k: np.zeros_like(v) for k, v in P.items()}
    v = {k: np.zeros_like(w) for k, w in P.items()}
    t = 0
    loss_history = []
    for epoch in range(n_epochs):
        loss, grads = _loss_grads(X, y, P)
        loss_history.append(loss)
        if optimizer == "sgd":
            for k in P:
                P[k] = P[k] - 1.0 * grads[k]
        else:
            t += 1
            for k in P:
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                m_hat = m[k] / (1 - 0.9 ** t)
                v_hat = v[k] / (1 - 0.999 ** t)
                P[k] = P[k] - 1e-2 * m_hat / (np.sqrt(v_hat) + 1e-8)
    return {"params": P, "loss_history": loss_history, "train_acc": _accuracy(X, y, P)}
