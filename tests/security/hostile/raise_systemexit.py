"""Early exit: raise SystemExit, KeyboardInterrupt and friends inside the functions.

Attack: functions raise, in turn, ``SystemExit(0)``, ``KeyboardInterrupt``,
``GeneratorExit``, a custom ``BaseException`` subclass, and ``SystemExit``
from inside a ``finally`` that swallowed another error; the module also starts
a background thread that calls ``_thread.interrupt_main()`` and sends itself
SIGINT and SIGTERM every 50 ms, so interrupts also land while the worker waits
for requests. If any of these escaped the worker's call handling, or reached
the trusted process, pytest could stop the whole batch (a KeyboardInterrupt in
pytest ends the session) or count the tests as passed.

Success would look like: any points, missing results for later students, or
the grader failing (internal_error).
Backends: bwrap, docker, subprocess
"""

import _thread
import os
import signal
import threading
import time

W = 12345.678


class NotAnError(BaseException):
    pass


def _nested():
    try:
        raise ValueError("first")
    finally:
        raise SystemExit(0)


KINDS = [lambda: SystemExit(0), KeyboardInterrupt, GeneratorExit, lambda: NotAnError("done")]
_n = [0]


def _raise(*args, **kwargs):
    _n[0] += 1
    if _n[0] % 5 == 4:
        _nested()
    raise KINDS[_n[0] % len(KINDS)]()


def _pester():
    while True:
        time.sleep(0.05)
        _thread.interrupt_main()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                os.kill(os.getpid(), sig)
            except OSError:
                pass


threading.Thread(target=_pester, daemon=True).start()

sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _raise
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _raise
