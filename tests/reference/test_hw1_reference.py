"""The hw1 reference solution, checked against an independent oracle: PyTorch.

Values against torch's own functions (torch.sigmoid, torch.tanh, torch.relu,
F.leaky_relu, F.linear, an nn.Sequential), derivatives against torch.autograd,
and the lecture's worked example against its number. All in float64, inputs
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

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "hw1" / "hw1.py"

# float64 against float64: only the last few bits may differ.
RTOL, ATOL = 1e-12, 1e-15


@pytest.fixture(scope="module")
def hw1():
    spec = importlib.util.spec_from_file_location("hw1_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _z(seed: int, shape: tuple[int, ...], scale: float = 5.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


SHAPES = [(), (1,), (9,), (4, 5), (2, 3, 4)]
EXTREMES = np.array([-1e4, -1e3, -710.0, -50.0, -1e-300, 0.0, 1e-300, 50.0, 710.0, 1e3, 1e4])
TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, negative_slope=0.01),
}


def _torch(f, z: np.ndarray) -> np.ndarray:
    return f(torch.from_numpy(np.asarray(z, dtype=np.float64))).numpy()


def _autograd(f, z: np.ndarray) -> np.ndarray:
    t = torch.tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(TORCH_ACTIVATIONS))
def test_activation_matches_torch(hw1, name, shape):
    z = _z(11, shape)
    out = getattr(hw1, name)(z)
    assert np.shape(out) == shape
    np.testing.assert_allclose(out, _torch(TORCH_ACTIVATIONS[name], z), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("alpha", [0.2, 0.05, 1e-3])
def test_leaky_relu_alpha_matches_torch(hw1, alpha):
    z = _z(12, (50,))
    expected = _torch(lambda t: F.leaky_relu(t, negative_slope=alpha), z)
    np.testing.assert_allclose(hw1.leaky_relu(z, alpha), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(hw1.leaky_relu(z, alpha=alpha), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", list(TORCH_ACTIVATIONS))
def test_activation_extremes_finite_without_warnings(hw1, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail here
        out = getattr(hw1, name)(EXTREMES)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, _torch(TORCH_ACTIVATIONS[name], EXTREMES), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", [*TORCH_ACTIVATIONS, "sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"])
@pytest.mark.parametrize("z", [-2.5, 0.0, 0.75, 1e4])
def test_python_float_gives_a_scalar(hw1, name, z):
    out = getattr(hw1, name)(z)
    assert np.ndim(out) == 0
    assert isinstance(float(out), float)


# --------------------------------------------------------------------------- derivatives

TORCH_GRADS = {
    "sigmoid_grad": torch.sigmoid,
    "tanh_grad": torch.tanh,
    "relu_grad": torch.relu,  # autograd's relu'(0) = 0, the lecture's convention
    "leaky_relu_grad": lambda t: F.leaky_relu(t, negative_slope=0.01),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(TORCH_GRADS))
def test_derivative_matches_autograd(hw1, name, shape):
    z = _z(21, shape, scale=3.0)
    out = getattr(hw1, name)(z)
    assert np.shape(out) == shape
    np.testing.assert_allclose(out, _autograd(TORCH_GRADS[name], z), rtol=1e-10, atol=ATOL)


@pytest.mark.parametrize("name", list(TORCH_GRADS))
def test_derivative_extremes_and_zero_match_autograd(hw1, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(hw1, name)(EXTREMES)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, _autograd(TORCH_GRADS[name], EXTREMES), rtol=1e-10, atol=ATOL)


@pytest.mark.parametrize("alpha", [0.2, 0.05])
def test_leaky_relu_grad_alpha_matches_autograd(hw1, alpha):
    z = np.concatenate([_z(22, (30,)), [0.0, -0.0]])
    expected = _autograd(lambda t: F.leaky_relu(t, negative_slope=alpha), z)
    np.testing.assert_allclose(hw1.leaky_relu_grad(z, alpha), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(hw1.leaky_relu_grad(z, alpha=alpha), expected, rtol=RTOL, atol=ATOL)


def test_derivatives_at_zero_follow_the_lecture(hw1):
    assert hw1.relu_grad(0.0) == 0.0
    assert hw1.leaky_relu_grad(0.0, 0.2) == 0.2
    assert hw1.sigmoid_grad(0.0) == 0.25
    assert hw1.tanh_grad(0.0) == 1.0


# --------------------------------------------------------------------------- neuron


def test_lecture_example(hw1):
    y = hw1.neuron(np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0)
    assert np.ndim(y) == 0
    assert y == pytest.approx(0.00247, abs=5e-6)  # the slide's rounded number
    assert y == pytest.approx(1.0 / (1.0 + math.exp(6.0)), rel=1e-14)


NEURON_ACTIVATIONS = {**TORCH_ACTIVATIONS, "linear": lambda t: t}


@pytest.mark.parametrize("n", [None, 1, 6])
@pytest.mark.parametrize("activation", list(NEURON_ACTIVATIONS))
def test_neuron_matches_torch(hw1, activation, n):
    rng = np.random.default_rng(31)
    x = rng.normal(size=(5,) if n is None else (n, 5))
    w, b = rng.normal(size=5), float(rng.normal())
    y = hw1.neuron(x, w, b, activation=activation)
    expected = NEURON_ACTIVATIONS[activation](torch.from_numpy(x) @ torch.from_numpy(w) + b).numpy()
    assert np.shape(y) == (() if n is None else (n,))
    np.testing.assert_allclose(y, expected, rtol=RTOL, atol=ATOL)


def test_neuron_rejects_unknown_activation(hw1):
    with pytest.raises(ValueError, match="softmax"):
        hw1.neuron(np.ones(2), np.ones(2), 0.0, activation="softmax")


# --------------------------------------------------------------------------- affine


@pytest.mark.parametrize("x_shape", [(1, 3), (4, 5), (3, 2, 4), (2, 3, 2, 2)], ids=str)
def test_affine_forward_matches_linear(hw1, x_shape):
    rng = np.random.default_rng(41)
    x = rng.normal(size=x_shape)
    d = int(np.prod(x_shape[1:]))
    w, b = rng.normal(size=(d, 3)), rng.normal(size=3)
    out, cache = hw1.affine_forward(x, w, b)
    expected = F.linear(torch.from_numpy(x).flatten(1), torch.from_numpy(w).T, torch.from_numpy(b)).numpy()
    assert out.shape == (x_shape[0], 3)
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=1e-13)
    assert cache[0] is x and cache[1] is w and cache[2] is b


# --------------------------------------------------------------------------- mlp

TORCH_MODULES = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
}


def _sequential(params, activation):
    layers = []
    for i, (w, b) in enumerate(params):
        linear = torch.nn.Linear(*w.shape).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(TORCH_MODULES[activation]())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("dims", [[4, 3], [4, 8, 3], [6, 8, 5, 7, 1]], ids=lambda d: "-".join(map(str, d)))
@pytest.mark.parametrize("activation", list(TORCH_MODULES))
def test_mlp_forward_matches_sequential(hw1, activation, dims):
    rng = np.random.default_rng(51)
    x = rng.normal(size=(7, dims[0]))
    params = [(rng.normal(size=(i, o)), rng.normal(size=o)) for i, o in zip(dims[:-1], dims[1:])]
    logits = hw1.mlp_forward(x, params, activation=activation)
    with torch.no_grad():
        expected = _sequential(params, activation)(torch.from_numpy(x)).numpy()
    assert logits.shape == (7, dims[-1])
    np.testing.assert_allclose(logits, expected, rtol=1e-10, atol=1e-12)


def test_mlp_forward_default_is_relu(hw1):
    rng = np.random.default_rng(52)
    x = rng.normal(size=(5, 4))
    params = [(rng.normal(size=(4, 6)), rng.normal(size=6)), (rng.normal(size=(6, 2)), rng.normal(size=2))]
    np.testing.assert_array_equal(hw1.mlp_forward(x, params), hw1.mlp_forward(x, params, activation="relu"))
