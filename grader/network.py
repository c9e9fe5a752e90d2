"""A student's trained network, rebuilt on the trusted side from plain data.

The worker describes the trained network (``grader.worker.netexport``): its
computation graph and its weights as arrays. :func:`rebuild` checks every
part of that description and rebuilds the network from a whitelist of
standard operations (:mod:`grader.netops`); :meth:`RebuiltNetwork.logits`
then computes logits here, with torch, under evaluation semantics. A lying
description can only change which whitelisted computation runs on the
weights it sends; it cannot run the student's code or look answers up.

Limits: at most :data:`MAX_NODES` graph nodes, :data:`MAX_STATE_ELEMENTS`
values in all arrays, :data:`MAX_ACTIVATION_ELEMENTS` values in any
intermediate result and :data:`MAX_WORK` multiply-adds per forward pass
(checked on shape-only "meta" tensors before any real computation).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .netops import (
    MAX_CONST_LEN,
    MAX_STATE_ELEMENTS,
    RebuildError,
    Ref,
    allowed_text,
    compile_call,
    compile_module,
    parse_value,
)

__all__ = ["RebuildError", "RebuiltNetwork", "rebuild", "export_network", "MAX_NODES"]

MAX_NODES = 1000
MAX_ACTIVATION_ELEMENTS = 10**7
MAX_WORK = 10**9
MAX_NAME = 200
_OPS = ("placeholder", "get_attr", "call_module", "call_function", "call_method", "output")


class RebuiltNetwork:
    """A network rebuilt on the trusted side; nothing in it comes from the worker but arrays and numbers.

    Attributes:
        linear_layers: ``[(in_features, out_features), ...]`` of every linear layer
            (``nn.Linear`` or ``F.linear``) the output depends on, in execution order.
        n_params: the number of values loaded from the description that the output
            depends on (weights, biases, buffers such as standardisation statistics).
    """

    def __init__(self, steps: list, output: Ref, tensors: dict, linear_layers: list, n_params: int) -> None:
        self._steps = steps  # [(name, what, work, fn(env, tensors) -> value)]
        self._output = output
        self._tensors = tensors
        self.linear_layers: list[tuple[int, int]] = linear_layers
        self.n_params: int = n_params

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Logits for X, computed here under ``torch.no_grad()`` in evaluation mode.

        Args:
            X: float array of shape (N, n_features) (float32 for the Iris lab: (N, 4)).

        Returns:
            float32 array of shape (N, k), all finite.

        Raises:
            RebuildError: the rebuilt network fails on X (shapes do not fit, a result
                is too large), or its output is not a finite float tensor of shape (N, k).
            TypeError: X is not a 2-D float numpy array.
        """
        import torch

        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind != "f":
            raise TypeError(f"X must be a 2-D float numpy array, got {type(X).__name__}")
        x = torch.from_numpy(np.array(X, dtype=np.float32))
        with torch.no_grad():
            meta = {k: t.to("meta") for k, t in self._tensors.items()}
            self._run(torch, torch.empty(x.shape, dtype=torch.float32, device="meta"), meta, dry=True)
            out = self._run(torch, x, self._tensors, dry=False)
        if not (isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[0] == len(X) and out.shape[1] >= 1
                and out.is_floating_point()):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise RebuildError(f"the rebuilt network must return logits of shape ({len(X)}, k), got {shape}")
        result = out.detach().to(torch.float32).numpy().copy()
        if not np.isfinite(result).all():
            raise RebuildError("the rebuilt network's logits hold NaN or infinite values")
        return result

    def _run(self, torch: Any, x: Any, tensors: dict, dry: bool) -> Any:
        env: dict[str, Any] = {}
        work = 0
        for name, what, factor, fn in self._steps:
            try:
                value = x if fn is None else fn(env, tensors)
            except RebuildError:
                raise
            except Exception as exc:  # torch refuses the shapes or arguments
                raise RebuildError(f"the rebuilt network fails at {what}: {type(exc).__name__}: "
                                   f"{str(exc)[:300]}") from None
            if not (isinstance(value, (torch.Tensor, float)) or type(value) is int and abs(value) <= 2**62
                    or type(value) is tuple and all(type(v) is int for v in value)):
                kind = "an integer out of range" if type(value) is int else f"a {type(value).__name__}"
                raise RebuildError(f"{what} gives {kind}, which a rebuilt network cannot hold")
            if isinstance(value, torch.Tensor):
                if value.numel() > MAX_ACTIVATION_ELEMENTS:
                    raise RebuildError(f"{what} gives {value.numel()} values, more than the limit "
                                       f"{MAX_ACTIVATION_ELEMENTS}")
                work += value.numel() * factor
                if work > MAX_WORK:
                    raise RebuildError(f"the rebuilt network needs more than {MAX_WORK} operations per pass")
            env[name] = value
        return env[self._output.name]


def rebuild(description: Any) -> RebuiltNetwork:
    """Rebuild a network from the worker's description (``grader.worker.netexport``).

    Every part is checked: types, sizes, array shapes against the layers'
    configurations, references to earlier nodes only, and the whitelist of
    operations (only those the output depends on must be whitelisted).

    Raises:
        RebuildError: with a reason for the student, if the description is not
            a network the whitelist can rebuild.
    """
    import torch

    if not isinstance(description, dict):
        raise RebuildError("the network's description is not a dict")
    if "error" in description:
        error = description["error"]
        raise RebuildError(error[:500] if isinstance(error, str) else "the network could not be described")
    fmt = description.get("format")
    if type(fmt) is str and fmt == "sequential":
        description = _sequential_graph(description.get("layers"))
    elif type(fmt) is not str or fmt != "fx":
        raise RebuildError("the network's description has an unknown format")
    nodes, modules, attrs = (description.get(k) for k in ("nodes", "modules", "attrs"))
    if not isinstance(nodes, list) or not isinstance(modules, dict) or not isinstance(attrs, dict):
        raise RebuildError("the network's description lacks its nodes, modules or attributes")
    if not 2 <= len(nodes) <= MAX_NODES:
        raise RebuildError(f"the network's graph must have 2 to {MAX_NODES} nodes, it has {len(nodes)}")
    _check_arrays(modules, attrs)

    parsed: list = []
    earlier: set = set()
    for i, node in enumerate(nodes):
        parsed.append(_parse_node(node, i, earlier))
        earlier.add(parsed[-1][0])
    names = [p[0] for p in parsed]
    if len(set(names)) != len(names):
        raise RebuildError("two nodes of the network's graph have the same name")
    ops = [p[1] for p in parsed]
    if ops.count("placeholder") != 1 or ops.count("output") != 1 or ops[-1] != "output":
        raise RebuildError("the network's forward must take one input and end with one output")
    out_args = parsed[-1][3]
    if len(out_args) != 1 or not isinstance(out_args[0], Ref):
        raise RebuildError("the network's forward must return one tensor")
    live = _live(parsed)

    steps: list[tuple[str, str, int, Callable[..., Any] | None]] = []  # (node, what, kind, step); see Plan
    tensors: dict[tuple[str, ...], Any] = {}  # ("a", attr) or ("m", module, key) -> torch tensor
    linear: list = []
    used: set[tuple[str, ...]] = set()
    state_of: dict[str, Any] = {}
    attr_shapes = {}  # get_attr node name -> its array's shape
    for name, op, target, _, _ in parsed:
        if op == "get_attr" and name in live:
            if ("a", target) not in tensors:
                tensors[("a", target)] = _tensor(torch, attrs.get(target), f"attribute {target!r}")
            attr_shapes[name] = tuple(tensors[("a", target)].shape)
    for name, op, target, args, kwargs in parsed[:-1]:
        if name not in live:
            continue
        what = f"node {name!r} ({op} {target})"
        if op == "placeholder":
            steps.append((name, what, 1, None))
        elif op == "get_attr":
            key = ("a", target)
            used.add(key)
            steps.append((name, what, 1, lambda env, t, key=key: t[key]))
        elif op == "call_module":
            if target not in state_of:
                state_of[target] = compile_module(torch, target, modules.get(target))
            keys, fn, layer = state_of[target]
            for k, arr in keys.items():
                tensors.setdefault(("m", target, k), torch.from_numpy(np.array(arr, dtype=np.float32)))
                used.add(("m", target, k))
            if kwargs or len(args) != 1 or not isinstance(args[0], Ref):
                raise RebuildError(f"{what}: a layer takes exactly one input")
            if layer:
                linear.append(layer)
            steps.append((name, what, layer[0] if layer else 1, _module_step(fn, target, args[0].name, keys)))
        else:
            fn, layer = compile_call(torch, op, target, args, kwargs, attr_shapes)
            if layer:
                linear.append(layer)
            steps.append((name, what, layer[0] if layer else 1, fn))
    n_params = sum(int(tensors[k].numel()) for k in used)
    return RebuiltNetwork(steps, out_args[0], tensors, linear, n_params)


def export_network(model: Any) -> RebuiltNetwork:
    """Ask the worker to describe a trained remote network and rebuild it here.

    Args:
        model: a :class:`grader.remote.RemoteObject` naming a ``torch.nn.Module``.

    Raises:
        RebuildError: the worker cannot describe it, or the description cannot be
            rebuilt (the reason is for the student).
        CallTimeout, WorkerCrashed: as for any request to the worker.
    """
    from .remote import RemoteObject, StudentError

    if not isinstance(model, RemoteObject):
        raise RebuildError(f"expected the trained network (a torch.nn.Module), got {type(model).__name__}")
    try:
        description = model._req({"op": "export_module", "obj": model}, f"exporting {model._name()}")
    except StudentError as exc:
        raise RebuildError(f"the network could not be described: {exc.exc_type}: {exc.exc_message[:300]}") from None
    return rebuild(description)


# --------------------------------------------------------------------------- helpers


def _sequential_graph(layers: Any) -> dict:
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_NODES - 2:
        raise RebuildError(f"a Sequential network must have 1 to {MAX_NODES - 2} layers")
    nodes: list[dict[str, Any]] = [{"name": "x", "op": "placeholder", "target": "x", "args": [], "kwargs": {}}]
    for i in range(len(layers)):
        nodes.append({"name": f"layer{i}", "op": "call_module", "target": str(i),
                      "args": [{"node": nodes[-1]["name"]}], "kwargs": {}})
    nodes.append({"name": "output", "op": "output", "target": "output", "args": [{"node": nodes[-1]["name"]}],
                  "kwargs": {}})
    return {"format": "fx", "nodes": nodes, "modules": {str(i): m for i, m in enumerate(layers)}, "attrs": {}}


def _check_arrays(modules: dict, attrs: dict) -> None:
    total = 0
    if len(modules) > MAX_NODES or len(attrs) > MAX_NODES:
        raise RebuildError("the network's description has too many modules or attributes")
    for desc in modules.values():
        state = desc.get("state") if isinstance(desc, dict) else None
        for arr in state.values() if isinstance(state, dict) else ():
            total += arr.size if isinstance(arr, np.ndarray) else 0
    for arr in attrs.values():
        total += arr.size if isinstance(arr, np.ndarray) else 0
    if total > MAX_STATE_ELEMENTS:
        raise RebuildError(f"the network holds {total} values, more than the limit {MAX_STATE_ELEMENTS}")


def _tensor(torch: Any, arr: Any, what: str) -> Any:
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f" or arr.ndim > 8:
        raise RebuildError(f"{what} must be a float tensor of at most 8 dimensions")
    return torch.from_numpy(np.array(arr, dtype=np.float32))


def _module_step(fn: Any, target: str, arg: str, keys: dict) -> Any:
    def step(env: dict, tensors: dict) -> Any:
        return fn(env[arg], {k: tensors[("m", target, k)] for k in keys})
    return step


def _parse_node(node: Any, index: int, earlier: set) -> tuple:
    if not isinstance(node, dict):
        raise RebuildError(f"node {index} of the network's graph is not a dict")
    name, op, target = node.get("name"), node.get("op"), node.get("target")
    args, kwargs = node.get("args", []), node.get("kwargs", {})
    for label, s in (("name", name), ("target", target)):
        if not isinstance(s, str) or not 0 < len(s) <= MAX_NAME:
            raise RebuildError(f"node {index} of the network's graph has no valid {label}")
    if type(op) is not str or op not in _OPS:
        raise RebuildError(f"node {name!r} has an unknown kind {op!r:.40}")
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict) or len(args) > MAX_CONST_LEN \
            or len(kwargs) > MAX_CONST_LEN or not all(isinstance(k, str) and len(k) <= 64 for k in kwargs):
        raise RebuildError(f"node {name!r} has malformed arguments")
    what = f"node {name!r}"
    return (name, op, target, tuple(parse_value(a, earlier, what) for a in args),
            {k: parse_value(v, earlier, what) for k, v in kwargs.items()})


def _refs(value: Any) -> list:
    if isinstance(value, Ref):
        return [value.name]
    if isinstance(value, tuple):
        return [r for v in value for r in _refs(v)]
    return []


def _live(parsed: list) -> set:
    """Names of the nodes the output depends on."""
    deps = {p[0]: _refs(p[3]) + _refs(tuple(p[4].values())) for p in parsed}
    live, todo = set(), [parsed[-1][0]]
    while todo:
        name = todo.pop()
        if name not in live:
            live.add(name)
            todo.extend(deps.get(name, ()))
    return live


def allowed() -> str:
    """The whitelist, in words (for messages and docs)."""
    return allowed_text()
