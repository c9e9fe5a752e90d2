"""Student objects as the tests see them: :class:`SubmissionProxy` (the ``submission``
fixture) and :class:`RemoteObject` turn attribute access, calls and operators into requests
to the worker; comparisons and ``repr`` stay local."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import _GONE, StudentError, WorkerCrashed, _NoLength

if TYPE_CHECKING:
    from .session import RemoteSession


def _args_text(args: tuple, kwargs: dict) -> str:
    return "..." if args or kwargs else ""


class RemoteObject:
    """A student object that stays in the worker (a function, a ``Value``, a model).

    Attribute access, calls, item access, ``len``, iteration and arithmetic
    run in the worker and return plain data or further remote objects.
    Comparisons and ``repr`` are local: a remote object never decides a test.
    """

    __slots__ = ("_session", "_generation", "_id", "_type_name", "_label", "__weakref__")

    def __init__(self, session: RemoteSession, generation: int, hid: int, type_name: str, label: str = "") -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_label", label)

    def __repr__(self) -> str:
        return f"<remote {self._type_name}{' ' + self._label if self._label else ''}>"

    def _req(self, message: dict, what: str) -> Any:
        culprit = self._label if self._label and "." not in self._label else self._type_name
        self._session.check_culprit(culprit)
        self._session.ensure()
        if self._generation != self._session.generation:
            if self._label and self._session.generation > 0 and "." not in self._label:
                fresh = self._session.root_attr(self._label)  # a top-level name: look it up again
                if isinstance(fresh, RemoteObject):
                    message = {**message, "obj": fresh}
                    return self._session.request(message, what=what, culprit=culprit)
            raise WorkerCrashed(f"{self!r} {_GONE}")
        return self._session.request(message, what=what, culprit=culprit)

    def _name(self) -> str:
        return self._label or self._type_name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # never probe the worker for protocols (__array__, ...)
        return self._req({"op": "getattr", "obj": self, "name": name}, f"{self._name()}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._req({"op": "setattr", "obj": self, "name": name, "value": value}, f"setting {self._name()}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._req({"op": "call", "obj": self, "args": list(args), "kwargs": kwargs},
                         f"{self._name()}({_args_text(args, kwargs)})")

    def __getitem__(self, key: Any) -> Any:
        return self._req({"op": "getitem", "obj": self, "key": key}, f"{self._name()}[...]")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._req({"op": "setitem", "obj": self, "key": key, "value": value}, f"{self._name()}[...] = ...")

    def __len__(self) -> int:
        try:
            n = self._req({"op": "len", "obj": self}, f"len({self._name()})")
        except StudentError as exc:
            if exc.exc_type != "TypeError":
                raise
            raise _NoLength(f"len({self._name()})", {"type": exc.exc_type, "message": exc.exc_message,
                                                      "traceback": exc.student_traceback, "where": exc.where}) from None
        if type(n) is not int or n < 0:
            raise StudentError(f"len({self._name()})", {"type": "TypeError", "message": "len() is not an int"})
        return n

    def __iter__(self):
        it = self._req({"op": "iter", "obj": self}, f"iter({self._name()})")
        while True:
            step = it._req({"op": "next", "obj": it}, f"next(iter({self._name()}))")
            if not isinstance(step, dict) or "stop" in step:
                return
            yield step.get("value")

    def __del__(self) -> None:
        try:
            self._session.release(self._generation, self._id)
        except Exception:
            pass

    def _binop(self, name: str, a: Any, b: Any) -> Any:
        return self._req({"op": "binop", "name": name, "a": a, "b": b}, f"{self._name()} {name}")

    def __add__(self, o): return self._binop("add", self, o)
    def __radd__(self, o): return self._binop("add", o, self)
    def __sub__(self, o): return self._binop("sub", self, o)
    def __rsub__(self, o): return self._binop("sub", o, self)
    def __mul__(self, o): return self._binop("mul", self, o)
    def __rmul__(self, o): return self._binop("mul", o, self)
    def __truediv__(self, o): return self._binop("truediv", self, o)
    def __rtruediv__(self, o): return self._binop("truediv", o, self)
    def __floordiv__(self, o): return self._binop("floordiv", self, o)
    def __rfloordiv__(self, o): return self._binop("floordiv", o, self)
    def __mod__(self, o): return self._binop("mod", self, o)
    def __rmod__(self, o): return self._binop("mod", o, self)
    def __pow__(self, o): return self._binop("pow", self, o)
    def __rpow__(self, o): return self._binop("pow", o, self)
    def __matmul__(self, o): return self._binop("matmul", self, o)
    def __rmatmul__(self, o): return self._binop("matmul", o, self)

    def __neg__(self): return self._req({"op": "unop", "name": "neg", "a": self}, f"-{self._name()}")
    def __pos__(self): return self._req({"op": "unop", "name": "pos", "a": self}, f"+{self._name()}")
    def __abs__(self): return self._req({"op": "unop", "name": "abs", "a": self}, f"abs({self._name()})")


class SubmissionProxy:
    """The ``submission`` fixture: the student's namespace, seen through the worker.

    ``submission.sigmoid`` looks up ``sigmoid`` in the student's notebook or
    module; calling it runs it in the worker. A name the submission does not
    define raises :class:`MissingName`.
    """

    def __init__(self, session: RemoteSession) -> None:
        object.__setattr__(self, "_session", session)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._session.root_attr(name)
        if isinstance(value, RemoteObject):
            object.__setattr__(value, "_label", name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the submission proxy is read-only")

    def __repr__(self) -> str:
        return f"<submission {self._session.what}>"


def _session_of(obj: Any) -> RemoteSession:
    if isinstance(obj, SubmissionProxy):
        return object.__getattribute__(obj, "_session")
    if isinstance(obj, RemoteObject):
        return obj._session
    raise TypeError(f"expected the submission proxy or a remote object, got {type(obj).__qualname__}")
