"""Corpus: classical (CS231n) momentum v = mu*v - lr*dw, w + v, instead of the course's moving average.

Written independently for this corpus, in the style of ok_setdefault.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=sgd_momentum
"""
import numpy as np


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    b0 = b1 = 0.0
    losses = []
    for _ in range(n_epochs):
        err = (b0 + b1 * x) - y
        losses.append(np.mean(err ** 2))
        g0, g1 = 2 * np.mean(err), 2 * np.mean(err * x)
        b0, b1 = b0 - learning_rate * g0, b1 - learning_rate * g1
    return b0, b1, np.array(losses)


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    mt = config["m"] / (1 - b1 ** config["t"])
    vt = config["v"] / (1 - b2 ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["cache"] + dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adadelta(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    config.setdefault("cache", np.zeros_like(w))
    config.setdefault("delta", np.zeros_like(w))
    rho, eps = config["rho"], config["epsilon"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw ** 2
    step = np.sqrt(config["delta"] + eps) / np.sqrt(config["cache"] + eps) * dw
    config["delta"] = rho * config["delta"] + (1 - rho) * step ** 2
    return w - step, config
