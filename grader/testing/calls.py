"""The student's code, called from tests: seeding it, describing its module, calling a function
while recording what it did to its arguments, and the identity, type and ``repr`` of a remote object.

Also importable from :mod:`grader.remote`, under the names the hidden tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..remote.errors import ProtocolViolation, StudentError, _text
from ..remote.proxies import RemoteObject, SubmissionProxy, _args_text, _session_of


def seed(submission: SubmissionProxy | RemoteObject, value: int) -> None:
    """Seed ``random``, ``numpy.random`` and (if imported) ``torch`` in the worker."""
    _session_of(submission).request({"op": "seed", "seed": int(value)}, what="seeding the worker")


def describe_module(obj: RemoteObject) -> dict:
    """Facts about a remote ``torch.nn.Module``.

    Returns:
        ``{"type": str, "n_params": int, "linear": [(in, out), ...], "modules": [str, ...]}``.
        The facts are reported by the worker, so a hostile submission could
        misreport them; they decide architecture rules, never accuracy.

    Raises:
        StudentError: if the object is not a torch module.
    """
    if not isinstance(obj, RemoteObject):
        raise StudentError("describe_module", {"type": "TypeError",
                                               "message": f"expected a torch.nn.Module, got {type(obj).__name__}"})
    info = obj._req({"op": "describe_module", "obj": obj}, f"inspecting {obj._name()}")
    if not isinstance(info, dict):
        raise ProtocolViolation("describe_module returned no dict")
    linear = info.get("linear", [])
    info["linear"] = [tuple(x) for x in linear] if isinstance(linear, list) else []
    return info


@dataclass
class CallRecord:
    """What :func:`call_with_args` returns: the result, and the arguments as
    the student's function left them (after any in-place changes)."""

    result: Any
    args: list
    kwargs: dict


def call_with_args(fn: RemoteObject, *args: Any, **kwargs: Any) -> CallRecord:
    """Call a remote function and also fetch its arguments back after the call,
    so a test can check that the function did not change its inputs in place
    (arrays reach the worker as copies: the test's own arrays never change).

    Raises:
        TypeError: if ``fn`` is not a remote object; the errors of a call otherwise.
    """
    if not isinstance(fn, RemoteObject):
        raise TypeError(f"expected a remote function, got {type(fn).__qualname__}")
    reply = fn._req({"op": "call", "obj": fn, "args": list(args), "kwargs": kwargs, "echo_args": True},
                    f"{fn._name()}({_args_text(args, kwargs)})")
    if not isinstance(reply, dict) or not {"result", "args", "kwargs"} <= set(reply):
        raise ProtocolViolation("a call with its arguments echoed returned no record")
    got_args = reply["args"] if isinstance(reply["args"], list) else []
    got_kwargs = reply["kwargs"] if isinstance(reply["kwargs"], dict) else {}
    return CallRecord(reply["result"], got_args, got_kwargs)


def identity(obj: RemoteObject) -> int:
    """A number that tells one worker object from another (its ``id()`` in the worker):
    two remote handles to the same object give the same number while it lives.
    Handles are made per reply, so comparing handles themselves never works.

    Raises:
        TypeError: if ``obj`` is not a remote object.
    """
    if not isinstance(obj, RemoteObject):
        raise TypeError(f"expected a remote object, got {type(obj).__qualname__}")
    n = obj._req({"op": "identity", "obj": obj}, f"id({obj._name()})")
    if type(n) is not int:
        raise ProtocolViolation("identity returned no int")
    return n


def bind_name(submission: SubmissionProxy, name: str, value: Any) -> None:
    """Bind a top-level name of the student's namespace to ``value`` (plain data, a
    remote object, or a trusted function, which the student's code then calls back
    into). Used to put the reference in place of a helper another question grades;
    see :func:`grader.testing.reference_in_place`.

    Raises:
        MissingName: the submission does not define ``name`` (nothing is bound).
    """
    session = _session_of(submission)
    session.root_attr(name)  # MissingName when it is not there
    session.request({"op": "setattr", "obj": None, "name": name, "value": value}, what=f"binding `{name}`")
    session._root_cache.pop(name, None)


def type_name(obj: Any) -> str:
    """The qualified type name of a remote object (or of a local value)."""
    if isinstance(obj, RemoteObject):
        return str(obj._type_name)
    return type(obj).__qualname__


def remote_repr(obj: RemoteObject) -> str:
    """The student object's own ``repr`` (capped), fetched from the worker."""
    text = obj._req({"op": "repr", "obj": obj}, f"repr({obj._name()})")
    return _text(text, 2000)
