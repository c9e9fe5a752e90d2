"""Corpus hw4: element-by-element loops over flat copies (all correct).

Written independently for this corpus: a student who does not trust
broadcasting and updates every parameter with a Python loop over
``np.ndindex``; the state arrays are copies updated in place.
Corpus-expect: correct
"""
import math

import numpy as np


def _cfg(config, **defaults):
    config = dict() if config is None else config
    for k in defaults:
        if k not in config:
            config[k] = defaults[k]
    return config


def _zeros(config, key, w):
    if key not in config:
        config[key] = np.zeros(np.shape(w))
    config[key] = np.array(config[key], dtype=float)  # a copy we may write into
    return config[key]


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    n = len(x)
    b0 = 0.0
    b1 = 0.0
    losses = []
    for _ in range(n_epochs):
        s0 = s1 = sq = 0.0
        for xi, yi in zip(x, y):
            r = yi - (b0 + b1 * xi)
            sq += r * r
            s0 += r
            s1 += xi * r
        losses.append(sq / n)
        g0 = -2.0 * s0 / n
        g1 = -2.0 * s1 / n
        b0 -= learning_rate * g0
        b1 -= learning_rate * g1
    return b0, b1, np.array(losses)


def sgd(w, dw, config=None):
    config = _cfg(config, learning_rate=1e-2)
    out = np.array(w, dtype=float)
    for ix in np.ndindex(out.shape):
        out[ix] -= config["learning_rate"] * dw[ix]
    return out, config


def sgd_momentum(w, dw, config=None):
    config = _cfg(config, learning_rate=1e-2, momentum=0.9)
    v = _zeros(config, "velocity", w)
    out = np.array(w, dtype=float)
    b = config["momentum"]
    for ix in np.ndindex(out.shape):
        v[ix] = b * v[ix] + (1 - b) * dw[ix]
        out[ix] -= config["learning_rate"] * v[ix]
    return out, config


def rmsprop(w, dw, config=None):
    config = _cfg(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    c = _zeros(config, "cache", w)
    out = np.array(w, dtype=float)
    rho = config["decay_rate"]
    for ix in np.ndindex(out.shape):
        c[ix] = rho * c[ix] + (1 - rho) * dw[ix] ** 2
        out[ix] -= config["learning_rate"] * dw[ix] / (math.sqrt(c[ix]) + config["epsilon"])
    return out, config


def adam(w, dw, config=None):
    config = _cfg(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    m = _zeros(config, "m", w)
    v = _zeros(config, "v", w)
    t = config.get("t", 0) + 1
    config["t"] = t
    b1, b2 = config["beta1"], config["beta2"]
    out = np.array(w, dtype=float)
    for ix in np.ndindex(out.shape):
        m[ix] = b1 * m[ix] + (1 - b1) * dw[ix]
        v[ix] = b2 * v[ix] + (1 - b2) * dw[ix] ** 2
        mh = m[ix] / (1 - b1 ** t)
        vh = v[ix] / (1 - b2 ** t)
        out[ix] -= config["learning_rate"] * mh / (math.sqrt(vh) + config["epsilon"])
    return out, config


def adagrad(w, dw, config=None):
    config = _cfg(config, learning_rate=1e-2, epsilon=1e-8)
    c = _zeros(config, "cache", w)
    out = np.array(w, dtype=float)
    for ix in np.ndindex(out.shape):
        c[ix] += dw[ix] ** 2
        out[ix] -= config["learning_rate"] * dw[ix] / (math.sqrt(c[ix]) + config["epsilon"])
    return out, config


def adadelta(w, dw, config=None):
    config = _cfg(config, rho=0.95, epsilon=1e-6)
    c = _zeros(config, "cache", w)
    d = _zeros(config, "delta", w)
    rho, eps = config["rho"], config["epsilon"]
    out = np.array(w, dtype=float)
    for ix in np.ndindex(out.shape):
        c[ix] = rho * c[ix] + (1 - rho) * dw[ix] ** 2
        step = math.sqrt(d[ix] + eps) / math.sqrt(c[ix] + eps) * dw[ix]
        d[ix] = rho * d[ix] + (1 - rho) * step ** 2
        out[ix] -= step
    return out, config
