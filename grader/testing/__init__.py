"""Helpers for test authors (see ``docs/writing-tests.md``), one job per module:

* :mod:`.calls`: the student's code, called from tests (``seed``, ``describe_module``,
  ``call_with_args``, ``identity``, ``bind_name``, ``type_name``, ``remote_repr``);
* :mod:`.asserts`: comparisons with messages a student can act on (``assert_close``,
  ``assert_equal``, ``assert_inputs_unchanged``, ``assert_raises``, ``assert_close_naming``, ...) and
  :class:`Failure`, a failure that carries its own hint;
* :mod:`.reruns`: a check run again with the reference's functions in place
  (``reference_in_place``, ``rerun_with_reference``), and a fresh run of the submission (``fresh_run``).

Tests import every name from here: ``from grader.testing import Failure, assert_close``.
"""

from __future__ import annotations

from .asserts import (
    IN_PLACE_HINT,
    PROBE,
    Failure,
    as_numeric,
    assert_close,
    assert_close_naming,
    assert_equal,
    assert_inputs_unchanged,
    assert_raises,
    compare_to_reference,
    random_array,
    responds_to_input,
)
from .calls import CallRecord, bind_name, call_with_args, describe_module, identity, remote_repr, seed, type_name
from .reruns import fresh_run, reference_in_place, rerun_with_reference

__all__ = ["Failure", "assert_close", "assert_equal", "assert_inputs_unchanged", "assert_raises",
           "compare_to_reference", "fresh_run", "random_array", "as_numeric", "reference_in_place",
           "responds_to_input", "assert_close_naming", "rerun_with_reference", "IN_PLACE_HINT", "PROBE",
           "CallRecord", "bind_name", "call_with_args", "describe_module", "identity", "remote_repr", "seed",
           "type_name"]
