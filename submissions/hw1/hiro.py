import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def tanh(z):
    return np.tanh(z)


def relu(z):
    return np.maximum(0, z)


def leaky_relu(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, z, alpha * np.asarray(z))


def sigmoid_grad(z):
    return sigmoid(z) * (1 - sigmoid(z))


def tanh_grad(z):
    return 1 - tanh(z) ** 2


def relu_grad(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def leaky_relu_grad(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


ACT = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu, "linear": lambda z: z}


def neuron(x, w, b, activation="sigmoid"):
    # w as a column vector, like in the slides
    w = np.asarray(w).reshape(-1, 1)
    return ACT[activation](x @ w + b)


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def mlp_forward(x, params, activation="relu"):
    h = x
    for W, b in params:
        h = ACT[activation](h @ W + b)
    return h
