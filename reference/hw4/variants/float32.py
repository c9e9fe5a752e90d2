"""Correct: everything computed and stored in float32 (within the tests' tolerance)."""
import numpy as np

F = np.float32


def _f(a):
    return np.asarray(a, dtype=F)


def _fill(config, **defaults):
    config = {} if config is None else config
    for k, v in defaults.items():
        config.setdefault(k, v)
    return config


def sgd(w, dw, config=None):
    config = _fill(config, learning_rate=1e-2)
    return _f(w) - F(config["learning_rate"]) * _f(dw), config


def sgd_momentum(w, dw, config=None):
    config = _fill(config, learning_rate=1e-2, momentum=0.9)
    beta = F(config["momentum"])
    v = _f(config.get("velocity", np.zeros(np.shape(w), F)))
    v = beta * v + (F(1) - beta) * _f(dw)
    config["velocity"] = v
    return _f(w) - F(config["learning_rate"]) * v, config


def rmsprop(w, dw, config=None):
    config = _fill(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho, dw = F(config["decay_rate"]), _f(dw)
    cache = rho * _f(config.get("cache", np.zeros(dw.shape, F))) + (F(1) - rho) * dw * dw
    config["cache"] = cache
    return _f(w) - F(config["learning_rate"]) * dw / (np.sqrt(cache) + F(config["epsilon"])), config


def adam(w, dw, config=None):
    config = _fill(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2, dw = F(config["beta1"]), F(config["beta2"]), _f(dw)
    t = int(config.get("t", 0)) + 1
    m = b1 * _f(config.get("m", np.zeros(dw.shape, F))) + (F(1) - b1) * dw
    v = b2 * _f(config.get("v", np.zeros(dw.shape, F))) + (F(1) - b2) * dw * dw
    m_hat = m / (F(1) - b1**t)
    v_hat = v / (F(1) - b2**t)
    config.update(m=m, v=v, t=t)
    return _f(w) - F(config["learning_rate"]) * m_hat / (np.sqrt(v_hat) + F(config["epsilon"])), config


def adagrad(w, dw, config=None):
    config = _fill(config, learning_rate=1e-2, epsilon=1e-8)
    dw = _f(dw)
    cache = _f(config.get("cache", np.zeros(dw.shape, F))) + dw * dw
    config["cache"] = cache
    return _f(w) - F(config["learning_rate"]) * dw / (np.sqrt(cache) + F(config["epsilon"])), config


def adadelta(w, dw, config=None):
    config = _fill(config, rho=0.95, epsilon=1e-6)
    rho, eps, dw = F(config["rho"]), F(config["epsilon"]), _f(dw)
    cache = rho * _f(config.get("cache", np.zeros(dw.shape, F))) + (F(1) - rho) * dw * dw
    delta = _f(config.get("delta", np.zeros(dw.shape, F)))
    dx = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    config["cache"], config["delta"] = cache, rho * delta + (F(1) - rho) * dx * dx
    return _f(w) + dx, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x, y, lr = _f(x), _f(y), F(learning_rate)
    b0, b1 = F(0), F(0)
    losses = np.zeros(n_epochs, F)
    for k in range(n_epochs):
        r = y - (b0 + b1 * x)
        losses[k] = np.mean(r * r)
        g0, g1 = F(-2) * np.mean(r), F(-2) * np.mean(x * r)
        b0, b1 = b0 - lr * g0, b1 - lr * g1
    return b0, b1, losses
