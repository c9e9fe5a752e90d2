"""The hw4 reference solution, checked against an independent oracle: ``torch.optim``.

Each update rule runs step by step next to the matching PyTorch optimizer on
the same parameters and gradients (float64, seeded generators, several
shapes and hyperparameters), and the parameters and the state are compared
after every step. Where the rules coincide:

* ``sgd``      = ``torch.optim.SGD(lr)``;
* ``rmsprop``  = ``torch.optim.RMSprop(lr, alpha=decay_rate, eps)``: both add
  epsilon *outside* the square root, ``dw / (sqrt(cache) + eps)`` (checked
  with a large epsilon, where the placement matters);
* ``adam``     = ``torch.optim.Adam(lr, betas=(beta1, beta2), eps)``: bias
  corrected, epsilon added to ``sqrt(v_hat)``;
* ``adagrad``  = ``torch.optim.Adagrad(lr, initial_accumulator_value=0, eps)``:
  epsilon outside the square root too (checked with a large epsilon);
* ``adadelta`` = ``torch.optim.Adadelta(lr=1.0, rho, eps)``: Zeiler's rule,
  epsilon *inside* both square roots.

Where they do not coincide, said and checked explicitly:

* the lecture's momentum ``v = beta*v + (1-beta)*dw; w -= lr*v`` is not
  PyTorch's default (``v = mu*v + g``). With ``dampening=beta``,
  ``torch.optim.SGD(momentum=beta, dampening=beta)`` uses the same recurrence
  from its second step on, but its first step sets ``v = g`` (no dampening)
  where the lecture's sets ``v = (1-beta)*g``: so the first step is checked
  separately (torch's step is exactly ``1/(1-beta)`` times the lecture's), and
  from the second step on the two agree once torch's buffer holds the
  lecture's velocity.

``linear_regression_gd`` is checked against ``torch.optim.SGD`` on
``F.mse_loss`` with autograd's gradients (so the factor 2 and the sign of the
derivative come from autograd, not from the formula we wrote), and against
the least-squares solution it converges to.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "hw4" / "hw4.py"

# float64 against float64, the same operations in a different order.
RTOL, ATOL = 1e-10, 1e-13
SHAPES = [(1,), (7,), (3, 4), (2, 3, 4)]
N_STEPS = 12


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def hw4():
    spec = importlib.util.spec_from_file_location("hw4_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _problem(seed: int, shape: tuple[int, ...], scale: float = 1.0):
    """Initial parameters and a sequence of gradients (noisy, some near zero)."""
    rng = np.random.default_rng(seed)
    w0 = rng.normal(size=shape)
    grads = [scale * rng.normal(size=shape) for _ in range(N_STEPS)]
    return w0, grads


def _run_side_by_side(rule, config, opt_cls, opt_kwargs, w0, grads, state_pairs=()):
    """Step ``rule`` and ``opt_cls`` together; compare the parameters (and the
    named state: (our key, torch's key)) after every step."""
    p = torch.tensor(w0.copy(), requires_grad=True)
    opt = opt_cls([p], **opt_kwargs)
    w = w0.copy()
    for k, g in enumerate(grads):
        w, config = rule(w, g.copy(), config)
        p.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(w, p.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"step {k + 1}")
        for ours, theirs in state_pairs:
            np.testing.assert_allclose(config[ours], opt.state[p][theirs].numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"state {ours} at step {k + 1}")
    return config


# --------------------------------------------------------------------------- sgd


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("lr", [None, 0.3])
def test_sgd_matches_torch(hw4, shape, lr):
    w0, grads = _problem(1, shape)
    config = None if lr is None else {"learning_rate": lr}
    config = _run_side_by_side(hw4.sgd, config, torch.optim.SGD, {"lr": lr or 1e-2}, w0, grads)
    assert config["learning_rate"] == (lr or 1e-2)


# --------------------------------------------------------------------------- momentum


@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_momentum_first_step_differs_from_torch_by_the_dampening(hw4, beta):
    """torch's first step sets buf = g (no dampening): its step is 1/(1-beta) times the lecture's."""
    w0, (g, *_) = _problem(2, (3, 4))
    lr = 0.1
    w1, config = hw4.sgd_momentum(w0, g, {"learning_rate": lr, "momentum": beta})
    p = torch.tensor(w0.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=beta, dampening=beta)
    p.grad = torch.tensor(g)
    opt.step()
    torch_step = p.detach().numpy() - w0
    np.testing.assert_allclose(w1 - w0, (1 - beta) * torch_step, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(config["velocity"], (1 - beta) * opt.state[p]["momentum_buffer"].numpy(),
                               rtol=RTOL, atol=ATOL)
    assert not np.allclose(w1, p.detach().numpy()), "the first steps should differ"


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("beta", [0.9, 0.5, 0.99])
def test_momentum_matches_torch_dampened_from_the_second_step(hw4, shape, beta):
    """Same recurrence v = beta*v + (1-beta)*g from step 2 on, once the buffers agree."""
    w0, (g1, *grads) = _problem(3, shape)
    lr = 0.05
    w1, config = hw4.sgd_momentum(w0, g1, {"learning_rate": lr, "momentum": beta})
    p = torch.tensor(w1.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=beta, dampening=beta)
    opt.state[p]["momentum_buffer"] = torch.tensor(config["velocity"].copy())  # the lecture's v after step 1
    w = w1
    for k, g in enumerate(grads, start=2):
        w, config = hw4.sgd_momentum(w, g, config)
        p.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(w, p.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"step {k}")
        np.testing.assert_allclose(config["velocity"], opt.state[p]["momentum_buffer"].numpy(),
                                   rtol=RTOL, atol=ATOL, err_msg=f"velocity at step {k}")


def test_momentum_is_not_torchs_default_momentum(hw4):
    """torch's default (dampening=0, v = mu*v + g) is a different rule: the steps differ by (1-beta)."""
    w0, grads = _problem(4, (5,))
    p = torch.tensor(w0.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    w, config = w0.copy(), {"learning_rate": 0.1, "momentum": 0.9}
    for g in grads:
        w, config = hw4.sgd_momentum(w, g, config)
        p.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(w - w0, 0.1 * (p.detach().numpy() - w0), rtol=1e-9, atol=ATOL)


def test_momentum_beta_zero_is_sgd(hw4):
    w0, grads = _problem(5, (4,))
    a, b, config = w0.copy(), w0.copy(), {"learning_rate": 0.2, "momentum": 0.0}
    for g in grads:
        a, config = hw4.sgd_momentum(a, g, config)
        b, _ = hw4.sgd(b, g, {"learning_rate": 0.2})
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- rmsprop


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    "hyper",
    [{}, {"learning_rate": 0.05, "decay_rate": 0.9}, {"learning_rate": 0.01, "decay_rate": 0.5, "epsilon": 0.3}],
    ids=["defaults", "rho=0.9", "large-eps"],
)
def test_rmsprop_matches_torch(hw4, shape, hyper):
    w0, grads = _problem(6, shape)
    h = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8, **hyper}
    config = _run_side_by_side(
        hw4.rmsprop, dict(hyper) if hyper else None, torch.optim.RMSprop,
        {"lr": h["learning_rate"], "alpha": h["decay_rate"], "eps": h["epsilon"]},
        w0, grads, state_pairs=[("cache", "square_avg")],
    )
    assert {k: config[k] for k in h} == h


def test_rmsprop_epsilon_is_outside_the_square_root(hw4):
    """With eps = 0.3 and cache = 0.04 the placements differ by a factor 1.7: ours is torch's."""
    w, config = hw4.rmsprop(np.zeros(1), np.array([2.0]), {"learning_rate": 1.0, "decay_rate": 0.99, "epsilon": 0.3})
    assert w[0] == pytest.approx(-2.0 / (0.2 + 0.3), rel=1e-14)  # sqrt(0.01 * 4) = 0.2
    assert w[0] != pytest.approx(-2.0 / np.sqrt(0.04 + 0.3), rel=1e-3)


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_torch_adds_epsilon_outside_the_root(name):
    """The placement the table uses is torch's: one step from w = 0 with g = 2 and eps = 0.3."""
    g, eps = 2.0, 0.3
    cache = 0.01 * g**2 if name == "RMSprop" else g**2  # alpha = 0.99 / a sum from 0
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    kwargs = {"alpha": 0.99} if name == "RMSprop" else {"initial_accumulator_value": 0.0}
    opt = getattr(torch.optim, name)([p], lr=1.0, eps=eps, **kwargs)
    p.grad = torch.tensor([g], dtype=torch.float64)
    opt.step()
    assert p.item() == pytest.approx(-g / (np.sqrt(cache) + eps), rel=1e-12)
    assert p.item() != pytest.approx(-g / np.sqrt(cache + eps), rel=1e-3)


# --------------------------------------------------------------------------- adam


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    "hyper",
    [{}, {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.9}, {"learning_rate": 0.01, "epsilon": 0.1}],
    ids=["defaults", "betas", "large-eps"],
)
def test_adam_matches_torch(hw4, shape, hyper):
    w0, grads = _problem(7, shape)
    h = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **hyper}
    config = _run_side_by_side(
        hw4.adam, dict(hyper) if hyper else None, torch.optim.Adam,
        {"lr": h["learning_rate"], "betas": (h["beta1"], h["beta2"]), "eps": h["epsilon"]},
        w0, grads, state_pairs=[("m", "exp_avg"), ("v", "exp_avg_sq")],
    )
    assert config["t"] == N_STEPS
    assert {k: config[k] for k in h} == h


def test_adam_first_step_is_lr_times_sign(hw4):
    """With t incremented first, m_hat = g and v_hat = g**2 at t = 1: the step is lr*g/(|g| + eps)."""
    g = np.array([3.0, -0.5, 1e-3, 0.0])
    w, config = hw4.adam(np.zeros(4), g)
    np.testing.assert_allclose(w, -1e-3 * g / (np.abs(g) + 1e-8), rtol=1e-12, atol=0)
    assert config["t"] == 1


def test_adam_continues_from_a_given_t(hw4):
    """State passed in (as the config crosses the sandbox as plain data) is used, t included."""
    w0, grads = _problem(8, (6,))
    w, config = w0, None
    for g in grads[:5]:
        w, config = hw4.adam(w, g, config)
    plain = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in config.items()}
    a, _ = hw4.adam(w, grads[5], plain)
    b, _ = hw4.adam(w, grads[5], config)
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- adagrad


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("hyper", [{}, {"learning_rate": 0.5}, {"learning_rate": 0.1, "epsilon": 0.2}],
                         ids=["defaults", "lr", "large-eps"])
def test_adagrad_matches_torch(hw4, shape, hyper):
    w0, grads = _problem(9, shape)
    h = {"learning_rate": 1e-2, "epsilon": 1e-8, **hyper}
    config = _run_side_by_side(
        hw4.adagrad, dict(hyper) if hyper else None, torch.optim.Adagrad,
        {"lr": h["learning_rate"], "eps": h["epsilon"], "initial_accumulator_value": 0.0, "lr_decay": 0.0},
        w0, grads, state_pairs=[("cache", "sum")],
    )
    np.testing.assert_allclose(config["cache"], sum(g**2 for g in grads), rtol=RTOL)


def test_adagrad_epsilon_is_outside_the_square_root(hw4):
    w, _ = hw4.adagrad(np.zeros(1), np.array([3.0]), {"learning_rate": 1.0, "epsilon": 1.0})
    assert w[0] == pytest.approx(-3.0 / (3.0 + 1.0), rel=1e-14)


# --------------------------------------------------------------------------- adadelta


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("hyper", [{}, {"rho": 0.9}, {"rho": 0.5, "epsilon": 1e-2}],
                         ids=["defaults", "rho", "large-eps"])
def test_adadelta_matches_torch(hw4, shape, hyper):
    w0, grads = _problem(10, shape)
    h = {"rho": 0.95, "epsilon": 1e-6, **hyper}
    _run_side_by_side(
        hw4.adadelta, dict(hyper) if hyper else None, torch.optim.Adadelta,
        {"lr": 1.0, "rho": h["rho"], "eps": h["epsilon"]},
        w0, grads, state_pairs=[("cache", "square_avg"), ("delta", "acc_delta")],
    )


def test_adadelta_first_step_follows_zeiler(hw4):
    """Zeiler's Algorithm 1 at t = 1 by hand: E[g^2] = (1-rho) g^2, E[dx^2] = 0."""
    g = np.array([1.0, -2.0])
    w, config = hw4.adadelta(np.zeros(2), g)
    expected = -np.sqrt(1e-6) / np.sqrt(0.05 * g**2 + 1e-6) * g
    np.testing.assert_allclose(w, expected, rtol=1e-14)
    np.testing.assert_allclose(config["delta"], 0.05 * expected**2, rtol=1e-14)


# --------------------------------------------------------------------------- every rule


RULES = ["sgd", "sgd_momentum", "rmsprop", "adam", "adagrad", "adadelta"]


@pytest.mark.parametrize("name", RULES)
def test_rule_leaves_its_inputs_alone_and_returns_a_new_array(hw4, name):
    w0, grads = _problem(11, (3, 2))
    w, g = w0.copy(), grads[0].copy()
    next_w, _ = getattr(hw4, name)(w, g, None)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(g, grads[0])
    assert next_w is not w and next_w.shape == w.shape and next_w.dtype == np.float64


@pytest.mark.parametrize("name", RULES)
def test_zero_gradient_leaves_w_unchanged(hw4, name):
    w0 = np.array([[1.0, -2.0], [0.0, 3.5]])
    w, config = w0, None
    for _ in range(3):
        w, config = getattr(hw4, name)(w, np.zeros_like(w0), config)
    np.testing.assert_array_equal(w, w0)


# --------------------------------------------------------------------------- linear regression


def _line(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 2.0, size=n)
    return x, 1.5 - 0.7 * x + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("lr, n_epochs", [(0.01, 1), (0.01, 1000), (0.1, 50), (0.3, 200)])
def test_linear_regression_matches_torch_sgd_on_mse(hw4, lr, n_epochs):
    x, y = _line(12)
    beta0, beta1, losses = hw4.linear_regression_gd(x, y, learning_rate=lr, n_epochs=n_epochs)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([b], lr=lr)
    xt, yt = torch.tensor(x), torch.tensor(y)
    expected = []
    for _ in range(n_epochs):
        opt.zero_grad()
        loss = F.mse_loss(b[0] + b[1] * xt, yt)
        loss.backward()
        expected.append(loss.item())
        opt.step()
    assert isinstance(beta0, float) and isinstance(beta1, float)
    assert losses.shape == (n_epochs,)
    np.testing.assert_allclose([beta0, beta1], b.detach().numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(losses, expected, rtol=1e-10, atol=1e-13)


def test_linear_regression_first_epoch_by_hand(hw4):
    """From beta = 0: beta0 = lr * 2 * mean(y), beta1 = lr * 2 * mean(x*y), losses[0] = mean(y**2)."""
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
    beta0, beta1, losses = hw4.linear_regression_gd(x, y, learning_rate=0.1, n_epochs=1)
    assert beta0 == pytest.approx(0.1 * 2 * 3.0, rel=1e-14)
    assert beta1 == pytest.approx(0.1 * 2 * 13.0 / 3, rel=1e-14)
    np.testing.assert_allclose(losses, [35.0 / 3], rtol=1e-14)


def test_linear_regression_converges_to_least_squares(hw4):
    x, y = _line(13, n=100)
    beta0, beta1, losses = hw4.linear_regression_gd(x, y, learning_rate=0.1, n_epochs=3000)
    slope, intercept = np.polyfit(x, y, 1)
    assert beta0 == pytest.approx(intercept, rel=1e-9)
    assert beta1 == pytest.approx(slope, rel=1e-9)
    assert np.all(np.diff(losses) <= 1e-15), "gradient descent with a small step never increases the MSE"
    assert losses[-1] == pytest.approx(np.mean((y - intercept - slope * x) ** 2), rel=1e-9)
