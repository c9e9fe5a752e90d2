"""The namespace an imported otter case runs in on the trusted side.

otter runs a case in the student's own global namespace. Here the case runs in this process, in
a :class:`CaseNamespace`, which resolves a free name in this order:

1. what earlier cases of this submission assigned (``x = softmax(z)`` in one example, ``x`` in
   the next, as in otter, where the assignment lands in the student's globals);
2. Python's builtins (a submission that redefines ``round`` does not change the checks);
3. the modules the instructor's solution imported (``np`` -> this process's own ``numpy``):
   a student's ``np.isclose = lambda *a, **k: True``, or an ``np`` that is not numpy at all,
   never reaches the check;
4. the student's name, through the worker (:class:`grader.remote.SubmissionProxy`): a function
   becomes a handle whose call runs in the worker, plain data (numbers, arrays) comes back as is.

An exception the student's function raises in the worker reaches the case as a
:class:`~grader.remote.StudentError`; when its type is one of Python's built-in exceptions
(``ValueError``, ``KeyError``...) it is raised as a subclass of that type too, so a case's
``try: ... except ValueError:`` sees it as otter would. Only the type's name and message cross.

In ``plain`` mode a value from the student must be plain data: a function's result, or a
top-level value, that stays in the worker as a :class:`~grader.remote.RemoteObject` (an
always-equal object, a fake array) fails the example with a :class:`NotPlainData` error. In
``handles`` mode such objects are allowed, for cases whose solution itself returns objects
(a model, a ``Value`` node): their attributes and methods run in the worker.
"""

from __future__ import annotations

import builtins
import importlib
from typing import Any

from ..remote import MissingName, RemoteObject, StudentError, SubmissionProxy
from ..testing import type_name

#: Type names (:func:`grader.worker.wire._type_name`: builtins unqualified) of the worker objects a
#: case may call in ``plain`` mode: the student's functions and classes. Whatever the call returns
#: is checked again, so a name that lies about its type gains nothing.
CALLABLE_TYPES = frozenset({"function", "builtin_function_or_method", "type", "functools.partial", "method",
                            "numpy.ufunc"})


class NotPlainData(TypeError):
    """A student value that the check needs as plain data stayed in the worker as an object."""


class CaseNamespace(dict):
    """Globals for the cases of one submission (a ``dict``: ``exec`` requires one).

    Args:
        submission: the ``submission`` fixture.
        modules: ``{name: "module"}`` or ``{name: "module:attribute"}``, from the solution's imports
            (``{"np": "numpy", "softmax_ref": "scipy.special:softmax"}``).
        plain: whether student values must be plain data (see the module docstring).

    Raises (on lookup, inside the example, like Python would):
        NotPlainData: in ``plain`` mode, a student value that is a worker object.
        ImportError: a module of ``modules`` is not installed on the trusted side.
    """

    def __init__(self, submission: SubmissionProxy, modules: dict[str, str], plain: bool = True) -> None:
        super().__init__()
        self["__builtins__"] = builtins
        self._submission = submission
        self._modules = dict(modules)
        self.plain = plain

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            raise KeyError(name)  # Python goes on to the builtins
        if name in self._modules:
            return _import(self._modules[name])
        try:
            value = getattr(self._submission, name)
        except MissingName:
            raise KeyError(name) from None  # NameError: name '...' is not defined
        return self._checked(value, name)

    def _checked(self, value: Any, what: str) -> Any:
        if not isinstance(value, RemoteObject):
            return value
        kind = type_name(value)
        if kind in CALLABLE_TYPES:
            return _StudentCallable(value, what, self)
        if not self.plain:
            return value
        raise NotPlainData(f"{what} is an object of type {kind} in the submission, not plain data (a number, "
                           f"an array, a list...)")


class _StudentCallable:
    """A student function or class: its exceptions are raised as built-in types (see the module
    docstring), and in ``plain`` mode its results must be plain data."""

    __slots__ = ("_fn", "_name", "_ns")

    def __init__(self, fn: RemoteObject, name: str, ns: CaseNamespace) -> None:
        self._fn, self._name, self._ns = fn, name, ns

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self._fn(*args, **kwargs)
        except StudentError as exc:
            raise as_builtin(exc) from None
        if self._ns.plain and isinstance(result, RemoteObject):
            raise NotPlainData(f"{self._name}(...) returned an object of type {type_name(result)}, not plain "
                               f"data (a number, an array, a list...)")
        return result

    def __getattr__(self, name: str) -> Any:  # a class's attributes, a function's __name__
        return getattr(self._fn, name)

    def __repr__(self) -> str:
        return f"<function {self._name}>"


#: Built-in exceptions a student's exception is never raised as: they steer the trusted side's own
#: control flow (iteration, interpreter exit) instead of being an outcome of the case.
_NOT_TRANSLATED = (StopIteration, StopAsyncIteration, GeneratorExit, AssertionError)
_TRANSLATED: dict[str, type[StudentError] | None] = {}


def as_builtin(exc: StudentError) -> StudentError:
    """``exc`` as an instance of a class that is both :class:`StudentError` and the built-in
    exception the student's code raised (``ValueError``...), with the same message and attributes;
    ``str()`` of it is the student's message, as ``str(e)`` in the student's process; ``exc`` itself
    when that type is not a built-in ``Exception`` (a class of the student's, a
    ``StopIteration``) or cannot be combined with ``StudentError`` (an ``OSError``'s layout)."""
    name = exc.exc_type
    if name not in _TRANSLATED:
        cls = getattr(builtins, name, None)
        kind: type[StudentError] | None = None
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, _NOT_TRANSLATED):
            try:
                kind = type(f"Student{name}", (StudentError, cls), {"__module__": __name__, "__str__": _message})
                kind.__new__(kind, "")
            except TypeError:  # a lay-out conflict (OSError, UnicodeError...)
                kind = None
        _TRANSLATED[name] = kind
    kind = _TRANSLATED[name]
    if kind is None:
        return exc
    translated = kind.__new__(kind, *exc.args)  # BaseException.__new__ keeps the args
    translated.__dict__.update(vars(exc))
    return translated


def _message(exc: StudentError) -> str:
    return exc.exc_message


def _import(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:  # `from package import submodule`, not imported by the package itself
        return importlib.import_module(f"{module_name}.{attribute}")
