"""Correct: np.einsum for every product, scipy's logsumexp, objects for caches.

dropout_forward's cache is an instance of a small class (it stays in the
worker and reaches the test as a remote object, then goes back as the
argument of dropout_backward). iterate_minibatches returns a list instead of
being a generator, the mask is a boolean array scaled in the backward pass,
and the Adam state is an object per parameter.
"""
import math

import numpy as np
from scipy.special import logsumexp


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    X, y = np.asarray(X), np.asarray(y)
    n = len(y)
    order = np.arange(n)
    if shuffle:
        rng = np.random.default_rng(seed)
        rng.shuffle(order)
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, n, batch_size)]


class DropoutCache:
    def __init__(self, keep, p, train):
        self.keep = keep  # boolean mask
        self.p = p
        self.train = train


def dropout_forward(x, dropout_param):
    x = np.asarray(x, dtype=float)
    p = dropout_param["p"]
    if dropout_param["mode"] != "train":
        return x.copy(), DropoutCache(None, p, False)
    rng = np.random.default_rng(dropout_param.get("seed"))
    keep = rng.uniform(size=x.shape) > p
    return np.where(keep, x / (1.0 - p), 0.0), DropoutCache(keep, p, True)


def dropout_backward(dout, cache):
    if not cache.train:
        return np.array(dout, dtype=float)
    return np.where(cache.keep, dout / (1.0 - cache.p), 0.0)


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = None
        self.history = []

    def step(self, val_loss):
        self.history.append(val_loss)
        epoch = len(self.history) - 1
        if val_loss < self.best - self.min_delta:
            self.best, self.best_epoch = val_loss, epoch
        # bad epochs in a row: the calls since the best one
        return epoch - (self.best_epoch if self.best_epoch is not None else -1) >= self.patience


class AdamState:
    def __init__(self, shape):
        self.m = np.zeros(shape)
        self.v = np.zeros(shape)
        self.t = 0

    def update(self, w, g, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
        self.t += 1
        self.m = beta1 * self.m + (1 - beta1) * g
        self.v = beta2 * self.v + (1 - beta2) * np.square(g)
        m_hat = self.m / (1 - beta1 ** self.t)
        v_hat = self.v / (1 - beta2 ** self.t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def _scores(X, P):
    hidden = np.maximum(np.einsum("nd,dh->nh", X, P["W1"]) + P["b1"], 0.0)
    return hidden, np.einsum("nh,hk->nk", hidden, P["W2"]) + P["b2"]


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    if optimizer not in {"sgd", "adam"}:
        raise ValueError(f"unknown optimizer: {optimizer}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    n, d = X.shape
    k = y.max() + 1
    rng = np.random.default_rng(seed)
    P = {}
    P["W1"] = rng.standard_normal((d, hidden_size)) * 0.01
    P["b1"] = np.zeros(hidden_size)
    P["W2"] = rng.standard_normal((hidden_size, k)) * 0.01
    P["b2"] = np.zeros(k)
    states = {name: AdamState(w.shape) for name, w in P.items()}
    onehot = np.eye(k)[y]
    reg = 1e-3
    losses = []
    for _ in range(n_epochs):
        hidden, scores = _scores(X, P)
        log_probs = scores - logsumexp(scores, axis=1, keepdims=True)
        losses.append(-np.einsum("nk,nk->", onehot, log_probs) / n
                      + 0.5 * reg * (np.einsum("ij,ij->", P["W1"], P["W1"]) + np.einsum("ij,ij->", P["W2"], P["W2"])))
        dscores = (np.exp(log_probs) - onehot) / n
        dhidden = np.einsum("nk,hk->nh", dscores, P["W2"]) * (hidden > 0)
        grads = {
            "W1": np.einsum("nd,nh->dh", X, dhidden) + reg * P["W1"],
            "b1": np.einsum("nh->h", dhidden),
            "W2": np.einsum("nh,nk->hk", hidden, dscores) + reg * P["W2"],
            "b2": np.einsum("nk->k", dscores),
        }
        for name in P:
            if optimizer == "sgd":
                P[name] = P[name] - grads[name]
            else:
                P[name] = states[name].update(P[name], grads[name])
    _, scores = _scores(X, P)
    return {"params": P, "loss_history": losses, "train_acc": float((scores.argmax(1) == y).mean())}
