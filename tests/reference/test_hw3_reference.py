"""The hw3 reference solution, checked against an independent oracle: PyTorch.

Every backward pass against torch.autograd (affine, relu, sigmoid, the 2-layer
network with softmax cross-entropy and the L2 penalty), ``Value`` against the
same expressions on torch scalars (values and gradients), the numerical
gradient against autograd, and the lecture's numbers: the computational-graph
example f = (x + y)·z and the spiral data set trained by the 2-layer network.
All in float64, inputs from seeded generators, tolerances explicit.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "hw3" / "hw3.py"

# float64 against float64: only the last few bits may differ (sums in another order).
RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(scope="module")
def hw3():
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("hw3_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- affine


@pytest.mark.parametrize(
    "x_shape,m",
    [((1, 3), 2), ((4, 5), 3), ((6, 6), 6), ((3, 2, 4), 5), ((2, 3, 2, 2), 1)],
    ids=str,
)
def test_affine_backward_matches_autograd(hw3, x_shape, m):
    rng = _rng(1)
    x = rng.normal(size=x_shape)
    d = int(np.prod(x_shape[1:]))
    w, b = rng.normal(size=(d, m)), rng.normal(size=m)
    dout = rng.normal(size=(x_shape[0], m))

    out, cache = hw3.affine_forward(x, w, b)
    dx, dw, db = hw3.affine_backward(dout, cache)

    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    out_t = F.linear(xt.flatten(1), wt.T, bt)
    out_t.backward(_t(dout))
    _close(out, out_t.detach().numpy())
    assert dx.shape == x_shape and dw.shape == (d, m) and db.shape == (m,)
    _close(dx, xt.grad.numpy())
    _close(dw, wt.grad.numpy())
    _close(db, bt.grad.numpy())


# --------------------------------------------------------------------------- activations

SHAPES = [(7,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_relu_matches_autograd(hw3, shape):
    rng = _rng(2)
    x = rng.normal(size=shape)
    x.flat[::5] = 0.0  # the kink: autograd's relu'(0) = 0, the lecture's convention
    dout = rng.normal(size=shape)
    out, cache = hw3.relu_forward(x)
    dx = hw3.relu_backward(dout, cache)
    xt = _t(x, True)
    yt = torch.relu(xt)
    yt.backward(_t(dout))
    _close(out, yt.detach().numpy())
    _close(dx, xt.grad.numpy())
    assert np.all(dx[x == 0] == 0)


@pytest.mark.parametrize("scale", [1.0, 10.0, 1e4])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sigmoid_matches_autograd(hw3, shape, scale):
    rng = _rng(3)
    x = scale * rng.normal(size=shape)
    dout = rng.normal(size=shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning even at |x| ~ 1e4
        out, cache = hw3.sigmoid_forward(x)
        dx = hw3.sigmoid_backward(dout, cache)
    xt = _t(x, True)
    yt = torch.sigmoid(xt)
    yt.backward(_t(dout))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    _close(out, yt.detach().numpy())
    _close(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-15)


# --------------------------------------------------------------------------- two_layer_net


def _net(seed: int, n: int, d: int, h: int, c: int, b2_shift: float = 0.0):
    rng = _rng(seed)
    X = rng.normal(size=(n, d))
    params = {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(d), size=(d, h)),
        "b1": rng.normal(0.0, 0.1, size=h),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(h), size=(h, c)),
        "b2": rng.normal(0.0, 0.1, size=c) + b2_shift,
    }
    y = rng.integers(0, c, size=n)
    return X, params, y


def _torch_net(X, params, y, reg):
    p = {k: _t(v, True) for k, v in params.items()}
    scores = torch.relu(_t(X) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    loss = F.cross_entropy(scores, torch.from_numpy(y)) + 0.5 * reg * (
        (p["W1"] ** 2).sum() + (p["W2"] ** 2).sum()
    )
    loss.backward()
    return scores.detach().numpy(), loss.item(), {k: v.grad.numpy() for k, v in p.items()}


@pytest.mark.parametrize("reg", [0.0, 1e-3, 0.5])
@pytest.mark.parametrize("n,d,h,c", [(1, 3, 4, 2), (5, 4, 10, 3), (16, 7, 6, 5)], ids=str)
def test_two_layer_net_matches_autograd(hw3, n, d, h, c, reg):
    X, params, y = _net(4, n, d, h, c)
    scores_t, loss_t, grads_t = _torch_net(X, params, y, reg)

    scores = hw3.two_layer_net(X, params)
    assert scores.shape == (n, c)
    _close(scores, scores_t)

    loss, grads = hw3.two_layer_net(X, params, y, reg=reg)
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_t, rel=RTOL)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        _close(grads[k], grads_t[k])


def test_two_layer_net_large_scores_are_stable(hw3):
    X, params, y = _net(5, 8, 4, 6, 3, b2_shift=1000.0)  # exp(1000) overflows without the max shift
    _, loss_t, grads_t = _torch_net(X, params, y, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = hw3.two_layer_net(X, params, y, reg=0.1)
    assert math.isfinite(loss)
    assert loss == pytest.approx(loss_t, rel=1e-9)
    for k in params:
        _close(grads[k], grads_t[k], rtol=1e-8, atol=1e-12)


def test_two_layer_net_zero_weights_give_log_c(hw3):
    # All scores equal: p = 1/C for every class, so the loss is log C (the sanity check of the lecture).
    X = _rng(6).normal(size=(10, 4))
    params = {"W1": np.zeros((4, 5)), "b1": np.zeros(5), "W2": np.zeros((5, 3)), "b2": np.zeros(3)}
    loss, grads = hw3.two_layer_net(X, params, np.arange(10) % 3)
    assert loss == pytest.approx(math.log(3.0), rel=1e-14)
    assert np.all(grads["W1"] == 0) and np.all(grads["W2"] == 0)


def test_two_layer_net_does_not_mutate_params(hw3):
    X, params, y = _net(7, 6, 3, 5, 4)
    before = {k: v.copy() for k, v in params.items()}
    hw3.two_layer_net(X, params, y, reg=0.3)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def _spiral(n_per_class: int = 100, n_classes: int = 3, seed: int = 0):
    """The lecture's spiral: r = linspace(0, 1), t = linspace(4j, 4(j+1)) + 0.2·noise."""
    rng = _rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + 0.2 * rng.standard_normal(n_per_class)
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


@pytest.mark.slow
def test_spiral_trains_to_the_lectures_loss(hw3):
    """The lecture: 100 hidden units, step size 1.0, reg 1e-3, 10 000 full-batch steps:
    the loss goes from log 3 ≈ 1.0986 to about 0.25, and the training accuracy to about 98 %.
    (About 3.5 s on one core.)"""
    X, y = _spiral(seed=0)
    rng = _rng(0)
    params = {
        "W1": 0.01 * rng.standard_normal((2, 100)),
        "b1": np.zeros(100),
        "W2": 0.01 * rng.standard_normal((100, 3)),
        "b2": np.zeros(3),
    }
    losses = []
    for _ in range(10_000):
        loss, grads = hw3.two_layer_net(X, params, y, reg=1e-3)
        losses.append(loss)
        for k in params:
            params[k] -= 1.0 * grads[k]
    assert losses[0] == pytest.approx(math.log(3.0), abs=1e-3)
    assert 0.22 < losses[-1] < 0.28
    accuracy = np.mean(np.argmax(hw3.two_layer_net(X, params), axis=1) == y)
    assert accuracy >= 0.97


# --------------------------------------------------------------------------- numerical_gradient


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 2, 3)], ids=str)
def test_numerical_gradient_matches_autograd(hw3, shape):
    rng = _rng(8)
    x = rng.normal(size=shape)
    a = rng.normal(size=shape)

    def f_torch(t):
        return (torch.sin(t) * a_t).sum() + (t**3).sum() / 3.0 + torch.exp(0.5 * t).sum()

    a_t = _t(a)
    xt = _t(x, True)
    f_torch(xt).backward()
    x_before = x.copy()
    grad = hw3.numerical_gradient(lambda v: f_torch(_t(v)).item(), x)
    assert grad.shape == shape
    _close(grad, xt.grad.numpy(), rtol=1e-7, atol=1e-8)  # centred differences: O(h^2) + rounding
    np.testing.assert_array_equal(x, x_before)  # x is restored exactly


def test_numerical_gradient_checks_the_network(hw3):
    # The lecture's use: compare the analytic gradient of the loss with the numerical one.
    X, params, y = _net(9, 4, 3, 5, 3)
    _, grads = hw3.two_layer_net(X, params, y, reg=0.1)
    for k in params:
        def f(_, k=k):
            return hw3.two_layer_net(X, params, y, reg=0.1)[0]  # CS231n style: f reads params[k] in place

        num = hw3.numerical_gradient(f, params[k])
        _close(num, grads[k], rtol=1e-6, atol=1e-8)


def test_numerical_gradient_is_centred(hw3):
    # f(x) = x^3 at x = 1 with h = 0.1: centred (1.1^3 - 0.9^3)/0.2 = 3.01; one-sided would be 3.31.
    g = hw3.numerical_gradient(lambda v: float(v[0] ** 3), np.array([1.0]), h=0.1)
    assert g[0] == pytest.approx(3.01, rel=1e-12)


# --------------------------------------------------------------------------- Value


def test_value_lecture_example(hw3):
    # The lecture's graph: f = (x + y) z at x = -2, y = 5, z = -4.
    x, y, z = hw3.Value(-2.0), hw3.Value(5.0), hw3.Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0 and f.grad == 1.0


EXPRESSIONS = {
    "add_mul": lambda a, b, c: (a + b) * c + a * 2 + 3,
    "reuse": lambda a, b, c: a * a + a * b + a,
    "sub_neg": lambda a, b, c: a - b - (-c) - 2,
    "reflected": lambda a, b, c: 2 * a + (1 - b) + 3 / c + (4 + c) + (2 - a) * 3,
    "div": lambda a, b, c: a / b + (a * c) / (b + 5),
    "pow": lambda a, b, c: a**2 + (b * b + 1) ** 0.5 + c**-1 + (a + 4) ** 1.5 + a**3,
    "tanh": lambda a, b, c: (a * b).tanh() + c.tanh() * a,
    "relu": lambda a, b, c: (a * b).relu() + (c - 10).relu() + (a + b + c).relu() * a,
    "exp": lambda a, b, c: (a * 0.5).exp() + (b - c).exp() * c,
    "sigmoid": lambda a, b, c: (a * b).sigmoid() + (c * 30).sigmoid() * a + (-c * 30).sigmoid(),
    # micrograd's test_sanity_check and test_more_ops (only on Values; DAGs with shared nodes)
    "micrograd_sanity": None,
    "micrograd_more_ops": None,
}


def _micrograd_sanity(x, *_):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def _micrograd_more_ops(a, b, *_):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


EXPRESSIONS["micrograd_sanity"] = _micrograd_sanity
EXPRESSIONS["micrograd_more_ops"] = _micrograd_more_ops


@pytest.mark.parametrize("point", [(-4.0, 2.0, 1.5), (1.25, -0.5, 0.75)], ids=str)
@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_value_matches_torch(hw3, name, point):
    expr = EXPRESSIONS[name]
    leaves = [hw3.Value(v) for v in point]
    out = expr(*leaves)
    out.backward()

    tleaves = [_t(v, True) for v in point]
    tout = expr(*tleaves)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for leaf, tleaf in zip(leaves, tleaves):
        expected = 0.0 if tleaf.grad is None else tleaf.grad.item()
        assert leaf.grad == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_value_diamond_graph_matches_torch(hw3):
    # y is used by two paths of different lengths: only a topological order gets x.grad right.
    def expr(x, a, b):
        y = x * a
        p = y * b
        q = (y * a) * b
        r = y * (p + q)
        return p + q + r

    point = (0.7, -1.3, 2.1)
    leaves = [hw3.Value(v) for v in point]
    out = expr(*leaves)
    out.backward()
    tleaves = [_t(v, True) for v in point]
    expr(*tleaves).backward()
    for leaf, tleaf in zip(leaves, tleaves):
        assert leaf.grad == pytest.approx(tleaf.grad.item(), rel=1e-12)


def test_value_relu_at_zero_has_zero_gradient(hw3):
    a = hw3.Value(0.0)
    out = a.relu()
    out.backward()
    t = _t(0.0, True)
    torch.relu(t).backward()
    assert out.data == 0.0 and a.grad == t.grad.item() == 0.0


def test_value_sigmoid_is_stable(hw3):
    for v in (-1000.0, 1000.0):
        a = hw3.Value(v)
        out = a.sigmoid()
        out.backward()
        assert out.data == pytest.approx(torch.sigmoid(_t(v)).item(), abs=1e-300)
        assert a.grad == 0.0


def test_value_grad_starts_at_zero(hw3):
    assert hw3.Value(3.0).grad == 0.0
