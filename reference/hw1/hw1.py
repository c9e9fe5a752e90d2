"""Homework 1 reference solution: neurons, activations and the forward pass.

Every function is vectorised with numpy and numerically stable for inputs as
large as ``|z| = 1e4``. Arrays of any shape go in and arrays of the same shape
come out; a Python float goes in and a numpy float64 scalar comes out.
Computation is in float64.

Sources:
    * the course lecture on the artificial neuron: the neuron, the activation
      functions and their derivatives (with relu'(0) = 0), and the worked
      example b = 1, w = [3, -2], x = [-1, 2];
    * the course lecture on the multilayer perceptron: its forward pass, with
      linear logits at the output;
    * CS231n assignment 2 (``layers.py``): ``affine_forward``'s conventions,
      i.e. the flattening of ``x`` and the ``cache`` it returns.

Each activation sits next to its derivative, as in micrograd's ``engine.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "ACTIVATIONS",
    "neuron",
    "affine_forward",
    "mlp_forward",
]


def _as_float_array(z: Any) -> np.ndarray:
    """``z`` as a float64 ndarray (a 0-d array for a Python number)."""
    return np.asarray(z, dtype=np.float64)


def _unwrap(a: np.ndarray) -> np.ndarray | np.float64:
    """A 0-d result as a numpy scalar, any other array unchanged."""
    return a[()] if a.ndim == 0 else a


# --------------------------------------------------------------------------
# Activations and their derivatives (lecture: the artificial neuron)
# --------------------------------------------------------------------------


def sigmoid(z: Any) -> np.ndarray | np.float64:
    """Logistic sigmoid, element-wise.

    .. math:: \\sigma(z) = \\frac{1}{1 + e^{-z}}

    Stable form: with :math:`e = e^{-|z|} \\in (0, 1]`,
    :math:`\\sigma(z) = 1 / (1 + e)` for :math:`z \\ge 0` and
    :math:`e / (1 + e)` for :math:`z < 0`. No exponential ever overflows, so
    ``sigmoid(1e4) == 1.0`` and ``sigmoid(-1e4) == 0.0`` without NaN or a
    warning.

    Parameters:
        z : float or ndarray of any shape
            Pre-activations.

    Returns:
        ndarray of ``z``'s shape, float64, values in [0, 1]
        (a numpy scalar for a scalar ``z``).
    """
    z = _as_float_array(z)
    e = np.exp(-np.abs(z))
    return _unwrap(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_grad(z: Any) -> np.ndarray | np.float64:
    """Derivative of the sigmoid with respect to ``z``, element-wise.

    .. math:: \\sigma'(z) = \\sigma(z)\\,(1 - \\sigma(z))

    Computed as :math:`\\sigma(z)\\,\\sigma(-z)` (since
    :math:`1 - \\sigma(z) = \\sigma(-z)`), which avoids the cancellation in
    ``1 - sigmoid(z)`` for large ``z``.

    Parameters:
        z : float or ndarray of any shape

    Returns:
        ndarray of ``z``'s shape, float64, values in [0, 0.25]
        (a numpy scalar for a scalar ``z``).
    """
    z = _as_float_array(z)
    return _unwrap(np.asarray(sigmoid(z) * sigmoid(-z)))


def tanh(z: Any) -> np.ndarray | np.float64:
    """Hyperbolic tangent, element-wise.

    .. math:: \\tanh(z) = \\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\\sigma(2z) - 1

    ``np.tanh`` is stable for any finite ``z``.

    Parameters:
        z : float or ndarray of any shape

    Returns:
        ndarray of ``z``'s shape, float64, values in [-1, 1]
        (a numpy scalar for a scalar ``z``).
    """
    return _unwrap(np.tanh(_as_float_array(z)))


def tanh_grad(z: Any) -> np.ndarray | np.float64:
    """Derivative of tanh with respect to ``z``, element-wise.

    .. math:: \\tanh'(z) = 1 - \\tanh^2(z)

    Parameters:
        z : float or ndarray of any shape

    Returns:
        ndarray of ``z``'s shape, float64, values in [0, 1]
        (a numpy scalar for a scalar ``z``).
    """
    t = np.tanh(_as_float_array(z))
    return _unwrap(1.0 - t * t)


def relu(z: Any) -> np.ndarray | np.float64:
    """Rectified linear unit, element-wise.

    .. math:: \\mathrm{relu}(z) = \\max(0, z)

    Parameters:
        z : float or ndarray of any shape

    Returns:
        ndarray of ``z``'s shape, float64 (a numpy scalar for a scalar ``z``).
    """
    return _unwrap(np.maximum(_as_float_array(z), 0.0))


def relu_grad(z: Any) -> np.ndarray | np.float64:
    """Derivative of relu with respect to ``z``, element-wise.

    .. math:: \\mathrm{relu}'(z) = 1 \\text{ if } z > 0 \\text{ else } 0

    The derivative does not exist at ``z = 0``; the lecture's convention is
    ``relu'(0) = 0`` (as in PyTorch's autograd).

    Parameters:
        z : float or ndarray of any shape

    Returns:
        ndarray of ``z``'s shape, float64, values in {0, 1}
        (a numpy scalar for a scalar ``z``).
    """
    return _unwrap((_as_float_array(z) > 0).astype(np.float64))


def leaky_relu(z: Any, alpha: float = 0.01) -> np.ndarray | np.float64:
    """Leaky rectified linear unit, element-wise.

    .. math:: \\mathrm{leaky\\_relu}(z) = z \\text{ if } z > 0 \\text{ else } \\alpha z

    Parameters:
        z : float or ndarray of any shape
        alpha : float, the slope for negative ``z`` (default 0.01)

    Returns:
        ndarray of ``z``'s shape, float64 (a numpy scalar for a scalar ``z``).
    """
    z = _as_float_array(z)
    return _unwrap(np.where(z > 0, z, alpha * z))


def leaky_relu_grad(z: Any, alpha: float = 0.01) -> np.ndarray | np.float64:
    """Derivative of leaky relu with respect to ``z``, element-wise.

    .. math:: \\mathrm{leaky\\_relu}'(z) = 1 \\text{ if } z > 0 \\text{ else } \\alpha

    By the same convention as :func:`relu_grad`, the value at ``z = 0`` is
    ``alpha``.

    Parameters:
        z : float or ndarray of any shape
        alpha : float, the slope for negative ``z`` (default 0.01)

    Returns:
        ndarray of ``z``'s shape, float64, values in {alpha, 1}
        (a numpy scalar for a scalar ``z``).
    """
    z = _as_float_array(z)
    return _unwrap(np.where(z > 0, 1.0, float(alpha)))


def _linear(z: Any) -> np.ndarray | np.float64:
    """Identity activation: :math:`g(z) = z`."""
    return _unwrap(_as_float_array(z))


#: The activations :func:`neuron` and :func:`mlp_forward` accept, by name.
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "linear": _linear,
}


def _activation(name: str) -> Callable[[Any], Any]:
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; use one of {known}") from None


# --------------------------------------------------------------------------
# The neuron (lecture: the artificial neuron)
# --------------------------------------------------------------------------


def neuron(x: Any, w: Any, b: float, activation: str = "sigmoid") -> np.ndarray | np.float64:
    """One artificial neuron: an affine map followed by an activation.

    .. math:: \\hat y = g\\left(b + \\sum_{j=1}^{m} x_j w_j\\right) = g(b + x \\cdot w)

    Lecture example: ``b = 1``, ``w = [3, -2]``, ``x = [-1, 2]`` gives
    :math:`\\hat y = \\sigma(1 - 3 - 4) = \\sigma(-6) \\approx 0.00247`.

    Parameters:
        x : ndarray of shape (m,) for one example, or (N, m) for a batch
        w : ndarray of shape (m,), the weights
        b : float, the bias
        activation : str, one of ``"sigmoid"`` (default), ``"tanh"``,
            ``"relu"``, ``"leaky_relu"`` (alpha = 0.01), ``"linear"``

    Returns:
        a numpy float64 scalar for ``x`` of shape (m,);
        ndarray of shape (N,), float64, for ``x`` of shape (N, m).

    Raises:
        ValueError: for an unknown ``activation``.
    """
    g = _activation(activation)
    x = _as_float_array(x)
    w = _as_float_array(w)
    z = x @ w + b  # (m,) @ (m,) -> (), (N, m) @ (m,) -> (N,)
    return g(z)


# --------------------------------------------------------------------------
# Layers (CS231n; lecture: the multilayer perceptron)
# --------------------------------------------------------------------------


def affine_forward(x: Any, w: Any, b: Any) -> tuple[np.ndarray, tuple[Any, Any, Any]]:
    """Forward pass of a fully connected (affine) layer.

    .. math:: \\mathrm{out} = \\tilde x W + b, \\qquad
              \\tilde x = x \\text{ reshaped to } (N, D),\\ D = d_1 \\cdots d_k

    CS231n conventions: each example ``x[i]`` is flattened in row-major (C)
    order, and the cache holds the inputs unchanged, ``x`` in its original
    shape, for the backward pass.

    Parameters:
        x : ndarray of shape (N, d_1, ..., d_k), a mini-batch
        w : ndarray of shape (D, M), the weights
        b : ndarray of shape (M,), the biases

    Returns:
        out : ndarray of shape (N, M), float64
        cache : tuple ``(x, w, b)``, the arguments as given
    """
    xa = _as_float_array(x)
    out = xa.reshape(xa.shape[0], -1) @ _as_float_array(w) + _as_float_array(b)
    return out, (x, w, b)


def mlp_forward(
    x: Any,
    params: Sequence[tuple[Any, Any]],
    activation: str = "relu",
) -> np.ndarray:
    """Forward pass of a multilayer perceptron; returns the logits.

    .. math:: h^{(0)} = x, \\quad
              h^{(i)} = g\\left(h^{(i-1)} W_i + b_i\\right) \\ (i < L), \\quad
              \\mathrm{logits} = h^{(L-1)} W_L + b_L

    The hidden layers apply the activation ``g``; the output layer is linear.

    Parameters:
        x : ndarray of shape (N, d_0)
        params : list of L pairs ``(W_i, b_i)``, W_i of shape
            (d_{i-1}, d_i) and b_i of shape (d_i,)
        activation : str, the hidden layers' activation, one of ``"relu"``
            (default), ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"``, ``"linear"``

    Returns:
        ndarray of shape (N, d_L), float64: the logits.

    Raises:
        ValueError: for an unknown ``activation`` or an empty ``params``.
    """
    g = _activation(activation)
    if len(params) == 0:
        raise ValueError("params must hold at least one (W, b) layer")
    h = _as_float_array(x)
    *hidden, (w_out, b_out) = params
    for w, b in hidden:
        h = np.asarray(g(affine_forward(h, w, b)[0]))
    return affine_forward(h, w_out, b_out)[0]
