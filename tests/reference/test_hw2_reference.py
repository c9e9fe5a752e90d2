"""The hw2 reference solution, checked against an independent oracle: PyTorch.

Values against torch's own functions (torch.softmax, torch.log_softmax,
F.mse_loss, F.binary_cross_entropy, F.cross_entropy), gradients against
torch.autograd, the linear classifier against a PyTorch re-implementation
trained with torch.optim.SGD, and the lecture's numbers: the slide's softmax
example and the spiral's loss plateau of about 0.75. Float64 throughout, inputs
from seeded generators, tolerances explicit.
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

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "hw2" / "hw2.py"

# float64 against float64: only the last few bits may differ.
RTOL, ATOL = 1e-12, 1e-14


@pytest.fixture(scope="module")
def hw2():
    spec = importlib.util.spec_from_file_location("hw2_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _logits(seed: int, shape: tuple[int, ...], scale: float = 3.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


def _labels(seed: int, n: int, c: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, c, size=n)


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


LOGIT_SHAPES = [(1, 4), (4, 3), (3, 4), (5, 5), (6, 1), (20, 10), (7,), (1,)]
# rows of wildly different scale, and entries as large as 1e4: torch is exact on these
EXTREME_LOGITS = np.array([
    [1e4, 0.0, -1e4],
    [-1e4, -1e4 + 1.0, -1e4 + 2.0],
    [1e4, 1e4, 1e4],
    [0.0, 1.0, 2.0],
    [710.0, -710.0, 0.0],
    [-1e3, 1e3, 0.5],
])


# --------------------------------------------------------------------------- the slide's example

# The slide prints softmax([2.0, 4.3, 1.2, -3.1]) = [0.087492, 0.872661, 0.039312, 0.000292]:
# its numbers are truncated (not rounded) to 6 decimals. The first three agree with the formula;
# the fourth does not: the exact value is 0.000533 (e^-7.4 / 1.14596), and the slide's four
# numbers sum to 0.999757, not 1. 0.000292 is the fourth entry for the input -3.7 instead of -3.1.
SLIDE_Z = np.array([2.0, 4.3, 1.2, -3.1])
SLIDE_P = np.array([0.087492, 0.872661, 0.039312, 0.000292])


def test_slide_example_first_three_entries(hw2):
    p = hw2.softmax(SLIDE_Z)
    assert p.shape == (4,)
    np.testing.assert_array_equal(np.floor(p[:3] * 1e6) / 1e6, SLIDE_P[:3])  # truncated to 6 decimals
    np.testing.assert_allclose(p, _torch_softmax(SLIDE_Z), rtol=RTOL, atol=ATOL)


def test_slide_example_fourth_entry_is_a_typo(hw2):
    p = hw2.softmax(SLIDE_Z)
    assert p[3] == pytest.approx(math.exp(-7.4) / (1 + math.exp(-2.3) + math.exp(-3.1) + math.exp(-7.4)), rel=1e-14)
    assert p[3] == pytest.approx(0.000533, abs=5e-7)
    assert SLIDE_P.sum() == pytest.approx(0.999757, abs=1e-9)  # the slide's row does not sum to 1
    assert hw2.softmax(np.array([2.0, 4.3, 1.2, -3.7]))[3] == pytest.approx(0.000292, abs=1.5e-6)


# --------------------------------------------------------------------------- softmax, log_softmax


def _torch_softmax(z):
    return torch.softmax(_t(z), dim=-1).numpy()


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=str)
def test_softmax_matches_torch(hw2, shape):
    z = _logits(1, shape)
    p = hw2.softmax(z)
    assert p.shape == shape and p.dtype == np.float64
    np.testing.assert_allclose(p, _torch_softmax(z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-14)


@pytest.mark.parametrize("shape", LOGIT_SHAPES, ids=str)
def test_log_softmax_matches_torch(hw2, shape):
    z = _logits(2, shape)
    np.testing.assert_allclose(hw2.log_softmax(z), torch.log_softmax(_t(z), dim=-1).numpy(), rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_extremes_finite_without_warnings(hw2, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or a division 0/0 would fail here
        out = getattr(hw2, name)(EXTREME_LOGITS)
    assert np.all(np.isfinite(out))
    expected = getattr(torch, name)(_t(EXTREME_LOGITS), dim=-1).numpy()
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


def test_log_softmax_is_exact_where_softmax_underflows(hw2):
    np.testing.assert_array_equal(hw2.log_softmax(np.array([0.0, -1e4])), np.array([0.0, -1e4]))
    assert hw2.softmax(np.array([0.0, -1e4]))[1] == 0.0  # so log(softmax) would be -inf


def test_softmax_and_log_softmax_agree(hw2):
    z = _logits(3, (8, 6))
    np.testing.assert_allclose(np.exp(hw2.log_softmax(z)), hw2.softmax(z), rtol=1e-13, atol=1e-16)


def test_softmax_inputs_unchanged(hw2):
    z = _logits(4, (5, 3))
    before = z.copy()
    hw2.softmax(z), hw2.log_softmax(z), hw2.cross_entropy(z, np.zeros(5, dtype=int)), hw2.softmax_loss(z, np.zeros(5, dtype=int))
    np.testing.assert_array_equal(z, before)


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize("shape", [(1,), (10,), (4, 3), (2, 3, 4)], ids=str)
def test_mse_loss_matches_torch(hw2, shape):
    rng = np.random.default_rng(5)
    y_pred, y = rng.normal(size=shape), rng.normal(size=shape)
    out = hw2.mse_loss(y_pred, y)
    assert np.ndim(out) == 0
    assert out == pytest.approx(F.mse_loss(_t(y_pred), _t(y)).item(), rel=RTOL)


def test_mse_loss_edges(hw2):
    assert hw2.mse_loss(np.zeros(4), np.zeros(4)) == 0.0
    assert hw2.mse_loss(np.array([1e4, -1e4]), np.array([-1e4, 1e4])) == pytest.approx(4e8, rel=RTOL)


@pytest.mark.parametrize("shape", [(1,), (12,), (5, 3)], ids=str)
def test_binary_cross_entropy_matches_torch(hw2, shape):
    rng = np.random.default_rng(6)
    p = rng.uniform(0.01, 0.99, size=shape)
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    out = hw2.binary_cross_entropy(p, y)
    assert np.ndim(out) == 0
    assert out == pytest.approx(F.binary_cross_entropy(_t(p), _t(y)).item(), rel=1e-12)


def test_binary_cross_entropy_soft_targets_match_torch(hw2):
    rng = np.random.default_rng(7)
    p, y = rng.uniform(0.01, 0.99, size=20), rng.uniform(0.0, 1.0, size=20)
    assert hw2.binary_cross_entropy(p, y) == pytest.approx(F.binary_cross_entropy(_t(p), _t(y)).item(), rel=1e-12)


@pytest.mark.parametrize("eps", [1e-12, 1e-7, 1e-3])
def test_binary_cross_entropy_clips_to_eps(hw2, eps):
    """At p = 0 or 1 the lecture clips p to [eps, 1 - eps]; PyTorch instead clamps each log at -100,
    so the two differ there by design. Where eps <= p <= 1 - eps they agree (checked above)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrong_one = hw2.binary_cross_entropy(np.array([0.0]), np.array([1.0]), eps)
        wrong_zero = hw2.binary_cross_entropy(np.array([1.0]), np.array([0.0]), eps=eps)
        right = hw2.binary_cross_entropy(np.array([0.0, 1.0]), np.array([0.0, 1.0]), eps)
    assert wrong_one == pytest.approx(-math.log(eps), rel=1e-12)
    assert wrong_zero == pytest.approx(-math.log(1.0 - (1.0 - eps)), rel=1e-12)  # 1 - eps rounded in float64
    assert wrong_zero == pytest.approx(-math.log(eps), rel=1e-4)
    assert right == pytest.approx(-math.log1p(-eps), rel=1e-3)
    assert F.binary_cross_entropy(_t([0.0]), _t([1.0])).item() == 100.0  # torch's clamp, for the record


@pytest.mark.parametrize("n,c", [(1, 3), (4, 3), (3, 4), (6, 6), (50, 10)])
def test_cross_entropy_matches_torch(hw2, n, c):
    logits, y = _logits(8, (n, c)), _labels(9, n, c)
    out = hw2.cross_entropy(logits, y)
    assert np.ndim(out) == 0
    assert out == pytest.approx(F.cross_entropy(_t(logits), torch.from_numpy(y)).item(), rel=1e-12)


@pytest.mark.parametrize("y", [[0, 0, 0, 0, 0, 0], [2, 0, 1, 2, 1, 0]], ids=["class0", "mixed"])
def test_cross_entropy_extremes_match_torch(hw2, y):
    y = np.array(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = hw2.cross_entropy(EXTREME_LOGITS, y)
    assert math.isfinite(out)
    assert out == pytest.approx(F.cross_entropy(_t(EXTREME_LOGITS), torch.from_numpy(y)).item(), rel=1e-12)


def test_cross_entropy_lecture_scale_values(hw2):
    assert hw2.cross_entropy(np.zeros((5, 4)), np.arange(5) % 4) == pytest.approx(math.log(4), rel=1e-15)
    assert hw2.cross_entropy(np.array([[1e4, 0.0]]), np.array([1])) == pytest.approx(1e4, rel=1e-15)


# --------------------------------------------------------------------------- softmax_loss


@pytest.mark.parametrize("n,c", [(1, 3), (4, 3), (3, 4), (6, 6), (50, 10)])
def test_softmax_loss_matches_autograd(hw2, n, c):
    x, y = _logits(10, (n, c)), _labels(11, n, c)
    loss, dx = hw2.softmax_loss(x, y)
    xt = _t(x).requires_grad_(True)
    expected = F.cross_entropy(xt, torch.from_numpy(y))
    expected.backward()
    assert np.ndim(loss) == 0
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    assert dx.shape == (n, c)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_softmax_loss_dx_is_p_minus_onehot_over_n(hw2):
    x, y = _logits(12, (7, 5)), _labels(13, 7, 5)
    _, dx = hw2.softmax_loss(x, y)
    np.testing.assert_allclose(dx, (hw2.softmax(x) - np.eye(5)[y]) / 7, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)


def test_softmax_loss_extremes_match_autograd(hw2):
    y = np.array([2, 0, 1, 2, 1, 0])
    xt = _t(EXTREME_LOGITS).requires_grad_(True)
    expected = F.cross_entropy(xt, torch.from_numpy(y))
    expected.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dx = hw2.softmax_loss(EXTREME_LOGITS, y)
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_softmax_loss_and_cross_entropy_agree(hw2):
    x, y = _logits(14, (9, 4)), _labels(15, 9, 4)
    assert hw2.softmax_loss(x, y)[0] == pytest.approx(hw2.cross_entropy(x, y), rel=1e-15)


# --------------------------------------------------------------------------- l2_penalty


@pytest.mark.parametrize("reg", [0.0, 1e-3, 0.5])
@pytest.mark.parametrize("shape", [(2, 3), (50, 10), (4,)], ids=str)
def test_l2_penalty_and_its_gradient_match_autograd(hw2, reg, shape):
    W = _logits(16, shape, scale=1.0)
    Wt = _t(W).requires_grad_(True)
    expected = 0.5 * reg * (Wt * Wt).sum()
    expected.backward()
    assert hw2.l2_penalty(W, reg) == pytest.approx(expected.item(), rel=1e-13, abs=0.0)
    np.testing.assert_allclose(Wt.grad.numpy(), reg * W, rtol=1e-15)  # the gradient the trainer uses


def test_l2_penalty_edges(hw2):
    assert hw2.l2_penalty(np.zeros((3, 2)), 1.0) == 0.0
    assert hw2.l2_penalty(np.full((2, 2), 1e4), 1e-3) == pytest.approx(0.5 * 1e-3 * 4e8, rel=1e-15)


# --------------------------------------------------------------------------- spiral_data


@pytest.mark.parametrize("n,k,seed", [(100, 3, 0), (50, 4, 1), (7, 2, 2)])
def test_spiral_data_follows_the_generator(hw2, n, k, seed):
    X, y = hw2.spiral_data(n, k, seed)
    assert X.shape == (n * k, 2) and X.dtype == np.float64
    assert y.shape == (n * k,) and y.dtype.kind in "iu"
    np.testing.assert_array_equal(y, np.repeat(np.arange(k), n))
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, n), k), rtol=1e-14, atol=1e-15)
    angle = np.arctan2(X[:, 0], X[:, 1])  # x = (r sin t, r cos t)
    t0 = np.concatenate([np.linspace(4 * j, 4 * (j + 1), n) for j in range(k)])
    noise = np.angle(np.exp(1j * (angle - t0)))[radius > 0]
    # the noise is 0.2 * N(0, 1): rebuild it from the reference's own generator
    expected_noise = 0.2 * np.concatenate([np.random.default_rng(seed).standard_normal(n * k)])
    expected_noise = expected_noise.reshape(k, n)[:, 1:].reshape(-1)
    np.testing.assert_allclose(noise, np.angle(np.exp(1j * expected_noise)), atol=1e-12)


def test_spiral_data_seed(hw2):
    X1, y1 = hw2.spiral_data(seed=3)
    X2, y2 = hw2.spiral_data(seed=3)
    X3, _ = hw2.spiral_data(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


# --------------------------------------------------------------------------- train_linear_softmax


def _torch_train(X, y, W0, step_size, reg, n_iters):
    """The same classifier in PyTorch: F.cross_entropy + 0.5 reg ||W||^2, torch.optim.SGD."""
    W = _t(W0).clone().requires_grad_(True)
    b = torch.zeros(W0.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=step_size)
    Xt, yt = _t(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
    losses = []
    for _ in range(n_iters):
        opt.zero_grad()
        loss = F.cross_entropy(Xt @ W + b, yt) + 0.5 * reg * (W * W).sum()
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return W.detach().numpy(), b.detach().numpy(), np.array(losses)


@pytest.mark.parametrize(
    "data,step_size,reg,n_iters",
    [("spiral", 1.0, 1e-3, 200), ("spiral", 0.3, 0.1, 50), ("random", 0.5, 1e-2, 40)],
)
def test_train_linear_softmax_matches_torch(hw2, data, step_size, reg, n_iters):
    if data == "spiral":
        X, y = hw2.spiral_data()
    else:
        rng = np.random.default_rng(17)
        X, y = rng.normal(size=(30, 5)), rng.integers(0, 4, size=30)
        y[:4] = np.arange(4)
    seed = 5
    W, b, losses = hw2.train_linear_softmax(X, y, step_size, reg, n_iters, seed)
    W0 = 0.01 * np.random.default_rng(seed).standard_normal((X.shape[1], int(y.max()) + 1))
    W_t, b_t, losses_t = _torch_train(X, y, W0, step_size, reg, n_iters)
    assert W.shape == W0.shape and b.shape == (W0.shape[1],) and len(losses) == n_iters
    np.testing.assert_allclose(losses, losses_t, rtol=1e-10)
    np.testing.assert_allclose(W, W_t, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, b_t, rtol=1e-9, atol=1e-12)


def test_train_linear_softmax_initial_loss(hw2):
    X, y = hw2.spiral_data()
    _, _, losses = hw2.train_linear_softmax(X, y, n_iters=1)
    assert losses[0] == pytest.approx(math.log(3), abs=0.01)  # W ~ 0.01 randn: scores ~ 0, p ~ 1/3


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_lecture_spiral_plateaus_around_0_75(hw2, seed):
    """The lecture: the linear classifier on the spiral (N = 100, D = 2, K = 3, step 1.0,
    reg 1e-3, 200 iterations) plateaus around a loss of 0.75, at about 50% training accuracy."""
    X, y = hw2.spiral_data(100, 3, seed)
    W, b, losses = hw2.train_linear_softmax(X, y)
    assert len(losses) == 200
    assert losses[-1] == pytest.approx(0.75, abs=0.02)
    assert abs(losses[-1] - losses[-50]) < 2e-3  # a plateau
    assert np.all(np.diff(losses) < 0)  # gradient descent with this step only goes down
    accuracy = np.mean(np.argmax(X @ W + b, axis=1) == y)
    assert 0.45 <= accuracy <= 0.6


def test_lecture_plateau_does_not_depend_on_the_initialisation(hw2):
    """The hidden tests compare a student's plateau with the reference's although their random
    streams differ: the problem is convex, so 200 steps forget the 0.01-scale initialisation."""
    X, y = hw2.spiral_data()
    finals = [hw2.train_linear_softmax(X, y, seed=s)[2][-1] for s in range(5)]
    assert max(finals) - min(finals) < 1e-5
