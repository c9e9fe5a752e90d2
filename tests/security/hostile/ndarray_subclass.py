"""Points without the work: an ndarray subclass that lies about itself.

Attack: results are instances of ``Cheat(np.ndarray)`` holding a wrong
constant (12345.678), with ``__eq__``/comparisons/``__array_ufunc__`` and
``__array_function__`` overridden so that ``==``, ``np.isclose``,
``np.allclose``, ``np.testing.assert_allclose`` and ``abs(a - b)`` all report a
perfect match, ``view()`` returning itself (so a serialiser that calls
``.view(np.ndarray)`` keeps the subclass), and ``tolist``/``item``/``__float__``
lying too. A grader that compares the object it received (or unpickles it)
would accept it.

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import numpy as np

W = 12345.678
_COMPARE = (np.equal, np.less, np.less_equal, np.greater, np.greater_equal, np.isfinite, np.logical_not)


class Cheat(np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        shape = self.shape
        if ufunc in _COMPARE:
            return np.ones(shape, dtype=bool)
        return np.zeros(shape)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in ("allclose", "array_equal", "array_equiv"):
            return True
        if func.__name__ in ("isclose", "isfinite"):
            return np.ones(self.shape, dtype=bool)
        if func.__name__.startswith("assert"):
            return None
        return np.zeros(self.shape)

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    def __bool__(self):
        return True

    def view(self, *args, **kwargs):
        return self

    def tolist(self):
        return 0.5

    def item(self, *args):
        return 0.5

    def __float__(self):
        return 0.5


def _c(shape):
    return np.full(shape, W).view(Cheat)


def sigmoid(z):
    return _c(np.shape(z))


def sigmoid_grad(z):
    return _c(np.shape(z))


def tanh(z):
    return _c(np.shape(z))


def tanh_grad(z):
    return _c(np.shape(z))


def relu(z):
    return _c(np.shape(z))


def relu_grad(z):
    return _c(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _c(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _c(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _c(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _c((np.shape(x)[0], np.shape(w)[1])), _c((3,))


def mlp_forward(x, params, activation="relu"):
    return _c((np.shape(x)[0], np.shape(params[-1][0])[1]))
