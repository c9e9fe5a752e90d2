"""Tests for grader.harness: the pytest plugin, scoring and GradingSession.

Each test builds a tiny synthetic assignment in tmp_path (public tests,
hidden tests, a reference solution) and grades small submissions with real
workers, through a real nested pytest run. Most use the plain subprocess
backend for speed; the end-to-end scoring test runs on both backends.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from grader.config import AssignmentConfig, load_assignment
from grader.course import Course
from grader.harness.session import GradingSession, HarnessError, suite_hash
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestStatus as Outcome  # (a name pytest does not try to collect)
from grader.sandbox import make_backend
from grader.submissions import from_path

SLOT = 20  # sandbox slot of its own (see test_remote.py)

TOML = """\
files = ["syn.py", "syn.ipynb"]
reference = "syn.py"
seed = 11

[limits]
call_timeout = 2
load_timeout = 10
total_timeout = 60
restarts = 1
"""

REFERENCE = """\
import time


def inc(x):
    return x + 1


def square(x):
    return x * x


def ident():
    return "reference"


def nap(seconds):
    time.sleep(seconds)
    return seconds
"""

PUBLIC_BASICS = """\
import pytest

pytestmark = pytest.mark.question("basics")


@pytest.mark.points(2)
@pytest.mark.hint("Return x + 1.")
def test_inc(submission):
    assert submission.inc(1) == 2


@pytest.mark.points(3)
@pytest.mark.parametrize("x", [0, 1, 2])
def test_square(submission, x):
    assert submission.square(x) == x * x


def test_worth_one_point(submission):
    assert submission.inc(0) == 1
"""

HIDDEN_CHECKS = """\
from grader.testing import assert_close


def test_matches_reference(submission, reference, rng, record_metric):
    x = float(rng.standard_normal())
    record_metric("first_draw", x)
    assert_close(submission.square(x), reference.square(x), name="square(x)")
"""


class Course_:
    """A synthetic course: write it, grade submissions with it."""

    counter = itertools.count()

    def __init__(self, root: Path, public: dict[str, str], hidden: dict[str, str] | None, reference: str | None,
                 toml: str, write_files) -> None:
        files = {"assignments/syn/assignment.toml": toml}
        files.update({f"assignments/syn/tests/{k}": v for k, v in public.items()})
        files.update({f"reference/syn/tests/{k}": v for k, v in (hidden or {}).items()})
        if reference is not None:
            files["reference/syn/syn.py"] = reference
        write_files(files, root)
        self.root = root
        self.config: AssignmentConfig = load_assignment(Course.at(root), "syn")
        self.subs = root / "subs"
        self.subs.mkdir()

    def submission(self, student: str, source: str, suffix: str = ".py"):
        path = self.subs / f"{student}{suffix}"
        path.write_text(source)
        return from_path(path, self.config, student=student)

    def grade(self, *students: tuple[str, str], include_hidden: bool = True, backend: str = "subprocess",
              submissions=None) -> dict[str, SubmissionResult]:
        subs = submissions or [self.submission(name, src) for name, src in students]
        backend_obj = make_backend(backend)
        session = GradingSession(self.config, backend_obj, include_hidden=include_hidden, slot=SLOT)
        try:
            return {r.student: r for r in session.grade(subs)}
        finally:
            session.close()
            backend_obj.close()


@pytest.fixture
def make_course(tmp_path, write_files):
    def make(public: dict[str, str] | None = None, hidden: dict[str, str] | None = None,
             reference: str | None = REFERENCE, toml: str = TOML) -> Course_:
        root = tmp_path / f"course{next(Course_.counter)}"
        return Course_(root, public if public is not None else {"test_basics.py": PUBLIC_BASICS}, hidden,
                       reference, toml, write_files)

    return make


def by_name(result: SubmissionResult) -> dict:
    return {t.name: t for t in result.tests}


WRONG = REFERENCE.replace("return x + 1", "return x + 2").replace("return x * x", "return x * x if x < 2 else 0")


# --------------------------------------------------------------------------- scoring end to end


def test_points_partial_credit_questions_hints_and_visibility(make_course, backend_name):
    course = make_course(hidden={"test_hidden_checks.py": HIDDEN_CHECKS})
    results = course.grade(("good", REFERENCE), ("wrong", WRONG), backend=backend_name)

    good = results["good"]
    assert good.status is SubmissionStatus.GRADED and good.message == ""
    assert (good.score, good.max_score) == (7.0, 7.0)
    assert good.backend == backend_name and good.suite_hash == suite_hash(course.config, True)
    assert [t.name for t in good.tests] == [
        "test_basics.py::test_inc", "test_basics.py::test_square[0]", "test_basics.py::test_square[1]",
        "test_basics.py::test_square[2]", "test_basics.py::test_worth_one_point",
        "test_hidden_checks.py::test_matches_reference"]
    assert all(t.status is Outcome.PASSED and t.message == "" and t.hint == "" for t in good.tests)

    wrong = by_name(results["wrong"])
    assert results["wrong"].status is SubmissionStatus.GRADED
    inc = wrong["test_basics.py::test_inc"]
    assert (inc.score, inc.max_score, inc.status) == (0.0, 2.0, Outcome.FAILED)
    assert inc.hint == "Return x + 1." and "assert 3 == 2" in inc.message
    assert [wrong[f"test_basics.py::test_square[{x}]"].score for x in range(3)] == [1.0, 1.0, 0.0]
    assert wrong["test_basics.py::test_worth_one_point"].max_score == 1.0
    assert {t.question for t in results["wrong"].tests} == {"basics", "hidden_checks"}
    hidden = wrong["test_hidden_checks.py::test_matches_reference"]
    assert hidden.visibility is Visibility.HIDDEN and inc.visibility is Visibility.PUBLIC
    # the hidden check's input is drawn from the seeded rng (recorded as a metric): WRONG squares
    # correctly below 2 only, so the input alone says whether the check must pass
    x = results["wrong"].metrics["first_draw"]
    assert hidden.passed is (x < 2), (x, hidden.message)
    assert results["wrong"].score == 1.0 + 1.0 + (1.0 if x < 2 else 0.0)


def test_check_mode_runs_only_public_tests(make_course):
    course = make_course(hidden={"test_hidden_checks.py": HIDDEN_CHECKS})
    [result] = course.grade(("s", REFERENCE), include_hidden=False).values()
    assert {t.visibility for t in result.tests} == {Visibility.PUBLIC}
    assert result.max_score == 6.0


def test_points_split_across_cases_add_up(make_course):
    course = make_course({"test_split.py": """\
        import pytest

        @pytest.mark.points(1)
        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_third(submission, x):
            assert submission.inc(x) == x + 1
        """})
    [result] = course.grade(("s", REFERENCE)).values()
    assert [t.max_score for t in result.tests] == [pytest.approx(1 / 3)] * 3
    assert result.max_score == 1.0 and result.score == 1.0
    assert {t.question for t in result.tests} == {"split"}


# --------------------------------------------------------------------------- fixtures


RNG_TESTS = """\
def test_one(rng, record_metric, submission):
    record_metric("one", float(rng.standard_normal()))


def test_two(rng, record_metric, submission):
    record_metric("two", float(rng.standard_normal()))
"""


def test_rng_is_the_same_for_every_submission_and_differs_between_tests(make_course):
    course = make_course({"test_rng.py": RNG_TESTS})
    results = course.grade(("a", REFERENCE), ("b", WRONG))
    assert results["a"].metrics == results["b"].metrics
    assert set(results["a"].metrics) == {"one", "two"}
    assert results["a"].metrics["one"] != results["a"].metrics["two"]
    again = make_course({"test_rng.py": RNG_TESTS}).grade(("c", REFERENCE))["c"]
    assert again.metrics == results["a"].metrics  # and from one run to the next
    other_seed = make_course({"test_rng.py": RNG_TESTS}, toml=TOML.replace("seed = 11", "seed = 12"))
    assert other_seed.grade(("d", REFERENCE))["d"].metrics != results["a"].metrics


@pytest.mark.parametrize("call, message", [
    ('record_metric("", 1.0)', "non-empty name"),
    ('record_metric("acc", "high")', "must be a number"),
    ('record_metric("acc", float("inf"))', "infinite"),
])
def test_record_metric_rejects_bad_values(make_course, call, message):
    course = make_course({"test_m.py": f"def test_m(record_metric, submission):\n    {call}\n"})
    [result] = course.grade(("s", REFERENCE)).values()
    [test] = result.tests
    assert test.status is Outcome.FAILED and message in test.message
    assert result.metrics == {}


def test_module_and_session_fixtures_do_not_leak_between_submissions(make_course, tmp_path):
    log = tmp_path / "fixture-log.txt"
    course = make_course({"conftest.py": f"""\
        import pytest

        @pytest.fixture(scope="session")
        def session_cache():
            with open({str(log)!r}, "a") as f:
                f.write("session setup\\n")
            yield {{}}
            with open({str(log)!r}, "a") as f:
                f.write("session teardown\\n")
        """, "test_scopes.py": f"""\
        import pytest

        @pytest.fixture(scope="module")
        def module_cache():
            with open({str(log)!r}, "a") as f:
                f.write("module setup\\n")
            yield {{}}
            with open({str(log)!r}, "a") as f:
                f.write("module teardown\\n")

        @pytest.mark.parametrize("i", range(2))
        def test_module_scope(module_cache, submission, i):
            assert module_cache.setdefault("ident", submission.ident()) == submission.ident()

        def test_session_scope(session_cache, submission):
            assert session_cache.setdefault("ident", submission.ident()) == submission.ident()
        """})
    students = [(name, REFERENCE.replace('"reference"', repr(name))) for name in ("ann", "ben", "cat")]
    results = course.grade(*students)
    for name, _ in students:
        assert results[name].score == results[name].max_score == 2.0, [(t.name, t.status, t.message) for t in results[name].tests]
    assert sorted(log.read_text().splitlines()) == sorted(
        ["module setup", "module teardown", "session setup", "session teardown"] * 3)


def test_reference_fixture_and_missing_reference(make_course):
    course = make_course({"test_ref.py": "def test_r(reference):\n    assert reference.square(3) == 9\n"})
    [result] = course.grade(("s", REFERENCE)).values()
    assert result.score == 1.0
    (course.root / "reference/syn/syn.py").unlink()
    [result] = course.grade(("s2", REFERENCE), include_hidden=False).values()
    assert result.tests[0].status is Outcome.ERROR  # a fixture that cannot be set up
    assert "needs the reference solution" in result.tests[0].message


# --------------------------------------------------------------------------- time limits


def test_call_timeout_marker(make_course):
    course = make_course({"test_time.py": """\
        import pytest

        @pytest.mark.call_timeout(0.3)
        def test_tight(submission):
            submission.nap(1.0)

        def test_default_limit(submission):
            assert submission.nap(0.5) == 0.5
        """})
    [result] = course.grade(("s", REFERENCE)).values()
    tight, default = result.tests
    assert tight.status is Outcome.TIMEOUT and "within 0.3 s" in tight.message
    assert default.status is Outcome.PASSED  # the default (2 s) again, in a fresh worker
    assert result.status is SubmissionStatus.TIMEOUT and "did not finish within 0.3 s" in result.message


# --------------------------------------------------------------------------- what a submission can do wrong


def test_bad_submissions_each_get_a_status_and_a_message(make_course):
    course = make_course()
    notebook_with_bad_cell = """{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "id": "a",
         "source": "raise RuntimeError('plot failed')"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "id": "b",
         "source": "def inc(x):\\n    return x + 1\\ndef square(x):\\n    return x * x"}]}"""
    subs = [
        course.submission("syntax", "def inc(x:\n    return x\n"),
        course.submission("missing", "def inc(x):\n    return x + 1\n"),
        course.submission("raises", "def inc(x):\n    return 1 / 0\n\ndef square(x):\n    return x * x\n"),
        course.submission("crash_on_import", "import os\nos._exit(7)\n"),
        course.submission("hangs_on_import", "while True:\n    pass\n"),
        course.submission("segfault_in_call", REFERENCE.replace("return x * x", "import ctypes; ctypes.string_at(0)")),
        course.submission("empty", ""),
        course.submission("bad_cell", notebook_with_bad_cell, suffix=".ipynb"),
        course.submission("corrupt", '{"cells": [', suffix=".ipynb"),
    ]
    toml = TOML.replace("load_timeout = 10", "load_timeout = 1")
    (course.root / "assignments/syn/assignment.toml").write_text(toml)
    course.config = load_assignment(Course.at(course.root), "syn")
    results = course.grade(submissions=subs)

    def check(student, status, message, test_status=None):
        r = results[student]
        assert r.status is status, (student, r.status, r.message)
        assert message in r.message, (student, r.message)
        assert len(r.tests) == 5 and r.score <= r.max_score == 6.0
        if test_status is not None:
            assert {t.status for t in r.tests} == {test_status}, (student, [t.message for t in r.tests])

    check("syntax", SubmissionStatus.INVALID, "SyntaxError", Outcome.ERROR)
    assert "line 1" in results["syntax"].message
    check("missing", SubmissionStatus.GRADED, "")
    square = by_name(results["missing"])["test_basics.py::test_square[0]"]
    assert square.status is Outcome.FAILED and "does not define `square`" in square.message
    check("raises", SubmissionStatus.GRADED, "")
    inc = by_name(results["raises"])["test_basics.py::test_inc"]
    assert "raised ZeroDivisionError: division by zero at " in inc.message and "line 2, in inc" in inc.message
    check("crash_on_import", SubmissionStatus.CRASHED, "exited with status 7", Outcome.CRASHED)
    check("hangs_on_import", SubmissionStatus.TIMEOUT, "did not finish within 1 s", Outcome.TIMEOUT)
    check("segfault_in_call", SubmissionStatus.CRASHED, "SIGSEGV")
    assert by_name(results["segfault_in_call"])["test_basics.py::test_inc"].passed  # before the crash
    assert by_name(results["segfault_in_call"])["test_basics.py::test_square[0]"].status is Outcome.CRASHED
    check("empty", SubmissionStatus.INVALID, "empty", Outcome.ERROR)
    check("bad_cell", SubmissionStatus.GRADED, "cell 0 raised RuntimeError: plot failed")
    assert results["bad_cell"].score == 6.0
    check("corrupt", SubmissionStatus.INVALID, "not valid JSON", Outcome.ERROR)


def test_test_outcomes_skip_and_setup_error(make_course):
    course = make_course({"test_outcomes.py": """\
        import pytest

        @pytest.fixture
        def broken():
            raise KeyError("fixture bug")

        def test_skipped(submission):
            pytest.skip("not this year")

        def test_setup_error(broken, submission):
            pass

        def test_plain_error(submission):
            raise RuntimeError("test bug")
        """})
    [result] = course.grade(("s", REFERENCE)).values()
    skipped, setup_error, plain_error = result.tests
    assert skipped.status is Outcome.SKIPPED and "not this year" in skipped.message
    assert setup_error.status is Outcome.ERROR and "KeyError" in setup_error.message
    assert plain_error.status is Outcome.FAILED and "RuntimeError: test bug" in plain_error.message
    assert result.score == 0.0


# --------------------------------------------------------------------------- broken instructor tests


@pytest.mark.parametrize("public, match", [
    ({"test_broken.py": "import numpy_that_does_not_exist\n\ndef test_x(submission):\n    pass\n"},
     "test_broken.py"),
    ({"test_syntax.py": "def test_x(submission)\n    pass\n"}, "test_syntax.py"),
    ({"test_neg.py": "import pytest\n\n@pytest.mark.points(-1)\ndef test_x(submission):\n    pass\n"},
     "points must be a non-negative number"),
    ({"notes.py": "x = 1\n"}, "no tests were collected"),
], ids=["import-error", "syntax-error", "negative-points", "no-tests"])
def test_broken_instructor_tests_raise_harness_error(make_course, public, match):
    course = make_course(public)
    with pytest.raises(HarnessError, match=match):
        course.grade(("s", REFERENCE))


@pytest.mark.parametrize("reference, match", [
    (None, "is missing"),
    ("raise ImportError('oops')\n", "failed to import: ImportError: oops"),
])
def test_broken_reference_raises_harness_error(make_course, reference, match):
    course = make_course(hidden={"test_hidden_checks.py": HIDDEN_CHECKS}, reference=reference)
    with pytest.raises(HarnessError, match=match):
        course.grade(("s", REFERENCE))


def test_a_second_run_in_one_process_runs_the_current_tests(make_course):
    """pytest's importlib mode reuses a module already imported under the same name: the
    session must forget the test modules so that an edited test (or another course's) runs."""
    course = make_course({"test_edit.py": "def test_e(submission):\n    assert submission.inc(1) == 2\n"})
    assert course.grade(("s", REFERENCE))["s"].score == 1.0
    (course.root / "assignments/syn/tests/test_edit.py").write_text(
        "def test_e(submission):\n    assert submission.inc(1) == 99\n")
    assert course.grade(("s", REFERENCE))["s"].score == 0.0


def test_module_fixture_can_use_the_submission_once_per_submission(make_course, tmp_path):
    """A module-scoped fixture may call the student's code (e.g. train once) and is
    rebuilt for each submission, so each submission sees only its own result."""
    log = tmp_path / "calls.log"
    course = make_course({"test_once.py": f"""\
        import pytest

        @pytest.fixture(scope="module")
        def trained(submission):
            with open({str(log)!r}, "a") as f:
                f.write("train\\n")
            return submission.ident()

        @pytest.mark.parametrize("i", range(3))
        def test_uses_it(trained, submission, i):
            assert trained == submission.ident()
        """})
    students = [(name, REFERENCE.replace('"reference"', repr(name))) for name in ("ann", "ben")]
    results = course.grade(*students)
    for name, _ in students:
        assert results[name].score == results[name].max_score == 1.0, \
            [(t.name, t.status, t.message) for t in results[name].tests]
    assert log.read_text().splitlines() == ["train", "train"]


def test_assert_messages_hide_pytest_introspection(make_course):
    course = make_course({"test_msg.py": """\
        def test_with_message(submission):
            value = submission.inc(1)
            assert value == 3, f"inc(1) should be 3, got {value}"

        def test_without_message(submission):
            assert submission.inc(1) == 3
        """})
    [result] = course.grade(("s", REFERENCE)).values()
    with_message, without = result.tests
    assert with_message.message == "inc(1) should be 3, got 2"
    assert without.message.startswith("assert 2 == 3")


# --------------------------------------------------------------------------- warm sandboxes


@pytest.mark.sandbox
def test_warm_sandboxes_grade_a_batch_exactly_as_new_sandboxes_do(make_course):
    """On bubblewrap, one sandbox grades submission after submission (a zygote forks a child
    for each); a crash or timeout costs that sandbox, never a grade. The results must be those
    of a new sandbox per submission (``warm_submissions = 1``), test by test."""
    course = make_course(hidden={"test_hidden_checks.py": HIDDEN_CHECKS})
    notebook = ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", '
                '"metadata": {}, "outputs": [], "execution_count": null, "id": "a", "source": '
                + json.dumps("print('from the notebook')\n" + REFERENCE) + "}]}")
    sources = [("good", REFERENCE), ("wrong", WRONG), ("prints", "print('hello from prints')\n" + REFERENCE),
               ("crash_on_import", "import os\nos._exit(7)\n"),
               ("after_crash", REFERENCE), ("raises", REFERENCE.replace("return x + 1", "return 1 / 0")),
               ("segfault_in_call", REFERENCE.replace("return x * x", "import ctypes; ctypes.string_at(0)")),
               ("after_segfault", WRONG), ("notebook", notebook), ("last", REFERENCE)]
    subs = [course.submission(name, src, suffix=".ipynb" if name == "notebook" else ".py")
            for name, src in sources]

    def grade(config):
        backend = make_backend("bwrap")
        session = GradingSession(config, backend, slot=SLOT)
        try:
            return {r.student: r for r in session.grade(subs)}, session.workers.reused
        finally:
            session.close()
            backend.close()

    warm, reused = grade(course.config)
    cold_config = load_assignment(Course.at(course.root), "syn")
    object.__setattr__(cold_config, "limits", dataclasses.replace(cold_config.limits, warm_submissions=1))
    cold, cold_reused = grade(cold_config)

    assert cold_reused == 0 and reused >= 5, reused
    for name, _ in sources:
        w, c = warm[name], cold[name]
        assert (w.status, w.score, w.max_score) == (c.status, c.score, c.max_score), name
        assert [(t.name, t.status, t.score) for t in w.tests] == [(t.name, t.status, t.score) for t in c.tests], name
    assert warm["good"].score == warm["last"].score == warm["after_crash"].score == 7.0
    assert warm["crash_on_import"].status is SubmissionStatus.CRASHED
    assert "hello from prints" in warm["prints"].output and "hello" not in warm["wrong"].output + warm["good"].output
    assert "from the notebook" in warm["notebook"].output and "notebook" not in warm["last"].output
    assert all(warm[name].cpu_time_s and warm[name].peak_memory_bytes for name in ("good", "last"))
