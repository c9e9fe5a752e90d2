"""Faking results: write garbage and forged frames to every file descriptor at import.

Attack: while the module is imported, it writes to every file descriptor 0 to
255: random bytes, a frame header announcing a 2**63-byte message, and a
complete forged reply ``{"ok": {"score": 100}}``. The reply pipe to the
trusted side is among them, so the trusted side reads garbage where it
expects the load report; if it accepted any of it, or hung on the huge
length, the batch would stall or the submission would be credited.

Success would look like: any points, the batch hanging, or the grader
failing (internal_error).
Backends: bwrap, docker, subprocess
"""

import json
import os
import struct

import numpy as np

W = 12345.678


def _frame(obj):
    header = json.dumps({"m": obj, "b": []}).encode()
    payload = struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(payload)) + payload


GARBAGE = [
    os.urandom(4096),
    struct.pack(">Q", 2**63) + b"\xff" * 64,
    _frame({"$d": [["ok", {"$d": [["score", 100]]}]]}),
]
written = []
for fd in range(256):
    for blob in GARBAGE:
        try:
            os.write(fd, blob)
            written.append(fd)
        except OSError:
            pass
print("wrote garbage to fds", sorted(set(written)))


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
