"""Describe a trained ``torch.nn.Module`` as plain data, so the trusted side can rebuild it.

Runs in the worker. The trusted side (:mod:`grader.network`) rebuilds the
network from a whitelist of standard operations and computes its logits
itself; nothing here is trusted, it only saves the student from writing the
description by hand. Imports torch only when a model is exported (the worker
package imports nothing beyond the standard library and numpy).

The description (all plain data, arrays as float32 numpy arrays)::

    {"format": "fx",
     "nodes": [{"name": str, "op": "placeholder" | "get_attr" | "call_module" | "call_function"
                       | "call_method" | "output",
                "target": str, "args": [...], "kwargs": {str: ...}}, ...],
     "modules": {path: {"type": "torch.nn.modules.linear.Linear", "config": {...},
                        "state": {"weight": ndarray, "bias": ndarray}}, ...},
     "attrs": {target: ndarray, ...}}

or, where fx cannot trace the model but it is a (nested) ``nn.Sequential``::

    {"format": "sequential", "layers": [module description, ...]}

or ``{"error": "<why, for the student>"}``. In ``args``/``kwargs`` a reference
to an earlier node is ``{"node": name}``; tuples become lists; a slice is
``{"slice": [start, stop, step]}``, a dtype ``{"dtype": "torch.float32"}``, a
device ``{"device": "cpu"}``, ``...`` ``{"ellipsis": True}``, anything else
``{"unsupported": "<type name>"}``.
"""

from __future__ import annotations

import builtins
import operator
import sys
from typing import Any

import numpy as np

MAX_NODES = 5000  # the trusted side accepts fewer; this only bounds the work here

# module config attributes worth sending, whatever the module's type (the
# trusted side picks the ones its whitelisted type needs)
_CONFIG_ATTRS = (
    "in_features", "out_features", "negative_slope", "alpha", "approximate", "dim", "p", "eps",
    "momentum", "affine", "track_running_stats", "num_features", "normalized_shape",
    "elementwise_affine", "start_dim", "end_dim", "beta", "threshold", "min_val", "max_val",
    "num_parameters", "inplace",
)


def export_module(model: Any) -> dict:
    """Describe ``model`` (a ``torch.nn.Module``) as plain data, in evaluation mode.

    The model is put in ``eval()`` mode while it is traced; every submodule's
    previous mode is restored afterwards.

    Returns:
        The description (see the module docstring), or ``{"error": str}`` when
        the model can be neither traced with ``torch.fx`` nor listed as a
        ``nn.Sequential`` of leaf modules.

    Raises:
        TypeError: if ``model`` is not a torch module.
    """
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__module__}.{type(model).__qualname__}")
    import torch.fx  # noqa: F401  (torch is already loaded: the student imported it)

    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        try:
            return _export_fx(torch, model)
        except Exception as exc:  # the student's forward may raise anything while traced
            reason = f"{type(exc).__name__}: {str(exc)[:300]}"
        if isinstance(model, torch.nn.Sequential):
            layers = _sequential_leaves(torch, model)
            if layers is not None:
                return {"format": "sequential", "layers": layers}
        return {"error": f"torch.fx cannot trace the network's forward ({reason}), and it is not an "
                         f"nn.Sequential of standard layers"}
    finally:
        for m, training in modes:
            m.training = training


def _export_fx(torch: Any, model: Any) -> dict:
    gm = torch.fx.symbolic_trace(model)
    nodes: list[dict] = []
    modules: dict = {}
    attrs: dict = {}
    for node in gm.graph.nodes:
        if len(nodes) >= MAX_NODES:
            raise ValueError(f"the traced graph has more than {MAX_NODES} nodes")
        target = node.target
        if node.op == "call_function":
            target = function_name(target)
        elif node.op == "call_module":
            if target not in modules:
                modules[target] = describe_leaf(torch, gm.get_submodule(target))
        elif node.op == "get_attr":
            if target not in attrs:
                attrs[target] = _attr_value(torch, gm, target)
        nodes.append({"name": node.name, "op": node.op, "target": str(target),
                      "args": _encode(torch, node.args), "kwargs": _encode(torch, dict(node.kwargs))})
    return {"format": "fx", "nodes": nodes, "modules": modules, "attrs": attrs}


def _attr_value(torch: Any, gm: Any, target: str) -> Any:
    value = gm
    for part in target.split("."):
        value = getattr(value, part)
    if isinstance(value, torch.Tensor):
        return _array(torch, value)
    return {"unsupported": f"{type(value).__module__}.{type(value).__qualname__}"}


def _sequential_leaves(torch: Any, seq: Any) -> list | None:
    layers = []
    for child in seq:
        if isinstance(child, torch.nn.Sequential):
            inner = _sequential_leaves(torch, child)
            if inner is None:
                return None
            layers.extend(inner)
        elif any(True for _ in child.children()):
            return None  # a container that is not a Sequential: its order of use is unknown
        else:
            layers.append(describe_leaf(torch, child))
    return layers


def describe_leaf(torch: Any, module: Any) -> dict:
    """``{"type": qualified type name, "config": {...}, "state": {name: float32 ndarray}}``
    for one module (its own parameters and floating-point buffers, not its children's)."""
    config: dict[str, Any] = {}
    for name in _CONFIG_ATTRS:
        if name in vars(module):
            value = vars(module)[name]
            if value is None or isinstance(value, (bool, int, float, str)):
                config[name] = value
            elif isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value):
                config[name] = list(value)
    config["bias"] = getattr(module, "bias", None) is not None
    state = {}
    for name, tensor in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
        if tensor is not None and tensor.is_floating_point():
            state[name] = _array(torch, tensor)
    return {"type": f"{type(module).__module__}.{type(module).__qualname__}", "config": config, "state": state}


def _array(torch: Any, tensor: Any) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to("cpu", torch.float32).numpy())


def function_name(fn: Any) -> str:
    """A function's public qualified name: ``torch.relu``, ``torch.nn.functional.gelu``,
    ``operator.add``, ``builtins.getattr``; else ``module.qualname``."""
    torch = sys.modules["torch"]
    name = getattr(fn, "__name__", None)
    if isinstance(name, str):
        for prefix, namespace in (("torch.nn.functional", torch.nn.functional), ("torch", torch),
                                  ("operator", operator), ("builtins", builtins)):
            try:
                if getattr(namespace, name, None) is fn:
                    return f"{prefix}.{name}"
            except Exception:
                pass
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or name or type(fn).__qualname__
    if module == "_operator":
        module = "operator"
    return f"{module}.{qualname}"


def _encode(torch: Any, value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return {"unsupported": "too deeply nested"}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.fx.Node):
        return {"node": value.name}
    if isinstance(value, (tuple, list)):  # torch.Size is a tuple
        return [_encode(torch, v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(torch, v, depth + 1) for k, v in value.items()}
    if isinstance(value, slice):
        return {"slice": [_encode(torch, v, depth + 1) for v in (value.start, value.stop, value.step)]}
    if isinstance(value, torch.dtype):
        return {"dtype": str(value)}
    if isinstance(value, torch.device):
        return {"device": str(value)}
    if value is Ellipsis:
        return {"ellipsis": True}
    return {"unsupported": f"{type(value).__module__}.{type(value).__qualname__}"}
