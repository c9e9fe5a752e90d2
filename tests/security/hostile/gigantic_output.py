"""Resource abuse: gigantic output.

Attack: at import the module writes 64 MiB to stdout and 64 MiB to stderr
(straight to the file descriptors, and through ``print``), and every function
prints another 4 MiB before returning a wrong constant (12345.678). A grader
that kept all output would run out of memory, bloat the store, or make the
gradebook unusable.

Success would look like: the stored output longer than the assignment's
output limit, the grader failing (internal_error), or any points.
Backends: bwrap, docker, subprocess
"""

import os
import sys

import numpy as np

W = 12345.678
LINE = b"spam " * 200 + b"\n"
for fd in (1, 2):
    for _ in range(64 * 2**20 // len(LINE)):
        os.write(fd, LINE)
print("x" * (8 * 2**20))


def _w(shape):
    sys.stdout.write("y" * (4 * 2**20) + "\n")
    return np.full(shape, W)


def sigmoid(z):
    return _w(np.shape(z))


def sigmoid_grad(z):
    return _w(np.shape(z))


def tanh(z):
    return _w(np.shape(z))


def tanh_grad(z):
    return _w(np.shape(z))


def relu(z):
    return _w(np.shape(z))


def relu_grad(z):
    return _w(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _w(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _w(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _w(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _w((np.shape(x)[0], np.shape(w)[1])), None


def mlp_forward(x, params, activation="relu"):
    return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
