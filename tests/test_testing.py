"""Tests for grader.testing: the assert helpers test authors use, and their messages.

A message must name the problem a student has to fix, so most cases check
the text, not only that an AssertionError was raised.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.remote import RemoteObject
from grader.testing import as_numeric, assert_close, assert_equal, compare_to_reference, random_array


def remote(type_name: str = "Value") -> RemoteObject:
    """A remote object without a worker (only its type name is used by the helpers)."""
    return RemoteObject(None, 0, 1, type_name)


# --------------------------------------------------------------------------- assert_close: passes


@pytest.mark.parametrize("actual, expected", [
    (1.0, 1.0),
    (np.float32(0.1), 0.1),
    (np.arange(6, dtype=np.float32).reshape(2, 3) / 7, np.arange(6).reshape(2, 3) / 7),
    ([1.0, 2.0, 3.0], np.array([1.0, 2.0, 3.0])),
    ((1, 2), [1.0, 2.0]),
    (1.0 + 1e-7, 1.0),
    (1e-9, 0.0),
    ([math.nan, 1.0], [math.nan, 1.0]),
    ([math.inf, -math.inf], [math.inf, -math.inf]),
    (np.array([True, False]), np.array([1.0, 0.0])),
    (np.int64(3), 3.0),
    (1 + 2j, 1 + 2j),
    ([[1.0, 2.0]], np.array([[1.0, 2.0]])),
], ids=lambda v: type(v).__name__)
def test_assert_close_passes(actual, expected):
    assert_close(actual, expected)


def test_assert_close_respects_the_tolerances():
    assert_close(1.1, 1.0, rtol=0.2)
    assert_close(1.1, 1.0, atol=0.11, rtol=0)
    with pytest.raises(AssertionError):
        assert_close(1.1, 1.0, atol=0.09, rtol=0)


# --------------------------------------------------------------------------- assert_close: messages


@pytest.mark.parametrize("actual, expected, message", [
    (None, 1.0, "sigmoid(z) should be a number or an array, but it is None"),
    ("0.5", 0.5, "but it is a str"),
    ({"a": 1}, 1.0, "but it is a dict"),
    (remote("Value"), 1.0, "but it is a Value object"),
    ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]], "not rectangular numeric data"),
    ([object()], [1.0], "should be numeric"),
    (np.zeros((5, 1)), np.zeros(5), "has shape (5, 1), expected shape (5,) (same values, wrong shape"),
    (np.zeros(3), np.zeros(4), "has shape (3,), expected shape (4,)"),
    (np.zeros(1), 0.0, "has shape (1,), expected a scalar"),
    (0.0, np.zeros(1), "has a scalar, expected shape (1,)"),
    ([1.0, math.nan, math.nan], [1.0, 2.0, 3.0], "contains NaN at index 1 where 2 was expected (2 NaN values in all)"),
    ([math.inf, 1.0], [1.0, 1.0], "is inf at index 0 where 1 was expected: does it overflow"),
    ([-math.inf], [math.inf], "is -inf at index 0 where inf was expected"),
    ([1.0, 2.0], [1.0, math.nan], "is 2 at index 1 where NaN was expected"),
    ([1.0, 5.0], [1.0, math.inf], "is 5 at index 1, expected inf"),
    (np.array([1 + 1j]), np.array([1.0]), "is complex, expected real numbers"),
    (np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 9.0]]), np.zeros((2, 3)),
     "is wrong at index (1, 2): got 9, expected 0 (error 9, tolerance 1e-08; 1 of 6 values are off)"),
    (0.75, 0.5, "sigmoid(z) is wrong: got 0.75, expected 0.5"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 25 else None)
def test_assert_close_names_the_problem(actual, expected, message):
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected, name="sigmoid(z)")
    assert message in str(info.value)


def test_assert_close_names_the_worst_element_not_the_first():
    expected = np.zeros(4)
    actual = np.array([0.0, 1e-3, 0.0, 0.5])
    with pytest.raises(AssertionError, match=r"at index 3: got 0.5.*2 of 4 values are off"):
        assert_close(actual, expected)


def test_relative_error_decides_the_worst_element():
    expected = np.array([1000.0, 1.0])
    actual = np.array([1000.5, 1.1])  # 0.5 off in 1000 is fine relatively; 0.1 off in 1 is not
    with pytest.raises(AssertionError, match=r"at index 1: got 1.1"):
        assert_close(actual, expected, rtol=1e-3)


def test_as_numeric_returns_an_array():
    arr = as_numeric([1, 2], "x")
    assert isinstance(arr, np.ndarray) and arr.dtype.kind == "i"


# --------------------------------------------------------------------------- assert_equal


@pytest.mark.parametrize("actual, expected", [
    (3, 3), (np.int64(3), 3), (3, np.int32(3)), ("relu", "relu"), (True, True), (np.bool_(False), False),
    ([1, (2, "x")], (1, [2, "x"])), ({"a": [1, 2]}, {"a": (1, 2)}), (np.array([1, 2]), [1, 2]), (None, None),
], ids=repr)
def test_assert_equal_passes(actual, expected):
    assert_equal(actual, expected)


@pytest.mark.parametrize("actual, expected, message", [
    (3, 4, "result is 3, expected 4"),
    (1.0, 1, "result is a float"),
    (1, True, "result is 1, expected True"),
    (False, True, "result is False, expected True"),
    ("Relu", "relu", "result is 'Relu', expected 'relu'"),
    ([1, 2], [1, 2, 3], "result has 2 items, expected 3"),
    ([1, [2, 5]], [1, [2, 3]], "result[1][1] is 5, expected 3"),
    (5, [5], "result should be a sequence, but it is a int"),
    ({"a": 1}, {"b": 1}, "result has keys ['a'], expected ['b']"),
    ({"a": 1}, {"a": 2}, "result['a'] is 1, expected 2"),
    ([1, 2], {"a": 1}, "result should be a dict"),
    (np.array([1, 2, 3]), np.array([1, 2, 4]), "result differs at index 2: got 3, expected 4"),
    (np.array([[1, 2]]), np.array([1, 2]), "result has shape (1, 2), expected shape (2,)"),
    (remote("Layer"), 3, "result should be a int, but it is a Layer object"),
    (None, 0, "result is None (None), expected 0"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 25 else None)
def test_assert_equal_names_the_difference(actual, expected, message):
    with pytest.raises(AssertionError) as info:
        assert_equal(actual, expected)
    assert message in str(info.value)


# --------------------------------------------------------------------------- compare_to_reference


def ref_square(x):
    return np.asarray(x) ** 2


def test_compare_to_reference_passes_for_every_input_style():
    inputs = [(np.arange(3.0),), {"x": np.ones((2, 2))}, 4.0]
    compare_to_reference(lambda x: np.asarray(x) * np.asarray(x), ref_square, inputs)


def test_compare_to_reference_names_the_failing_input():
    def student(x):
        x = np.asarray(x, dtype=float)
        return x ** 2 if x.size < 10 else x ** 2 + 1

    inputs = [np.array([1.0, 2.0]), np.ones((3, 4))]
    with pytest.raises(AssertionError) as info:
        compare_to_reference(student, ref_square, inputs)
    text = str(info.value)
    assert text.startswith("on input #2 (array of shape (3, 4)): ref_square(...) is wrong")


def test_compare_to_reference_shows_small_inputs_and_keywords():
    with pytest.raises(AssertionError) as info:
        compare_to_reference(lambda x, alpha: x * 0, lambda x, alpha: x * alpha,
                             [{"x": np.array([1.0, 2.0]), "alpha": 0.5}], name="leaky_relu")
    assert "on input #1 (x=[1., 2.], alpha=0.5): leaky_relu(...) is wrong" in str(info.value)


def test_reference_gets_copies_so_in_place_work_cannot_help_the_student():
    def reference(x):
        x *= 2  # in place: without a copy the student would receive the doubled array
        return x

    compare_to_reference(lambda x: x * 2, reference, [(np.arange(3.0),)])


def test_compare_to_reference_fails_on_a_shape_mistake():
    with pytest.raises(AssertionError, match="wrong shape"):
        compare_to_reference(lambda x: np.asarray(x).reshape(-1, 1), ref_square, [(np.arange(3.0),)])


# --------------------------------------------------------------------------- random_array


@pytest.mark.parametrize("shape, dtype", [((2, 3), np.float64), (5, np.float32), ((), np.float64)])
def test_random_array_shape_dtype_and_determinism(shape, dtype):
    a = random_array(np.random.default_rng(1), shape, dtype=dtype)
    b = random_array(np.random.default_rng(1), shape, dtype=dtype)
    assert a.shape == (shape if isinstance(shape, tuple) else (shape,)) and a.dtype == dtype
    np.testing.assert_array_equal(a, b)


def test_random_array_scale():
    a = random_array(np.random.default_rng(0), 10_000, scale=3.0)
    assert 2.8 < a.std() < 3.2
