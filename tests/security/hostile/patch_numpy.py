"""Points without the work: patch numpy and the standard library at import time.

Attack: before defining wrong functions (12345.678 everywhere), the module
replaces ``numpy.allclose``/``isclose``/``array_equal``, every
``numpy.testing.assert_*`` helper, ``numpy.asarray``/``numpy.abs``,
``math.isclose``, ``builtins.abs``/``isinstance``/``AssertionError`` and
``operator.eq`` with versions that always report a match, and tries to
overwrite ``numpy.ndarray.__eq__`` through ``ctypes``-free attribute setting.
If the comparisons ran in the same interpreter as the student's code, every
check would pass.

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import builtins
import math
import operator

import numpy as np
import numpy.testing

W = 12345.678
patched = []


def _set(obj, name, value):
    try:
        setattr(obj, name, value)
        patched.append(f"{getattr(obj, '__name__', obj)}.{name}")
    except (AttributeError, TypeError):
        pass


_yes = lambda *a, **k: True  # noqa: E731
_none = lambda *a, **k: None  # noqa: E731
for _name in ("allclose", "array_equal", "array_equiv"):
    _set(np, _name, _yes)
_set(np, "isclose", lambda a, b, *x, **k: np.ones(np.shape(a), dtype=bool))
for _name in dir(numpy.testing):
    if _name.startswith("assert"):
        _set(numpy.testing, _name, _none)
_set(math, "isclose", _yes)
_set(operator, "eq", _yes)
_set(builtins, "abs", lambda x: 0.0)
_set(builtins, "AssertionError", type("AssertionError", (Exception,), {}))
_set(np.ndarray, "__eq__", _yes)
_real_isinstance = builtins.isinstance
print("patched:", ", ".join(patched))


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
