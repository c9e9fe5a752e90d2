"""Corpus hw4: optimizers as small classes whose state lives in the config dict (all correct).

Written independently for this corpus. Each rule is a class with
``defaults`` and a ``step``; the module-level functions required by the
assignment build the class around the caller's config, so the state survives
between calls exactly as the CS231n signature wants.
Corpus-expect: correct
"""
import numpy as np


class _Rule:
    defaults = {}
    state = ()

    def __init__(self, config):
        self.config = {} if config is None else config
        for k, val in self.defaults.items():
            if k not in self.config:
                self.config[k] = val

    def __call__(self, w, dw):
        w = np.array(w, dtype=np.float64)
        dw = np.array(dw, dtype=np.float64)
        for name in self.state:
            if name not in self.config:
                self.config[name] = 0 if name == "t" else np.zeros_like(w)
        return self.step(w, dw, self.config), self.config


class SGD(_Rule):
    defaults = {"learning_rate": 1e-2}

    def step(self, w, dw, c):
        return w - c["learning_rate"] * dw


class Momentum(_Rule):
    defaults = {"learning_rate": 1e-2, "momentum": 0.9}
    state = ("velocity",)

    def step(self, w, dw, c):
        beta = c["momentum"]
        c["velocity"] = beta * c["velocity"] + (1.0 - beta) * dw
        return w - c["learning_rate"] * c["velocity"]


class RMSprop(_Rule):
    defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
    state = ("cache",)

    def step(self, w, dw, c):
        c["cache"] = c["decay_rate"] * c["cache"] + (1.0 - c["decay_rate"]) * np.square(dw)
        return w - c["learning_rate"] * dw / (np.sqrt(c["cache"]) + c["epsilon"])


class Adam(_Rule):
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    state = ("m", "v", "t")

    def step(self, w, dw, c):
        c["t"] = c["t"] + 1
        c["m"] = c["beta1"] * c["m"] + (1.0 - c["beta1"]) * dw
        c["v"] = c["beta2"] * c["v"] + (1.0 - c["beta2"]) * np.square(dw)
        lr_t = c["learning_rate"] * np.sqrt(1.0 - c["beta2"] ** c["t"]) / (1.0 - c["beta1"] ** c["t"])
        # the same as m_hat / (sqrt(v_hat) + eps) with eps scaled by sqrt(1 - beta2**t)
        eps_t = c["epsilon"] * np.sqrt(1.0 - c["beta2"] ** c["t"])
        return w - lr_t * c["m"] / (np.sqrt(c["v"]) + eps_t)


class Adagrad(_Rule):
    defaults = {"learning_rate": 1e-2, "epsilon": 1e-8}
    state = ("cache",)

    def step(self, w, dw, c):
        c["cache"] = c["cache"] + np.square(dw)
        return w - c["learning_rate"] * dw / (np.sqrt(c["cache"]) + c["epsilon"])


class Adadelta(_Rule):
    defaults = {"rho": 0.95, "epsilon": 1e-6}
    state = ("cache", "delta")

    def step(self, w, dw, c):
        rho, eps = c["rho"], c["epsilon"]
        c["cache"] = rho * c["cache"] + (1.0 - rho) * np.square(dw)
        dx = -np.sqrt((c["delta"] + eps) / (c["cache"] + eps)) * dw
        c["delta"] = rho * c["delta"] + (1.0 - rho) * np.square(dx)
        return w + dx


def sgd(w, dw, config=None):
    return SGD(config)(w, dw)


def sgd_momentum(w, dw, config=None):
    return Momentum(config)(w, dw)


def rmsprop(w, dw, config=None):
    return RMSprop(config)(w, dw)


def adam(w, dw, config=None):
    return Adam(config)(w, dw)


def adagrad(w, dw, config=None):
    return Adagrad(config)(w, dw)


def adadelta(w, dw, config=None):
    return Adadelta(config)(w, dw)


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    X = np.column_stack([np.ones(len(x)), np.asarray(x, dtype=float)])
    beta = np.zeros(2)
    y = np.asarray(y, dtype=float)
    losses = np.zeros(n_epochs)
    for k in range(n_epochs):
        r = X @ beta - y
        losses[k] = r @ r / len(y)
        beta = beta - learning_rate * (2.0 / len(y)) * (X.T @ r)
    return float(beta[0]), float(beta[1]), losses
