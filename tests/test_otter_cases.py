"""Imported otter-grader cases (grader/otter/cases.py, namespace.py, doctests.py): run the way otter
runs them, but with the student's code in a worker.

First, our doctest runner against otter's own (``otter.test_files.ok_test.run_doctest``) on the
same cases and namespaces: the outcomes must agree. Then cases against real workers: honest code
passes in the trusted modes, the tricks that fool otter's in-process checks do not.
"""

from __future__ import annotations

import textwrap
import traceback
from pathlib import Path

import pytest

from grader.config import Limits
from grader.otter import cases, doctests
from grader.remote import RemoteSession, SubmissionProxy, WorkerCrashed
from grader.sandbox import make_backend
from grader.sandbox.base import WorkerSpec
from grader.testing import Failure

ok_test = pytest.importorskip("otter.test_files.ok_test")

LIMITS = Limits(call_timeout=5.0, load_timeout=20.0, total_timeout=60.0, restarts=1, memory=2 * 2**30)

SETUP = """
import numpy as np
def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
def one_hot(y, k):
    if (y >= k).any():
        raise ValueError("labels out of range")
    return np.eye(k)[y]
def chatty():
    print("hello")
    return 3
"""

# (case text) -> run in a namespace made by SETUP, by otter and by us
DOCTEST_CASES = [
    ">>> bool(np.isclose(softmax(np.array([1., 2.])).sum(), 1.0))\nTrue",
    ">>> bool(np.isclose(softmax(np.array([1., 2.])).sum(), 2.0))\nTrue",
    ">>> np.isclose(softmax(np.array([1., 2.])).sum(), 1.0)\nTrue",  # numpy 2 prints np.True_
    ">>> softmax(np.array([0., 0.]))\narray([0.5, 0.5])",
    ">>> softmax(np.array([0., 0.]))\narray([0.5,   0.5])",
    ">>> softmax(np.array([0., 0.]))  # doctest: +NORMALIZE_WHITESPACE\narray([0.5,   0.5])",
    ">>> softmax(np.array([0., 0., 0.]))  # doctest: +ELLIPSIS\narray([0.333..., 0.333..., 0.333...])",
    ">>> x = softmax(np.array([[1., 2.], [3., 4.]]))\n>>> x.shape\n(2, 2)\n>>> bool(np.allclose(x.sum(1), 1))\nTrue",
    ">>> one_hot(np.array([3]), 3)\nTraceback (most recent call last):\n    ...\nValueError: labels out of range",
    ">>> one_hot(np.array([3]), 3)\nTraceback (most recent call last):\n    ...\nValueError: wrong text",
    ">>> one_hot(np.array([3]), 3)  # doctest: +IGNORE_EXCEPTION_DETAIL\nTraceback (most recent call last):\n"
    "    ...\nValueError: wrong text",
    ">>> one_hot(np.array([1]), 3)\nTraceback (most recent call last):\n    ...\nValueError: labels out of range",
    ">>> one_hot(np.array([1]), 3).tolist()\n[[0.0, 1.0, 0.0]]",
    ">>> undefined_name\n1",
    ">>> chatty()\nhello\n3",
    ">>> chatty()\n3",
    ">>> print(1); 1/0\n1\nTraceback (most recent call last):\nZeroDivisionError: division by zero",
    ">>> 1 + 1\n3\n>>> 2 + 2\n4",
    ">>> for i in range(2):\n...     print(i)\n0\n1",
    ">>> None",
    ">>> 'text'\n'text'",
    ">>> [round(float(v), 3) for v in softmax(np.array([1., 2.]))]\n[0.269, 0.731]",
]


def _local_exception(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1]


@pytest.mark.parametrize("code", DOCTEST_CASES)
def test_our_doctest_runner_agrees_with_otters(code):
    theirs_env: dict = {}
    exec(SETUP, theirs_env)
    theirs, _ = ok_test.run_doctest("q", code, theirs_env)
    ours_env: dict = {}
    exec(SETUP, ours_env)
    ours = doctests.run_case(code, "q", lambda ex, fn: doctests.run_trusted(ex, fn, ours_env, _local_exception))
    assert ours.passed == theirs
    if not ours.passed:
        assert "Failed example:" in ours.report


# ----------------------------------------------------------------------------- against workers
STUDENT = SETUP + '''
class AlwaysEqual:
    def __eq__(self, other): return True
    def __repr__(self): return "True"
    def sum(self): return 1.0
    shape = (2,)

def fake_softmax(z):
    return AlwaysEqual()

def printing_softmax(z):
    print("array([0.5, 0.5])")

class Model:
    def __init__(self): self.w = 2.0
    def predict(self, x): return self.w * x

def exits():
    import sys
    sys.exit(0)

class LabelError(Exception):
    pass

def strict_one_hot(y, k):
    if (y >= k).any():
        raise LabelError("labels out of range")
    return np.eye(k)[y]

def stops():
    raise StopIteration("done")
'''

CHEAT = '''
import numpy as np
np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
def softmax(z):
    return z
'''


class Workers:
    def __init__(self, root: Path) -> None:
        self.backend = make_backend("subprocess")
        self.root = root
        self.sessions: list[RemoteSession] = []

    def proxy(self, source: str) -> SubmissionProxy:
        workdir = self.root / f"w{len(self.sessions)}"
        workdir.mkdir(parents=True)
        (workdir / "student.py").write_text(textwrap.dedent(source))
        spec = WorkerSpec(workdir=workdir, limits=LIMITS, slot=0)
        request = {"op": "load", "kind": "module", "path": "student.py", "name": "student", "cell_timeout": None}
        session = RemoteSession(lambda: self.backend.start(spec), request, LIMITS, what="student.py")
        self.sessions.append(session)
        session.ensure()
        return SubmissionProxy(session)

    def close(self) -> None:
        for s in self.sessions:
            s.close()
        self.backend.close()


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    w = Workers(tmp_path_factory.mktemp("otter-workers"))
    yield w
    w.close()


@pytest.fixture(scope="module")
def student(workers):
    return workers.proxy(STUDENT)


MODULES = {"np": "numpy"}


def case(code: str, mode: str = "plain", **extra) -> dict:
    return {"name": "q - 1", "code": code, "mode": mode, **extra}


def outcome(proxy, code, mode="plain"):
    return cases.evaluate(proxy, case(code), MODULES, mode)


@pytest.mark.parametrize("mode", ["plain", "handles", "worker"])
@pytest.mark.parametrize("code", [DOCTEST_CASES[0], DOCTEST_CASES[3], DOCTEST_CASES[7], DOCTEST_CASES[8],
                                  DOCTEST_CASES[12], DOCTEST_CASES[21]])
def test_honest_code_passes_in_every_mode(student, code, mode):
    assert outcome(student, code, mode).passed


@pytest.mark.parametrize("mode", ["plain", "handles", "worker"])
def test_wrong_answers_fail_in_every_mode(student, mode):
    assert not outcome(student, DOCTEST_CASES[1], mode).passed
    assert not outcome(student, ">>> one_hot(np.array([0]), 2).tolist()\n[[0.0, 0.0]]", mode).passed


def test_an_always_equal_object_passes_only_in_the_worker(student):
    code = ">>> fake_softmax(np.zeros(2)) == np.array([0.5, 0.5])\nTrue"
    assert outcome(student, code, "worker").passed  # what otter sees: the object says it is equal
    result = outcome(student, code, "plain")
    assert not result.passed and "NotPlainData" in result.report and "AlwaysEqual, not plain data" in result.report
    # with handles the object stays in the worker, and a comparison is never forwarded there
    assert not outcome(student, code, "handles").passed
    total = ">>> bool(np.isclose(fake_softmax(np.zeros(2)).sum(), 1.0))\nTrue"
    assert outcome(student, total, "worker").passed
    assert not outcome(student, total, "plain").passed


def test_printed_results_are_not_the_value(student):
    code = ">>> printing_softmax(np.zeros(2))\narray([0.5, 0.5])"
    assert outcome(student, code, "worker").passed  # otter compares the printed text
    assert not outcome(student, code, "plain").passed  # the student's print stays in the worker


def test_patched_numpy_never_reaches_the_trusted_check(workers):
    cheat = workers.proxy(CHEAT)
    code = ">>> bool(np.isclose(softmax(np.array([1., 2.])).sum(), 1.0))\nTrue"
    assert outcome(cheat, code, "worker").passed  # the student's own np.isclose
    assert not outcome(cheat, code, "plain").passed


def test_handles_mode_runs_an_objects_methods_in_the_worker(student):
    code = ">>> m = Model()\n>>> m.predict(3.0)\n6.0\n>>> m.w\n2.0"
    assert not outcome(student, code, "plain").passed
    assert outcome(student, code, "handles").passed


def test_sys_exit_in_a_case_is_an_exception_not_the_end(student):
    code = ">>> exits()\nTraceback (most recent call last):\nSystemExit: 0"
    assert outcome(student, code, "worker").passed
    assert outcome(student, code, "plain").passed
    assert outcome(student, ">>> 1 + 1\n2", "worker").passed  # the worker is still there


CATCH = (">>> try:\n...     {call}\n...     print('no error')\n... except ValueError as e:\n"
         "...     print('ValueError', e)\nValueError labels out of range")


@pytest.mark.parametrize("mode", ["plain", "handles", "worker"])
def test_a_builtin_exception_from_the_worker_is_caught_by_its_type(student, mode):
    assert outcome(student, CATCH.format(call="one_hot(np.array([3]), 3)"), mode).passed
    # a class of the student's own is not a ValueError, here as in otter
    assert not outcome(student, CATCH.format(call="strict_one_hot(np.array([3]), 3)"), mode).passed
    assert not outcome(student, CATCH.format(call="one_hot(np.array([1]), 3)"), mode).passed


def test_a_translated_exception_still_reads_as_the_students(student):
    code = ">>> one_hot(np.array([3]), 3)\nTraceback (most recent call last):\nValueError: labels out of range"
    assert outcome(student, code, "plain").passed
    stop = ">>> stops()\nTraceback (most recent call last):\nStopIteration: done"
    assert outcome(student, stop, "plain").passed  # reported, yet never raised here as a StopIteration
    from grader.otter.namespace import as_builtin
    from grader.remote import StudentError

    for name, builtin in (("ValueError", ValueError), ("KeyError", KeyError), ("OSError", None),
                          ("StopIteration", None), ("LabelError", None), ("SystemExit", None)):
        exc = as_builtin(StudentError("f()", {"type": name, "message": "m"}))
        assert isinstance(exc, StudentError) and exc.exc_type == name and exc.exc_message == "m"
        assert isinstance(exc, builtin) if builtin else type(exc) is StudentError


def test_a_missing_function_is_a_name_error(student):
    code = ">>> not_defined(1)\nTraceback (most recent call last):\nNameError: name 'not_defined' is not defined"
    assert outcome(student, code, "plain").passed
    assert outcome(student, code, "worker").passed


def test_an_assignment_carries_over_to_the_next_case(workers):
    proxy = workers.proxy(STUDENT)
    assert outcome(proxy, ">>> probs = softmax(np.array([0., 0.]))", "plain").passed
    assert outcome(proxy, ">>> probs.tolist()\n[0.5, 0.5]", "plain").passed


def test_run_case_raises_a_failure_with_otters_message_as_hint(student):
    bad = case(DOCTEST_CASES[1], failure_message="softmax sums to 1")
    with pytest.raises(Failure) as info:
        cases.run_case(student, bad, MODULES)
    assert info.value.hint == "softmax sums to 1"
    assert "Failed example:" in str(info.value) and "Expected:" in str(info.value)


def test_run_case_records_the_success_message(student):
    class Node:
        user_properties: list = []

    class Request:
        node = Node()

    request = Request()
    cases.run_case(student, case(DOCTEST_CASES[0], success_message="well done"), MODULES, request)
    assert ("message", "well done") in request.node.user_properties


def test_auto_is_plain_outside_a_classification(student, monkeypatch):
    monkeypatch.delenv(cases.CLASSIFY_ENV, raising=False)
    with pytest.raises(Failure):
        cases.run_case(student, case(">>> fake_softmax(1) == 1\nTrue", mode="auto"), MODULES)


def test_a_classification_run_records_the_first_mode_that_passes(student, tmp_path, monkeypatch):
    log = tmp_path / "modes.jsonl"
    monkeypatch.setenv(cases.CLASSIFY_ENV, str(log))
    cases.run_case(student, case(DOCTEST_CASES[0], mode="auto", name="a"), MODULES)
    cases.run_case(student, {**case(">>> m = Model()\n>>> m.predict(1.0)\n2.0", mode="auto"), "name": "b"}, MODULES)
    cases.run_case(student, {**case(">>> printing_softmax(1)\narray([0.5, 0.5])", mode="auto"), "name": "c"},
                   MODULES)
    with pytest.raises(Failure):
        cases.run_case(student, {**case(">>> 1\n2", mode="auto"), "name": "d"}, MODULES)
    import json

    modes = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(m["name"], m["mode"]) for m in modes] == [("a", "plain"), ("b", "handles"), ("c", "worker"),
                                                       ("d", "failing")]


def test_a_crash_ends_the_test_not_a_wrong_answer(workers):
    proxy = workers.proxy("import os\ndef crash():\n    os._exit(3)\n")
    with pytest.raises(WorkerCrashed):
        outcome(proxy, ">>> crash()\n1", "plain")


def test_unknown_mode_is_an_error(student):
    with pytest.raises(ValueError, match="unknown mode"):
        outcome(student, ">>> 1\n1", "sideways")
