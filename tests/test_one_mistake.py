"""One mistake costs one question, and a hint shows only where it explains the failure.

Through the real harness (a synthetic course graded in a real worker):

* ``@pytest.mark.reference_helpers(...)``: a test of ``total`` that fails only
  because the student's ``helper`` (graded in another question) is wrong passes
  on its rerun with the reference's ``helper``; a wrong ``total`` still fails,
  with the message of the student's own run;
* the fixed hint goes with a wrong answer only, never with an exception in the
  student's code; a :class:`grader.testing.Failure` shows its own hint;
* ``reference_in_place`` puts the student's function back afterwards.
"""

from __future__ import annotations

import pytest
from test_harness import TOML, by_name, make_course  # noqa: F401 - the fixture

from grader.results import TestStatus as Outcome

REFERENCE = """\
import numpy as np


def helper(x):
    return np.asarray(x) * 2.0


def total(x):
    return float(np.sum(helper(x))) + 1.0
"""

HIDDEN = """\
import numpy as np
import pytest

from grader.testing import Failure, assert_close, reference_in_place

pytestmark = pytest.mark.question("helper")


@pytest.mark.hint("helper doubles its input.")
def test_helper(submission, reference, rng):
    x = rng.normal(size=4)
    assert_close(submission.helper(x), reference.helper(x), name="helper(x)")


@pytest.mark.question("total")
@pytest.mark.reference_helpers("helper")
@pytest.mark.hint("total adds one to the sum of helper(x).")
def test_total(submission, reference, rng):
    x = rng.normal(size=5)
    assert_close(submission.total(x), reference.total(x), name="total(x)")


@pytest.mark.question("total")
@pytest.mark.hint("a fixed hint that must not show")
def test_known_mistake(submission, reference):
    got = submission.total([1.0, 2.0])
    if np.isclose(got, 6.0):
        raise Failure("total([1, 2]) is 6.0: that is sum(helper(x)) without the + 1", hint="add one")
    assert_close(got, 7.0, name="total([1, 2])")


@pytest.mark.question("total")
def test_reference_in_place_restores(submission, reference):
    with reference_in_place(submission, reference, ["helper", "not_there"]) as replaced:
        assert replaced == ["helper"]
        assert_close(submission.total([1.0]), 3.0, name="total with the reference's helper")
    own = float(np.sum(submission.helper(np.array([1.0])))) + 1.0  # the student's helper is back
    assert_close(submission.total([1.0]), own, name="total after the block")
"""

RIGHT_TOTAL_WRONG_HELPER = REFERENCE.replace("* 2.0", "* 3.0")
WRONG_TOTAL = REFERENCE.replace("+ 1.0", "+ 0.0")
RAISING = REFERENCE.replace("return np.asarray(x) * 2.0", "raise TypeError('helper is broken')")


@pytest.fixture
def course(make_course):  # noqa: F811 - the fixture imported above
    return make_course(public={}, hidden={"test_one_mistake.py": HIDDEN}, reference=REFERENCE, toml=TOML)


def test_a_wrong_helper_costs_only_its_own_question(course):
    results = course.grade(("right", REFERENCE), ("helper", RIGHT_TOTAL_WRONG_HELPER), ("total", WRONG_TOTAL))
    assert results["right"].score == results["right"].max_score, [(t.name, t.message) for t in results["right"].tests if not t.passed]
    helper = by_name(results["helper"])
    assert helper["test_one_mistake.py::test_helper"].status is Outcome.FAILED
    assert helper["test_one_mistake.py::test_total"].status is Outcome.PASSED
    assert helper["test_one_mistake.py::test_reference_in_place_restores"].passed  # 4.0 after, 3.0 inside
    total = by_name(results["total"])
    assert total["test_one_mistake.py::test_helper"].passed
    failed = total["test_one_mistake.py::test_total"]
    assert failed.status is Outcome.FAILED and "total(x) is wrong" in failed.message
    assert failed.hint == "total adds one to the sum of helper(x)."


def test_hints_show_only_where_they_explain_the_failure(course):
    results = course.grade(("raising", RAISING), ("total", WRONG_TOTAL))
    raising = by_name(results["raising"])
    helper = raising["test_one_mistake.py::test_helper"]
    assert "raised TypeError: helper is broken" in helper.message and helper.hint == ""
    # total's own code is right: the rerun with the reference's helper passes
    assert raising["test_one_mistake.py::test_total"].passed
    known = by_name(results["total"])["test_one_mistake.py::test_known_mistake"]
    assert "without the + 1" in known.message and known.hint == "add one"
