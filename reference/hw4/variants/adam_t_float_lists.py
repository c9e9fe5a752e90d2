"""Correct: a beginner's style that still follows the spec: state stored as Python lists
(plain data), t kept as a float, every rule written out without helpers, copies instead of views."""
import numpy as np


def sgd(w, dw, config=None):
    if not config:
        config = {}
    lr = config.get("learning_rate", 0.01)
    config["learning_rate"] = lr
    new_w = w.copy()
    new_w = new_w - lr * dw
    return new_w, config


def sgd_momentum(w, dw, config=None):
    if not config:
        config = {}
    lr = config.get("learning_rate", 0.01)
    beta = config.get("momentum", 0.9)
    velocity = np.array(config.get("velocity", np.zeros(w.shape)))
    velocity = beta * velocity + (1 - beta) * dw
    config.update({"learning_rate": lr, "momentum": beta, "velocity": velocity.tolist()})
    return w - lr * velocity, config


def rmsprop(w, dw, config=None):
    if not config:
        config = {}
    lr = config.get("learning_rate", 0.01)
    rho = config.get("decay_rate", 0.99)
    eps = config.get("epsilon", 1e-8)
    cache = np.array(config.get("cache", np.zeros(w.shape)))
    cache = rho * cache + (1 - rho) * dw * dw
    config.update({"learning_rate": lr, "decay_rate": rho, "epsilon": eps, "cache": cache.tolist()})
    return w - lr * dw / (np.sqrt(cache) + eps), config


def adam(w, dw, config=None):
    if not config:
        config = {}
    lr = config.get("learning_rate", 0.001)
    beta1 = config.get("beta1", 0.9)
    beta2 = config.get("beta2", 0.999)
    eps = config.get("epsilon", 1e-8)
    m = np.array(config.get("m", np.zeros(w.shape)))
    v = np.array(config.get("v", np.zeros(w.shape)))
    t = float(config.get("t", 0)) + 1.0
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    m_corrected = m / (1 - beta1**t)
    v_corrected = v / (1 - beta2**t)
    new_w = w - lr * m_corrected / (np.sqrt(v_corrected) + eps)
    config.update({"learning_rate": lr, "beta1": beta1, "beta2": beta2, "epsilon": eps,
                   "m": m.tolist(), "v": v.tolist(), "t": t})
    return new_w, config


def adagrad(w, dw, config=None):
    if not config:
        config = {}
    lr = config.get("learning_rate", 0.01)
    eps = config.get("epsilon", 1e-8)
    cache = np.array(config.get("cache", np.zeros(w.shape)))
    cache = cache + dw * dw
    config.update({"learning_rate": lr, "epsilon": eps, "cache": cache.tolist()})
    return w - lr * dw / (np.sqrt(cache) + eps), config


def adadelta(w, dw, config=None):
    if not config:
        config = {}
    rho = config.get("rho", 0.95)
    eps = config.get("epsilon", 1e-6)
    Eg2 = np.array(config.get("cache", np.zeros(w.shape)))
    Edx2 = np.array(config.get("delta", np.zeros(w.shape)))
    Eg2 = rho * Eg2 + (1 - rho) * dw * dw
    dx = -(np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps)) * dw
    Edx2 = rho * Edx2 + (1 - rho) * dx * dx
    config.update({"rho": rho, "epsilon": eps, "cache": Eg2.tolist(), "delta": Edx2.tolist()})
    return w + dx, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    b0 = 0
    b1 = 0
    n = len(x)
    losses = []
    for i in range(n_epochs):
        pred = b0 + b1 * x
        error = y - pred
        loss = (error**2).sum() / n
        losses.append(loss)
        grad_b0 = (-2 / n) * error.sum()
        grad_b1 = (-2 / n) * (x * error).sum()
        b0 = b0 - learning_rate * grad_b0
        b1 = b1 - learning_rate * grad_b1
    return b0, b1, np.array(losses)
