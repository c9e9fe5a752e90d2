"""Homework 4, Divya: everything in torch (float64)."""
import torch


def _t(a):
    return torch.as_tensor(a, dtype=torch.float64)


def _config(config, **defaults):
    return {**defaults, **(config or {})}


def sgd(w, dw, config=None):
    config = _config(config, learning_rate=1e-2)
    return _t(w) - config["learning_rate"] * _t(dw), config


def sgd_momentum(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, momentum=0.9)
    g = _t(dw)
    v = _t(config.get("velocity", torch.zeros_like(g)))
    v = torch.lerp(g, v, config["momentum"])  # g + beta*(v - g) = beta*v + (1 - beta)*g
    config["velocity"] = v
    return _t(w) - config["learning_rate"] * v, config


def rmsprop(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    g, rho = _t(dw), config["decay_rate"]
    cache = _t(config.get("cache", torch.zeros_like(g))) * rho + (1 - rho) * g.square()
    config["cache"] = cache
    return torch.addcdiv(_t(w), g, cache.sqrt() + config["epsilon"], value=-config["learning_rate"]), config


def adam(w, dw, config=None):
    config = _config(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    g, b1, b2 = _t(dw), config["beta1"], config["beta2"]
    config["t"] = t = int(config["t"]) + 1
    m = b1 * _t(config.get("m", torch.zeros_like(g))) + (1 - b1) * g
    v = b2 * _t(config.get("v", torch.zeros_like(g))) + (1 - b2) * g * g
    config["m"], config["v"] = m, v
    # torch.optim.Adam's arrangement: lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
    denom = v.sqrt() / (1 - b2**t) ** 0.5 + config["epsilon"]
    return _t(w) - config["learning_rate"] / (1 - b1**t) * m / denom, config


def adagrad(w, dw, config=None):
    config = _config(config, learning_rate=1e-2, epsilon=1e-8)
    g = _t(dw)
    cache = _t(config.get("cache", torch.zeros_like(g))) + g * g
    config["cache"] = cache
    return _t(w) - config["learning_rate"] * g / (torch.sqrt(cache) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = _config(config, rho=0.95, epsilon=1e-6)
    g, rho, eps = _t(dw), config["rho"], config["epsilon"]
    cache = rho * _t(config.get("cache", torch.zeros_like(g))) + (1 - rho) * g * g
    delta = _t(config.get("delta", torch.zeros_like(g)))
    dx = -torch.sqrt(delta + eps) / torch.sqrt(cache + eps) * g
    config["cache"], config["delta"] = cache, rho * delta + (1 - rho) * dx * dx
    return _t(w) + dx, config


def linear_regression_gd(x, y, learning_rate=0.01, n_epochs=1000):
    x, y = _t(x), _t(y)
    beta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(n_epochs):
        loss = torch.mean((y - (beta[0] + beta[1] * x)) ** 2)
        (grad,) = torch.autograd.grad(loss, beta)
        losses.append(loss.item())
        with torch.no_grad():
            beta -= learning_rate * grad
    return beta[0].item(), beta[1].item(), torch.tensor(losses)
