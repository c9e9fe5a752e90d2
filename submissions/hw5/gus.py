"""hw5 -- Gus. train_spiral trains with mini-batches of 32 (my own idea)."""
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
    """Forward pass of inverted dropout."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "test":
        return x, (dropout_param, None)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, (dropout_param, mask)


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
        return self.wait >= self.patience


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    """Mini-batch training: each epoch is a pass over shuffled batches of 32."""
    if optimizer not in ("sgd", "adam"):
        raise ValueError(optimizer)
    N, D = X.shape
    K = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    W1 = 0.01 * rng.standard_normal((D, hidden_size))
    W2 = 0.01 * rng.standard_normal((hidden_size, K))
    P = {"W1": W1, "b1": np.zeros(hidden_size), "W2": W2, "b2": np.zeros(K)}
    reg, lr = 1e-3, (0.5 if optimizer == "sgd" else 1e-2)
    m = {k: 0.0 for k in P}
    v = {k: 0.0 for k in P}
    t = 0
    loss_history = []
    for epoch in range(n_epochs // 10):  # batches make each epoch 10 steps
        losses = []
        for Xb, yb in iterate_minibatches(X, y, 32, seed=seed * 100000 + epoch):
            n = len(yb)
            h = np.maximum(0, Xb @ P["W1"] + P["b1"])
            s = h @ P["W2"] + P["b2"]
            s = s - s.max(axis=1, keepdims=True)
            probs = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            losses.append(-np.log(probs[np.arange(n), yb]).mean()
                          + 0.5 * reg * (np.sum(P["W1"] ** 2) + np.sum(P["W2"] ** 2)))
            ds = probs
            ds[np.arange(n), yb] -= 1
            ds /= n
            dh = ds @ P["W2"].T
            dh[h <= 0] = 0
            G = {"W1": Xb.T @ dh + reg * P["W1"], "b1": dh.sum(0), "W2": h.T @ ds + reg * P["W2"], "b2": ds.sum(0)}
            t += 1
            for k in P:
                if optimizer == "sgd":
                    P[k] = P[k] - lr * G[k]
                else:
                    m[k] = 0.9 * m[k] + 0.1 * G[k]
                    v[k] = 0.999 * v[k] + 0.001 * G[k] ** 2
                    P[k] = P[k] - lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
        loss_history.append(float(np.mean(losses)))
    h = np.maximum(0, X @ P["W1"] + P["b1"])
    acc = float(np.mean((h @ P["W2"] + P["b2"]).argmax(axis=1) == y))
    return {"params": P, "loss_history": loss_history, "train_acc": acc}
