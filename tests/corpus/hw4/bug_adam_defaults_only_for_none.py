"""Corpus: Adam that fills in its defaults only when config is None (a config with only a learning rate raises KeyError).

Written independently for this corpus, in the style of ok_inplace_copies.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=adam
"""
import numpy as np

_DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "adadelta": {"rho": 0.95, "epsilon": 1e-6},
}


def _setup(name, config):
    if config is None:
        config = {}
    merged = {**_DEFAULTS[name], **config}
    config.update(merged)
    return config


def _state(config, key, like):
    arr = np.array(config[key], dtype=np.float64) if key in config else np.zeros(np.shape(like))
    return arr


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x = np.array(x, dtype=np.float64)
    y = np.array(y, dtype=np.float64)
    params = np.zeros(2)
    losses = np.empty(n_epochs)
    resid = np.empty_like(y)
    for e in range(n_epochs):
        np.multiply(x, params[1], out=resid)
        resid += params[0]
        np.subtract(y, resid, out=resid)
        losses[e] = np.dot(resid, resid) / y.size
        grad = np.array([-2.0 * resid.mean(), -2.0 * (x * resid).mean()])
        params -= learning_rate * grad
    return float(params[0]), float(params[1]), losses


def sgd(w, dw, config=None):
    config = _setup("sgd", config)
    out = np.array(w, dtype=np.float64, copy=True)
    out -= config["learning_rate"] * np.asarray(dw)
    return out, config


def sgd_momentum(w, dw, config=None):
    config = _setup("sgd_momentum", config)
    v = _state(config, "velocity", w)
    v *= config["momentum"]
    v += (1.0 - config["momentum"]) * np.asarray(dw)
    out = np.array(w, dtype=np.float64, copy=True)
    out -= config["learning_rate"] * v
    config["velocity"] = v
    return out, config


def rmsprop(w, dw, config=None):
    config = _setup("rmsprop", config)
    g = np.asarray(dw, dtype=np.float64)
    cache = _state(config, "cache", w)
    cache *= config["decay_rate"]
    cache += (1.0 - config["decay_rate"]) * g * g
    denom = np.sqrt(cache)
    denom += config["epsilon"]
    out = np.array(w, dtype=np.float64, copy=True)
    out -= config["learning_rate"] * g / denom
    config["cache"] = cache
    return out, config


def adam(w, dw, config=None):
    if config is None:
        config = dict(_DEFAULTS["adam"])
    g = np.asarray(dw, dtype=np.float64)
    m, v = _state(config, "m", w), _state(config, "v", w)
    t = int(config.get("t", 0)) + 1
    m *= config["beta1"]
    m += (1.0 - config["beta1"]) * g
    v *= config["beta2"]
    v += (1.0 - config["beta2"]) * g ** 2
    denom = np.sqrt(v / (1.0 - config["beta2"] ** t))
    denom += config["epsilon"]
    out = np.array(w, dtype=np.float64, copy=True)
    out -= config["learning_rate"] * (m / (1.0 - config["beta1"] ** t)) / denom
    config["m"], config["v"], config["t"] = m, v, t
    return out, config


def adagrad(w, dw, config=None):
    config = _setup("adagrad", config)
    g = np.asarray(dw, dtype=np.float64)
    cache = _state(config, "cache", w)
    cache += g ** 2
    out = np.array(w, dtype=np.float64, copy=True)
    out -= config["learning_rate"] * g / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return out, config


def adadelta(w, dw, config=None):
    config = _setup("adadelta", config)
    g = np.asarray(dw, dtype=np.float64)
    rho, eps = config["rho"], config["epsilon"]
    cache, delta = _state(config, "cache", w), _state(config, "delta", w)
    cache *= rho
    cache += (1.0 - rho) * g ** 2
    step = np.sqrt(delta + eps) / np.sqrt(cache + eps) * g
    delta *= rho
    delta += (1.0 - rho) * step ** 2
    out = np.array(w, dtype=np.float64, copy=True)
    out -= step
    config["cache"], config["delta"] = cache, delta
    return out, config
