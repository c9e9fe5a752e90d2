"""Points without the work: float, int and numpy-scalar subclasses that lie.

Attack: scalars are ``LyingFloat`` (a ``float`` subclass) or ``LyingF64`` (a
``numpy.float64`` subclass) worth 12345.678, whose ``__eq__``, ordering,
``__sub__``, ``__abs__`` and ``__float__``/``__index__`` claim a perfect match;
arrays are returned as nested lists of those. A grader that builds its
comparison from the objects it received (``float(x)``, ``x == y``,
``abs(x - y) < tol``, ``np.asarray`` on a list) could be fooled.

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import numpy as np

W = 12345.678


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __sub__(self, other):
        return LyingFloat(0.0)

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 0.5

    def __hash__(self):
        return 0


class LyingF64(np.float64):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 0.5


_calls = [0]


def _lie(shape):
    _calls[0] += 1
    if shape == ():
        return LyingFloat(W) if _calls[0] % 2 else LyingF64(W)
    if len(shape) == 1:
        return [LyingFloat(W) if i % 2 else LyingF64(W) for i in range(shape[0])]
    return [_lie(shape[1:]) for _ in range(shape[0])]


def sigmoid(z):
    return _lie(np.shape(z))


def sigmoid_grad(z):
    return _lie(np.shape(z))


def tanh(z):
    return _lie(np.shape(z))


def tanh_grad(z):
    return _lie(np.shape(z))


def relu(z):
    return _lie(np.shape(z))


def relu_grad(z):
    return _lie(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _lie(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _lie(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _lie(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _lie((np.shape(x)[0], np.shape(w)[1])), LyingFloat(W)


def mlp_forward(x, params, activation="relu"):
    return _lie((np.shape(x)[0], np.shape(params[-1][0])[1]))
