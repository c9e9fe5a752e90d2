"""Correct: Python's random module for the shuffle, a boolean mask kept with
p in a dict, a preallocated numpy loss history, Adam with one t per
parameter, and the log-softmax written with the log-sum-exp trick by hand.
"""
import math
import random

import numpy as np


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    indices = list(range(len(y)))
    if shuffle:
        random.Random(seed).shuffle(indices)  # Random(None) seeds from the OS
    for i in range(0, len(indices), batch_size):
        batch = indices[i:i + batch_size]
        yield X[batch], y[batch]


def dropout_forward(x, dropout_param):
    cache = {"p": dropout_param["p"], "mode": dropout_param["mode"]}
    if dropout_param["mode"] == "test":
        return x, cache
    seed = dropout_param.get("seed")
    gen = np.random.default_rng(seed)
    keep = gen.random(x.shape) >= dropout_param["p"]
    cache["keep"] = keep
    out = np.zeros_like(x, dtype=float)
    out[keep] = x[keep] / (1 - dropout_param["p"])
    return out, cache


def dropout_backward(dout, cache):
    if cache["mode"] == "test":
        return dout
    dx = np.zeros_like(dout, dtype=float)
    dx[cache["keep"]] = dout[cache["keep"]] / (1 - cache["p"])
    return dx


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = None
        self.losses = []
        self.bad = 0

    def step(self, val_loss):
        self.losses.append(val_loss)
        is_better = val_loss < self.best - self.min_delta
        if is_better:
            self.best = val_loss
            self.best_epoch = len(self.losses) - 1
            self.bad = 0
            return False
        self.bad = self.bad + 1
        if self.bad >= self.patience:
            return True
        return False


def _log_softmax(scores):
    top = scores.max(axis=1, keepdims=True)
    return scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    if optimizer not in ("sgd", "adam"):
        raise ValueError("unknown optimizer " + str(optimizer))
    rng = np.random.default_rng(seed)
    N, D = X.shape
    K = int(y.max() + 1)
    W1 = 0.01 * rng.standard_normal((D, hidden_size))
    W2 = 0.01 * rng.standard_normal((hidden_size, K))
    params = {"W1": W1, "b1": np.zeros(hidden_size), "W2": W2, "b2": np.zeros(K)}
    adam = {name: {"m": 0.0, "v": 0.0, "t": 0} for name in params}
    loss_history = np.zeros(n_epochs)
    reg = 0.001
    for epoch in range(n_epochs):
        z1 = X.dot(params["W1"]) + params["b1"]
        a1 = np.where(z1 > 0, z1, 0.0)
        logp = _log_softmax(a1.dot(params["W2"]) + params["b2"])
        loss_history[epoch] = -logp[np.arange(N), y].mean() \
            + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
        d = np.exp(logp)
        d[np.arange(N), y] -= 1.0
        d /= N
        grads = {"W2": a1.T.dot(d) + reg * params["W2"], "b2": d.sum(axis=0)}
        dz1 = d.dot(params["W2"].T) * (z1 > 0)
        grads["W1"] = X.T.dot(dz1) + reg * params["W1"]
        grads["b1"] = dz1.sum(axis=0)
        for name, g in grads.items():
            if optimizer == "sgd":
                params[name] = params[name] - g
                continue
            s = adam[name]
            s["t"] += 1
            s["m"] = 0.9 * s["m"] + 0.1 * g
            s["v"] = 0.999 * s["v"] + 0.001 * g ** 2
            params[name] = params[name] - 0.01 * (s["m"] / (1 - 0.9 ** s["t"])) / (
                np.sqrt(s["v"] / (1 - 0.999 ** s["t"])) + 1e-8)
    a1 = np.maximum(X.dot(params["W1"]) + params["b1"], 0)
    acc = (np.argmax(a1.dot(params["W2"]) + params["b2"], axis=1) == y).mean()
    return {"params": params, "loss_history": loss_history, "train_acc": acc}
