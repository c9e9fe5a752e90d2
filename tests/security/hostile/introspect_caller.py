"""Points without the work: find the expected answer in the caller's memory.

Attack: the classic in-process cheat. Every function walks the interpreter it
runs in: its callers' frames (``sys._getframe``) for locals called
``expected``/``reference``/``ref``, ``sys.modules`` for a module named like
the grader's reference (``grader_reference_*``) or any other module that
defines ``mlp_forward``, and ``gc.get_objects()`` for functions named like
the API that are not its own. Whatever it finds it calls (a reference
function) or returns (an expected array). Only if nothing is found does it
return a wrong constant (12345.678).

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import gc
import sys

import numpy as np

W = 12345.678
ME = sys.modules.get(__name__)


def _reference_function(name):
    for mod_name, mod in list(sys.modules.items()):
        if mod is None or mod is ME or mod_name in (__name__, "__main__"):
            continue
        fn = getattr(mod, name, None)
        if callable(fn) and hasattr(mod, "mlp_forward"):
            return fn
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__name__", "") == name and getattr(obj, "__module__", "") != __name__:
            if getattr(obj, "__module__", "") and "reference" in obj.__module__:
                return obj
    return None


def _expected_in_frames():
    frame = sys._getframe(2)
    while frame is not None:
        for key in ("expected", "exp", "want", "reference_value"):
            if key in frame.f_locals:
                return frame.f_locals[key]
        frame = frame.f_back
    return None


def _cheat(name, shape, *args, **kwargs):
    fn = _reference_function(name)
    if fn is not None:
        print(f"found a reference {name} in {fn.__module__}")
        return fn(*args, **kwargs)
    found = _expected_in_frames()
    if found is not None:
        print(f"found an expected value for {name}")
        return found
    return np.full(shape, W)


def sigmoid(z):
    return _cheat("sigmoid", np.shape(z), z)


def sigmoid_grad(z):
    return _cheat("sigmoid_grad", np.shape(z), z)


def tanh(z):
    return _cheat("tanh", np.shape(z), z)


def tanh_grad(z):
    return _cheat("tanh_grad", np.shape(z), z)


def relu(z):
    return _cheat("relu", np.shape(z), z)


def relu_grad(z):
    return _cheat("relu_grad", np.shape(z), z)


def leaky_relu(z, alpha=0.01):
    return _cheat("leaky_relu", np.shape(z), z, alpha)


def leaky_relu_grad(z, alpha=0.01):
    return _cheat("leaky_relu_grad", np.shape(z), z, alpha)


def neuron(x, w, b, activation="sigmoid"):
    return _cheat("neuron", np.shape(x)[:-1], x, w, b, activation)


def affine_forward(x, w, b):
    fn = _reference_function("affine_forward")
    if fn is not None:
        return fn(x, w, b)
    return np.full((np.shape(x)[0], np.shape(w)[1]), W), None


def mlp_forward(x, params, activation="relu"):
    return _cheat("mlp_forward", (np.shape(x)[0], np.shape(params[-1][0])[1]), x, params, activation)
