"""Helpers for test authors: comparisons with messages a student can act on.

Every helper raises ``AssertionError`` with a message that names the problem:
a value that is not numeric data, a wrong shape, NaN or infinity where the
expected value is finite, or the worst element outside the tolerance with its
index and both values. See ``docs/writing-tests.md``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .remote.errors import CallTimeout, MissingName, ProtocolViolation, RemoteError, StudentError, WorkerCrashed, _text
from .remote.proxies import RemoteObject, SubmissionProxy, _args_text, _session_of

# --------------------------------------------------------------------------- the student's code, called from tests
# (helpers for test authors: also importable from grader.remote, as the hidden tests name them)


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
        return obj._type_name
    return type(obj).__qualname__


def remote_repr(obj: RemoteObject) -> str:
    """The student object's own ``repr`` (capped), fetched from the worker."""
    text = obj._req({"op": "repr", "obj": obj}, f"repr({obj._name()})")
    return _text(text, 2000)

__all__ = ["Failure", "assert_close", "assert_equal", "assert_inputs_unchanged", "assert_raises",
           "compare_to_reference", "fresh_run", "random_array", "as_numeric", "reference_in_place",
           "responds_to_input", "assert_close_naming"]


class Failure(AssertionError):
    """A test's failure that carries its own hint.

    The student sees ``hint`` in place of the test's ``@pytest.mark.hint``; an
    empty hint shows none. Raise it where the test knows what it saw: a known
    mistake (``Failure("... matches Adam without bias correction", hint="divide
    by 1 - beta1**t")``), or a failure the fixed hint does not explain (a wrong
    result in a test about in-place changes).

    Attributes:
        hint: the text to show (may be empty).
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def _describe(value: Any) -> str:
    if isinstance(value, RemoteObject):
        return f"a {value._type_name} object"
    if value is None:
        return "None"
    return f"a {type(value).__qualname__}"


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.8g}"
    return repr(x.item() if isinstance(x, np.generic) else x)


def as_numeric(value: Any, name: str = "result") -> np.ndarray:
    """``value`` as a numeric (bool, int, float or complex) ndarray.

    Accepts Python numbers, numpy scalars and arrays, and (nested) lists or
    tuples of numbers, which is everything a correct implementation might
    return for an array or a float.

    Raises:
        AssertionError: if it is anything else (None, a string, a remote
            object, ragged or object data).
    """
    if isinstance(value, (str, bytes, dict)) or value is None or isinstance(value, RemoteObject):
        raise AssertionError(f"{name} should be a number or an array, but it is {_describe(value)}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        raise AssertionError(f"{name} should be a number or an array, but it is {_describe(value)} "
                             "that is not rectangular numeric data") from None
    if arr.dtype.kind not in "biufc":
        raise AssertionError(f"{name} should be numeric, but it is {_describe(value)} of {arr.dtype} data")
    return arr


def _shape_text(shape: tuple) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-8,
                 name: str = "result") -> None:
    """Assert that ``actual`` equals ``expected`` within tolerance, element-wise.

    ``|actual - expected| <= atol + rtol * |expected|``, as in
    ``numpy.isclose``. Any float dtype is accepted (float32 work passes with
    the default ``rtol``). NaN matches only NaN, and infinity only the same
    infinity.

    Args:
        actual: what the student's code returned.
        expected: the right answer (a number or an array).
        rtol, atol: relative and absolute tolerance.
        name: how to refer to the value in messages, e.g. ``"sigmoid(z)"``.

    Raises:
        AssertionError: with a message naming the first problem found.
    """
    exp = np.asarray(expected)
    act = as_numeric(actual, name)
    if act.shape != exp.shape:
        extra = ""
        if act.size == exp.size:
            extra = " (same values, wrong shape: check for an extra or missing axis, e.g. (N, 1) vs (N,))"
        raise AssertionError(f"{name} has {_shape_text(act.shape)}, expected {_shape_text(exp.shape)}{extra}")
    if act.dtype.kind == "c" and exp.dtype.kind != "c":
        raise AssertionError(f"{name} is complex, expected real numbers")
    a = act.astype(np.complex128 if exp.dtype.kind == "c" else np.float64)
    e = exp.astype(a.dtype)
    a_flat, e_flat = a.reshape(-1), e.reshape(-1)
    e_nan, a_nan = np.isnan(e_flat), np.isnan(a_flat)
    bad_nan = a_nan & ~e_nan
    if bad_nan.any():
        i = int(np.flatnonzero(bad_nan)[0])
        raise AssertionError(f"{name} contains NaN at index {_index(i, a.shape)} where {_fmt(e_flat[i])} "
                             f"was expected ({int(bad_nan.sum())} NaN values in all): "
                             "is the computation numerically stable for large inputs?")
    e_inf, a_inf = np.isinf(e_flat), np.isinf(a_flat)
    bad_inf = a_inf & ~(e_inf & (a_flat == e_flat))
    if bad_inf.any():
        i = int(np.flatnonzero(bad_inf)[0])
        raise AssertionError(f"{name} is {_fmt(a_flat[i])} at index {_index(i, a.shape)} where {_fmt(e_flat[i])} "
                             "was expected: does it overflow for large inputs?")
    if (e_nan & ~a_nan).any():
        i = int(np.flatnonzero(e_nan & ~a_nan)[0])
        raise AssertionError(f"{name} is {_fmt(a_flat[i])} at index {_index(i, a.shape)} where NaN was expected")
    if (e_inf & ~a_inf).any():
        i = int(np.flatnonzero(e_inf & ~a_inf)[0])
        raise AssertionError(f"{name} is {_fmt(a_flat[i])} at index {_index(i, a.shape)}, "
                             f"expected {_fmt(e_flat[i])}")
    finite = ~(e_nan | e_inf)
    if not finite.any():
        return
    err = np.abs(a_flat - e_flat)
    allowed = atol + rtol * np.abs(e_flat)
    excess = np.where(finite, err - allowed, -np.inf)
    if (excess > 0).any():
        i = int(np.argmax(np.where(finite, err / np.maximum(allowed, 1e-300), -np.inf)))
        n_bad = int((excess > 0).sum())
        where = f" at index {_index(i, a.shape)}" if a.shape else ""
        raise AssertionError(
            f"{name} is wrong{where}: got {_fmt(a_flat[i].real if a.dtype.kind != 'c' else a_flat[i])}, "
            f"expected {_fmt(e_flat[i].real if e.dtype.kind != 'c' else e_flat[i])} "
            f"(error {float(err[i]):.3g}, tolerance {float(allowed[i]):.3g}; "
            f"{n_bad} of {a_flat.size} values are off)")


def _index(flat: int, shape: tuple) -> tuple | int:
    if len(shape) <= 1:
        return flat
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def assert_equal(actual: Any, expected: Any, *, name: str = "result") -> None:
    """Assert exact equality of plain values (ints, bools, strings, containers).

    Tuples and lists count as the same container. Arrays compare element-wise
    with an exact shape.

    Raises:
        AssertionError: naming the first difference.
    """
    if isinstance(actual, RemoteObject):
        raise AssertionError(f"{name} should be {_describe(expected)}, but it is {_describe(actual)}")
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        act = as_numeric(actual, name)
        exp = np.asarray(expected)
        if act.shape != exp.shape:
            raise AssertionError(f"{name} has {_shape_text(act.shape)}, expected {_shape_text(exp.shape)}")
        diff = np.flatnonzero(act.reshape(-1) != exp.reshape(-1))
        if diff.size:
            i = int(diff[0])
            raise AssertionError(f"{name} differs at index {_index(i, act.shape)}: got "
                                 f"{_fmt(act.reshape(-1)[i])}, expected {_fmt(exp.reshape(-1)[i])}")
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)):
            raise AssertionError(f"{name} should be a sequence, but it is {_describe(actual)}")
        if len(actual) != len(expected):
            raise AssertionError(f"{name} has {len(actual)} items, expected {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_equal(a, e, name=f"{name}[{i}]")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise AssertionError(f"{name} should be a dict, but it is {_describe(actual)}")
        if set(actual) != set(expected):
            raise AssertionError(f"{name} has keys {sorted(map(str, actual))}, expected {sorted(map(str, expected))}")
        for k in expected:
            assert_equal(actual[k], expected[k], name=f"{name}[{k!r}]")
        return
    if isinstance(expected, bool) or isinstance(actual, bool):
        if bool(actual) is not bool(expected) or not isinstance(actual, (bool, np.bool_)):
            raise AssertionError(f"{name} is {_fmt(actual)}, expected {_fmt(expected)}")
        return
    if type(actual) is not type(expected) and not (
            isinstance(actual, (int, np.integer)) and isinstance(expected, (int, np.integer))):
        raise AssertionError(f"{name} is {_describe(actual)} ({_fmt(actual)}), expected {_fmt(expected)}")
    if actual != expected:
        raise AssertionError(f"{name} is {_fmt(actual)}, expected {_fmt(expected)}")


def compare_to_reference(student_fn: Callable, reference_fn: Callable, inputs: Iterable[Any], *,
                         rtol: float = 1e-5, atol: float = 1e-8, name: str | None = None) -> None:
    """Call both functions on each input and :func:`assert_close` the results.

    Args:
        student_fn: e.g. ``submission.sigmoid`` (runs in the worker).
        reference_fn: e.g. ``reference.sigmoid`` (runs here).
        inputs: each a tuple of positional arguments, a dict of keyword
            arguments, or a single argument.
        name: the function's name in messages (default: the reference's ``__name__``).

    Raises:
        AssertionError: naming the failing input (its shape, or its value if small).
    """
    fname = name or getattr(reference_fn, "__name__", "the function")
    for k, inp in enumerate(inputs):
        args: tuple
        kwargs: dict
        if isinstance(inp, dict):
            args, kwargs = (), inp
        elif isinstance(inp, tuple):
            args, kwargs = inp, {}
        else:
            args, kwargs = (inp,), {}
        expected = reference_fn(*[_copy(a) for a in args], **{k2: _copy(v) for k2, v in kwargs.items()})
        actual = student_fn(*args, **kwargs)
        try:
            assert_close(actual, expected, rtol=rtol, atol=atol, name=f"{fname}(...)")
        except AssertionError as exc:
            raise AssertionError(f"on input #{k + 1} ({_describe_input(args, kwargs)}): {exc}") from None


def _copy(x: Any) -> Any:
    """A copy of arrays, dicts, lists and tuples (recursively), for the reference to use
    without touching the student's arguments; anything else as it is."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if type(x) in (list, tuple):  # not a namedtuple or other subclass: those stay as they are
        return type(x)(_copy(v) for v in x)
    return x


def _describe_input(args: tuple, kwargs: dict) -> str:
    parts = []
    for a in [*args, *kwargs.values()]:
        if isinstance(a, np.ndarray) and a.size > 6:
            parts.append(f"array of shape {a.shape}")
        elif isinstance(a, np.ndarray):
            parts.append(np.array2string(a, precision=4, separator=", ").replace("\n", ""))
        else:
            parts.append(repr(a)[:80])
    names = [f"{k}=" for k in kwargs]
    labels = [""] * len(args) + names
    return ", ".join(label + p for label, p in zip(labels, parts))


def random_array(rng: np.random.Generator, shape: tuple[int, ...] | int, *, scale: float = 1.0,
                 dtype: Any = np.float64) -> np.ndarray:
    """A normal random array, ``scale * N(0, 1)``, of the given shape and dtype."""
    return (scale * rng.standard_normal(shape)).astype(dtype)


IN_PLACE_HINT = ("Build a new array (x = x - ..., np.maximum(x, 0)) or work on x.copy(), not x -= ... or "
                 "x[...] = ...: the caller still needs its inputs.")


def assert_inputs_unchanged(student_fn: RemoteObject, *args: Any, name: str | None = None,
                            reference_fn: Callable | None = None, rtol: float = 1e-4, atol: float = 1e-6,
                            hint: str = IN_PLACE_HINT, **kwargs: Any) -> Any:
    """Call ``student_fn(*args, **kwargs)`` in the worker and assert that it did not
    change any array argument in place. Returns the call's result.

    Leaving the inputs alone is worth points only together with a right answer (a
    function that returns a constant leaves them alone too): with ``reference_fn``,
    the result must also match ``reference_fn`` on copies of the same arguments
    (:func:`assert_close` with ``rtol``/``atol``; for a tuple result, its first element,
    e.g. ``out`` of ``(out, cache)`` or ``next_w`` of ``(next_w, config)``).

    Raises:
        Failure: naming the argument that changed and the first changed element, with
            ``hint`` (how to avoid in-place changes); or the wrong result, with no hint
            (the inputs were left alone, and the other tests score the answer).
    """
    fname = name or (student_fn._label if isinstance(student_fn, RemoteObject) else "the function")
    expected = None
    if reference_fn is not None:
        expected = reference_fn(*[_copy(a) for a in args], **{k: _copy(v) for k, v in kwargs.items()})
    record = call_with_args(student_fn, *args, **kwargs)
    pairs = [(f"argument {i + 1}", a, b) for i, (a, b) in enumerate(zip(args, record.args))]
    pairs += [(f"argument {k!r}", kwargs[k], record.kwargs.get(k)) for k in kwargs]
    for label, before, after in pairs:
        if not isinstance(before, np.ndarray):
            continue
        after_arr = np.asarray(after) if isinstance(after, np.ndarray) else None
        if after_arr is None or after_arr.shape != before.shape or not np.array_equal(after_arr, before, equal_nan=True):
            detail = ""
            if after_arr is not None and after_arr.shape == before.shape:
                i = int(np.flatnonzero(~((after_arr == before) | (np.isnan(after_arr) & np.isnan(before))))[0]) \
                    if before.dtype.kind in "fc" else int(np.flatnonzero(after_arr != before)[0])
                detail = (f": at index {_index(i, before.shape)} it was {_fmt(before.reshape(-1)[i])} "
                          f"and is now {_fmt(after_arr.reshape(-1)[i])}")
            raise Failure(f"{fname} changed its {label} in place{detail}", hint=hint)
    if reference_fn is not None:
        actual = record.result
        if isinstance(expected, tuple):
            expected = expected[0]
            if not isinstance(actual, (tuple, list)) or not actual:
                raise Failure(f"{fname} left its inputs alone, but should return a tuple like the reference's, "
                              f"got {_describe(actual)} (this test counts only with a right result)")
            actual = actual[0]
        try:
            assert_close(actual, expected, rtol=rtol, atol=atol, name=f"{fname}(...)")
        except AssertionError as exc:
            raise Failure(f"{fname} left its inputs alone, but its result is wrong, so this test does not count "
                          f"yet (the other tests say what is wrong): {exc}") from None
    return record.result


@contextmanager
def reference_in_place(submission: SubmissionProxy, reference: Any, names: Iterable[str]) -> Iterator[list[str]]:
    """Inside the block, the student's top-level functions ``names`` are the reference's.

    A function of another question that the function under test calls (``affine_backward``
    inside ``two_layer_net``) is then the reference's, so that question's mistake is not
    charged twice. The student's code calls the reference back on the trusted side, with
    plain data both ways. Names the submission or the reference does not define are left
    alone. Yields the names it replaced. The student's own functions are put back on
    leaving (a worker restarted meanwhile has them already).

    Raises:
        the errors of a call into the worker (:class:`~grader.remote.RemoteError`).
    """
    session = _session_of(submission)
    saved: list[tuple[str, Any]] = []
    generation = session.generation
    try:
        for name in names:
            fn = getattr(reference, name, None)
            if not callable(fn):
                continue
            try:
                own = getattr(submission, name)
            except MissingName:
                continue
            bind_name(submission, name, fn)
            saved.append((name, own))
        yield [name for name, _ in saved]
    finally:
        if session.generation == generation and not session.dead_reason:
            for name, own in reversed(saved):
                try:
                    bind_name(submission, name, own)
                except RemoteError:
                    break


def rerun_with_reference(check: Callable[[], Any], submission: SubmissionProxy, reference: Any,
                         names: Iterable[str]) -> Any:
    """``check()``; if it fails, ``check()`` again with ``names`` bound to the reference's
    functions (:func:`reference_in_place`). Passes when either run passes; otherwise
    raises the first run's failure, which describes the student's own code.

    A timeout or a crash of the first run is raised as it is (the worker was restarted).
    """
    try:
        return check()
    except (CallTimeout, WorkerCrashed):
        raise
    except AssertionError as first:
        try:
            with reference_in_place(submission, reference, names) as replaced:
                if not replaced:
                    raise first
                return check()
        except (CallTimeout, WorkerCrashed):
            raise
        except AssertionError:
            raise first from None


def assert_raises(exc_types: str | tuple[str, ...], student_fn: RemoteObject, *args: Any,
                  name: str | None = None, **kwargs: Any) -> StudentError:
    """Assert that the student's function raises one of ``exc_types`` (class
    names, e.g. ``"ValueError"``: the exception itself stays in the worker).

    Returns:
        The :class:`~grader.remote.StudentError` describing it.

    Raises:
        AssertionError: if the call returns, or raises another exception (a
            timeout or crash propagates unchanged).
    """
    wanted = (exc_types,) if isinstance(exc_types, str) else tuple(exc_types)
    fname = name or (student_fn._label if isinstance(student_fn, RemoteObject) else "the function")
    try:
        student_fn(*args, **kwargs)
    except StudentError as exc:
        if exc.exc_type in wanted:
            return exc
        raise AssertionError(f"{fname} should raise {' or '.join(wanted)}, "
                             f"but raised {exc.exc_type}: {exc.exc_message}") from None
    raise AssertionError(f"{fname} should raise {' or '.join(wanted)}, but it returned normally")


@contextmanager
def fresh_run(submission: SubmissionProxy) -> Iterator[SubmissionProxy]:
    """Run the block against a fresh copy of the submission, discarded afterwards.

    Inside the block, ``submission`` is the student's code loaded anew in a
    process that shares nothing with any earlier run: no module state, no file
    in its home, ``/tmp`` or ``/dev/shm``, no leftover process, no IPC object.
    So a submission cannot remember one training run's data in the next (a
    fold's held-out labels, say). After the block that process is killed and
    cleaned away, and objects obtained inside it can no longer be used.

    With ``fresh_runs = true`` in ``assignment.toml`` (and ``preload = ["torch"]``)
    a run is a child forked from a clean, pre-imported worker: it costs the
    submission's own load time plus a few milliseconds. Without it, a run is a
    whole new worker (imports included).

    Example::

        for k, (train, test) in enumerate(folds):
            with fresh_run(submission):
                model = submission.train_model(submission.build_model(), X[train], y[train])

    Raises:
        CallTimeout, WorkerCrashed: the fresh copy could not be started or loaded.
    """
    session = _session_of(submission)
    session.new_run()
    try:
        yield submission
    finally:
        try:
            session.end_run()
        except RemoteError:
            pass


PROBE = np.array([-3.0, -1.0, -0.25, 0.25, 1.0, 3.0])


def responds_to_input(student_fn: RemoteObject, probe: np.ndarray = PROBE) -> bool:
    """Whether a student's elementwise function gives more than one value over ``probe`` (float64,
    default six points in [-3, 3]): it does some work on its input.

    A test that accepts a composite function built on the student's *own*, wrong helper (the
    helper's mistake is charged in its own question) must first ask this, or a submission whose
    every function returns the same constant would pass the composite's test. Returns False when
    the function raises or returns no numbers of the probe's shape. Raises CallTimeout or
    WorkerCrashed if the student's code hangs or crashes.
    """
    try:
        values = as_numeric(student_fn(probe)).astype(float)
    except (StudentError, AssertionError):
        return False
    return values.shape == probe.shape and bool(np.all(np.isfinite(values))) and float(np.ptp(values)) > 1e-9


def assert_close_naming(actual: Any, expected: Any, mistakes: Iterable[tuple[str, Any, str]], *,
                        rtol: float = 1e-5, atol: float = 1e-8, name: str = "result") -> None:
    """:func:`assert_close`, naming a known mistake when the answer is one.

    ``mistakes`` are ``(what, mistaken answer, hint)``: when ``actual`` is not ``expected`` but is
    close to a mistaken answer (one that differs from ``expected``), a :class:`Failure` says
    "``name`` is ``what``" with that hint; otherwise :func:`assert_close`'s own message, with the
    test's fixed hint. Compute the mistaken answers on the test's own inputs: for a public test
    they reveal nothing hidden.

    Raises:
        Failure: a known mistake.
        AssertionError: any other wrong answer.
    """
    try:
        assert_close(actual, expected, rtol=rtol, atol=atol, name=name)
    except AssertionError as exc:
        try:
            got = as_numeric(actual).astype(float)
        except AssertionError:
            raise exc from None
        for what, wrong, hint in mistakes:
            w = np.asarray(wrong, dtype=float)
            if (got.shape == w.shape and np.allclose(got, w, rtol=rtol, atol=atol)
                    and not np.allclose(w, expected, rtol=rtol, atol=atol)):
                raise Failure(f"{exc}. This is {what}", hint=hint) from None
        raise
