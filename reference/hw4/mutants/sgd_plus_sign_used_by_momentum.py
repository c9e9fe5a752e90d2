"""Mutant: sgd steps uphill (w + lr*dw), and sgd_momentum takes its step with that sgd: sgd(w, v, ...).

sgd_momentum itself is right: its tests pass when run again with the reference's sgd, so the
mistake costs points in sgd only.

Must lose points in: sgd.
"""
import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w + config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + (1 - config["momentum"]) * dw
    next_w, _ = sgd(w, v, {"learning_rate": config["learning_rate"]})  # the step is sgd's, along v
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    cache = rho * cache + (1 - rho) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
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
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * config["m"] + (1 - beta1) * dw
    v = beta2 * config["v"] + (1 - beta2) * dw**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = cache + dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config


def adadelta(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("rho", 0.95)
    config.setdefault("epsilon", 1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache = config.get("cache", np.zeros_like(w))
    delta = config.get("delta", np.zeros_like(w))
    cache = rho * cache + (1 - rho) * dw**2
    dx = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    delta = rho * delta + (1 - rho) * dx**2
    config["cache"], config["delta"] = cache, delta
    return w + dx, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    beta0, beta1 = 0.0, 0.0
    losses = []
    for epoch in range(n_epochs):
        y_hat = beta0 + beta1 * x
        losses.append(np.mean((y - y_hat) ** 2))
        d_beta0 = -2 * np.mean(y - y_hat)
        d_beta1 = -2 * np.mean(x * (y - y_hat))
        beta0 = beta0 - learning_rate * d_beta0
        beta1 = beta1 - learning_rate * d_beta1
    return beta0, beta1, losses
