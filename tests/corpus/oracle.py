"""An oracle for the corpus, independent of the grader's tests: PyTorch decides.

``judge(hw, module)`` returns, for every graded unit of the assignment (a
function, or a part of hw3's ``Value``), a :class:`Verdict`: does the
module's implementation do what the course asks? Each check feeds the
module random (seeded) inputs and edge cases, and compares with PyTorch:
``torch.nn.functional`` for values, autograd for gradients, ``torch.optim``
stepping for the update rules. Nothing here reads the grader's tests or the
reference solution.

Where the course's formula is not PyTorch's, the oracle says so and bridges:

* ``binary_cross_entropy``: the course clips ``p`` to ``[eps, 1 - eps]``;
  ``F.binary_cross_entropy`` instead clamps each log at -100. The oracle feeds
  torch the clipped ``p`` (``torch.clamp``), which is the course's formula.
* ``l2_penalty``: torch has no penalty function; the value is
  ``0.5 * reg * sum(W**2)`` in torch, and its gradient (by central differences
  of the module's own function) must be ``reg * W``, the gradient that
  ``torch.optim.SGD(weight_decay=reg)`` applies.
* ``sgd_momentum``: the course's ``v = beta*v + (1 - beta)*dw; w -= lr*v`` is
  ``torch.optim.SGD(momentum=beta, dampening=beta)`` *from its second step on*
  (torch's first step sets ``buf = dw``). The oracle presets torch's
  ``momentum_buffer`` to zeros (or to the given velocity), so torch follows the
  course's form from the first step.
* ``rmsprop`` = ``torch.optim.RMSprop(alpha=decay_rate)``; ``adam`` =
  ``torch.optim.Adam``; ``adagrad`` = ``torch.optim.Adagrad``
  (``initial_accumulator_value=0``, ``lr_decay=0``); ``adadelta`` =
  ``torch.optim.Adadelta(lr=1.0)``. Given state (a ``cache``, ``m``/``v``/``t``,
  ``delta``) is written into the optimizer's state before stepping.
  The config's state keys map to torch's: velocity = momentum_buffer,
  cache = square_avg (RMSprop, Adadelta) or sum (Adagrad), m = exp_avg,
  v = exp_avg_sq, t = step, delta = acc_delta.
* ``spiral_data`` has no torch counterpart: the oracle checks the definition
  (radii exactly ``linspace(0, 1, N)``, labels, angles on the arm with noise of
  mean 0 and spread 0.2, within 6 standard errors) and the seed's meaning.
* ``numerical_gradient``: autograd gives the true gradient of a smooth f (a
  centred difference with h = 1e-4 is within 1e-6 of it; a one-sided one is
  not); the step h itself is checked on f = sum(sin(K x)), whose centred
  difference is exactly ``cos(K x) sin(K h) / h`` (h matters), and every
  evaluation of f may move one element of x only, which is restored.
* ``Value``: each operation on leaves against torch scalars, its graph walked
  by the oracle (topological order over ``_prev``, seed 1, each node's
  ``_backward``) where the engine has that structure, else by the module's
  ``backward()``; ``backward()`` itself on graphs of ``+`` and ``*`` (only
  those of the two that are right alone); the whole engine on compound
  expressions, shared nodes included.

The course charges a mistake once, in the function that contains it. So a
function that fails as it is gets a second try with every *other* function of
the module replaced by a correct one (torch-backed, below): it passes if
that run is right (e.g. a right ``two_layer_net`` that calls a wrong
``relu_backward``). ``Verdict.reason`` says when a pass needed this.

Inputs must be left unchanged wherever the course says so: every array
argument of hw2's functions, hw3's layers (``x``, ``dout``, the cache),
``two_layer_net`` (``X``, ``params``, ``y``) and hw4's rules (``w``, ``dw``).
``numerical_gradient`` perturbs ``x`` in place, as the course asks, and must
restore it.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import itertools
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F


@contextlib.contextmanager
def _float64() -> Any:
    """torch's default dtype float64 while the oracle judges, restored after: the pytest process
    runs other tests (the Iris lab's, the network rebuilds) that build float32 models."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)

UNITS: dict[str, list[str]] = {
    "hw2": ["softmax", "log_softmax", "mse_loss", "binary_cross_entropy", "cross_entropy", "softmax_loss",
            "spiral_data", "l2_penalty", "train_linear_softmax"],
    "hw3": ["affine_backward", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
            "two_layer_net", "numerical_gradient", "Value.ops", "Value.backward", "Value"],
    "hw4": ["linear_regression_gd", "sgd", "sgd_momentum", "rmsprop", "adam", "adagrad", "adadelta"],
}


class Wrong(AssertionError):
    """The module's answer is not the course's."""


@dataclass
class Verdict:
    ok: bool
    reason: str = ""


# ---------------------------------------------------------------------------- helpers


def T(a: Any) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64))


def N(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _arr(actual: Any, what: str) -> np.ndarray:
    try:
        a = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise Wrong(f"{what} is not numeric ({type(actual).__name__}): {exc}") from None
    return a


def close(actual: Any, expected: Any, what: str, rtol: float = 1e-6, atol: float = 1e-9,
          shape: bool = True) -> None:
    a = _arr(actual, what)
    e = np.asarray(N(expected) if isinstance(expected, torch.Tensor) else expected, dtype=np.float64)
    if shape and a.shape != e.shape:
        raise Wrong(f"{what}: shape {a.shape}, expected {e.shape}")
    if not np.all(np.isfinite(a)) and np.all(np.isfinite(e)):
        raise Wrong(f"{what}: NaN or infinity")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e))) if a.shape == e.shape else float("nan")
        raise Wrong(f"{what}: off by up to {err:.3g}")


def scalar(actual: Any, what: str) -> float:
    a = _arr(actual, what)
    if a.size != 1:
        raise Wrong(f"{what} should be one number, got shape {a.shape}")
    return float(a.reshape(()))


def called(fn: Callable, *args: Any, what: str = "", only: tuple[int, ...] | None = None, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; raises Wrong if any ndarray argument (or array in a dict argument) changed.
    ``only``: the positions of the arguments that must stay unchanged (default: all)."""
    before = copy.deepcopy((args, kwargs))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = fn(*args, **kwargs)
    pos = [i for i in range(len(args)) if only is None or i in only]
    olds = [before[0][i] for i in pos] + list(before[1].values())
    news = [args[i] for i in pos] + list(kwargs.values())
    for (b, a) in zip(olds, news):
        pairs = [(b, a)] if not isinstance(b, dict) else [(b[k], a.get(k)) for k in b] if isinstance(a, dict) else []
        if isinstance(b, dict) and (not isinstance(a, dict) or set(a) != set(b)):
            raise Wrong(f"{what} changed the keys of a dict argument")
        for bb, aa in pairs:
            if isinstance(bb, np.ndarray) and (not isinstance(aa, np.ndarray) or aa.shape != bb.shape
                                               or not np.array_equal(aa, bb, equal_nan=True)):
                raise Wrong(f"{what} changed an argument in place")
    return result


def pair(result: Any, what: str) -> tuple[Any, Any]:
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise Wrong(f"{what} should return a pair, got {type(result).__name__}")
    return result[0], result[1]


# ---------------------------------------------------------------------------- correct helpers (torch)


def _c_softmax(z):
    return N(torch.softmax(T(z), dim=-1))


def _c_log_softmax(z):
    return N(torch.log_softmax(T(z), dim=-1))


def _c_mse(y_pred, y):
    return np.float64(F.mse_loss(T(y_pred), T(y)).item())


def _c_bce(p, y, eps=1e-12):
    return np.float64(F.binary_cross_entropy(torch.clamp(T(p), eps, 1 - eps), T(y)).item())


def _c_ce(logits, y):
    return np.float64(F.cross_entropy(T(logits), torch.as_tensor(np.asarray(y), dtype=torch.long)).item())


def _c_softmax_loss(x, y):
    xt = T(x).requires_grad_()
    loss = F.cross_entropy(xt, torch.as_tensor(np.asarray(y), dtype=torch.long))
    loss.backward()
    return np.float64(loss.item()), N(xt.grad)


def _c_l2(W, reg):
    return np.float64((0.5 * reg * (T(W) ** 2).sum()).item())


def _c_affine_forward(x, w, b):
    x = np.asarray(x)
    return N(T(x).reshape(x.shape[0], -1) @ T(w) + T(b)), (x, w, b)


def _c_affine_backward(dout, cache):
    x, w, b = cache
    x = np.asarray(x)
    xt, wt, bt = T(x).requires_grad_(), T(w).requires_grad_(), T(b).requires_grad_()
    ((xt.reshape(x.shape[0], -1) @ wt + bt) * T(dout)).sum().backward()
    return N(xt.grad), N(wt.grad), N(bt.grad)


def _c_relu_forward(x):
    return N(torch.relu(T(x))), np.array(x, dtype=np.float64)


def _c_relu_backward(dout, cache):
    xt = T(cache).requires_grad_()
    (torch.relu(xt) * T(dout)).sum().backward()
    return N(xt.grad)


def _c_sigmoid_forward(x):
    return N(torch.sigmoid(T(x))), np.array(x, dtype=np.float64)


def _c_sigmoid_backward(dout, cache):
    xt = T(cache).requires_grad_()
    (torch.sigmoid(xt) * T(dout)).sum().backward()
    return N(xt.grad)


def _c_numgrad(f, x, h=1e-5):
    g = np.zeros(np.shape(x))
    for ix in np.ndindex(*np.shape(x)):
        old = x[ix]
        x[ix] = old + h
        fp = float(f(x))
        x[ix] = old - h
        fm = float(f(x))
        x[ix] = old
        g[ix] = (fp - fm) / (2 * h)
    return g


CORRECT: dict[str, Callable] = {
    "softmax": _c_softmax, "log_softmax": _c_log_softmax, "mse_loss": _c_mse, "binary_cross_entropy": _c_bce,
    "cross_entropy": _c_ce, "softmax_loss": _c_softmax_loss, "l2_penalty": _c_l2,
    "affine_forward": _c_affine_forward, "affine_backward": _c_affine_backward,
    "relu_forward": _c_relu_forward, "relu_backward": _c_relu_backward,
    "sigmoid_forward": _c_sigmoid_forward, "sigmoid_backward": _c_sigmoid_backward,
    "numerical_gradient": _c_numgrad,
}


# ---------------------------------------------------------------------------- hw2


def check_softmax(m, rng):
    cases = [rng.normal(0, 3, s) for s in [(4, 3), (3, 5), (5, 5), (1, 6), (6, 1), (7,), (1,)]]
    cases += [np.array([[1e4, 0.0, -1e4]]), np.array([[1e4, 1e4 - 1, 0.0], [-1e4, -1e4 + 2, -1e4 + 1], [0.5, -0.5, 1.5]]),
              np.array([1e4, -1e4, 0.0]), np.zeros((3, 4))]
    for z in cases:
        close(called(m.softmax, z, what="softmax"), torch.softmax(T(z), dim=-1), f"softmax, z of shape {z.shape}")


def check_log_softmax(m, rng):
    cases = [rng.normal(0, 3, s) for s in [(4, 3), (3, 5), (5, 5), (1, 6), (6, 1), (7,), (1,)]]
    cases += [np.array([[0.0, -1e4]]), np.array([[1e4, 0.0, -1e4]]), np.array([[800.0, -800.0, 0.0]]),
              np.array([0.0, -1e3, 1e3])]
    for z in cases:
        close(called(m.log_softmax, z, what="log_softmax"), torch.log_softmax(T(z), dim=-1),
              f"log_softmax, z of shape {z.shape}", rtol=1e-6, atol=1e-8)


def check_mse_loss(m, rng):
    for s in [(5,), (3, 4), (1,), (2, 3, 2)]:
        a, b = rng.normal(size=s), rng.normal(size=s)
        v = scalar(called(m.mse_loss, a, b, what="mse_loss"), "mse_loss")
        close(v, F.mse_loss(T(a), T(b)), f"mse_loss, shape {s}")


def check_binary_cross_entropy(m, rng):
    for s in [(6,), (3, 4)]:
        p, y = rng.uniform(0.02, 0.98, s), rng.integers(0, 2, s).astype(float)
        v = scalar(called(m.binary_cross_entropy, p, y, what="binary_cross_entropy"), "bce")
        close(v, F.binary_cross_entropy(T(p), T(y)), f"bce, shape {s}")
    p, y = np.array([0.0, 1.0, 0.3, 0.9, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    for kw in [{}, {"eps": 1e-3}, {"eps": 1e-6}]:
        eps = kw.get("eps", 1e-12)
        v = scalar(called(m.binary_cross_entropy, p, y, what="binary_cross_entropy", **kw), "bce")
        close(v, F.binary_cross_entropy(torch.clamp(T(p), eps, 1 - eps), T(y)), f"bce with p in {{0, 1}}, eps={eps}",
              rtol=1e-6)


def check_cross_entropy(m, rng):
    for n, c in [(4, 3), (3, 5), (1, 4), (8, 8)]:
        x, y = rng.normal(0, 3, (n, c)), rng.integers(0, c, n)
        v = scalar(called(m.cross_entropy, x, y, what="cross_entropy"), "cross_entropy")
        close(v, F.cross_entropy(T(x), torch.as_tensor(y)), f"cross_entropy, ({n}, {c})")
    x, y = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]]), np.array([2, 0])
    close(scalar(called(m.cross_entropy, x, y, what="cross_entropy"), "cross_entropy"),
          F.cross_entropy(T(x), torch.as_tensor(y)), "cross_entropy with |logits| = 1e4")


def check_softmax_loss(m, rng):
    cases = [(rng.normal(0, 3, (n, c)), rng.integers(0, c, n)) for n, c in [(4, 3), (3, 5), (1, 4), (10, 10)]]
    cases += [(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]]), np.array([2, 0]))]
    for x, y in cases:
        loss, dx = pair(called(m.softmax_loss, x, y, what="softmax_loss"), "softmax_loss")
        xt = T(x).requires_grad_()
        ref = F.cross_entropy(xt, torch.as_tensor(y))
        ref.backward()
        close(scalar(loss, "loss"), ref, f"softmax_loss loss, x {x.shape}")
        close(dx, xt.grad, f"softmax_loss dx, x {x.shape}")


def check_l2_penalty(m, rng):
    for s, reg in [((3, 4), 0.1), ((5,), 1.0), ((2, 3, 2), 2e-3)]:
        W = rng.normal(size=s)
        v = scalar(called(m.l2_penalty, W, reg, what="l2_penalty"), "l2_penalty")
        close(v, 0.5 * reg * (T(W) ** 2).sum(), f"l2_penalty, W {s}, reg {reg}")
        # its gradient is what SGD(weight_decay=reg) applies: reg * W
        p = T(W).requires_grad_()
        opt = torch.optim.SGD([p], lr=1.0, weight_decay=reg)
        p.grad = torch.zeros_like(p)
        opt.step()
        wd_grad = W - N(p)
        h, g = 1e-5, np.zeros(s)
        for ix in np.ndindex(s):
            Wp, Wm = W.copy(), W.copy()
            Wp[ix] += h
            Wm[ix] -= h
            g[ix] = (float(m.l2_penalty(Wp, reg)) - float(m.l2_penalty(Wm, reg))) / (2 * h)
        close(g, wd_grad, "the gradient of l2_penalty (weight decay)", rtol=1e-5, atol=1e-8)
    close(scalar(m.l2_penalty(np.zeros((2, 2)), 0.5), "l2_penalty"), 0.0, "l2_penalty(0)")


def _wrap(a):
    return np.angle(np.exp(1j * a))


def check_spiral_data(m, rng):
    for n, k, seed in [(100, 3, 0), (50, 4, 1), (40, 2, 7)]:
        X, y = pair(m.spiral_data(n, k, seed), "spiral_data")
        X, y = np.asarray(X), np.asarray(y)
        if X.shape != (n * k, 2) or y.shape != (n * k,):
            raise Wrong(f"spiral_data shapes {X.shape}, {y.shape}")
        if y.dtype.kind not in "iu" or not np.array_equal(y, np.repeat(np.arange(k), n)):
            raise Wrong("spiral_data labels: integers 0..K-1, class j in rows j*N .. (j+1)*N - 1")
        close(np.hypot(X[:, 0], X[:, 1]), np.tile(np.linspace(0, 1, n), k), "spiral radii", atol=1e-9)
        arm = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), n) for j in range(k)])
        keep = np.hypot(X[:, 0], X[:, 1]) > 1e-9
        noise = _wrap(np.arctan2(X[:, 0], X[:, 1]) - arm)[keep]
        se = 0.2 / math.sqrt(noise.size)
        if abs(noise.mean()) > 6 * se:
            raise Wrong(f"spiral angle noise has mean {noise.mean():.3g}, expected 0")
        if abs(noise.std() - 0.2) > 6 * 0.2 / math.sqrt(2 * noise.size):
            raise Wrong(f"spiral angle noise has spread {noise.std():.3g}, expected 0.2")
    np.random.seed(1)
    a = np.asarray(m.spiral_data(30, 3, 5)[0])
    np.random.seed(2)
    b = np.asarray(m.spiral_data(30, 3, 5)[0])
    if not np.array_equal(a, b):
        raise Wrong("spiral_data: the same seed gave different data")
    if np.allclose(a, np.asarray(m.spiral_data(30, 3, 6)[0])):
        raise Wrong("spiral_data: another seed gave the same data")


def _train(m, X, y, *args, **kwargs):
    out = called(m.train_linear_softmax, X, y, *args, what="train_linear_softmax", **kwargs)
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        raise Wrong("train_linear_softmax should return (W, b, losses)")
    W, b, losses = (np.asarray(v, dtype=np.float64) for v in out)
    return W, b.reshape(-1), losses.reshape(-1) if losses.ndim else losses


def _torch_gd(X, y, W0, step, reg, n_iters):
    W = T(W0).requires_grad_()
    b = torch.zeros(W0.shape[1], requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=step)
    losses = []
    for _ in range(n_iters):
        opt.zero_grad()
        loss = F.cross_entropy(T(X) @ W + b, torch.as_tensor(y)) + 0.5 * reg * (W ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return N(W), N(b), np.array(losses)


def check_train_linear_softmax(m, rng):
    def problem(n, d, k, seed):
        r = np.random.default_rng(seed)
        return r.normal(size=(n, d)), np.concatenate([np.arange(k), r.integers(0, k, n - k)])

    X, y = problem(60, 50, 10, 1)
    np.random.seed(1234)
    W0, b0, _ = _train(m, X, y, 0.0, 1e-3, 1, 3)
    close(b0, np.zeros(10), "b at initialisation", atol=0)
    if W0.shape != (50, 10) or not (0.008 < W0.std() < 0.012) or abs(W0.mean()) > 0.0025:
        raise Wrong(f"W at initialisation: shape {W0.shape}, std {W0.std():.3g} (expected 0.01 * randn(D, K))")
    for (n, d, k, s), step, reg, iters in [((30, 2, 3, 0), 1.0, 1e-3, 25), ((30, 5, 4, 3), 0.5, 0.1, 15),
                                           ((8, 12, 3, 4), 0.2, 0.05, 20), ((60, 50, 10, 2), 0.0, 1.0, 2)]:
        X, y = problem(n, d, k, s)
        np.random.seed(1234)
        W0 = _train(m, X, y, 0.0, reg, 1, 7)[0]
        np.random.seed(1234)
        W, b, losses = _train(m, X, y, step, reg, iters, 7)
        Wt, bt, lt = _torch_gd(X, y, W0, step, reg, iters)
        close(losses, lt, f"losses (step {step}, reg {reg})", rtol=1e-5, atol=1e-8)
        close(W, Wt, "W after training", rtol=1e-5, atol=1e-8)
        close(b, bt, "b after training", rtol=1e-5, atol=1e-8)
    X, y = problem(40, 3, 3, 5)
    np.random.seed(1)
    W1 = _train(m, X, y, 0.5, 1e-3, 3, 11)[0]
    np.random.seed(2)
    W2 = _train(m, X, y, 0.5, 1e-3, 3, 11)[0]
    if not np.array_equal(W1, W2):
        raise Wrong("train_linear_softmax: the same seed gave different W")
    if np.allclose(_train(m, X, y, 0.0, 1e-3, 1, 12)[0], _train(m, X, y, 0.0, 1e-3, 1, 11)[0]):
        raise Wrong("train_linear_softmax: the seed does not change W0")
    np.random.seed(1234)
    W, b, losses = _train(m, X, y)  # defaults: step 1.0, reg 1e-3, 200 iterations
    np.random.seed(1234)
    W0 = _train(m, X, y, 0.0, 1e-3, 1, 0)[0]
    close(losses, _torch_gd(X, y, W0, 1.0, 1e-3, 200)[2], "losses with the default arguments", rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------- hw3


def _x(rng, shape, scale=3.0):
    x = rng.normal(0, scale, shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def check_affine_backward(m, rng):
    cases = [((1, 3), 2), ((4, 5), 3), ((6, 6), 6), ((3, 2, 4), 4), ((2, 3, 2, 2), 3), ((5, 1, 6), 2)]
    for (shape, mm), scale in itertools.product(cases, [1.0, 1e3]):
        d = int(np.prod(shape[1:]))
        x, w, b = scale * rng.normal(size=shape), rng.normal(0, 1 / math.sqrt(d), (d, mm)), rng.normal(size=mm)
        dout = rng.normal(size=(shape[0], mm))
        res = called(m.affine_backward, dout, (x, w, b), what="affine_backward")
        if not (isinstance(res, (tuple, list)) and len(res) == 3):
            raise Wrong("affine_backward should return (dx, dw, db)")
        xt, wt, bt = T(x).requires_grad_(), T(w).requires_grad_(), T(b).requires_grad_()
        ((xt.reshape(shape[0], -1) @ wt + bt) * T(dout)).sum().backward()
        tol = 1e-9 * max(1.0, scale)
        for got, ref, name in zip(res, (xt.grad, wt.grad, bt.grad), ("dx", "dw", "db")):
            close(got, ref, f"affine_backward {name}, x {shape}", atol=tol)


def _fwd(m, name, x):
    return pair(called(getattr(m, name), x, what=name), name)


def check_relu_forward(m, rng):
    for s in [(1,), (7,), (3, 4), (2, 3, 4)]:
        x = _x(rng, s)
        x.flat[::3] = 0.0
        close(_fwd(m, "relu_forward", x)[0], torch.relu(T(x)), f"relu_forward, {s}")


def check_relu_backward(m, rng):
    for s in [(1,), (7,), (3, 4), (2, 3, 4), (2, 3)]:
        x, dout = _x(rng, s), rng.normal(size=s) + 0.5
        x.flat[::4] = 0.0  # torch: relu'(0) = 0
        cache = _fwd(m, "relu_forward", x)[1]
        dx = called(m.relu_backward, dout, cache, what="relu_backward")
        xt = T(x).requires_grad_()
        (torch.relu(xt) * T(dout)).sum().backward()
        close(dx, xt.grad, f"relu_backward, {s}")


def check_sigmoid_forward(m, rng):
    for x in [_x(rng, s) for s in [(1,), (7,), (3, 4), (2, 3, 4)]] + [
            np.array([-1e4, 1e4]), np.array([[-1e4, -1e3, -50.0], [50.0, 1e3, 1e4]]), np.array([-710.0, 710, -800, 800])]:
        close(_fwd(m, "sigmoid_forward", x)[0], torch.sigmoid(T(x)), f"sigmoid_forward, {x.shape}", rtol=1e-6, atol=1e-12)


def check_sigmoid_backward(m, rng):
    for x in [_x(rng, s, 2.0) for s in [(1,), (7,), (3, 4), (2, 3, 4)]] + [
            np.array([-1e4, 1e4]), np.array([-710.0, 710, -800, 800, 0.0])]:
        dout = rng.normal(size=x.shape)
        cache = _fwd(m, "sigmoid_forward", x)[1]
        dx = called(m.sigmoid_backward, dout, cache, what="sigmoid_backward")
        xt = T(x).requires_grad_()
        (torch.sigmoid(xt) * T(dout)).sum().backward()
        close(dx, xt.grad, f"sigmoid_backward, {x.shape}", rtol=1e-6, atol=1e-12)


def _net_case(rng, n, d, h, c):
    X = rng.normal(size=(n, d))
    p = {"W1": rng.normal(0, 1 / math.sqrt(d), (d, h)), "b1": rng.normal(0, 0.2, h),
         "W2": rng.normal(0, 1 / math.sqrt(h), (h, c)), "b2": rng.normal(0, 0.2, c) - 0.5}
    return X, p, rng.integers(0, c, n)


def _torch_net(X, p, y, reg):
    t = {k: T(v).requires_grad_() for k, v in p.items()}
    scores = torch.relu(T(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    if y is None:
        return N(scores)
    loss = F.cross_entropy(scores, torch.as_tensor(y)) + 0.5 * reg * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    loss.backward()
    return loss.item(), {k: N(v.grad) for k, v in t.items()}


def check_two_layer_net(m, rng):
    for n, d, h, c in [(1, 3, 4, 2), (5, 4, 10, 3), (8, 3, 6, 5), (20, 2, 50, 3)]:
        X, p, y = _net_case(rng, n, d, h, c)
        close(called(m.two_layer_net, X, p, what="two_layer_net"), _torch_net(X, p, None, 0), "scores", atol=1e-9)
        for reg in [0.0, 0.3]:
            loss, grads = pair(called(m.two_layer_net, X, p, y, reg=reg, what="two_layer_net"), "two_layer_net")
            ref_loss, ref_grads = _torch_net(X, p, y, reg)
            close(scalar(loss, "loss"), ref_loss, f"loss (reg {reg}, N {n})")
            if not isinstance(grads, dict) or set(grads) != set(p):
                raise Wrong("grads should be a dict with the keys of params")
            for k in p:
                close(grads[k], ref_grads[k], f"grads[{k}] (reg {reg}, N {n})", rtol=1e-6, atol=1e-9)
    X, p, y = _net_case(rng, 8, 4, 6, 3)
    p["b2"] = p["b2"] + 1000.0
    loss, grads = pair(called(m.two_layer_net, X, p, y, reg=0.1, what="two_layer_net"), "two_layer_net")
    ref_loss, ref_grads = _torch_net(X, p, y, 0.1)
    close(scalar(loss, "loss"), ref_loss, "loss with scores near 1000", rtol=1e-6, atol=1e-8)
    for k in p:
        close(grads[k], ref_grads[k], f"grads[{k}] with scores near 1000", rtol=1e-5, atol=1e-8)


class _Rec:
    def __init__(self, fn, x0):
        self.fn, self.x0, self.points = fn, x0.copy(), []

    def __call__(self, x):
        x = np.array(x, dtype=float)
        self.points.append(x)
        return float(self.fn(T(x)))


def check_numerical_gradient(m, rng):
    for shape in [(1,), (5,), (3, 4), (2, 2, 3)]:
        x0, a = rng.normal(size=shape), rng.normal(size=shape)
        f = _Rec(lambda t: (T(a) * torch.sin(t)).sum() + (t ** 3).sum() / 3 + torch.exp(t / 2).sum(), x0)  # noqa: B023
        xt = T(x0).requires_grad_()
        f.fn(xt).backward()
        x = x0.copy()
        g = m.numerical_gradient(f, x, 1e-4)
        close(g, xt.grad, f"numerical_gradient vs autograd, x {shape}, h 1e-4", rtol=1e-6, atol=1e-6)
        close(x, x0, "x after numerical_gradient", rtol=0, atol=1e-15)
        for p in f.points:
            if np.count_nonzero(np.abs(p - x0) > 1e-12) > 1:
                raise Wrong("numerical_gradient evaluated f with several elements of x moved (x not restored)")
    for K, h in [(1e3, 1e-3), (1e5, None)]:  # cos(Kx) sin(Kh) / h: the centred difference at exactly this h
        x0 = rng.uniform(-1, 1, 4)
        f = _Rec(lambda t, K=K: torch.sin(K * t).sum(), x0)
        x = x0.copy()
        g = m.numerical_gradient(f, x) if h is None else m.numerical_gradient(f, x, h)
        hh = 1e-5 if h is None else h
        close(g, torch.cos(K * T(x0)) * math.sin(K * hh) / hh, f"numerical_gradient with h = {hh:g}", rtol=1e-5,
              atol=1e-6 * K)


# --- Value


def _torch_point(point):
    return [torch.tensor(float(v), requires_grad=True) for v in point]


def _walk(out) -> bool:
    """Backpropagate from ``out`` over the module's own ``_prev`` / ``_backward``; False if it has none."""
    if not (hasattr(out, "_prev") and hasattr(out, "_backward")):
        return False
    topo, seen = [], set()

    def visit(v):
        if id(v) in seen:
            return
        seen.add(id(v))
        for c in v._prev:
            visit(c)
        topo.append(v)
    visit(out)
    out.grad = 1.0
    for v in reversed(topo):
        v._backward()
    return True


def _value_case(Value, expr, point, walk):
    leaves = [Value(float(v)) for v in point]
    out = expr(*leaves)
    if not (walk and _walk(out)):
        out.backward()
    tl = _torch_point(point)
    ref = expr(*tl)
    ref.backward()
    return (float(out.data), [float(leaf.grad) for leaf in leaves]), (ref.item(), [float(t.grad) if t.grad is not None
                                                                             else 0.0 for t in tl])


def _value_check(Value, text, expr, point, walk):
    try:
        got, ref = _value_case(Value, expr, point, walk)
    except Wrong:
        raise
    except Exception as exc:  # noqa: BLE001 -- the module's code raised
        raise Wrong(f"{text} at {point}: {type(exc).__name__}: {exc}") from None
    if not (math.isclose(got[0], ref[0], rel_tol=1e-7, abs_tol=1e-10)
            and all(math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-10) for a, b in zip(got[1], ref[1]))):
        raise Wrong(f"{text} at {point}: (data, grads) {got}, torch says {ref}")


P0, P1 = (1.5, -0.5, 2.0), (-0.75, 2.5, 0.4)
OPS = [
    ("a + b", lambda a, b, c: a + b, [P0, P1]), ("a + 2", lambda a, b, c: a + 2, [P0]),
    ("a * b", lambda a, b, c: a * b, [P0, P1]), ("a * 3", lambda a, b, c: a * 3, [P0]),
    ("a**3", lambda a, b, c: a ** 3, [P0]), ("a**0.5", lambda a, b, c: a ** 0.5, [(2.0, 0, 0)]),
    ("a**-2", lambda a, b, c: a ** -2, [(-0.5, 0, 0)]),
    ("exp", lambda a, b, c: a.exp(), [P0, P1]), ("tanh", lambda a, b, c: a.tanh(), [P0, P1]),
    ("relu", lambda a, b, c: a.relu(), [(1.5, 0, 0), (-0.5, 0, 0), (0.0, 0, 0)]),
    ("sigmoid", lambda a, b, c: a.sigmoid(), [P0, P1]),
    ("-a", lambda a, b, c: -a, [P0]), ("2 + a", lambda a, b, c: 2 + a, [P0]),
    ("a - b", lambda a, b, c: a - b, [P0, P1]), ("a - 2", lambda a, b, c: a - 2, [P0]),
    ("1 - a", lambda a, b, c: 1 - a, [P0]), ("3 * a", lambda a, b, c: 3 * a, [P0]),
    ("a / b", lambda a, b, c: a / b, [P0, P1]), ("a / 4", lambda a, b, c: a / 4, [P0]),
    ("2 / a", lambda a, b, c: 2 / a, [P0, P1]),
]


def check_value_ops(m, rng):
    for text, expr, points in OPS:
        for point in points:
            _value_check(m.Value, text, expr, point, walk=True)


def _op_ok(m, expr):
    try:
        _value_check(m.Value, "op", expr, P0, walk=True)
        return True
    except Wrong:
        return False


def check_value_backward(m, rng):
    v = m.Value(3.0)
    v.backward()
    if not math.isclose(float(v.grad), 1.0):
        raise Wrong(f"Value(3.0).backward() leaves grad {v.grad}, expected 1 (the seed)")
    add_ok, mul_ok = _op_ok(m, lambda a, b, c: a + b), _op_ok(m, lambda a, b, c: a * b)
    add = (lambda x, y: x + y) if add_ok or not mul_ok else (lambda x, y: x * y)
    mul = (lambda x, y: x * y) if mul_ok or not add_ok else (lambda x, y: x + y)

    def diamond(x, a, b):
        y = mul(x, a)
        p, q = mul(y, b), mul(mul(y, a), b)
        return add(add(p, q), mul(y, add(p, q)))

    def lengths(x, a, b):
        y = mul(x, a)
        return add(mul(y, b), mul(mul(mul(y, a), b), a))

    def chain(x, w, c):
        s = x
        for _ in range(25):
            s = add(mul(s, w), mul(x, c))
        return s

    graphs = [("a + a", lambda a, b, c: add(a, a), (3.0, 0, 0)), ("a * a", lambda a, b, c: mul(a, a), (-1.5, 0, 0)),
              ("a*b + a*c + a", lambda a, b, c: add(add(mul(a, b), mul(a, c)), a), (0.5, -2.0, 3.0)),
              ("(a+b)*(a+c)", lambda a, b, c: mul(add(a, b), add(a, c)), (1.25, -0.5, 2.0)),
              ("diamond", diamond, (0.7, -1.3, 2.1)), ("paths of different lengths", lengths, (0.8, 1.3, -0.6)),
              ("chain of 25", chain, (0.5, 0.9, 0.3))]
    for text, expr, point in graphs:
        _value_check(m.Value, text, expr, point, walk=False)


def check_value(m, rng):
    exprs = [
        ("(a + b) * c", lambda a, b, c: (a + b) * c), ("-(a * b) - c", lambda a, b, c: -(a * b) - c),
        ("5 - a * b", lambda a, b, c: 5 - a * b), ("a / (b * c)", lambda a, b, c: a / (b * c)),
        ("(a*b)**2 + (c*c)**0.75", lambda a, b, c: (a * b) ** 2 + (c * c) ** 0.75),
        ("(a*b).tanh() + c", lambda a, b, c: (a * b).tanh() + c), ("(a*b).exp() * c", lambda a, b, c: (a * b).exp() * c),
        ("(a*b).sigmoid() * c", lambda a, b, c: (a * b).sigmoid() * c),
        ("(a*b).relu() + c.relu()", lambda a, b, c: (a * b).relu() + c.relu()),
        ("a neuron with shared inputs", lambda a, b, c: ((a * b + c).tanh() * a + (a * c).sigmoid() / b - 1).relu()),
        ("x*x + x/y + (1 - y)**2 * x", lambda a, b, c: a * a + a / b + (1 - b) ** 2 * a),
        ("u = a*b; (u + u.tanh()) * u - c / u", lambda a, b, c: (lambda u: (u + u.tanh()) * u - c / u)(a * b)),
        ("all ops", lambda a, b, c: (((a * 2 - 1.5) ** 2 / 3 + (1 - c).tanh() * 0.5) * 0.25).sigmoid()
         - (2 / (1 + (-b).exp())).relu()),
    ]
    for text, expr in exprs:
        for point in [P0, P1, (0.3, 1.7, -1.1)]:
            _value_check(m.Value, text, expr, point, walk=False)


# ---------------------------------------------------------------------------- hw4


def _grad(rng, shape, scale=1.0):
    return scale * rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# rule -> (torch optimizer factory from the hyperparameters, defaults, {config state key: torch state key})
RULES = {
    "sgd": (lambda p, c: torch.optim.SGD([p], lr=c["learning_rate"]), {"learning_rate": 1e-2}, {}),
    "sgd_momentum": (lambda p, c: torch.optim.SGD([p], lr=c["learning_rate"], momentum=c["momentum"],
                                                  dampening=c["momentum"]),
                     {"learning_rate": 1e-2, "momentum": 0.9}, {"velocity": "momentum_buffer"}),
    "rmsprop": (lambda p, c: torch.optim.RMSprop([p], lr=c["learning_rate"], alpha=c["decay_rate"], eps=c["epsilon"]),
                {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, {"cache": "square_avg"}),
    "adam": (lambda p, c: torch.optim.Adam([p], lr=c["learning_rate"], betas=(c["beta1"], c["beta2"]), eps=c["epsilon"]),
             {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
             {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"}),
    "adagrad": (lambda p, c: torch.optim.Adagrad([p], lr=c["learning_rate"], eps=c["epsilon"]),
                {"learning_rate": 1e-2, "epsilon": 1e-8}, {"cache": "sum"}),
    "adadelta": (lambda p, c: torch.optim.Adadelta([p], lr=1.0, rho=c["rho"], eps=c["epsilon"]),
                 {"rho": 0.95, "epsilon": 1e-6}, {"cache": "square_avg", "delta": "acc_delta"}),
}


def _torch_steps(rule, w0, grads, given):
    factory, defaults, keys = RULES[rule]
    hyper = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
    p = T(w0).requires_grad_()
    opt = factory(p, hyper)
    state = opt.state[p]
    if keys:  # the course's state starts at zeros (or at what the config gives)
        state["step"] = torch.tensor(float(given.get("t", 0)), dtype=torch.float32)
        for ck, tk in keys.items():
            if tk != "step":
                state[tk] = T(given[ck]) if ck in given else torch.zeros_like(p)
    ws = []
    for g in grads:
        p.grad = T(g)
        opt.step()
        ws.append(N(p).copy())
    final = {ck: (state[tk].item() if tk == "step" else N(state[tk])) for ck, tk in keys.items()}
    return ws, {**hyper, **final}


def _module_steps(fn, w0, grads, config):
    ws, w = [], w0
    for i, g in enumerate(grads):
        out = called(fn, w, g, what=fn.__name__) if (config is None and i == 0) else \
            called(fn, w, g, copy.deepcopy(config), what=fn.__name__, only=(0, 1))  # the config may change
        w, config = pair(out, fn.__name__)
        if not isinstance(config, dict):
            raise Wrong(f"{fn.__name__} should return (next_w, config) with config a dict")
        ws.append(np.asarray(w, dtype=np.float64))
    return ws, config


def check_rule(rule, m, rng):
    fn = getattr(m, rule)
    _, defaults, keys = RULES[rule]
    hyper_given = {"sgd": {"learning_rate": 0.05}, "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.7},
                   "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-3},
                   "adam": {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4},
                   "adagrad": {"learning_rate": 0.1, "epsilon": 1e-3}, "adadelta": {"rho": 0.9, "epsilon": 1e-4}}[rule]
    partial = {k: v for k, v in list(hyper_given.items())[:1]}
    for shape, config, scale in [((6,), None, 1.0), ((3, 4), None, 1.0), ((2, 3, 2), dict(hyper_given), 1.0),
                                 ((5,), dict(partial), 1.0), ((4,), dict(hyper_given), 1e-3), ((1,), None, 1e3)]:
        w0 = rng.normal(size=shape)
        grads = [_grad(rng, shape, scale) for _ in range(4)]
        grads[2] = np.zeros(shape) if rule not in ("adagrad", "adadelta") else grads[2]
        ws, final = _module_steps(fn, w0, grads, config)
        ref_ws, ref_final = _torch_steps(rule, w0, grads, config or {})
        for k, (a, b) in enumerate(zip(ws, ref_ws)):
            close(a, b, f"{rule}: next_w after step {k + 1} (config {config})", rtol=1e-6, atol=1e-10)
        for key, val in ref_final.items():
            if key not in final:
                raise Wrong(f"{rule}: the returned config has no {key!r}")
            close(final[key], val, f"{rule}: config[{key!r}] after 4 steps", rtol=1e-6, atol=1e-12)
    if keys:  # continue from a given state
        shape = (3, 2)
        w0 = rng.normal(size=shape)
        state = {ck: (3 if ck == "t" else np.abs(rng.normal(size=shape)) * (0.3 if ck != "m" else 1.0))
                 for ck in keys}
        grads = [_grad(rng, shape) for _ in range(2)]
        config = {**hyper_given, **state}
        ws, final = _module_steps(fn, w0, grads, dict(config))
        ref_ws, _ = _torch_steps(rule, w0, grads, config)
        for k, (a, b) in enumerate(zip(ws, ref_ws)):
            close(a, b, f"{rule}: next_w after step {k + 1} from a given state", rtol=1e-6, atol=1e-10)


def check_linear_regression_gd(m, rng):
    def torch_gd(x, y, lr, epochs):
        b = torch.zeros(2, requires_grad=True)
        opt = torch.optim.SGD([b], lr=lr)
        losses = []
        for _ in range(epochs):
            opt.zero_grad()
            loss = F.mse_loss(b[0] + b[1] * T(x), T(y))
            losses.append(loss.item())
            loss.backward()
            opt.step()
        return b[0].item(), b[1].item(), np.array(losses)

    for n, lr, epochs in [(20, 0.05, 1), (20, 0.05, 7), (1, 0.1, 5), (30, 0.01, None)]:
        x = rng.uniform(-2, 2, n)
        y = 1.5 - 0.8 * x + 0.1 * rng.normal(size=n)
        args = (x, y) if epochs is None else (x, y, lr, epochs)
        out = called(m.linear_regression_gd, *args, what="linear_regression_gd")
        if not (isinstance(out, (tuple, list)) and len(out) == 3):
            raise Wrong("linear_regression_gd should return (beta0, beta1, losses)")
        ref = torch_gd(x, y, 0.01 if epochs is None else lr, 1000 if epochs is None else epochs)
        close(scalar(out[0], "beta0"), ref[0], "beta0", rtol=1e-6, atol=1e-10)
        close(scalar(out[1], "beta1"), ref[1], "beta1", rtol=1e-6, atol=1e-10)
        close(np.asarray(out[2], dtype=float).reshape(-1), ref[2], "losses", rtol=1e-6, atol=1e-10)


# ---------------------------------------------------------------------------- judging


CHECKS: dict[str, Callable] = {
    "softmax": check_softmax, "log_softmax": check_log_softmax, "mse_loss": check_mse_loss,
    "binary_cross_entropy": check_binary_cross_entropy, "cross_entropy": check_cross_entropy,
    "softmax_loss": check_softmax_loss, "spiral_data": check_spiral_data, "l2_penalty": check_l2_penalty,
    "train_linear_softmax": check_train_linear_softmax,
    "affine_backward": check_affine_backward, "relu_forward": check_relu_forward,
    "relu_backward": check_relu_backward, "sigmoid_forward": check_sigmoid_forward,
    "sigmoid_backward": check_sigmoid_backward, "two_layer_net": check_two_layer_net,
    "numerical_gradient": check_numerical_gradient, "Value.ops": check_value_ops,
    "Value.backward": check_value_backward, "Value": check_value,
    "linear_regression_gd": check_linear_regression_gd,
    **{rule: (lambda m, rng, rule=rule: check_rule(rule, m, rng)) for rule in RULES},
}


def _attempt(unit: str, module: Any) -> str | None:
    """None if ``unit`` of ``module`` is right, else why not."""
    rng = np.random.default_rng(sum(map(ord, unit)))  # fixed per unit: reproducible verdicts
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            CHECKS[unit](module, rng)
        return None
    except Wrong as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 -- the module's code raised: that is a wrong answer
        return f"{type(exc).__name__}: {str(exc)[:200]}"


def judge_unit(unit: str, module: Any) -> Verdict:
    why = _attempt(unit, module)
    if why is None:
        return Verdict(True)
    own = unit.split(".")[0]
    helpers = {name: fn for name, fn in CORRECT.items() if name != own and hasattr(module, name)}
    if not helpers:
        return Verdict(False, why)
    saved = {name: getattr(module, name) for name in helpers}
    try:
        for name, fn in helpers.items():
            setattr(module, name, fn)
        again = _attempt(unit, module)
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)
    if again is None:
        return Verdict(True, f"right only with correct helpers (as it is: {why})")
    return Verdict(False, why)


def load(path: Path) -> Any:
    path = Path(path)
    name = f"corpus_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def judge(hw: str, module: Any) -> dict[str, Verdict]:
    with _float64():
        return {unit: judge_unit(unit, module) for unit in UNITS[hw]}
