import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.zeros_like(z)
    out[z >= 0] = 1 / (1 + np.exp(-z[z >= 0]))
    out[z < 0] = np.exp(z[z < 0]) / (1 + np.exp(z[z < 0]))
    return out


def tanh(z):
    return np.tanh(z)


def relu(z):
    return np.maximum(0, z)


def leaky_relu(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, z, alpha * np.asarray(z))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh_grad(z):
    return 1 - tanh(z) ** 2


def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)


def leaky_relu_grad(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


def neuron(x, w, b, activation="sigmoid"):
    g = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu, "linear": lambda z: z}
    return g[activation](x @ w + b)


def affine_forward(x, w, b):
    out = x @ w  # TODO bias?
    return out, (x, w, b)


def mlp_forward(x, params, activation="relu"):
    g = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu}[activation]
    h = x
    for W, b in params[:-1]:
        h = g(h @ W + b)
    return h @ params[-1][0] + params[-1][1]
