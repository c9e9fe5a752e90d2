"""Tests for grader.remote.call_with_args and grader.testing.assert_inputs_unchanged:
a student function that changes its array argument in place is caught, though
the test's own arrays (sent as copies) never change."""

from __future__ import annotations

import numpy as np
import pytest

from grader.config import Limits
from grader.remote import RemoteSession, SubmissionProxy, call_with_args
from grader.sandbox import WorkerSpec, make_backend
from grader.testing import assert_inputs_unchanged

MODULE = """\
import numpy as np

def shift_in_place(z):
    z -= z.max()
    return z

def shift(z):
    return z - z.max()

def scale_kw(z, *, w):
    w *= 2
    return z * w

def nan_passthrough(z):
    return z.copy()
"""


@pytest.fixture
def submission(tmp_path, backend_name):
    work = tmp_path / "work"
    work.mkdir()
    (work / "m.py").write_text(MODULE)
    backend = make_backend(backend_name)
    limits = Limits(call_timeout=5)
    session = RemoteSession(lambda: backend.start(WorkerSpec(work, limits, slot=30)),
                            {"op": "load", "kind": "module", "path": "m.py", "name": "m"}, limits)
    yield SubmissionProxy(session)
    session.close()
    backend.close()


def test_call_with_args_returns_the_arguments_after_the_call(submission):
    z = np.array([1.0, 3.0])
    record = call_with_args(submission.shift_in_place, z)
    assert np.array_equal(record.result, [-2.0, 0.0])
    assert np.array_equal(record.args[0], [-2.0, 0.0])  # the worker's copy changed
    assert np.array_equal(z, [1.0, 3.0])  # the test's array did not


def test_unchanged_inputs_pass_and_the_result_is_returned(submission):
    out = assert_inputs_unchanged(submission.shift, np.array([1.0, 3.0]))
    assert np.array_equal(out, [-2.0, 0.0])
    assert_inputs_unchanged(submission.nan_passthrough, np.array([np.nan, 1.0]))


@pytest.mark.parametrize("call, label", [
    (lambda s: assert_inputs_unchanged(s.shift_in_place, np.array([1.0, 3.0])), "argument 1"),
    (lambda s: assert_inputs_unchanged(s.scale_kw, np.ones(2), w=np.array([1.0, 2.0])), "argument 'w'"),
])
def test_in_place_changes_are_named(submission, call, label):
    with pytest.raises(AssertionError, match=f"changed its {label} in place: at index 0"):
        call(submission)


def test_assert_raises_names_what_happened(submission):
    from grader.testing import assert_raises

    err = assert_raises("AttributeError", submission.shift, [1.0, 2.0])  # a list has no .max
    assert err.exc_type == "AttributeError"
    with pytest.raises(AssertionError, match="should raise ValueError, but raised AttributeError"):
        assert_raises("ValueError", submission.shift, [1.0, 2.0])
    with pytest.raises(AssertionError, match="should raise ValueError or TypeError, but it returned normally"):
        assert_raises(("ValueError", "TypeError"), submission.shift, np.ones(2))
