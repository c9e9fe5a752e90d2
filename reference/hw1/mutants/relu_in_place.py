"""Mutant: relu zeroes the negative entries of the caller's array in place (z[z < 0] = 0) and returns it.

Every value is right, so only the test that looks at z after the call can tell.

Must lose points in: activations.
"""
import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    return np.tanh(z)


def tanh_grad(z):
    t = tanh(z)
    return 1 - t**2


def relu(z):
    z = np.asarray(z, dtype=float)  # the caller's array itself when it is already float64
    z[z < 0] = 0.0
    return z


def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)


def leaky_relu(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, alpha)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu, "linear": lambda z: z}


def neuron(x, w, b, activation="sigmoid"):
    g = ACTIVATIONS[activation]
    z = x @ w + b
    return g(z)


def affine_forward(x, w, b):
    N = x.shape[0]
    out = x.reshape(N, -1) @ w + b
    cache = (x, w, b)
    return out, cache


def mlp_forward(x, params, activation="relu"):
    g = ACTIVATIONS[activation]
    h = x
    for W, b in params[:-1]:
        h = g(h @ W + b)
    W, b = params[-1]
    return h @ W + b
