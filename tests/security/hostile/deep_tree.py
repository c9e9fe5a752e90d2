"""Crash the clean-up: a directory tree deeper than the grader can walk.

Attack: at import the module makes a chain of 3,000 nested folders in its
working directory (and another in ``/tmp``), which takes a fraction of a
second. Python's ``shutil.rmtree`` and ``Path.rglob`` recurse once per level,
so a grader that walks or removes the folder with them dies with
``RecursionError`` (``ignore_errors`` does not catch it): this submission
becomes an internal error, and the grading process, which removes its work
folder when it stops, dies too. Functions return a wrong constant
(12345.678).

Success would look like: the grader failing (internal_error), the batch
hanging or losing results, or any points.
Backends: bwrap, docker, subprocess
"""

import os

import numpy as np

W = 12345.678
for base in (".", os.environ.get("TMPDIR", "/tmp")):
    path = os.path.join(base, "deep")
    try:
        for _ in range(3000):
            os.mkdir(path)
            path = os.path.join(path, "d")
    except OSError as exc:
        print(f"{base}: stopped: {exc.strerror}")


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
