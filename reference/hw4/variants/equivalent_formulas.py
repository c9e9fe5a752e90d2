"""Correct: equivalent rearrangements of the update rules, on a copy of config (the caller's dict is
never changed), with in-place updates of the rule's own state arrays.

* momentum as v += (1 - beta) * (dw - v);
* RMSprop's cache as cache += (1 - rho) * (dw**2 - cache);
* Adam with Kingma & Ba's step size alpha_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t) and
  epsilon scaled so that the result is the same: eps_hat = eps * sqrt(1 - beta2**t);
* Adadelta's ratio under one square root: sqrt((delta + eps) / (cache + eps));
* linear regression with the design matrix X = [1, x]: grad = (2/n) X^T (X beta - y).
"""
import numpy as np


def _config(config, **defaults):
    config = dict(config or {})
    for k, v in defaults.items():
        config.setdefault(k, v)
    return config


def _state(config, key, like):
    return np.array(config[key], dtype=float) if key in config else np.zeros(np.shape(like))


def sgd(w, dw, config=None):
    config = _config(config, learning_rate=1e-2)
    next_w = np.array(w, dtype=float)
    next_w -= config["learning_rate"] * np.asarray(dw)
    return next_w, config


def sgd_momentum(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, momentum=0.9)
    v = _state(config, "velocity", w)
    v += (1 - config["momentum"]) * (dw - v)
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def rmsprop(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = _state(config, "cache", w)
    cache += (1 - config["decay_rate"]) * (np.square(dw) - cache)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = _config(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    m, v = _state(config, "m", w), _state(config, "v", w)
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * np.square(dw)
    config["m"], config["v"] = m, v
    alpha_t = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    eps_hat = config["epsilon"] * np.sqrt(1 - b2**t)
    return w - alpha_t * m / (np.sqrt(v) + eps_hat), config


def adagrad(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, epsilon=1e-8)
    cache = _state(config, "cache", w)
    np.add(cache, np.square(dw), out=cache)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = _config(config, rho=0.95, epsilon=1e-6)
    rho, eps = config["rho"], config["epsilon"]
    cache, delta = _state(config, "cache", w), _state(config, "delta", w)
    cache *= rho
    cache += (1 - rho) * np.square(dw)
    step = -np.sqrt((delta + eps) / (cache + eps)) * dw
    delta *= rho
    delta += (1 - rho) * np.square(step)
    config["cache"], config["delta"] = cache, delta
    return w + step, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    X = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    losses = np.zeros(n_epochs)
    for k in range(n_epochs):
        err = X @ beta - y
        losses[k] = err @ err / len(y)
        beta = beta - learning_rate * (2.0 / len(y)) * (X.T @ err)
    return beta[0], beta[1], losses
