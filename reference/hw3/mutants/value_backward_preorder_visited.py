"""Mutant: backward() recurses from the output, calling each node's _backward once, when it is first reached: before every node that uses it has added its gradient.

Must lose points in: value_backward, value_composition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "two_layer_net",
    "numerical_gradient",
    "Value",
]


# --------------------------------------------------------------------------
# Layers (CS231n layers.py; lecture: backpropagation)
# --------------------------------------------------------------------------


def affine_forward(x: Any, w: Any, b: Any) -> tuple[np.ndarray, tuple[Any, Any, Any]]:
    """Forward pass of a fully connected (affine) layer, as in homework 1.

    .. math:: \\mathrm{out} = \\tilde x W + b, \\qquad
              \\tilde x = x \\text{ reshaped to } (N, D),\\ D = d_1 \\cdots d_k

    Parameters:
        x : ndarray of shape (N, d_1, ..., d_k), a mini-batch
        w : ndarray of shape (D, M), the weights
        b : ndarray of shape (M,), the biases

    Returns:
        out : ndarray of shape (N, M), float64
        cache : tuple ``(x, w, b)``, the arguments as given (``x`` in its
            original shape)
    """
    xa = np.asarray(x, dtype=np.float64)
    out = xa.reshape(xa.shape[0], -1) @ np.asarray(w, dtype=np.float64) + np.asarray(b, dtype=np.float64)
    return out, (x, w, b)


def affine_backward(dout: Any, cache: tuple[Any, Any, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of the affine layer ``out = x̃ W + b``.

    .. math:: \\frac{\\partial L}{\\partial \\tilde x} = \\mathrm{dout}\\, W^\\top, \\qquad
              \\frac{\\partial L}{\\partial W} = \\tilde x^\\top \\mathrm{dout}, \\qquad
              \\frac{\\partial L}{\\partial b} = \\sum_{i=1}^{N} \\mathrm{dout}_i

    ``b`` is added to every row, so its gradient sums the upstream gradient
    over the batch (axis 0). ``dx`` is reshaped back to ``x``'s shape.

    Parameters:
        dout : ndarray of shape (N, M), the upstream gradient ∂L/∂out
        cache : tuple ``(x, w, b)`` from :func:`affine_forward`:
            x of shape (N, d_1, ..., d_k), w of shape (D, M), b of shape (M,)

    Returns:
        dx : ndarray of shape (N, d_1, ..., d_k), float64 (``x``'s shape)
        dw : ndarray of shape (D, M), float64
        db : ndarray of shape (M,), float64
    """
    x, w, _b = cache
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    x_flat = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a ReLU layer, element-wise.

    .. math:: \\mathrm{out} = \\max(0, x)

    Parameters:
        x : ndarray of any shape

    Returns:
        out : ndarray of ``x``'s shape, float64
        cache : ``x`` (as a float64 array), for the backward pass
    """
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0), x


def relu_backward(dout: Any, cache: np.ndarray) -> np.ndarray:
    """Backward pass of a ReLU layer: the gradient flows where the input was positive.

    .. math:: \\frac{\\partial L}{\\partial x} = \\mathrm{dout} \\odot \\mathbb{1}[x > 0]

    The mask is on the layer's *input* ``x``, not on ``dout``. At ``x = 0``
    the lecture's convention (and PyTorch's) is a zero gradient.

    Parameters:
        dout : ndarray of any shape, the upstream gradient
        cache : ``x`` from :func:`relu_forward`, of ``dout``'s shape

    Returns:
        dx : ndarray of ``x``'s shape, float64
    """
    x = cache
    return np.asarray(dout, dtype=np.float64) * (x > 0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable logistic sigmoid: only ever exponentiates −|x| (homework 1)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a sigmoid layer, element-wise.

    .. math:: \\mathrm{out} = \\sigma(x) = \\frac{1}{1 + e^{-x}}

    Finite for |x| up to 1e4 (no exponential overflows).

    Parameters:
        x : ndarray of any shape

    Returns:
        out : ndarray of ``x``'s shape, float64, values in [0, 1]
        cache : ``out``: the local gradient is written in terms of σ(x)
    """
    out = _sigmoid(np.asarray(x, dtype=np.float64))
    return out, out


def sigmoid_backward(dout: Any, cache: np.ndarray) -> np.ndarray:
    """Backward pass of a sigmoid layer.

    .. math:: \\frac{\\partial L}{\\partial x} = \\mathrm{dout} \\odot \\sigma(x)\\,(1 - \\sigma(x))

    Parameters:
        dout : ndarray of any shape, the upstream gradient
        cache : σ(x) from :func:`sigmoid_forward`, of ``dout``'s shape

    Returns:
        dx : ndarray of ``x``'s shape, float64
    """
    s = cache
    return np.asarray(dout, dtype=np.float64) * s * (1.0 - s)


# --------------------------------------------------------------------------
# The 2-layer network (lecture: the spiral data set; CS231n neural_net.py)
# --------------------------------------------------------------------------


def _softmax_loss(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the scores.

    .. math:: L = \\frac1N \\sum_i -\\log p_{i, y_i}, \\quad
              p_i = \\mathrm{softmax}(s_i), \\quad
              \\frac{\\partial L}{\\partial s} = \\frac{p - \\mathrm{onehot}(y)}{N}

    Stable: the row max is subtracted before exponentiating, and
    ``log p`` is computed as a log-sum-exp.
    """
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1.0
    return float(loss), dscores / n


def two_layer_net(
    X: Any,
    params: Mapping[str, Any],
    y: Any = None,
    reg: float = 0.0,
) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
    """Scores, or loss and gradients, of the 2-layer network affine → ReLU → affine.

    .. math:: h = \\max(0, X W_1 + b_1), \\qquad s = h W_2 + b_2

    .. math:: L = \\frac1N \\sum_{i=1}^{N} -\\log \\frac{e^{s_{i,y_i}}}{\\sum_j e^{s_{ij}}}
              + \\tfrac12\\,\\mathrm{reg}\\,\\big(\\textstyle\\sum W_1^2 + \\sum W_2^2\\big)

    The backward pass goes through the same layers in reverse:
    ``dW2 = hᵀ ds + reg·W2``, ``db2 = Σ_i ds``, ``dh = ds W2ᵀ``,
    ``dz = dh ⊙ 1[z > 0]``, ``dW1 = Xᵀ dz + reg·W1``, ``db1 = Σ_i dz``, with
    ``ds = (softmax(s) − onehot(y)) / N``. The biases are not regularised.

    Parameters:
        X : ndarray of shape (N, D), the inputs
        params : dict with ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,)
        y : None, or int ndarray of shape (N,) with labels in 0..C−1
        reg : float, the L2 regularisation strength

    Returns:
        y is None: the scores, ndarray of shape (N, C), float64.
        Otherwise ``(loss, grads)``: loss a float; grads a dict with the keys
        of ``params``, each gradient of its parameter's shape, float64.
    """
    W1, b1 = np.asarray(params["W1"], dtype=np.float64), np.asarray(params["b1"], dtype=np.float64)
    W2, b2 = np.asarray(params["W2"], dtype=np.float64), np.asarray(params["b2"], dtype=np.float64)

    z, cache1 = affine_forward(X, W1, b1)
    h, cache_relu = relu_forward(z)
    scores, cache2 = affine_forward(h, W2, b2)
    if y is None:
        return scores

    data_loss, dscores = _softmax_loss(scores, np.asarray(y, dtype=np.intp))
    loss = data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

    dh, dW2, db2 = affine_backward(dscores, cache2)
    dz = relu_backward(dh, cache_relu)
    _dX, dW1, db1 = affine_backward(dz, cache1)
    grads = {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}
    return float(loss), grads


# --------------------------------------------------------------------------
# Gradient check (lecture: backpropagation; CS231n gradient_check.py)
# --------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of ``f`` at ``x`` by centred differences.

    .. math:: \\frac{\\partial f}{\\partial x_i} \\approx
              \\frac{f(x + h e_i) - f(x - h e_i)}{2h}

    The error of the centred difference is O(h²) (the one-sided
    ``(f(x + h e_i) − f(x)) / h`` is only O(h)). As in CS231n's
    ``eval_numerical_gradient``, ``x`` is perturbed in place, one element at
    a time, and each element is restored before the next: ``f`` is called
    with ``x`` itself, and ``x`` holds its original values afterwards.

    Parameters:
        f : callable taking an ndarray of ``x``'s shape and returning a float
        x : float ndarray of any shape, the point
        h : float, the step

    Returns:
        ndarray of ``x``'s shape, float64: the gradient estimate.
    """
    grad = np.zeros(np.shape(x), dtype=np.float64)
    for ix in np.ndindex(*np.shape(x)):
        old = x[ix]
        x[ix] = old + h
        f_plus = float(f(x))
        x[ix] = old - h
        f_minus = float(f(x))
        x[ix] = old  # restore before moving on
        grad[ix] = (f_plus - f_minus) / (2.0 * h)
    return grad


# --------------------------------------------------------------------------
# Scalar automatic differentiation (micrograd's engine.py; lecture: backpropagation)
# --------------------------------------------------------------------------


class Value:
    """A scalar node of a computational graph, with its gradient.

    Every operation returns a new ``Value`` that remembers its inputs
    (``_prev``) and a closure ``_backward`` that applies the chain rule
    locally: it adds ``out.grad`` times the local derivative to each input's
    ``grad``. Gradients are *accumulated* (``+=``), because a value used in
    several places gets a contribution from each (the lecture's "gradients add
    at branches").

    Attributes:
        data : float, the value
        grad : float, ∂(output)/∂(this value) after ``output.backward()``;
            0.0 before
    """

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(_children)
        self._op = _op  # for printing and drawing graphs

    # -- primitives: each forward computation next to its local backward rule --------

    def __add__(self, other: Value | float) -> Value:
        """``self + other``; ∂/∂self = ∂/∂other = 1."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """``self * other``; ∂/∂self = other, ∂/∂other = self."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: int | float) -> Value:
        """``self ** n`` for a constant int or float n; ∂/∂self = n·selfⁿ⁻¹."""
        if not isinstance(other, (int, float)):
            raise TypeError("only int or float exponents are supported")
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """``e^self``; the derivative is the output itself."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """``tanh(self)``; ∂/∂self = 1 − tanh²."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """``max(0, self)``; ∂/∂self = 1 if self > 0 else 0."""
        out = Value(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """``σ(self) = 1 / (1 + e^(−self))``, computed stably; ∂/∂self = σ(1 − σ)."""
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    # -- backpropagation -----------------------------------------------------------

    def backward(self) -> None:
        """Backpropagate from this node: ∂self/∂v for every v in its graph.

        Sorts the graph topologically (every node after its inputs), seeds
        ``self.grad = 1`` (∂self/∂self), and calls each node's ``_backward``
        in reverse order, so a node passes its gradient on only once every
        node that uses it has added its contribution.
        """
        visited: set[int] = set()

        def propagate(v: Value) -> None:
            if id(v) not in visited:
                visited.add(id(v))
                v._backward()
                for child in v._prev:
                    propagate(child)

        self.grad = 1.0
        propagate(self)

    # -- derived operations, built from the primitives above -----------------------

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __radd__(self, other: float) -> Value:  # other + self
        return self + other

    def __sub__(self, other: Value | float) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: float) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: float) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: Value | float) -> Value:  # self / other
        return self * other**-1

    def __rtruediv__(self, other: float) -> Value:  # other / self
        return other * self**-1

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"
