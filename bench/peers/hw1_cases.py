"""hw1's checks, written once as plain test bodies, for the peers' versions of the tests.

Each :class:`Case` is one check of one question: a few lines of Python that
call the student's functions by name (``sigmoid(...)``) and raise an
``AssertionError`` when the answer is wrong. The inputs and the expected
values are written into the body as literals, computed here with the
reference solution (``reference/hw1/hw1.py``) at setup time, so the peers'
tests carry numbers, as hand-written otter and nbgrader tests do, and never
import the reference.

The checks mirror the course's own tests of hw1 (``assignments/hw1/tests/``,
public, and ``reference/hw1/tests/``, hidden) test for test: the same
functions on comparable inputs (random ones drawn here with their own seeded
generator, so not the same numbers), the same tolerances (rtol 1e-4; atol
1e-6 for the activations, neurons and derivatives, 1e-5 for the layers), the
shape rules (a Python float gives a number, a batch of neurons gives (N,),
logits (N, d_L)), large inputs (|z| up to 1e4, finite) and the inputs left
unchanged. What they leave out: the course's hints and named mistakes, and
its rerun of a failing derivative, neuron or MLP test with the reference's
activations and layers in place of the student's (so an activation's mistake
can cost a peer points in several questions, where the course charges one).
That changes how many points a mutant loses, not whether it loses any.

``HELPERS`` is the checking code the bodies call (``_close``, ``_out``,
``_unchanged``, ``_cache``); each peer puts it beside its tests.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 2024
QUESTIONS = ["activations", "derivatives", "neuron", "affine", "mlp"]

HELPERS = '''\
import copy as _copy
import numpy as np

_RTOL = 1e-4


def _num(value):
    try:
        return np.asarray(value, dtype=float)
    except Exception:
        raise AssertionError(f"not numbers: {type(value).__name__}") from None


def _close(actual, expected, what, atol=1e-6):
    a, e = _num(actual), np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert np.allclose(a, e, rtol=_RTOL, atol=atol), f"{what}: {a.tolist()}, expected {e.tolist()}"


def _same(after, before, what):
    if isinstance(before, (list, tuple)):
        assert isinstance(after, (list, tuple)) and len(after) == len(before), f"{what} was changed"
        for i, (x, y) in enumerate(zip(after, before)):
            _same(x, y, f"{what}[{i}]")
    else:
        _close(after, before, f"{what} after the call", atol=0.0)
        assert np.array_equal(_num(after), np.asarray(before)), f"{what} was changed in place"


def _out(result):
    assert isinstance(result, (tuple, list)) and len(result) == 2, "must return the pair (out, cache)"
    return result[0]


def _unchanged(fn, expected, args, kwargs=None, pair=False, atol=1e-6):
    given = _copy.deepcopy(args)
    result = fn(*given, **(kwargs or {}))
    _same(given, args, "the arguments")
    _close(_out(result) if pair else result, expected, "the result", atol=atol)


def _cache(fn, x, w, b):
    result = fn(x.copy(), w.copy(), b.copy())
    assert isinstance(result, (tuple, list)) and len(result) == 2, "must return the pair (out, cache)"
    cache = result[1]
    assert isinstance(cache, (tuple, list)) and len(cache) == 3, "cache must be the tuple (x, w, b)"
    _close(cache[0], x, "cache[0] (x in its original shape)", atol=0.0)
    _close(cache[1], w, "cache[1] (w)", atol=0.0)
    _close(cache[2], b, "cache[2] (b)", atol=0.0)
'''


@dataclass(frozen=True)
class Case:
    """One check: its question, a unique name, whether the course's test is hidden, its points, the student
    functions it calls and its body (code that raises AssertionError on a wrong answer)."""

    question: str
    name: str
    hidden: bool
    points: int
    uses: tuple[str, ...]
    body: str


def lit(value) -> str:
    """``value`` as a Python literal the tests can carry (arrays as ``np.array([...])``)."""
    if isinstance(value, np.ndarray):
        return f"np.array({np.asarray(value, dtype=float).tolist()!r})"
    if isinstance(value, (np.floating, float)):
        return repr(float(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    return repr(value)


def load_reference(course: Path):
    spec = importlib.util.spec_from_file_location("hw1_reference", course / "reference/hw1/hw1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_cases(course: Path) -> list[Case]:
    """Every check of hw1, with inputs drawn from a generator seeded with ``SEED`` and expected values from
    the reference solution."""
    ref = load_reference(course)
    rng = np.random.default_rng(SEED)
    cases: list[Case] = []

    def add(question, name, hidden, points, uses, body):
        name = f"{question}_{name}".replace(".", "p")  # an identifier: otter's function, nbgrader's grade_id
        assert name.isidentifier(), name
        cases.append(Case(question, name, hidden, points, tuple(uses), body))

    def value(question, name, hidden, fn, args, kwargs=None, points=1, atol=None):
        kwargs = kwargs or {}
        expected = np.asarray(getattr(ref, fn)(*args, **kwargs), dtype=float)
        call = ", ".join([lit(a) for a in args] + [f"{k}={lit(v)}" for k, v in kwargs.items()])
        label = f"{fn}(...) [{name}]"
        extra = "" if atol is None else f", atol={atol!r}"
        add(question, name, hidden, points, [fn], f"_close({fn}({call}), {lit(expected)}, {label!r}{extra})")

    def z(shape, scale):
        v = rng.normal(0.0, scale, size=shape)
        return np.where(np.abs(v) < 1e-3, 0.5, v)

    shapes = [(), (1,), (7,), (3, 4), (2, 3, 4)]
    extremes = {"1e4": [1e4], "m1e4": [-1e4], "mixed": [-1e4, -1e3, -50.0, 50.0, 1e3, 1e4],
                "800": [-800.0, 800.0], "710": [-710.0, 710.0]}
    moderate = [-1.5, -0.25, 0.4, 2.0]

    # ---- activations (public, then hidden) ----
    q = "activations"
    value(q, "sigmoid_lecture", False, "sigmoid", [np.array([-6.0, 0.0, 6.0])])
    value(q, "sigmoid_large_public", False, "sigmoid", [np.array([-1e4, 1e4])])
    value(q, "tanh_public", False, "tanh", [np.array([-1.0, 0.0, 1.0])])
    value(q, "relu_public", False, "relu", [np.array([-2.0, 0.0, 3.0])])
    value(q, "leaky_relu_public", False, "leaky_relu", [np.array([-2.0, 3.0])])
    value(q, "leaky_relu_alpha_public", False, "leaky_relu", [np.array([-2.0, 3.0])], {"alpha": 0.1})
    for fn, scale in (("sigmoid", 4.0), ("tanh", 2.0), ("relu", 4.0), ("leaky_relu", 4.0)):
        for shape in shapes:
            value(q, f"{fn}_shape_{'x'.join(map(str, shape)) or 'scalar'}", True, fn, [z(shape, scale)], points=2)
    for fn in ("sigmoid", "tanh"):
        for key, zs in extremes.items():
            value(q, f"{fn}_large_{key}", True, fn, [np.array(zs + moderate)], points=2)
    value(q, "relu_zero_and_large", True, "relu", [np.array([-1e4, -1.0, -0.0, 0.0, 1.0, 1e4])])
    for alpha in (0.2, 0.05):
        zz = np.append(z((12,), 4.0), [-1e4, 1e4])
        value(q, f"leaky_relu_alpha_positional_{alpha}", True, "leaky_relu", [zz, alpha], points=2)
        value(q, f"leaky_relu_alpha_keyword_{alpha}", True, "leaky_relu", [z((3, 5), 4.0)], {"alpha": alpha},
              points=2)
    for fn in ("sigmoid", "tanh", "relu", "leaky_relu"):
        for i, f in enumerate((-2.5, 0.75)):
            value(q, f"{fn}_python_float_{i}", True, fn, [f])
    for fn in ("sigmoid", "tanh", "relu", "leaky_relu"):
        zz = np.append(z((12,), 4.0), [-1e4, 1e4, 0.0]).reshape(3, 5)
        add(q, f"{fn}_inputs_unchanged", True, 1, [fn], f"_unchanged({fn}, {lit(getattr(ref, fn)(zz))}, ({lit(zz)},))")
    add(q, "leaky_relu_alpha_inputs_unchanged", True, 1, ["leaky_relu"],
        f"_unchanged(leaky_relu, {lit(ref.leaky_relu(zz, 0.2))}, ({lit(zz)}, 0.2))")

    # ---- derivatives ----
    q = "derivatives"
    value(q, "sigmoid_grad_public", False, "sigmoid_grad", [np.array([-2.0, 0.0, 2.0])])
    value(q, "tanh_grad_public", False, "tanh_grad", [np.array([0.0, 1.0])])
    value(q, "relu_grad_public", False, "relu_grad", [np.array([-1.0, 0.0, 2.0])])
    value(q, "leaky_relu_grad_public", False, "leaky_relu_grad", [np.array([-1.0, 0.0, 2.0])], {"alpha": 0.1})
    for fn, scale in (("sigmoid_grad", 3.0), ("tanh_grad", 1.5), ("relu_grad", 3.0), ("leaky_relu_grad", 3.0)):
        for shape in shapes:
            zz = z(shape, scale)
            if fn in ("relu_grad", "leaky_relu_grad") and zz.size > 1:  # both slopes, whatever the draw
                zz.flat[0], zz.flat[1] = -abs(zz.flat[0]), abs(zz.flat[1])
            value(q, f"{fn}_shape_{'x'.join(map(str, shape)) or 'scalar'}", True, fn, [zz], points=2)
    for fn in ("sigmoid_grad", "tanh_grad"):
        for key, zs in extremes.items():
            if key != "800":
                value(q, f"{fn}_large_{key}", True, fn, [np.array(zs + moderate)], points=2)
    value(q, "relu_grad_at_zero", True, "relu_grad", [np.array([[-2.0, 0.0, 3.0], [0.0, -0.0, 1e-3]])], points=2)
    for alpha in (0.2, 0.05):
        zz = np.append(z((12,), 3.0), [-1e4, 1e4, -1.0, 1.0])
        value(q, f"leaky_relu_grad_alpha_positional_{alpha}", True, "leaky_relu_grad", [zz, alpha], points=2)
        zz = np.append(z((13,), 3.0), [-1.0, 1.0]).reshape(3, 5)
        value(q, f"leaky_relu_grad_alpha_keyword_{alpha}", True, "leaky_relu_grad", [zz], {"alpha": alpha})
    value(q, "leaky_relu_grad_at_zero", True, "leaky_relu_grad", [np.array([-1.0, 0.0, 1.0]), 0.2])
    for fn in ("sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"):
        for i, f in enumerate((-2.5, 0.75)):
            value(q, f"{fn}_python_float_{i}", True, fn, [f])
    for fn in ("sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad"):
        zz = np.append(z((12,), 3.0), [-1e4, 1e4, 0.0]).reshape(3, 5)
        add(q, f"{fn}_inputs_unchanged", True, 1, [fn], f"_unchanged({fn}, {lit(getattr(ref, fn)(zz))}, ({lit(zz)},))")

    # ---- neuron ----
    q = "neuron"
    value(q, "lecture_example_public", False, "neuron", [np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0], points=2)
    value(q, "batch_linear_public", False, "neuron",
          [np.array([[-1.0, 2.0], [0.0, 0.0], [1.0, 1.0]]), np.array([3.0, -2.0]), 1.0], {"activation": "linear"},
          points=2)
    value(q, "lecture_example", True, "neuron", [np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0], points=2)
    for act in ("sigmoid", "tanh", "relu", "leaky_relu", "linear"):
        value(q, f"single_example_{act}", True, "neuron", [rng.normal(size=4), rng.normal(size=4), 0.0],
              {"activation": act}, points=4)
    value(q, "default_activation", True, "neuron", [rng.normal(size=5), rng.normal(size=5), 0.0], points=2)
    for act in ("linear", "sigmoid", "tanh"):
        x, w = rng.normal(size=(4, 3)), rng.normal(size=3)
        for i, b in enumerate((1.5, -0.75)):
            value(q, f"bias_{act}_{i}", True, "neuron", [x, w, b], {"activation": act}, points=2)
    for n in (1, 5, 20):
        value(q, f"batch_shape_{n}", True, "neuron", [rng.normal(size=(n, 3)), rng.normal(size=3), 0.0],
              {"activation": "sigmoid"}, points=3)
    for act in ("sigmoid", "relu", "linear"):
        for n in (None, 5):
            x = rng.normal(size=(4,) if n is None else (n, 4))
            w = rng.normal(size=4)
            expected = ref.neuron(x, w, 0.5, activation=act)
            add(q, f"inputs_unchanged_{act}_{'one' if n is None else n}", True, 1, ["neuron"],
                f"_unchanged(neuron, {lit(np.asarray(expected))}, ({lit(x)}, {lit(w)}, 0.5), "
                f"{{'activation': {act!r}}})")

    # ---- affine ----
    q = "affine"

    def layer(d, m, bias=True):
        w = rng.normal(0.0, 1.0 / np.sqrt(d), size=(d, m))
        return w, (rng.normal(0.0, 1.0, size=m) if bias else np.zeros(m))

    def affine_value(name, hidden, x, w, b, points):
        out = ref.affine_forward(x, w, b)[0]
        add(q, name, hidden, points, ["affine_forward"],
            f"_close(_out(affine_forward({lit(x)}, {lit(w)}, {lit(b)})), {lit(out)}, {name!r}, atol=1e-5)")

    affine_value("2d_public", False, np.array([[1.0, 2.0], [3.0, 4.0]]),
                 np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.array([0.5, -1.0, 2.0]), 2)
    affine_value("flattens_public", False, np.arange(8.0).reshape(2, 2, 2), np.array([[1.0], [2.0], [3.0], [4.0]]),
                 np.zeros(1), 1)
    for n, d, m in [(1, 3, 2), (4, 5, 3), (10, 8, 1), (6, 6, 6)]:
        affine_value(f"2d_{n}x{d}x{m}", True, rng.normal(size=(n, d)), *layer(d, m, bias=False), 3)
    for n, d, m in [(4, 5, 3), (7, 2, 4)]:
        affine_value(f"bias_{n}x{d}x{m}", True, rng.normal(size=(n, d)), *layer(d, m), 3)
    for shape in [(3, 2, 4), (2, 3, 2, 2), (5, 1, 6)]:
        affine_value(f"flattens_{'x'.join(map(str, shape))}", True, rng.normal(size=shape),
                     *layer(int(np.prod(shape[1:])), 3, bias=False), 3)
    x = rng.normal(size=(2, 3, 2))
    w, b = layer(6, 4)
    add(q, "cache", True, 2, ["affine_forward"], f"_cache(affine_forward, {lit(x)}, {lit(w)}, {lit(b)})")
    for shape in [(4, 5), (3, 2, 4)]:
        x = rng.normal(size=shape)
        w, b = layer(int(np.prod(shape[1:])), 3)
        add(q, f"inputs_unchanged_{'x'.join(map(str, shape))}", True, 1, ["affine_forward"],
            f"_unchanged(affine_forward, {lit(ref.affine_forward(x, w, b)[0])}, ({lit(x)}, {lit(w)}, {lit(b)}), "
            "pair=True, atol=1e-5)")

    # ---- mlp ----
    q = "mlp"

    def network(dims, n, activation="relu"):
        x = rng.normal(size=(n, dims[0]))
        params = [(rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, c)), rng.normal(0.0, 0.5, size=c))
                  for a, c in zip(dims[:-1], dims[1:])]
        w_out, b_out = params[-1]  # centre each logit column on 0: an activation on the output always shows
        params[-1] = (w_out, b_out - ref.mlp_forward(x, params, activation=activation).mean(axis=0))
        return x, params

    def mlp_value(name, hidden, x, params, activation, points):
        kwargs = "" if activation is None else f", activation={activation!r}"
        out = ref.mlp_forward(x, params, activation=activation or "relu")
        add(q, name, hidden, points, ["mlp_forward"],
            f"_close(mlp_forward({lit(x)}, {lit(params)}{kwargs}), {lit(out)}, {name!r}, atol=1e-5)")

    public_params = [(np.array([[1.0, 2.0], [-1.0, 1.0]]), np.array([-3.0, 0.0])), (np.array([[2.0], [3.0]]), np.array([-5.0]))]
    mlp_value("two_layers_relu_public", False, np.array([[1.0, -1.0]]), public_params, None, 2)
    mlp_value("two_layers_tanh_public", False, np.array([[1.0, -1.0]]), public_params, "tanh", 2)
    mlp_value("single_layer", True, *network([4, 5], 6), None, 3)
    for dims in ([3, 8, 4], [5, 5, 5]):
        mlp_value(f"two_layers_{'_'.join(map(str, dims))}", True, *network(dims, 7), None, 3)
    for act in ("tanh", "sigmoid"):
        mlp_value(f"hidden_activation_{act}", True, *network([4, 6, 5, 3], 8, act), act, 3)
    for dims in ([6, 8, 5, 7, 3], [5, 5, 5, 5, 5, 1]):
        mlp_value(f"deep_{'_'.join(map(str, dims))}", True, *network(dims, 9), None, 3)
    for act in ("relu", "tanh"):
        x, params = network([4, 6, 5, 3], 5, act)
        add(q, f"inputs_unchanged_{act}", True, 1, ["mlp_forward"],
            f"_unchanged(mlp_forward, {lit(ref.mlp_forward(x, params, activation=act))}, ({lit(x)}, {lit(params)}), "
            f"{{'activation': {act!r}}}, atol=1e-5)")

    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases
