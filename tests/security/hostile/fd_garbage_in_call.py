"""Faking results: write forged replies to every file descriptor during a call.

Attack: each function, before returning, writes to every file descriptor 0
to 255 a complete forged reply frame (``{"ok": <a list of 0.5s>}``) followed
by random bytes, and closes the descriptors 3 to 255 except the reply pipe, so
the trusted side's next read sees the forgery first and the channel is left
in an unknown state. The values it forges are made up (it cannot know the
answers).

Success would look like: any points, the batch hanging, or the grader
failing (internal_error).
Backends: bwrap, docker, subprocess
"""

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


def _spray(shape):
    forged = _frame({"$d": [["ok", np.full(shape, 0.5).tolist()]]})
    for fd in range(256):
        for blob in (forged, os.urandom(512)):
            try:
                os.write(fd, blob)
            except OSError:
                pass
    reply_fd = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else -1
    for fd in range(3, 256):
        if fd != reply_fd:
            try:
                os.close(fd)
            except OSError:
                pass
    return np.full(shape, W)


def sigmoid(z):
    return _spray(np.shape(z))


def sigmoid_grad(z):
    return _spray(np.shape(z))


def tanh(z):
    return _spray(np.shape(z))


def tanh_grad(z):
    return _spray(np.shape(z))


def relu(z):
    return _spray(np.shape(z))


def relu_grad(z):
    return _spray(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _spray(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _spray(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _spray(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _spray((np.shape(x)[0], np.shape(w)[1])), None


def mlp_forward(x, params, activation="relu"):
    return _spray((np.shape(x)[0], np.shape(params[-1][0])[1]))
