"""Comparisons with messages a student can act on.

Every helper raises ``AssertionError`` (a :class:`Failure` where it knows the hint) with a message
that names the problem: a value that is not numeric data, a wrong shape, NaN or infinity where the
expected value is finite, the worst element outside the tolerance with its index and both values,
an argument changed in place, or a known mistake matched by its value.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..remote.errors import StudentError
from ..remote.proxies import RemoteObject
from .calls import call_with_args


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
