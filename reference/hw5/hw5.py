"""Homework 5 reference solution: training a network from scratch.

Mini-batches, inverted dropout (forward and backward), early stopping, and
full-batch training of the lecture's two-layer network on the spiral data set
with plain gradient descent or Adam. numpy only, computation in float64.

Sources:
    * the course lecture on training a network from scratch: mini-batches and
      epochs, dropout (PyTorch's convention: ``p`` is the probability of
      *dropping* a unit, as in ``nn.Dropout(p)``), early stopping, and the
      spiral example (N = 100 points per class, D = 2, K = 3; the 2-layer net
      with step size 1.0 and reg 1e-3 reaches a loss of about 0.25);
    * CS231n (``layers.py``: ``dropout_forward``/``dropout_backward`` with a
      ``dropout_param`` dict and a cache; the "Putting it together: minimal
      neural network case study" notes for the spiral net: W = 0.01 * randn,
      ``dscores = (probs - onehot) / N``, L2 penalty 0.5 * reg * sum(W**2));
    * Srivastava et al. 2014, "Dropout: a simple way to prevent neural
      networks from overfitting" (inverted dropout scales at training time);
    * Kingma & Ba 2015, "Adam: a method for stochastic optimization"
      (Algorithm 1: t is incremented first, m and v are bias-corrected).

Conventions the tests rely on are stated in each docstring: which random
draws a seed fixes, how ``EarlyStopping`` counts epochs and what counts as an
improvement, and what ``train_spiral`` records in its loss history.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "iterate_minibatches",
    "dropout_forward",
    "dropout_backward",
    "EarlyStopping",
    "spiral_data",
    "train_spiral",
    "SGD_LEARNING_RATE",
    "ADAM_LEARNING_RATE",
    "ADAM_BETA1",
    "ADAM_BETA2",
    "ADAM_EPSILON",
    "REG",
    "N_EPOCHS",
]

# --------------------------------------------------------------------------
# Mini-batches (lecture: epochs and mini-batches)
# --------------------------------------------------------------------------


def iterate_minibatches(
    X: Any, y: Any, batch_size: int, shuffle: bool = True, seed: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the mini-batches of one epoch: every sample exactly once.

    The samples are taken in the order of a permutation of ``0 .. N-1``
    (the identity if ``shuffle`` is False), cut into consecutive slices of
    ``batch_size``; the last slice holds the ``N % batch_size`` samples that
    are left over, if any (it is not dropped). Rows of ``X`` and entries of
    ``y`` stay paired.

    Randomness: with ``shuffle=True`` the permutation is drawn from
    ``np.random.default_rng(seed)``, so the same ``seed`` gives the same
    batches and ``seed=None`` a fresh order on every call (every epoch).
    ``seed=0`` is a seed like any other.

    Parameters:
        X : ndarray of shape (N, d_1, ..., d_k), the inputs
        y : ndarray of shape (N,), the labels
        batch_size : int >= 1; may exceed N (then one batch of N)
        shuffle : bool, shuffle the order (default True)
        seed : int or None, seeds the shuffle

    Yields:
        (Xb, yb): ndarrays of shapes (B, d_1, ..., d_k) and (B,), B =
        batch_size except for the last batch; copies of the rows of X and y,
        in their dtypes. ``ceil(N / batch_size)`` pairs in all.

    Raises:
        ValueError: if X and y have different lengths or batch_size < 1
            (when the generator starts).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has {y.shape[0]}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batch_size = int(batch_size)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


# --------------------------------------------------------------------------
# Dropout (lecture: regularisation; CS231n layers.py)
# --------------------------------------------------------------------------


def dropout_forward(x: Any, dropout_param: dict) -> tuple[np.ndarray, tuple[dict, np.ndarray | None]]:
    """Forward pass of inverted dropout.

    In training, each unit is dropped (set to 0) independently with
    probability ``p`` and every kept unit is scaled by ``1 / (1 - p)``, so
    that the expected value of each output equals its input:

    .. math:: m_i \\sim \\mathrm{Bernoulli}(1 - p), \\qquad
              \\mathrm{out} = \\frac{m \\odot x}{1 - p}, \\qquad
              \\mathbb{E}[\\mathrm{out}] = x

    In test mode the layer is the identity (no mask, no scaling): the scaling
    was already done in training. ``p`` is the probability of *dropping* a
    unit, as in PyTorch's ``nn.Dropout(p)`` (CS231n's ``p`` is the
    probability of keeping one: not here).

    Parameters:
        x : ndarray of any shape
        dropout_param : dict with keys
            ``"p"``: float in [0, 1), the drop probability;
            ``"mode"``: ``"train"`` or ``"test"``;
            ``"seed"`` (optional): int; the mask is drawn from
            ``np.random.default_rng(seed)``, so the same seed gives the same
            mask. Without it every call draws a fresh mask.

    Returns:
        out : ndarray of x's shape (x's float dtype; float64 for an int x)
        cache : ``(dropout_param, mask)`` for :func:`dropout_backward`;
            ``mask`` is the scaled mask ``m / (1 - p)`` (x's shape) in train
            mode and None in test mode.

    Raises:
        ValueError: for a ``p`` outside [0, 1) or an unknown mode.
    """
    p = float(dropout_param["p"])
    mode = dropout_param["mode"]
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if mode == "test":
        return x, (dropout_param, None)
    if mode != "train":
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    rng = np.random.default_rng(dropout_param.get("seed"))
    keep = rng.random(x.shape) >= p  # P(keep) = 1 - p
    mask = keep.astype(x.dtype) / x.dtype.type(1.0 - p)
    return x * mask, (dropout_param, mask)


def dropout_backward(dout: Any, cache: tuple[dict, np.ndarray | None]) -> np.ndarray:
    """Backward pass of inverted dropout.

    The layer is linear in x with the mask fixed, so the upstream gradient
    goes through the *same* mask and scaling as the forward pass:

    .. math:: \\frac{\\partial L}{\\partial x} = \\frac{m \\odot \\mathrm{dout}}{1 - p}
              \\ \\text{(train)}, \\qquad \\mathrm{dout} \\ \\text{(test)}

    Parameters:
        dout : ndarray, the upstream gradient, of the forward input's shape
        cache : the ``cache`` that :func:`dropout_forward` returned

    Returns:
        dx : ndarray of dout's shape
    """
    dropout_param, mask = cache
    dout = np.asarray(dout)
    if dropout_param["mode"] == "test":
        return dout
    return dout * mask


# --------------------------------------------------------------------------
# Early stopping (lecture: regularisation)
# --------------------------------------------------------------------------


class EarlyStopping:
    """Stop training when the validation loss has stopped improving.

    Call :meth:`step` once per epoch with that epoch's validation loss. The
    calls are numbered 0, 1, 2, ... (the "epoch" of a call is its 0-based
    index).

    *Improvement*: ``val_loss < best - min_delta`` (strictly less; an equal
    loss is not an improvement, and a NaN loss never is). The first call
    always improves on ``best = inf``.

    On an improvement, ``best`` becomes ``val_loss``, ``best_epoch`` the
    index of this call, and the count of bad epochs returns to 0. Otherwise
    the count goes up by one, and ``best`` and ``best_epoch`` stay as they
    are (a decrease smaller than ``min_delta`` does not move ``best``).

    :meth:`step` returns True when the count of consecutive calls without
    improvement has reached ``patience``, i.e. on the ``patience``-th bad
    call in a row, and on every further bad call.

    Example (``patience=2, min_delta=0.0``): losses ``1.0, 0.8, 0.8, 0.9``
    return False, False, False, True; best = 0.8, best_epoch = 1.

    Same rule as Keras' ``EarlyStopping(mode="min")``.

    Parameters:
        patience : int >= 1, bad epochs in a row that stop training (default 5)
        min_delta : float >= 0, the least decrease that counts (default 0.0)

    Attributes:
        patience, min_delta : as given
        best : float, the best loss so far (``math.inf`` before the first step)
        best_epoch : int, the index of the call that set ``best``
            (None before the first step)
        num_bad_epochs : int, consecutive calls without improvement
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch: int | None = None
        self.num_bad_epochs = 0
        self.epoch = -1  # index of the last call

    def step(self, val_loss: float) -> bool:
        """Record one epoch's validation loss; True means: stop training now.

        Parameters:
            val_loss : float, this epoch's validation loss

        Returns:
            bool: True when ``patience`` calls in a row have not improved.
        """
        self.epoch += 1
        val_loss = float(val_loss)
        if val_loss < self.best - self.min_delta:  # False for NaN
            self.best = val_loss
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience


# --------------------------------------------------------------------------
# The spiral and the two-layer network (lecture; CS231n case study)
# --------------------------------------------------------------------------

#: Plain gradient descent's step size (the lecture's 1.0).
SGD_LEARNING_RATE = 1.0
#: Adam's hyperparameters (Kingma & Ba 2015; learning rate 1e-2 for this net).
ADAM_LEARNING_RATE = 1e-2
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-8
#: L2 regularisation strength (the lecture's 1e-3): the loss adds 0.5 * REG * (sum W1^2 + sum W2^2).
REG = 1e-3
#: Default number of epochs: one epoch is one full-batch step.
N_EPOCHS = 3000


def spiral_data(n_per_class: int = 100, n_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's spiral: ``n_classes`` interleaved arms in 2-D.

    Arm j has ``n_per_class`` points at radius r = linspace(0, 1) and angle
    t = linspace(4j, 4(j+1)) + 0.2 * noise (standard normal noise from
    ``np.random.default_rng(seed)``), at (r sin t, r cos t).

    Returns:
        X : ndarray of shape (n_per_class * n_classes, 2), float64
        y : ndarray of shape (n_per_class * n_classes,), int64, the arm
    """
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + 0.2 * rng.standard_normal(n_per_class)
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def _forward_backward(
    X: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray], reg: float
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the 2-layer net: affine -> ReLU -> affine -> softmax.

    .. math:: h = \\max(0, X W_1 + b_1), \\quad s = h W_2 + b_2, \\quad
              L = -\\frac1N \\sum_i \\log \\mathrm{softmax}(s_i)_{y_i}
                  + \\tfrac12 \\mathrm{reg} (\\lVert W_1 \\rVert^2 + \\lVert W_2 \\rVert^2)

    Backward (CS231n): ``ds = (softmax(s) - onehot(y)) / N``,
    ``dW2 = h^T ds + reg W2``, ``db2 = sum(ds)``, ``dh = ds W2^T`` masked
    where ``h <= 0``, ``dW1 = X^T dh + reg W1``, ``db1 = sum(dh)``.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    h = np.maximum(0.0, X @ W1 + b1)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= n
    dh = dscores @ W2.T
    dh[h <= 0.0] = 0.0
    grads = {
        "W1": X.T @ dh + reg * W1,
        "b1": dh.sum(axis=0),
        "W2": h.T @ dscores + reg * W2,
        "b2": dscores.sum(axis=0),
    }
    return float(loss), grads


def _accuracy(X: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray]) -> float:
    h = np.maximum(0.0, X @ params["W1"] + params["b1"])
    scores = h @ params["W2"] + params["b2"]
    return float(np.mean(np.argmax(scores, axis=1) == y))


def train_spiral(
    X: Any,
    y: Any,
    hidden_size: int = 100,
    optimizer: str = "sgd",
    n_epochs: int = N_EPOCHS,
    seed: int = 0,
) -> dict[str, Any]:
    """Train the lecture's two-layer net (affine -> ReLU -> affine -> softmax).

    Loss: mean softmax cross-entropy plus the L2 penalty
    ``0.5 * REG * (sum(W1**2) + sum(W2**2))`` (no penalty on the biases),
    REG = 1e-3. One epoch is one full-batch gradient step on all of (X, y),
    as in the lecture.

    Initialisation, drawn first from ``np.random.default_rng(seed)``:
    ``W1 = 0.01 * standard_normal((D, H))``, then
    ``W2 = 0.01 * standard_normal((H, K))``; ``b1``, ``b2`` zeros. It depends
    only on ``seed``, D, H and K (not on ``optimizer`` or ``n_epochs``).

    Update rules, applied to each parameter with its gradient g:
        * ``"sgd"``: ``w -= 1.0 * g`` (the lecture's step size 1.0);
        * ``"adam"`` (Kingma & Ba): ``t += 1`` first, then
          ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
          ``w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`` with
          lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8; m, v start at 0.

    Parameters:
        X : ndarray of shape (N, D), float
        y : ndarray of shape (N,), int labels in 0 .. K-1; K = y.max() + 1
        hidden_size : int H, the hidden layer's width (default 100)
        optimizer : ``"sgd"`` (default) or ``"adam"``
        n_epochs : int >= 0, full-batch steps (default 3000; 0 returns the
            initialisation)
        seed : int, seeds the initialisation (default 0)

    Returns:
        dict with
            ``"params"``: dict ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, K),
            ``b2`` (K,), float64, after the last step;
            ``"loss_history"``: list of n_epochs floats; entry k is the loss
            (data loss + L2 penalty) at the parameters *before* step k, i.e.
            the loss computed in epoch k's forward pass;
            ``"train_acc"``: float, the accuracy of the returned params on
            (X, y) (argmax of the scores).

    Raises:
        ValueError: for an unknown optimizer.
    """
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    d, h_size, k = X.shape[1], int(hidden_size), int(y.max()) + 1
    rng = np.random.default_rng(seed)
    params = {
        "W1": 0.01 * rng.standard_normal((d, h_size)),
        "b1": np.zeros(h_size),
        "W2": 0.01 * rng.standard_normal((h_size, k)),
        "b2": np.zeros(k),
    }
    m = {name: np.zeros_like(w) for name, w in params.items()}
    v = {name: np.zeros_like(w) for name, w in params.items()}
    loss_history: list[float] = []
    for t in range(1, int(n_epochs) + 1):
        loss, grads = _forward_backward(X, y, params, REG)
        loss_history.append(loss)
        for name, g in grads.items():
            if optimizer == "sgd":
                params[name] -= SGD_LEARNING_RATE * g
            else:
                m[name] = ADAM_BETA1 * m[name] + (1.0 - ADAM_BETA1) * g
                v[name] = ADAM_BETA2 * v[name] + (1.0 - ADAM_BETA2) * g * g
                m_hat = m[name] / (1.0 - ADAM_BETA1**t)
                v_hat = v[name] / (1.0 - ADAM_BETA2**t)
                params[name] -= ADAM_LEARNING_RATE * m_hat / (np.sqrt(v_hat) + ADAM_EPSILON)
    return {"params": params, "loss_history": loss_history, "train_acc": _accuracy(X, y, params)}
