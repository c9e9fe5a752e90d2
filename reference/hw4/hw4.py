"""Homework 4 reference solution: the optimizers.

Every update rule has the CS231n signature (``optim.py`` of CS231n
assignment 2)::

    next_w, config = rule(w, dw, config=None)

* ``w``: ndarray of any shape, float, the current parameters;
* ``dw``: ndarray of ``w``'s shape, the gradient of the loss with respect to ``w``;
* ``config``: a dict of hyperparameters and state, or None. Missing
  hyperparameters are filled in with their defaults and missing state is
  initialised (zeros of ``w``'s shape, ``t = 0``), both written into
  ``config`` (``config.setdefault``), so the returned dict is the one to
  pass to the next call.

Each rule returns a new array ``next_w`` (float64, ``w``'s shape) and never
changes ``w`` or ``dw`` in place; the new state is stored back into
``config`` and ``config`` is returned.

Sources:
    * the course lecture on optimisation: gradient descent for linear
      regression on the MSE loss, mini-batch SGD, momentum as an exponential
      moving average of the gradients (``v = beta*v + (1-beta)*dw``), RMSprop,
      Adam, Adagrad and Adadelta;
    * CS231n assignment 2, ``optim.py``: the signature, the config keys
      (``learning_rate``, ``momentum``, ``decay_rate``, ``epsilon``, ``beta1``,
      ``beta2``) and the state names (``velocity``, ``cache``, ``m``, ``v``, ``t``);
    * Kingma & Ba (2015), "Adam: a method for stochastic optimization",
      Algorithm 1 (epsilon added to the square root of the corrected v);
    * Zeiler (2012), "ADADELTA: an adaptive learning rate method",
      Algorithm 1 (epsilon inside both square roots, no learning rate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "sgd",
    "sgd_momentum",
    "rmsprop",
    "adam",
    "adagrad",
    "adadelta",
    "linear_regression_gd",
]

Config = dict[str, Any]


def _config(config: Config | None, **defaults: Any) -> Config:
    """``config`` (a new dict for None) with every missing key set to its default."""
    if config is None:
        config = {}
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def _params(w: Any, dw: Any) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(w, dtype=np.float64), np.asarray(dw, dtype=np.float64)


# --------------------------------------------------------------------------
# Gradient descent and its momentum form (lecture: optimisation)
# --------------------------------------------------------------------------


def sgd(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """Vanilla (stochastic) gradient descent.

    .. math:: w \\leftarrow w - \\eta\\, \\nabla_w L

    config:
        learning_rate : float, :math:`\\eta` (default 1e-2)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the default filled in
    """
    config = _config(config, learning_rate=1e-2)
    w, dw = _params(w, dw)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """Gradient descent with momentum, in the lecture's form: the velocity is an
    exponential moving average of the gradients.

    .. math:: v \\leftarrow \\beta v + (1 - \\beta)\\, \\nabla_w L, \\qquad
              w \\leftarrow w - \\eta\\, v

    This is not the "classical" form :math:`v \\leftarrow \\mu v - \\eta \\nabla_w L,\\
    w \\leftarrow w + v` (CS231n's ``sgd_momentum``), nor PyTorch's default
    (``v = mu*v + g``): the factor :math:`1 - \\beta` shrinks every step.
    ``torch.optim.SGD(momentum=beta, dampening=beta)`` follows the same
    recurrence from its second step on (its first step sets ``v = g``).

    config:
        learning_rate : float, :math:`\\eta` (default 1e-2)
        momentum : float in [0, 1), :math:`\\beta` (default 0.9)
        velocity : ndarray of ``w``'s shape, :math:`v` (state; starts at zeros)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the new ``velocity``
    """
    config = _config(config, learning_rate=1e-2, momentum=0.9)
    w, dw = _params(w, dw)
    beta = config["momentum"]
    v = np.asarray(config.get("velocity", np.zeros_like(w)), dtype=np.float64)
    v = beta * v + (1.0 - beta) * dw
    next_w = w - config["learning_rate"] * v
    config["velocity"] = v
    return next_w, config


# --------------------------------------------------------------------------
# Adaptive learning rates (lecture: optimisation)
# --------------------------------------------------------------------------


def rmsprop(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """RMSprop: divide the step by a moving root mean square of the gradients.

    .. math:: c \\leftarrow \\rho c + (1 - \\rho)\\, (\\nabla_w L)^2, \\qquad
              w \\leftarrow w - \\eta\\, \\frac{\\nabla_w L}{\\sqrt{c} + \\epsilon}

    (element-wise; :math:`\\epsilon` is added outside the square root, as in
    CS231n and ``torch.optim.RMSprop`` with ``alpha = rho``).

    config:
        learning_rate : float, :math:`\\eta` (default 1e-2)
        decay_rate : float in [0, 1), :math:`\\rho` (default 0.99)
        epsilon : float, :math:`\\epsilon` (default 1e-8)
        cache : ndarray of ``w``'s shape, :math:`c` (state; starts at zeros)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the new ``cache``
    """
    config = _config(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    w, dw = _params(w, dw)
    rho = config["decay_rate"]
    cache = np.asarray(config.get("cache", np.zeros_like(w)), dtype=np.float64)
    cache = rho * cache + (1.0 - rho) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config


def adam(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """Adam (Kingma & Ba 2015, Algorithm 1): momentum and RMSprop, both
    corrected for their bias towards zero.

    .. math::
        t &\\leftarrow t + 1 \\\\
        m &\\leftarrow \\beta_1 m + (1 - \\beta_1)\\, \\nabla_w L, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2)\\, (\\nabla_w L)^2 \\\\
        \\hat m &= \\frac{m}{1 - \\beta_1^t}, \\qquad \\hat v = \\frac{v}{1 - \\beta_2^t} \\\\
        w &\\leftarrow w - \\eta\\, \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}

    ``t`` is incremented *before* it is used, so the first step uses
    :math:`t = 1` (and is about :math:`\\eta\\,\\mathrm{sign}(\\nabla_w L)`).
    Matches ``torch.optim.Adam``.

    config:
        learning_rate : float, :math:`\\eta` (default 1e-3)
        beta1 : float, :math:`\\beta_1` (default 0.9)
        beta2 : float, :math:`\\beta_2` (default 0.999)
        epsilon : float, :math:`\\epsilon` (default 1e-8)
        m, v : ndarrays of ``w``'s shape (state; start at zeros)
        t : int, the number of steps taken (state; starts at 0)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the new ``m``, ``v`` and ``t``
    """
    config = _config(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    w, dw = _params(w, dw)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = int(config.get("t", 0)) + 1
    m = np.asarray(config.get("m", np.zeros_like(w)), dtype=np.float64)
    v = np.asarray(config.get("v", np.zeros_like(w)), dtype=np.float64)
    m = beta1 * m + (1.0 - beta1) * dw
    v = beta2 * v + (1.0 - beta2) * dw**2
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


def adagrad(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """Adagrad: divide the step by the root of the *sum* of all squared gradients so far.

    .. math:: c \\leftarrow c + (\\nabla_w L)^2, \\qquad
              w \\leftarrow w - \\eta\\, \\frac{\\nabla_w L}{\\sqrt{c} + \\epsilon}

    (element-wise; matches ``torch.optim.Adagrad`` with
    ``initial_accumulator_value=0``, which also adds :math:`\\epsilon` outside
    the square root).

    config:
        learning_rate : float, :math:`\\eta` (default 1e-2)
        epsilon : float, :math:`\\epsilon` (default 1e-8)
        cache : ndarray of ``w``'s shape, :math:`c` (state; starts at zeros)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the new ``cache``
    """
    config = _config(config, learning_rate=1e-2, epsilon=1e-8)
    w, dw = _params(w, dw)
    cache = np.asarray(config.get("cache", np.zeros_like(w)), dtype=np.float64)
    cache = cache + dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config


def adadelta(w: Any, dw: Any, config: Config | None = None) -> tuple[np.ndarray, Config]:
    """Adadelta (Zeiler 2012, Algorithm 1): no learning rate; the step is the
    ratio of two running root mean squares, of past steps and of gradients.

    .. math::
        c &\\leftarrow \\rho c + (1 - \\rho)\\, g^2 \\qquad (g = \\nabla_w L) \\\\
        \\Delta w &= -\\frac{\\sqrt{d + \\epsilon}}{\\sqrt{c + \\epsilon}}\\, g \\\\
        d &\\leftarrow \\rho d + (1 - \\rho)\\, (\\Delta w)^2 \\\\
        w &\\leftarrow w + \\Delta w

    :math:`c` is :math:`E[g^2]` and :math:`d` is :math:`E[\\Delta w^2]`. The
    accumulator of gradients is updated *before* the step (it includes the
    current gradient); the accumulator of steps *after* it (the numerator uses
    the steps up to the previous one). :math:`\\epsilon` is inside both square
    roots (:math:`\\mathrm{RMS}[x] = \\sqrt{E[x^2] + \\epsilon}`); in the
    numerator it is what makes the first step non-zero. Matches
    ``torch.optim.Adadelta`` with ``lr=1.0``.

    config:
        rho : float in [0, 1), :math:`\\rho` (default 0.95)
        epsilon : float, :math:`\\epsilon` (default 1e-6)
        cache : ndarray of ``w``'s shape, :math:`c = E[g^2]` (state; starts at zeros)
        delta : ndarray of ``w``'s shape, :math:`d = E[\\Delta w^2]` (state; starts at zeros)

    Parameters:
        w : ndarray of any shape, the parameters
        dw : ndarray of ``w``'s shape, the gradient

    Returns:
        next_w : ndarray of ``w``'s shape, float64
        config : the config, with the new ``cache`` and ``delta``
    """
    config = _config(config, rho=0.95, epsilon=1e-6)
    w, dw = _params(w, dw)
    rho, eps = config["rho"], config["epsilon"]
    cache = np.asarray(config.get("cache", np.zeros_like(w)), dtype=np.float64)
    delta = np.asarray(config.get("delta", np.zeros_like(w)), dtype=np.float64)
    cache = rho * cache + (1.0 - rho) * dw**2
    step = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw
    delta = rho * delta + (1.0 - rho) * step**2
    config["cache"], config["delta"] = cache, delta
    return w + step, config


# --------------------------------------------------------------------------
# Gradient descent on simple linear regression (lecture: optimisation)
# --------------------------------------------------------------------------


def linear_regression_gd(
    x: Any, y: Any, learning_rate: float = 0.01, n_epochs: int = 1000
) -> tuple[float, float, np.ndarray]:
    """Fit :math:`\\hat y = \\beta_0 + \\beta_1 x` by full-batch gradient descent on the MSE.

    .. math::
        L(\\beta_0, \\beta_1) &= \\frac1n \\sum_{i=1}^n \\big(y_i - (\\beta_0 + \\beta_1 x_i)\\big)^2 \\\\
        \\frac{\\partial L}{\\partial \\beta_0} &= -\\frac2n \\sum_i \\big(y_i - \\hat y_i\\big), \\qquad
        \\frac{\\partial L}{\\partial \\beta_1} = -\\frac2n \\sum_i x_i \\big(y_i - \\hat y_i\\big) \\\\
        \\beta_j &\\leftarrow \\beta_j - \\eta\\, \\frac{\\partial L}{\\partial \\beta_j}

    The lecture's conventions: both coefficients start at 0; both gradients
    are computed from the same predictions before either coefficient changes
    (a simultaneous update); the factor 2 of the derivative is kept (it is not
    folded into the learning rate); ``losses[k]`` is the MSE at the start of
    epoch ``k``, before its update, so ``losses[0] = mean(y**2)``.

    Parameters:
        x : ndarray of shape (n,), the inputs
        y : ndarray of shape (n,), the targets
        learning_rate : float, :math:`\\eta` (default 0.01)
        n_epochs : int, the number of updates (default 1000)

    Returns:
        beta0 : float, the intercept
        beta1 : float, the slope
        losses : ndarray of shape (n_epochs,), float64, the MSE before each update
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    beta0, beta1 = 0.0, 0.0
    losses = np.empty(int(n_epochs))
    for epoch in range(int(n_epochs)):
        residual = y - (beta0 + beta1 * x)
        losses[epoch] = np.mean(residual**2)
        grad0 = -2.0 * np.mean(residual)
        grad1 = -2.0 * np.mean(x * residual)
        beta0 -= learning_rate * grad0
        beta1 -= learning_rate * grad1
    return float(beta0), float(beta1), losses
