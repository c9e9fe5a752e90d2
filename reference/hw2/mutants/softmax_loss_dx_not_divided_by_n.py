"""hw2 mutant: softmax_loss's dx = p - onehot(y), not divided by N (training then takes N times too large steps).

train_linear_softmax, which calls it, is right: its tests pass when run again with the
reference's softmax_loss, so the mistake costs points in softmax_loss only.

Must lose points in: softmax_loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "softmax",
    "log_softmax",
    "mse_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "softmax_loss",
    "l2_penalty",
    "spiral_data",
    "train_linear_softmax",
]


def _as_float_array(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _labels(y: Any, n: int) -> np.ndarray:
    """``y`` as an int64 array of shape (n,)."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), one class index per row, got {y.shape}")
    return y.astype(np.int64)


# --------------------------------------------------------------------------
# Softmax (lecture: softmax)
# --------------------------------------------------------------------------


def softmax(z: Any) -> np.ndarray:
    """Softmax over the last axis: each row becomes a probability distribution.

    .. math:: \\mathrm{softmax}(z)_k = \\frac{e^{z_k}}{\\sum_j e^{z_j}}
              = \\frac{e^{z_k - m}}{\\sum_j e^{z_j - m}}, \\qquad m = \\max_j z_j

    Subtracting the row's maximum ``m`` changes nothing mathematically, and
    keeps every exponent ``<= 0``: no overflow, and at least one term equal to 1
    in each sum, so no 0/0. Finite for ``|z|`` up to 1e4 and beyond.

    Slide example: ``softmax([2.0, 4.3, 1.2, -3.1])
    = [0.087492, 0.872662, 0.039313, 0.000533]``.

    Parameters:
        z : ndarray of shape (N, C), a batch of logits (one row per example),
            or (C,), the logits of one example.

    Returns:
        ndarray of ``z``'s shape, float64, entries in [0, 1], each row summing to 1.
    """
    z = _as_float_array(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z: Any) -> np.ndarray:
    """Logarithm of the softmax over the last axis, by the log-sum-exp trick.

    .. math:: \\log \\mathrm{softmax}(z)_k = z_k - \\log \\sum_j e^{z_j}
              = (z_k - m) - \\log \\sum_j e^{z_j - m}, \\qquad m = \\max_j z_j

    Unlike ``np.log(softmax(z))``, which is ``log(0) = -inf`` as soon as a
    probability underflows, this is exact and finite for every finite ``z``:
    ``log_softmax([0, -1e4]) = [0, -1e4]``.

    Parameters:
        z : ndarray of shape (N, C) or (C,)

    Returns:
        ndarray of ``z``'s shape, float64, entries ``<= 0``.
    """
    z = _as_float_array(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --------------------------------------------------------------------------
# Losses (lecture: loss functions)
# --------------------------------------------------------------------------


def mse_loss(y_pred: Any, y: Any) -> np.float64:
    """Mean squared error, averaged over every entry.

    .. math:: \\mathrm{MSE}(\\hat y, y) = \\frac{1}{n} \\sum_{i=1}^{n} (y_i - \\hat y_i)^2

    No factor 1/2 (that is a convenience some texts add for the gradient); the
    same as PyTorch's ``F.mse_loss`` with ``reduction="mean"``.

    Parameters:
        y_pred : ndarray of any shape, the predictions
        y : ndarray of ``y_pred``'s shape, the targets

    Returns:
        numpy float64 scalar, ``>= 0``.
    """
    diff = _as_float_array(y) - _as_float_array(y_pred)
    return np.mean(diff * diff)


def binary_cross_entropy(p: Any, y: Any, eps: float = 1e-12) -> np.float64:
    """Binary cross-entropy of predicted probabilities, averaged over every entry.

    .. math:: \\mathrm{BCE}(p, y) = -\\frac{1}{n} \\sum_{i=1}^{n}
              \\left[ y_i \\log p_i + (1 - y_i) \\log (1 - p_i) \\right],
              \\qquad p_i \\leftarrow \\mathrm{clip}(p_i, \\epsilon, 1 - \\epsilon)

    Clipping keeps both logarithms finite when a prediction is exactly 0 or 1:
    ``p = 0`` with ``y = 1`` costs ``-log(eps)`` (27.63 for the default eps),
    not infinity. (PyTorch's ``F.binary_cross_entropy`` instead clamps each
    log at -100; the two agree wherever ``eps <= p <= 1 - eps``.)

    Parameters:
        p : ndarray of any shape, predicted probabilities in [0, 1]
        y : ndarray of ``p``'s shape, targets in {0, 1}
        eps : float, the clipping bound (default 1e-12)

    Returns:
        numpy float64 scalar, ``>= 0``.
    """
    p = np.clip(_as_float_array(p), eps, 1.0 - eps)
    y = _as_float_array(y)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def cross_entropy(logits: Any, y: Any) -> np.float64:
    """Softmax cross-entropy of a batch of logits, averaged over the batch.

    .. math:: L = \\frac{1}{N} \\sum_{i=1}^{N} -\\log \\mathrm{softmax}(s_i)_{y_i}
              = \\frac{1}{N} \\sum_{i=1}^{N} \\left( \\log \\sum_j e^{s_{ij}} - s_{i y_i} \\right)

    Computed with :func:`log_softmax`, so it stays exact when a probability
    underflows: logits ``[[1e4, 0]]`` with ``y = [1]`` cost 1e4. The same as
    PyTorch's ``F.cross_entropy`` (``reduction="mean"``).

    Parameters:
        logits : ndarray of shape (N, C), unnormalised scores
        y : int ndarray of shape (N,), the class of each example, in [0, C)

    Returns:
        numpy float64 scalar, ``>= 0``.
    """
    logp = log_softmax(logits)
    n = logp.shape[0]
    return -np.mean(logp[np.arange(n), _labels(y, n)])


def softmax_loss(x: Any, y: Any) -> tuple[np.float64, np.ndarray]:
    """Softmax cross-entropy and its gradient with respect to the logits (CS231n).

    .. math:: L = -\\frac{1}{N} \\sum_{i=1}^{N} \\log p_{i y_i}, \\qquad
              p = \\mathrm{softmax}(x), \\qquad
              \\frac{\\partial L}{\\partial x} = \\frac{1}{N} \\left( p - \\mathrm{onehot}(y) \\right)

    The local gradient of ``-log softmax(x_i)_{y_i}`` with respect to ``x_i`` is
    ``p_i - e_{y_i}``; the mean over the batch divides it by N.

    Parameters:
        x : ndarray of shape (N, C), the logits (scores)
        y : int ndarray of shape (N,), the labels, in [0, C)

    Returns:
        loss : numpy float64 scalar
        dx : ndarray of shape (N, C), float64, the gradient of ``loss`` with
            respect to ``x``; each row sums to 0.
    """
    logp = log_softmax(x)
    n = logp.shape[0]
    rows, y = np.arange(n), _labels(y, n)
    loss = -np.mean(logp[rows, y])

    dx = np.exp(logp)  # p, the softmax, from the stable log-probabilities
    dx[rows, y] -= 1.0
    return loss, dx


def l2_penalty(W: Any, reg: float) -> np.float64:
    """The L2 regularisation penalty, with the lecture's factor 1/2.

    .. math:: R(W) = \\tfrac12 \\lambda \\sum_{k,l} W_{kl}^2, \\qquad
              \\frac{\\partial R}{\\partial W} = \\lambda W

    The 1/2 makes the gradient ``reg * W`` (CS231n's convention).

    Parameters:
        W : ndarray of any shape, the weights (not the biases)
        reg : float, the regularisation strength lambda

    Returns:
        numpy float64 scalar, ``>= 0`` for ``reg >= 0``.
    """
    W = _as_float_array(W)
    return 0.5 * reg * np.sum(W * W)


# --------------------------------------------------------------------------
# The spiral data set and the linear classifier (lecture; CS231n case study)
# --------------------------------------------------------------------------


def spiral_data(n_per_class: int = 100, n_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's spiral data set: ``n_classes`` arms of ``n_per_class`` points in 2-d.

    For class ``j``, point ``i`` of ``n = n_per_class``:

    .. math:: r_i = \\frac{i}{n - 1}, \\qquad
              t_i = 4j + \\frac{4 i}{n - 1} + 0.2\\,\\varepsilon_i, \\quad \\varepsilon_i \\sim \\mathcal N(0, 1),
              \\qquad x_i = (r_i \\sin t_i,\\ r_i \\cos t_i)

    that is ``r = linspace(0, 1, n)``, ``t = linspace(4j, 4(j+1), n) + 0.2 * randn(n)``.
    Class ``j`` fills rows ``j*n`` to ``(j+1)*n - 1``, in order of radius.

    Parameters:
        n_per_class : int, points per class (the lecture's N = 100)
        n_classes : int, the number of classes (the lecture's K = 3)
        seed : int, seeds the generator of the angular noise

    Returns:
        X : ndarray of shape (n_per_class * n_classes, 2), float64, ``|x| <= 1``
        y : int64 ndarray of shape (n_per_class * n_classes,), the class of each row
    """
    rng = np.random.default_rng(seed)
    n = n_per_class
    X = np.zeros((n * n_classes, 2))
    y = np.zeros(n * n_classes, dtype=np.int64)
    for j in range(n_classes):
        ix = slice(n * j, n * (j + 1))
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n) + 0.2 * rng.standard_normal(n)
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train_linear_softmax(
    X: Any,
    y: Any,
    step_size: float = 1.0,
    reg: float = 1e-3,
    n_iters: int = 200,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Train a linear softmax classifier by full-batch gradient descent.

    Scores ``s = X W + b``; the loss is the softmax cross-entropy plus the L2
    penalty on ``W``:

    .. math:: L(W, b) = \\frac{1}{N} \\sum_i -\\log \\mathrm{softmax}(s_i)_{y_i}
              + \\tfrac12 \\lambda \\sum W^2

    Initialisation: ``W = 0.01 * randn(D, K)`` from a generator seeded with
    ``seed``, ``b = 0``, where ``K = max(y) + 1``. Each iteration:

    .. math:: \\frac{\\partial L}{\\partial W} = X^\\top \\frac{p - \\mathrm{onehot}(y)}{N} + \\lambda W,
              \\qquad \\frac{\\partial L}{\\partial b} = \\sum_i \\frac{p_i - \\mathrm{onehot}(y_i)}{N},
              \\qquad W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W},\\
              b \\leftarrow b - \\eta \\frac{\\partial L}{\\partial b}

    On the lecture's spiral (N = 100 per class, K = 3) with step size 1.0 and
    reg 1e-3, the loss plateaus around 0.75 (a linear classifier cannot
    separate spirals; the training accuracy is about 0.5).

    Parameters:
        X : ndarray of shape (N, D), the training inputs
        y : int ndarray of shape (N,), the labels, in [0, K)
        step_size : float, the learning rate eta
        reg : float, the L2 strength lambda
        n_iters : int, the number of gradient-descent steps
        seed : int, seeds the initialisation of W

    Returns:
        W : ndarray of shape (D, K), float64, the trained weights
        b : ndarray of shape (K,), float64, the trained biases
        losses : list of ``n_iters`` floats; ``losses[i]`` is the loss (data
            loss plus penalty) of the parameters *before* step ``i``, so
            ``losses[0]`` is the loss at initialisation, about ``log K``.
    """
    X = _as_float_array(X)
    n, d = X.shape
    y = _labels(y, n)
    k = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.standard_normal((d, k))
    b = np.zeros(k)
    losses: list[float] = []
    for _ in range(n_iters):
        scores = X @ W + b
        data_loss, dscores = softmax_loss(scores, y)
        losses.append(float(data_loss + l2_penalty(W, reg)))
        dW = X.T @ dscores + reg * W  # backprop through s = XW + b, plus the penalty's gradient
        db = dscores.sum(axis=0)
        W = W - step_size * dW
        b = b - step_size * db
    return W, b, losses
