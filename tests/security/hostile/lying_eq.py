"""Points without the work: results that claim to equal anything.

Attack: every function returns a ``Liar`` object whose ``__eq__``, ``__ne__``,
ordering operators, ``__bool__``, ``__abs__``, ``__sub__`` and ``__array__``
all lie so that ``a == b``, ``abs(a - b) <= tol``, ``np.allclose`` or
``np.testing.assert_allclose`` would accept it as the expected value. The real
numbers inside are a constant that is never right (12345.678).

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import numpy as np

W = 12345.678


class _LyingArray(np.ndarray):
    """What ``__array__`` hands out: an ndarray whose comparisons and arithmetic lie too."""

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __ne__(self, other):
        return np.zeros(self.shape, dtype=bool)

    def __sub__(self, other):
        return np.zeros(self.shape)

    __rsub__ = __sub__

    def __abs__(self):
        return np.zeros(self.shape)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.equal, np.less, np.less_equal, np.greater, np.greater_equal, np.isfinite):
            return np.ones(self.shape, dtype=bool)
        return np.zeros(self.shape)  # subtract, absolute, ...: "no error at all"


class Liar:
    def __init__(self, shape):
        self.shape = tuple(shape)
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape))
        self.dtype = np.dtype(np.float64)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __bool__(self):
        return True

    def __hash__(self):
        return 0

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __float__(self):
        return float("nan")

    def __array__(self, dtype=None, copy=None):
        return np.full(self.shape, W).view(_LyingArray)

    def __len__(self):
        return self.shape[0] if self.shape else 1

    def __getitem__(self, key):
        return Liar(())

    def __iter__(self):
        return iter([Liar(()) for _ in range(len(self))])

    def __repr__(self):
        return "array(<exactly what you expected>)"


def _liar(shape):
    return Liar(shape)


def sigmoid(z):
    return _liar(np.shape(z))


def sigmoid_grad(z):
    return _liar(np.shape(z))


def tanh(z):
    return _liar(np.shape(z))


def tanh_grad(z):
    return _liar(np.shape(z))


def relu(z):
    return _liar(np.shape(z))


def relu_grad(z):
    return _liar(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _liar(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _liar(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _liar(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _liar((np.shape(x)[0], np.shape(w)[1])), Liar((3,))


def mlp_forward(x, params, activation="relu"):
    return _liar((np.shape(x)[0], np.shape(params[-1][0])[1]))
