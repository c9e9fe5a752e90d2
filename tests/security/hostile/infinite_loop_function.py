"""Resource abuse: one function never returns, and cannot be interrupted.

Attack: ``sigmoid`` and ``sigmoid_grad`` ignore SIGALRM/SIGINT/SIGTERM and spin
forever, swallowing any exception raised to interrupt them; the other
functions return a wrong constant (12345.678). A grader without a per-call
timeout that kills the worker would hang; one that did not restart the worker
afterwards would lose the remaining tests (here: worth nothing, but for an
honest student they would be).

Success would look like: the batch hanging, later students not graded, or any
points.
Backends: bwrap, docker, subprocess
"""

import signal

import numpy as np

W = 12345.678


def _spin(*args, **kwargs):
    for sig in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001
            pass


sigmoid = sigmoid_grad = _spin


def _w(shape):
    return np.full(shape, W)


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
