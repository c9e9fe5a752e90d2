"""Resource abuse: never finish importing.

Attack: after defining wrong functions (12345.678), the module ignores
SIGALRM, SIGINT and SIGTERM and spins forever at top level, catching any
exception that tries to interrupt it. A grader without a hard load timeout
would wait forever and the batch would never finish.

Success would look like: the batch hanging, later students not graded, a
status other than timeout for this submission, or any points.
Backends: bwrap, docker, subprocess
"""

import signal

import numpy as np

W = 12345.678


def _w(shape):
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


for _sig in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
    signal.signal(_sig, signal.SIG_IGN)
while True:
    try:
        while True:
            pass
    except BaseException:  # noqa: BLE001 - swallow every interruption
        pass
