# HW1 - Priya. I used PyTorch and return tensors; the grader turns them into arrays.
import numpy as np
import torch
import torch.nn.functional as F


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def sigmoid(z):
    return torch.sigmoid(_t(z))


def tanh(z):
    return torch.tanh(_t(z))


def relu(z):
    return F.relu(_t(z))


def leaky_relu(z, alpha=0.01):
    return F.leaky_relu(_t(z), alpha)


def sigmoid_grad(z):
    s = torch.sigmoid(_t(z))
    return s * (1 - s)


def tanh_grad(z):
    return 1 - torch.tanh(_t(z)) ** 2


def relu_grad(z):
    return (_t(z) > 0).double()


def leaky_relu_grad(z, alpha=0.01):
    z = _t(z)
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, alpha))


def neuron(x, w, b, activation="sigmoid"):
    z = _t(x) @ _t(w) + b
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
            "leaky_relu": F.leaky_relu, "linear": lambda t: t}
    if activation not in acts:
        raise ValueError(activation)
    return acts[activation](z)


def affine_forward(x, w, b):
    out = torch.flatten(_t(x), start_dim=1) @ _t(w) + _t(b)
    return out, (x, w, b)


def mlp_forward(x, params, activation="relu"):
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "leaky_relu": F.leaky_relu}
    h = _t(x)
    for i, (W, b) in enumerate(params):
        h = h @ _t(W) + _t(b)
        if i < len(params) - 1:
            h = acts[activation](h)
    return h
