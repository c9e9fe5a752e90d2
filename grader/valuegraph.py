"""Checks of a student's micrograd-style scalar autograd engine, one piece at a time.

A ``Value`` engine (hw3) has two parts a test can tell apart: each operation's
*local* rule (its ``_backward`` closure adds ``out.grad`` times the local
derivative to its inputs' ``grad``) and ``backward()``, which seeds the output's
gradient with 1 and calls every node's ``_backward`` in reverse topological
order. A test of one part should not depend on the other, so that one mistake
costs one question:

* :func:`run` evaluates an expression with the student's ``Value`` and the
  student's ``backward()``;
* :func:`run_walked` evaluates it with the student's ``Value`` but walks the
  graph *here*, with the reference traversal: it follows the student's
  ``_prev`` links, seeds ``out.grad = 1`` and calls each node's own
  ``_backward``. An operation whose local rule is right passes this way even
  when the student's ``backward()`` is wrong.

Everything runs in the student's worker through remote handles; only numbers
come back. The engine's structure (``_prev``, ``_backward``) is the template's;
an engine without it gets ``None`` from :func:`run_walked`, and is judged by
:func:`run` alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .remote import RemoteError, RemoteObject, StudentError, identity
from .testing import Failure, as_numeric, assert_close

MAX_NODES = 5000       # a graph bigger than this is not walked here (the tests build at most ~150 nodes)
MAX_CHILDREN = 64      # inputs of one node that are followed


@dataclass(frozen=True)
class Outcome:
    """An expression's value and its leaves' gradients, as numbers (None: not a number)."""

    data: float | None
    grads: tuple[float | None, ...]

    def matches(self, other: Outcome, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
        """Every number equal to ``other``'s within tolerance (None never matches)."""
        pairs = [(self.data, other.data), *zip(self.grads, other.grads)]
        return len(self.grads) == len(other.grads) and all(
            a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_) for a, b in pairs)

    def all_zero_grads(self) -> bool:
        return all(g == 0.0 for g in self.grads)


def number(value: Any) -> float | None:
    """``value`` as a float, or None if it is not one number."""
    try:
        arr = as_numeric(value)
    except AssertionError:
        return None
    if arr.size != 1 or arr.dtype.kind == "c":
        return None
    return float(arr.reshape(-1)[0])


def make_leaves(Value: Any, point: Sequence[float]) -> list[Any]:
    return [Value(float(v)) for v in point]


def outcome(out: Any, leaves: Sequence[Any]) -> Outcome:
    return Outcome(number(out.data), tuple(number(leaf.grad) for leaf in leaves))


def run(Value: Any, expr: Callable[..., Any], point: Sequence[float]) -> Outcome:
    """``out = expr(*leaves)``, ``out.backward()`` (the student's), then the numbers.

    ``Value`` may be the student's (remote) class or the reference's (local).

    Raises:
        RemoteError: the student's code raised, timed out or crashed.
    """
    leaves = make_leaves(Value, point)
    out = expr(*leaves)
    out.backward()
    return outcome(out, leaves)


def children(node: RemoteObject) -> list[RemoteObject]:
    """The inputs a node lists in ``_prev`` (a set, tuple or list), as remote handles."""
    prev = node._prev
    items = list(prev) if isinstance(prev, (list, tuple)) else []
    if isinstance(prev, RemoteObject):
        for k, child in enumerate(prev):
            if k >= MAX_CHILDREN:
                break
            items.append(child)
    return [c for c in items[:MAX_CHILDREN] if isinstance(c, RemoteObject)]


def topological(out: RemoteObject) -> list[RemoteObject] | None:
    """Every node ``out`` depends on, inputs before outputs (depth first), or None for a
    graph of more than :data:`MAX_NODES` nodes. Nodes are told apart by their identity
    in the worker."""
    order: list[RemoteObject] = []
    seen: set[int] = set()
    stack: list[tuple[RemoteObject, bool]] = [(out, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        key = identity(node)
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_NODES:
            return None
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children(node)))
    return order


def walk_backward(out: RemoteObject) -> bool:
    """The reference ``backward()`` over the student's own nodes: seed ``out.grad = 1``,
    then each node's ``_backward()`` in reverse topological order. False when the
    engine has no ``_prev``/``_backward`` to walk (or the graph is too big)."""
    try:
        order = topological(out)
        if order is None:
            return False
        out.grad = 1.0
        for node in reversed(order):
            step = node._backward
            if not isinstance(step, RemoteObject):
                return False
            step()
    except StudentError as exc:
        if exc.exc_type == "AttributeError":
            return False
        raise
    return True


def run_walked(Value: Any, expr: Callable[..., Any], point: Sequence[float]) -> Outcome | None:
    """Like :func:`run`, with the graph walked by :func:`walk_backward` instead of the
    student's ``backward()``; None if the engine cannot be walked that way.

    Raises:
        RemoteError: the student's code (an operation, a ``_backward``) raised,
            timed out or crashed.
    """
    leaves = make_leaves(Value, point)
    out = expr(*leaves)
    if not isinstance(out, RemoteObject) or not walk_backward(out):
        return None
    return outcome(out, leaves)


def run_quietly(fn: Callable[[], Outcome | None]) -> Outcome | None:
    """``fn()``, or None if the student's code raised (a timeout or crash propagates)."""
    try:
        return fn()
    except StudentError:
        return None
    except RemoteError as exc:
        if type(exc).__name__ in ("MissingName", "ValueTooLarge"):
            return None
        raise


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# One operation on leaves at a time: (name, text, expr(a, b), a, b, expected Outcome(data, (da, db))).
# The numbers come from the operations' formulas (the lecture's table), not from any implementation.
A, B = 1.5, -0.5
SINGLE_OPERATIONS: list[tuple[str, str, Callable[..., Any], Outcome]] = [
    ("__add__", "a + b", lambda a, b: a + b, Outcome(A + B, (1.0, 1.0))),
    ("__mul__", "a * b", lambda a, b: a * b, Outcome(A * B, (B, A))),
    ("__pow__", "a ** 3", lambda a, b: a**3, Outcome(A**3, (3 * A**2, 0.0))),
    ("exp", "a.exp()", lambda a, b: a.exp(), Outcome(math.exp(A), (math.exp(A), 0.0))),
    ("tanh", "a.tanh()", lambda a, b: a.tanh(), Outcome(math.tanh(A), (1 - math.tanh(A) ** 2, 0.0))),
    ("relu", "a.relu() for a > 0", lambda a, b: a.relu(), Outcome(A, (1.0, 0.0))),
    ("relu", "b.relu() for b < 0", lambda a, b: b.relu(), Outcome(0.0, (0.0, 0.0))),
    ("sigmoid", "a.sigmoid()", lambda a, b: a.sigmoid(), Outcome(_sigmoid(A), (_sigmoid(A) * (1 - _sigmoid(A)), 0.0))),
    ("__neg__", "-a", lambda a, b: -a, Outcome(-A, (-1.0, 0.0))),
    ("__radd__", "2 + a", lambda a, b: 2 + a, Outcome(2 + A, (1.0, 0.0))),
    ("__sub__", "a - b", lambda a, b: a - b, Outcome(A - B, (1.0, -1.0))),
    ("__rsub__", "1 - a", lambda a, b: 1 - a, Outcome(1 - A, (-1.0, 0.0))),
    ("__rmul__", "3 * a", lambda a, b: 3 * a, Outcome(3 * A, (3.0, 0.0))),
    ("__truediv__", "a / b", lambda a, b: a / b, Outcome(A / B, (1 / B, -A / B**2))),
    ("__rtruediv__", "2 / a", lambda a, b: 2 / a, Outcome(2 / A, (-2 / A**2, 0.0))),
]


def _text(o: Outcome) -> str:
    def f(x: float | None) -> str:
        return "not a number" if x is None else f"{x:.6g}"
    return f"data {f(o.data)}, a.grad {f(o.grads[0])}, b.grad {f(o.grads[1])}"


def diagnose(Value: Any) -> list[str]:
    """Which pieces of a student's engine are wrong, each checked alone: every operation on
    two leaves (a = 1.5, b = -0.5), walked with the reference traversal where the engine allows
    it, and ``backward()``'s seeding (a leaf's ``backward()`` gives it grad 1).

    Returns:
        One line per wrong piece, e.g. ``"__mul__: a * b gives data -0.75, a.grad 1.5, b.grad -0.5;
        expected data -0.75, a.grad -0.5, b.grad 1.5"``; empty when every piece is right alone.

    Raises:
        CallTimeout, WorkerCrashed: the student's code hung or crashed.
    """
    found: list[str] = []
    for name, text, expr, expected in SINGLE_OPERATIONS:
        def attempt(walk: bool) -> Outcome | StudentError | None:
            try:
                return (run_walked if walk else run)(Value, lambda a, b, c: expr(a, b), (A, B, 0.0))  # noqa: B023 - run now
            except StudentError as exc:
                return exc
        got = attempt(True)
        if got is None:
            got = attempt(False)
        if isinstance(got, Outcome) and Outcome(got.data, got.grads[:2]).matches(expected):
            continue
        what = (f"{got.exc_type}: {got.exc_message}"[:200] if isinstance(got, StudentError)
                else _text(Outcome(got.data, got.grads[:2])) if isinstance(got, Outcome) else "nothing")
        found.append(f"{name}: {text} at a = {A:g}, b = {B:g} gives {what}; expected {_text(expected)}")
    try:
        v = Value(3.0)
        v.backward()
        seed = number(v.grad)
        if seed != 1.0:
            found.append(f"backward(): Value(3.0).backward() leaves its grad at {seed}, expected 1 "
                         "(backward() seeds the output's grad with 1)")
    except StudentError as exc:
        found.append(f"backward(): Value(3.0).backward() raised {exc.exc_type}: {exc.exc_message}"[:300])
    return found


def _attempt(fn: Callable[[], Outcome | None]) -> Outcome | StudentError | None:
    """fn()'s Outcome, the StudentError it raised, or None (the engine cannot be walked)."""
    try:
        return fn()
    except StudentError as exc:
        return exc


def _same(x: Any, y: Any) -> bool:
    """Both the same numbers, or both the same exception."""
    if isinstance(x, Outcome) and isinstance(y, Outcome):
        return x.matches(y)
    if isinstance(x, StudentError) and isinstance(y, StudentError):
        return (x.exc_type, x.exc_message) == (y.exc_type, y.exc_message)
    return False


def judge(Value: Any, text: str, expr: Callable[..., Any], point: Sequence[float], expected: Outcome, *,
          n: int = 1, forms: Sequence[Callable[..., Any]] = (), mistakes: dict | None = None,
          rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """Assert that one operation of the student's engine is right on its own.

    It passes when ``expr`` at ``point`` (leaves ``a, b, c``) gives ``expected``:
    with the student's own ``backward()``; or walked with the reference traversal
    (:func:`run_walked`), so that a wrong ``backward()`` is not charged here; or, for a
    derived operation, the same way as one of ``forms`` (``lambda V, a, b, c: ...``,
    e.g. ``a + (-b)`` for ``a - b``) built from the student's own operations does (the
    same numbers, or the same exception), so that a wrong primitive is charged in its
    own test only.

    Args:
        n: how many leaves the expression uses (a; a and b; a, b and c).
        mistakes: ``{label: (hint, Outcome(data, (grads of the n leaves)))}``: known wrong
            answers, named in a :class:`~grader.testing.Failure` when matched.

    Raises:
        Failure: the answer matches a known mistake.
        AssertionError: the data or a leaf's gradient is wrong (the walked numbers where
            the engine can be walked: they show the operation's own rule).
        StudentError: the operation raised (and no form raises the same).
    """
    own = _attempt(lambda: run(Value, expr, point))
    if isinstance(own, Outcome) and own.matches(expected):
        return
    walked = _attempt(lambda: run_walked(Value, expr, point))
    if isinstance(walked, Outcome) and walked.matches(expected):
        return  # the operation is right; backward() is graded on its own
    if walked is not None:
        for form in forms:
            if _same(walked, _attempt(lambda: run_walked(Value, lambda a, b, c: form(Value, a, b, c), point))):  # noqa: B023
                return  # built from the student's own operations, whose tests charge their mistakes
    shown = walked if isinstance(walked, Outcome) else own
    if isinstance(shown, StudentError):
        raise shown
    assert shown is not None
    where = "at " + ", ".join(f"{name} = {v:g}" for name, v in zip("abc", point[:n]))
    for label, (hint, wrong) in (mistakes or {}).items():
        if Outcome(shown.data, shown.grads[:n]).matches(wrong):
            raise Failure(f"for {text} {where}, your data and gradients match {label}", hint=hint)
    assert_close(shown.data, expected.data, rtol=rtol, atol=atol, name=f"({text}).data {where}")
    for name, g, e in zip("abc"[:n], shown.grads, expected.grads):
        if g is None:
            raise AssertionError(f"{name}.grad for {text} {where} is not a number")
        assert_close(g, e, rtol=rtol, atol=atol, name=f"{name}.grad for {text} {where}")
