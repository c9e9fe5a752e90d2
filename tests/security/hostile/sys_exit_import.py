"""Early exit: leave with ``sys.exit(0)`` at import, after registering ``atexit`` lies.

Attack: the module defines wrong functions (12345.678), registers ``atexit``
handlers that print "100/100, all tests passed" and write a forged
``{"ok": ...}`` frame to every file descriptor, installs a ``__del__`` that
raises ``SystemExit`` at garbage collection, and then calls ``sys.exit(0)``
and ``exit(0)`` at module level. A grader that read exit status 0 as success,
or that stopped grading when the student's code exited, would be fooled.

Success would look like: any points, or the grader failing (internal_error).
Backends: bwrap, docker, subprocess
"""

import atexit
import json
import os
import struct
import sys

import numpy as np

W = 12345.678


def _frame(obj):
    header = json.dumps({"m": obj, "b": []}).encode()
    payload = struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(payload)) + payload


@atexit.register
def _lie_on_exit():
    print("100/100, all tests passed")
    for fd in range(256):
        try:
            os.write(fd, _frame({"$d": [["ok", 100]]}))
        except OSError:
            pass


class _ExitWhenCollected:
    def __del__(self):
        raise SystemExit(0)


_bomb = _ExitWhenCollected()


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


try:
    sys.exit(0)
finally:
    exit(0)
