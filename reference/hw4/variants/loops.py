"""Correct: element by element with Python loops and the math module; plain floats for linear regression."""
import math

import numpy as np


def _defaults(config, defaults):
    if config is None:
        config = {}
    for key in defaults:
        if key not in config:
            config[key] = defaults[key]
    return config


def _map(fn, *arrays):
    """Apply fn element-wise to equally shaped arrays; returns one array per output of fn."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    shape = arrays[0].shape
    outs = None
    for idx in np.ndindex(*shape):
        res = fn(*[float(a[idx]) for a in arrays])
        res = res if isinstance(res, tuple) else (res,)
        if outs is None:
            outs = [np.empty(shape) for _ in res]
        for o, r in zip(outs, res):
            o[idx] = r
    if outs is None:  # empty arrays
        outs = [np.empty(shape) for _ in range(4)]
    return outs


def sgd(w, dw, config=None):
    config = _defaults(config, {"learning_rate": 1e-2})
    lr = config["learning_rate"]
    (next_w,) = _map(lambda wi, gi: wi - lr * gi, w, dw)
    return next_w, config


def sgd_momentum(w, dw, config=None):
    config = _defaults(config, {"learning_rate": 1e-2, "momentum": 0.9})
    lr, beta = config["learning_rate"], config["momentum"]
    v0 = config["velocity"] if "velocity" in config else np.zeros(np.shape(w))

    def one(wi, gi, vi):
        vi = beta * vi + (1 - beta) * gi
        return wi - lr * vi, vi

    next_w, config["velocity"] = _map(one, w, dw, v0)[:2]
    return next_w, config


def rmsprop(w, dw, config=None):
    config = _defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    lr, rho, eps = config["learning_rate"], config["decay_rate"], config["epsilon"]
    c0 = config["cache"] if "cache" in config else np.zeros(np.shape(w))

    def one(wi, gi, ci):
        ci = rho * ci + (1 - rho) * gi * gi
        return wi - lr * gi / (math.sqrt(ci) + eps), ci

    next_w, config["cache"] = _map(one, w, dw, c0)[:2]
    return next_w, config


def adam(w, dw, config=None):
    config = _defaults(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    lr, b1, b2, eps = config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"]
    t = config.get("t", 0) + 1
    m0 = config["m"] if "m" in config else np.zeros(np.shape(w))
    v0 = config["v"] if "v" in config else np.zeros(np.shape(w))

    def one(wi, gi, mi, vi):
        mi = b1 * mi + (1 - b1) * gi
        vi = b2 * vi + (1 - b2) * gi * gi
        m_hat = mi / (1 - b1**t)
        v_hat = vi / (1 - b2**t)
        return wi - lr * m_hat / (math.sqrt(v_hat) + eps), mi, vi

    next_w, config["m"], config["v"] = _map(one, w, dw, m0, v0)[:3]
    config["t"] = t
    return next_w, config


def adagrad(w, dw, config=None):
    config = _defaults(config, {"learning_rate": 1e-2, "epsilon": 1e-8})
    lr, eps = config["learning_rate"], config["epsilon"]
    c0 = config["cache"] if "cache" in config else np.zeros(np.shape(w))

    def one(wi, gi, ci):
        ci = ci + gi**2
        return wi - lr * gi / (math.sqrt(ci) + eps), ci

    next_w, config["cache"] = _map(one, w, dw, c0)[:2]
    return next_w, config


def adadelta(w, dw, config=None):
    config = _defaults(config, {"rho": 0.95, "epsilon": 1e-6})
    rho, eps = config["rho"], config["epsilon"]
    c0 = config["cache"] if "cache" in config else np.zeros(np.shape(w))
    d0 = config["delta"] if "delta" in config else np.zeros(np.shape(w))

    def one(wi, gi, ci, di):
        ci = rho * ci + (1 - rho) * gi * gi
        dx = -math.sqrt(di + eps) / math.sqrt(ci + eps) * gi
        di = rho * di + (1 - rho) * dx * dx
        return wi + dx, ci, di

    next_w, config["cache"], config["delta"] = _map(one, w, dw, c0, d0)[:3]
    return next_w, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    xs, ys = [float(v) for v in x], [float(v) for v in y]
    n = len(xs)
    beta0 = beta1 = 0.0
    losses = []
    for _ in range(n_epochs):
        sq = g0 = g1 = 0.0
        for xi, yi in zip(xs, ys):
            r = yi - (beta0 + beta1 * xi)
            sq += r * r
            g0 += r
            g1 += xi * r
        losses.append(sq / n)
        beta0, beta1 = beta0 + learning_rate * 2 * g0 / n, beta1 + learning_rate * 2 * g1 / n
    return beta0, beta1, losses
