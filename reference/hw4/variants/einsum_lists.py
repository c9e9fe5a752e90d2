"""Correct: np.einsum for every sum, explicit `if key not in config` defaults, losses as a list of
Python floats, and state kept in a helper dict that lives inside config."""
import numpy as np

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "adadelta": {"rho": 0.95, "epsilon": 1e-6},
}


def _prepare(name, config, w, *state):
    if config is None:
        config = {}
    for key, value in DEFAULTS[name].items():
        if key not in config:
            config[key] = value
    for key in state:
        if key not in config:
            config[key] = np.zeros_like(w, dtype=float)
    return config


def sgd(w, dw, config=None):
    config = _prepare("sgd", config, w)
    return np.subtract(w, np.multiply(config["learning_rate"], dw)), config


def sgd_momentum(w, dw, config=None):
    config = _prepare("sgd_momentum", config, w, "velocity")
    mu = config["momentum"]
    config["velocity"] = np.add(np.multiply(mu, config["velocity"]), np.multiply(1.0 - mu, dw))
    return np.subtract(w, np.multiply(config["learning_rate"], config["velocity"])), config


def rmsprop(w, dw, config=None):
    config = _prepare("rmsprop", config, w, "cache")
    dr = config["decay_rate"]
    config["cache"] = dr * config["cache"] + (1.0 - dr) * np.power(dw, 2)
    return w - config["learning_rate"] * np.divide(dw, np.sqrt(config["cache"]) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = _prepare("adam", config, w, "m", "v")
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    config["m"] = config["beta1"] * config["m"] + (1.0 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1.0 - config["beta2"]) * np.power(dw, 2)
    mt = config["m"] / (1.0 - np.power(config["beta1"], t))
    vt = config["v"] / (1.0 - np.power(config["beta2"], t))
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def adagrad(w, dw, config=None):
    config = _prepare("adagrad", config, w, "cache")
    config["cache"] = config["cache"] + np.power(dw, 2)
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = _prepare("adadelta", config, w, "cache", "delta")
    rho, eps = config["rho"], config["epsilon"]
    config["cache"] = rho * config["cache"] + (1.0 - rho) * np.power(dw, 2)
    rms_dx = np.sqrt(config["delta"] + eps)
    rms_g = np.sqrt(config["cache"] + eps)
    dx = -(rms_dx / rms_g) * dw
    config["delta"] = rho * config["delta"] + (1.0 - rho) * np.power(dx, 2)
    return w + dx, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.shape[0]
    beta0 = np.float64(0.0)
    beta1 = np.float64(0.0)
    losses = []
    for _ in range(n_epochs):
        r = y - beta0 - beta1 * x
        losses.append(float(np.einsum("i,i->", r, r) / n))
        grad0 = -2.0 * np.einsum("i->", r) / n
        grad1 = -2.0 * np.einsum("i,i->", x, r) / n
        beta0, beta1 = beta0 - learning_rate * grad0, beta1 - learning_rate * grad1
    return beta0, beta1, losses
