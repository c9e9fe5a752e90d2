"""The whitelist of operations a rebuilt network may use (see :mod:`grader.network`).

Trusted side. Every operation has a signature in a small language
(``"input:t negative_slope:n=0.01 inplace:b=False"``): each argument of a
description is bound to a parameter and checked against its kind before
anything runs, and again, for values computed by earlier nodes, when it runs:

* ``t`` a tensor computed by an earlier node; ``tn`` a tensor or a number;
* ``n`` a Python number; ``i`` an int; ``b`` a bool; ``none`` only None;
* ``approx`` ``"none"`` or ``"tanh"``; ``attr`` the attribute name ``"shape"``;
* ``dtype`` ``torch.float32``; ``shape`` a short tuple of ints (or ints computed
  by earlier nodes); ``seq`` a shape computed by an earlier node;
* a trailing ``?`` also allows None; ``*name`` takes the remaining positional arguments.

``inplace`` flags are accepted and ignored (every operation returns a new
tensor); dropout is the identity (evaluation semantics).
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable

MAX_CONST_LEN = 16
MAX_STATE_ELEMENTS = 10**7
MAX_INT = 2**62
MAX_DEPTH = 4
_REQUIRED = object()


class RebuildError(ValueError):
    """The description is not a network the whitelist can rebuild; the message says why, for the student."""


class Ref:
    """A reference to the value of an earlier node."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Opaque:
    """A value a rebuilt network cannot hold (a slice, a device, an object): refused where it is used."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


class Dtype:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _is_num(v: Any) -> bool:
    return type(v) is float or (type(v) is int and abs(v) <= MAX_INT)


def _is_int(v: Any) -> bool:
    return type(v) is int and abs(v) <= MAX_INT


def _show(v: Any) -> str:
    if isinstance(v, Opaque):
        return f"a {v.kind}"
    return "a tensor" if isinstance(v, Ref) else type(v).__name__ if not isinstance(v, (int, float, str)) \
        else repr(v)[:40]


def parse_value(v: Any, earlier: set, what: str, depth: int = 0) -> Any:
    """One argument of a node, as plain data, into constants, tuples and :class:`Ref`.

    Raises:
        RebuildError: a reference to a node that is not earlier, a value that is not
            plain data, a string or tuple too long, too deep a nesting.
    """
    if v is None or type(v) in (bool, float) or _is_int(v):
        return v
    if type(v) is str and len(v) <= 64:
        return v
    if type(v) in (list, tuple) and len(v) <= MAX_CONST_LEN and depth < MAX_DEPTH:
        return tuple(parse_value(e, earlier, what, depth + 1) for e in v)
    if type(v) is dict and len(v) == 1:
        key, val = next(iter(v.items()))
        if key == "node":
            if type(val) is not str or val not in earlier:
                raise RebuildError(f"{what} refers to {str(val)[:60]!r}, which is not an earlier node")
            return Ref(val)
        if key == "dtype" and type(val) is str:
            return Dtype(val)
        if key == "unsupported" and type(val) is str:
            return Opaque(val[:80])
        if key in ("slice", "device", "ellipsis"):
            return Opaque(key)
    raise RebuildError(f"{what} has an argument that is not plain data ({type(v).__name__})")


# --------------------------------------------------------------------------- signatures


def _signature(spec: str) -> list:
    params = []
    for token in spec.split():
        star = token.startswith("*")
        head, _, default = token.lstrip("*").partition("=")
        name, kind = head.split(":")
        params.append((name, kind, ast.literal_eval(default) if default else _REQUIRED, star))
    return params


def _bind(params: list, args: tuple, kwargs: dict, what: str) -> dict:
    bound, pos = {}, list(args)
    for name, _kind, default, star in params:
        if star:
            bound[name] = pos[0] if len(pos) == 1 and isinstance(pos[0], tuple) else tuple(pos)
            pos = []
        elif pos:
            if name in kwargs:
                raise RebuildError(f"{what} gets argument {name!r} twice")
            bound[name] = pos.pop(0)
        elif name in kwargs:
            bound[name] = kwargs[name]
        elif default is not _REQUIRED:
            bound[name] = default
        else:
            raise RebuildError(f"{what} lacks its argument {name!r}")
    extra = set(kwargs) - {p[0] for p in params if not p[3]}
    if pos or extra:
        raise RebuildError(f"{what} gets arguments the whitelisted operation does not take")
    for name, kind, _, _ in params:
        _check(kind, bound[name], what, name)
    return bound


def _check(kind: str, v: Any, what: str, name: str) -> None:
    base = kind.rstrip("?")
    if v is None and kind.endswith("?"):
        return
    checks: dict[str, Callable[[], bool]] = {
        "t": lambda: isinstance(v, Ref), "seq": lambda: isinstance(v, Ref),
        "tn": lambda: isinstance(v, Ref) or _is_num(v), "n": lambda: _is_num(v), "i": lambda: _is_int(v),
        "b": lambda: type(v) is bool, "none": lambda: v is None,
        "approx": lambda: type(v) is str and v in ("none", "tanh"), "attr": lambda: v == "shape",
        "dtype": lambda: isinstance(v, Dtype) and v.name == "torch.float32",
        "shape": lambda: type(v) is tuple and len(v) <= 8 and all(_is_int(e) or isinstance(e, Ref) for e in v),
    }
    if not checks[base]():
        raise RebuildError(f"{what}: argument {name!r} cannot be {_show(v)}")


def _resolve(torch: Any, kind: str, v: Any, env: dict, what: str) -> Any:
    base = kind.rstrip("?")
    if base == "shape":
        return tuple(_resolve(torch, "i", e, env, what) for e in v)
    if not isinstance(v, Ref):
        return v
    value = env[v.name]
    ok = {"t": isinstance(value, torch.Tensor),
          "tn": isinstance(value, torch.Tensor) or _is_num(value),
          "i": _is_int(value),
          "seq": type(value) is tuple and all(_is_int(e) for e in value)}.get(base, False)
    if not ok:
        raise RebuildError(f"{what} gets a {type(value).__name__} where the operation needs another kind of value")
    return value


# --------------------------------------------------------------------------- tables

_TABLES: dict = {}
_ALIASES = (("_operator.", "operator."), ("torch._C._VariableFunctions.", "torch."),
            ("torch._VariableFunctionsClass.", "torch."), ("torch._C._nn.", "torch.nn.functional."),
            ("torch.functional.", "torch."))


def _tables(torch: Any) -> dict:
    if _TABLES:
        return _TABLES
    F = torch.nn.functional
    NF = "torch.nn.functional."
    functions: dict[str, tuple] = {}
    methods: dict[str, tuple] = {}

    def add(table: dict, names: str, spec: str, impl: Callable) -> None:
        for n in names.split():
            table[n] = (_signature(spec), impl)

    def one(f: Callable) -> Callable:
        return lambda a: f(a["input"])

    def ident(a: dict) -> Any:
        return a["input"]

    for name, f in (("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("neg", torch.neg),
                    ("sqrt", torch.sqrt), ("rsqrt", torch.rsqrt), ("selu", torch.selu)):
        add(functions, f"torch.{name}", "input:t", one(f))
        add(methods, name, "input:t", one(f))
    add(functions, NF + "tanh", "input:t", one(torch.tanh))
    add(functions, NF + "sigmoid", "input:t", one(torch.sigmoid))
    for name in ("relu", "relu6", "selu", "silu", "mish"):
        add(functions, NF + name, "input:t inplace:b=False", one(getattr(F, name)))
    add(functions, NF + "leaky_relu", "input:t negative_slope:n=0.01 inplace:b=False",
        lambda a: F.leaky_relu(a["input"], a["negative_slope"]))
    add(functions, NF + "elu", "input:t alpha:n=1.0 inplace:b=False", lambda a: F.elu(a["input"], a["alpha"]))
    add(functions, NF + "celu torch.celu", "input:t alpha:n=1.0 inplace:b=False",
        lambda a: F.celu(a["input"], a["alpha"]))
    add(functions, NF + "gelu", "input:t approximate:approx='none'",
        lambda a: F.gelu(a["input"], approximate=a["approximate"]))
    add(functions, NF + "softplus", "input:t beta:n=1.0 threshold:n=20.0",
        lambda a: F.softplus(a["input"], a["beta"], a["threshold"]))
    add(functions, NF + "hardtanh", "input:t min_val:n=-1.0 max_val:n=1.0 inplace:b=False",
        lambda a: F.hardtanh(a["input"], a["min_val"], a["max_val"]))
    add(functions, NF + "prelu", "input:t weight:t", lambda a: F.prelu(a["input"], a["weight"]))
    for name in ("softmax", "log_softmax"):
        f = getattr(F, name)
        add(functions, NF + name, "input:t dim:i?=None _stacklevel:i=3 dtype:dtype?=None",
            lambda a, f=f: f(a["input"], _softmax_dim(a["input"], a["dim"])))
        add(functions, f"torch.{name}", "input:t dim:i dtype:dtype?=None", lambda a, f=f: f(a["input"], a["dim"]))
        add(methods, name, "input:t dim:i dtype:dtype?=None", lambda a, f=f: f(a["input"], a["dim"]))
    clamp = lambda a: torch.clamp(a["input"], a["min"], a["max"])  # noqa: E731
    add(functions, "torch.clamp torch.clip", "input:t min:n?=None max:n?=None", clamp)
    add(methods, "clamp clip", "input:t min:n?=None max:n?=None", clamp)
    add(functions, "torch.clamp_min", "input:t min:n", lambda a: torch.clamp(a["input"], min=a["min"]))
    add(methods, "clamp_min", "input:t min:n", lambda a: torch.clamp(a["input"], min=a["min"]))
    add(functions, "torch.clamp_max", "input:t max:n", lambda a: torch.clamp(a["input"], max=a["max"]))
    add(methods, "clamp_max", "input:t max:n", lambda a: torch.clamp(a["input"], max=a["max"]))
    add(functions, NF + "dropout " + NF + "alpha_dropout", "input:t p:n=0.5 training:b=True inplace:b=False", ident)
    add(functions, "torch.dropout torch.alpha_dropout", "input:t p:n train:b", ident)
    add(functions, NF + "linear", "input:t weight:t bias:t?=None",
        lambda a: F.linear(a["input"], a["weight"], a["bias"]))
    # standardisation arithmetic
    for name in ("add", "sub", "mul", "truediv"):
        f = getattr(operator, name)
        add(functions, f"operator.{name}", "a:tn b:tn", lambda a, f=f: f(a["a"], a["b"]))
    add(functions, "operator.neg", "a:tn", lambda a: -a["a"])
    # (var + eps) ** 0.5: a power with a number for exponent
    add(functions, "operator.pow", "a:t b:n", lambda a: torch.pow(a["a"], a["b"]))
    add(functions, "torch.pow", "input:t exponent:n", lambda a: torch.pow(a["input"], a["exponent"]))
    add(methods, "pow", "input:t exponent:n", lambda a: torch.pow(a["input"], a["exponent"]))
    add_ = lambda a: torch.add(a["input"], a["other"], alpha=a["alpha"])  # noqa: E731
    sub_ = lambda a: torch.sub(a["input"], a["other"], alpha=a["alpha"])  # noqa: E731
    mul_ = lambda a: torch.mul(a["input"], a["other"])  # noqa: E731
    div_ = lambda a: torch.div(a["input"], a["other"])  # noqa: E731
    add(functions, "torch.add", "input:tn other:tn alpha:n=1", add_)
    add(functions, "torch.sub", "input:tn other:tn alpha:n=1", sub_)
    add(functions, "torch.mul", "input:tn other:tn", mul_)
    add(functions, "torch.div torch.true_divide", "input:tn other:tn rounding_mode:none=None", div_)
    add(methods, "add", "input:t other:tn alpha:n=1", add_)
    add(methods, "sub", "input:t other:tn alpha:n=1", sub_)
    add(methods, "mul", "input:t other:tn", mul_)
    add(methods, "div true_divide", "input:t other:tn rounding_mode:none=None", div_)
    # types and shapes
    add(methods, "float", "input:t", lambda a: a["input"].float())
    add(methods, "to", "input:t dtype:dtype", lambda a: a["input"].float())
    add(methods, "contiguous", "input:t", lambda a: a["input"].contiguous())
    add(methods, "view", "input:t *shape:shape", lambda a: a["input"].view(a["shape"]))
    add(methods, "reshape", "input:t *shape:shape", lambda a: a["input"].reshape(a["shape"]))
    add(functions, "torch.reshape", "input:t shape:shape", lambda a: a["input"].reshape(a["shape"]))
    add(methods, "flatten", "input:t start_dim:i=0 end_dim:i=-1",
        lambda a: torch.flatten(a["input"], a["start_dim"], a["end_dim"]))
    add(functions, "torch.flatten", "input:t start_dim:i=0 end_dim:i=-1",
        lambda a: torch.flatten(a["input"], a["start_dim"], a["end_dim"]))
    add(methods, "size", "input:t dim:i?=None",
        lambda a: tuple(a["input"].shape) if a["dim"] is None else a["input"].size(a["dim"]))
    add(functions, "builtins.getattr", "obj:t name:attr", lambda a: tuple(a["obj"].shape))
    add(functions, "operator.getitem", "obj:seq index:i", lambda a: a["obj"][a["index"]])
    _TABLES.update(functions=functions, methods=methods, modules=_module_table(torch))
    return _TABLES


def _softmax_dim(x: Any, dim: int | None) -> int:
    """torch's implicit softmax dimension (``dim=None``), without its deprecation warning."""
    return dim if dim is not None else 0 if x.dim() in (0, 1, 3) else 1


def _module_table(torch: Any) -> dict:
    nn, F = torch.nn, torch.nn.functional

    def act(f: Callable) -> Callable:
        return lambda x, c, s: f(x)

    def batch_norm(x: Any, c: dict, s: dict) -> Any:
        if x.dim() not in (2, 3) or x.shape[1] != c["num_features"]:
            raise RebuildError(f"BatchNorm1d({c['num_features']}) gets an input of shape {tuple(x.shape)}")
        return F.batch_norm(x, s.get("running_mean"), s.get("running_var"), s.get("weight"), s.get("bias"),
                            training=not c["track_running_stats"], momentum=0.0, eps=c["eps"])

    def norm_state(c: dict, shape: tuple, affine: bool, bias: bool = True) -> dict:
        return {**({"weight": shape} if affine else {}), **({"bias": shape} if affine and bias else {})}

    table = {  # class: (config signature, expected state shapes from the config, forward)
        nn.Linear: ("in_features:i out_features:i bias:b=True",
                    lambda c: {"weight": (c["out_features"], c["in_features"]),
                               **({"bias": (c["out_features"],)} if c["bias"] else {})},
                    lambda x, c, s: F.linear(x, s["weight"], s.get("bias"))),
        nn.ReLU: ("", None, act(torch.relu)), nn.ReLU6: ("", None, act(F.relu6)), nn.SELU: ("", None, act(F.selu)),
        nn.SiLU: ("", None, act(F.silu)), nn.Mish: ("", None, act(F.mish)), nn.Tanh: ("", None, act(torch.tanh)),
        nn.Sigmoid: ("", None, act(torch.sigmoid)), nn.Identity: ("", None, act(lambda x: x)),
        nn.Dropout: ("", None, act(lambda x: x)), nn.AlphaDropout: ("", None, act(lambda x: x)),
        nn.LeakyReLU: ("negative_slope:n=0.01", None, lambda x, c, s: F.leaky_relu(x, c["negative_slope"])),
        nn.ELU: ("alpha:n=1.0", None, lambda x, c, s: F.elu(x, c["alpha"])),
        nn.CELU: ("alpha:n=1.0", None, lambda x, c, s: F.celu(x, c["alpha"])),
        nn.GELU: ("approximate:approx='none'", None, lambda x, c, s: F.gelu(x, approximate=c["approximate"])),
        nn.Softplus: ("beta:n=1.0 threshold:n=20.0", None, lambda x, c, s: F.softplus(x, c["beta"], c["threshold"])),
        nn.Hardtanh: ("min_val:n=-1.0 max_val:n=1.0", None, lambda x, c, s: F.hardtanh(x, c["min_val"], c["max_val"])),
        nn.Softmax: ("dim:i?=None", None, lambda x, c, s: F.softmax(x, _softmax_dim(x, c["dim"]))),
        nn.LogSoftmax: ("dim:i?=None", None, lambda x, c, s: F.log_softmax(x, _softmax_dim(x, c["dim"]))),
        nn.PReLU: ("num_parameters:i=1", lambda c: {"weight": (c["num_parameters"],)},
                   lambda x, c, s: F.prelu(x, s["weight"])),
        nn.BatchNorm1d: ("num_features:i eps:n=1e-5 affine:b=True track_running_stats:b=True",
                         lambda c: {**norm_state(c, (c["num_features"],), c["affine"]),
                                    **({"running_mean": (c["num_features"],), "running_var": (c["num_features"],)}
                                       if c["track_running_stats"] else {})},
                         batch_norm),
        nn.LayerNorm: ("normalized_shape:shape eps:n=1e-5 elementwise_affine:b=True bias:b=True",
                       lambda c: norm_state(c, c["normalized_shape"], c["elementwise_affine"], c["bias"]),
                       lambda x, c, s: F.layer_norm(x, c["normalized_shape"], s.get("weight"), s.get("bias"),
                                                    c["eps"])),
        nn.Flatten: ("start_dim:i=1 end_dim:i=-1", None,
                     lambda x, c, s: torch.flatten(x, c["start_dim"], c["end_dim"])),
    }
    out = {}
    for cls, (spec, state, forward) in table.items():
        entry = (cls.__name__, _signature(spec), state or (lambda c: {}), forward)
        out[f"{cls.__module__}.{cls.__qualname__}"] = out[f"torch.nn.{cls.__name__}"] = entry
    return out


def allowed_text() -> str:
    """The whitelist in words, for messages."""
    import torch

    t = _tables(torch)
    layers = sorted({e[0] for e in t["modules"].values()})
    functions = sorted({n.rpartition(".")[2] for n in t["functions"]})
    return (f"the layers {', '.join('nn.' + n for n in layers)}; the functions (torch.*, torch.nn.functional.*, "
            f"operators) {', '.join(functions)}; the tensor methods {', '.join(sorted(t['methods']))}")


def function_name(target: str) -> str:
    for old, new in _ALIASES:
        if target.startswith(old):
            return new + target[len(old):]
    return target


def compile_call(torch: Any, op: str, target: str, args: tuple, kwargs: dict, attr_shapes: dict) -> tuple:
    """A ``call_function`` or ``call_method`` node as a step ``fn(env, tensors) -> value``.

    Returns:
        ``(fn, layer)``; ``layer`` is ``(in, out)`` for ``F.linear`` (its weight must
        be an attribute of the network), else None.

    Raises:
        RebuildError: the operation is not whitelisted, or its arguments do not fit it.
    """
    tables = _tables(torch)
    if op == "call_function":
        name = function_name(target)
        entry = tables["functions"].get(name)
        what = f"your forward's call of {name}"
        if entry is None:
            raise RebuildError(f"your forward calls {name[:100]}, which the lab's whitelist does not include; "
                               f"allowed: {allowed_text()}")
    else:
        entry = tables["methods"].get(target)
        what = f"your forward's call of the tensor method .{target[:60]}()"
        if entry is None or not args:
            raise RebuildError(f"your forward calls the tensor method .{target[:60]}(), which the lab's whitelist "
                               f"does not include; allowed: {allowed_text()}")
    params, impl = entry
    bound = _bind(params, args, kwargs, what)
    kinds = {p[0]: p[1] for p in params}
    layer = None
    if op == "call_function" and name == "torch.nn.functional.linear":
        w, b = bound["weight"], bound["bias"]
        wshape = attr_shapes.get(w.name)
        if wshape is None or len(wshape) != 2 or (b is not None and attr_shapes.get(b.name) != wshape[:1]):
            raise RebuildError(f"{what}: the weight must be a matrix (out, in) and the bias a vector (out,) "
                               f"held by the network")
        layer = (wshape[1], wshape[0])

    def step(env: dict, tensors: dict) -> Any:
        return impl({k: _resolve(torch, kinds[k], v, env, what) for k, v in bound.items()})
    return step, layer


def compile_module(torch: Any, path: str, desc: Any) -> tuple:
    """A called module, checked against the whitelist: ``(state arrays, forward, layer)``.

    ``forward(x, state_tensors)``; ``layer`` is ``(in, out)`` for ``nn.Linear``, else None.

    Raises:
        RebuildError: unknown type, a config of the wrong kinds, missing or extra
            state, or a state array whose shape contradicts the config.
    """
    import numpy as np

    what = f"your network's layer {path[:100]!r}"
    if not isinstance(desc, dict) or not isinstance(desc.get("type"), str) or not isinstance(desc.get("config"), dict) \
            or not isinstance(desc.get("state"), dict):
        raise RebuildError(f"{what} has no valid description")
    entry = _tables(torch)["modules"].get(desc["type"])
    if entry is None:
        raise RebuildError(f"your network uses the layer {desc['type'][:100]}, which the lab's whitelist does not "
                           f"include; allowed: {allowed_text()}")
    short, params, state_shapes, forward = entry
    what = f"{what} (nn.{short})"
    config = {p[0]: parse_value(desc["config"][p[0]], set(), what) for p in params if p[0] in desc["config"]}
    c = _bind(params, (), config, what)
    expected = state_shapes(c)
    state = desc["state"]
    if set(state) != set(expected):
        raise RebuildError(f"{what} must hold exactly {sorted(expected)}, it holds {sorted(map(str, state))[:10]}")
    for k, shape in expected.items():
        arr = state[k]
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f" or arr.shape != tuple(shape):
            got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
            raise RebuildError(f"{what}: {k} must be a float array of shape {tuple(shape)}, got {got}")

    def run(x: Any, s: dict) -> Any:
        if not isinstance(x, torch.Tensor):
            raise RebuildError(f"{what} gets a {type(x).__name__}, not a tensor")
        return forward(x, c, s)
    layer = (c["in_features"], c["out_features"]) if short == "Linear" else None
    return dict(state), run, layer
