"""Where a score is computed: test specs (points, question, visibility) and
turning a test's pytest reports into a :class:`~grader.results.TestResult`.

Points: ``@pytest.mark.points(N)`` gives a test function N points (default 1);
a parametrized function splits them equally across its cases, so partial
credit follows the cases a submission gets right. A case scores all of its
points when it passes and none otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..remote import CallTimeout, RemoteError, WorkerCrashed
from ..results import SubmissionStatus, TestResult, TestStatus, Visibility
from ..testing import Failure
from .watchdog import TrustedTimeout

MAX_MESSAGE = 3000
TRUSTED_TIMEOUT_MESSAGE = ("the test's own computation on what the submission returned ran past the "
                           "submission's total time limit")
DEFAULT_POINTS = 1.0


@dataclass(frozen=True)
class TestSpec:
    """What the harness knows about one collected test case before it runs."""

    nodeid: str
    name: str
    question: str
    points: float
    visibility: Visibility
    hint: str
    call_timeout: float | None
    max_elements: int | None = None  # @pytest.mark.max_elements(n): per array from the worker
    max_message_elements: int | None = None  # @pytest.mark.max_elements(n, message=m): per reply


def _marker_arg(item: pytest.Item, name: str, default: Any = None) -> Any:
    marker = item.get_closest_marker(name)
    if marker is None:
        return default
    if marker.args:
        return marker.args[0]
    return marker.kwargs.get("value", default)


def make_specs(items: list[pytest.Item], hidden_dir: Path | None, public_dir: Path | None) -> dict[str, TestSpec]:
    """Compute the spec of every collected item.

    Raises:
        ValueError: on a malformed marker (negative or non-numeric points, a
            test outside both test folders).
    """
    groups: dict[tuple[str, str], int] = {}
    for item in items:
        key = (str(item.path), getattr(item, "originalname", item.name))
        groups[key] = groups.get(key, 0) + 1
    specs = {}
    for item in items:
        path = Path(item.path).resolve()
        if hidden_dir is not None and hidden_dir in path.parents:
            visibility, base = Visibility.HIDDEN, hidden_dir
        elif public_dir is not None and public_dir in path.parents:
            visibility, base = Visibility.PUBLIC, public_dir
        else:
            raise ValueError(f"test {item.nodeid} is outside the assignment's test folders")
        points = _marker_arg(item, "points", DEFAULT_POINTS)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ValueError(f"{item.nodeid}: points must be a non-negative number, got {points!r}")
        n = groups[(str(item.path), getattr(item, "originalname", item.name))]
        rel = path.relative_to(base).as_posix()
        question = _marker_arg(item, "question") or Path(rel).stem.removeprefix("test_")
        timeout = _marker_arg(item, "call_timeout")
        max_elements, max_message = _max_elements(item)
        specs[item.nodeid] = TestSpec(
            nodeid=item.nodeid,
            name=f"{rel}::{item.name}",
            question=str(question),
            points=float(points) / n,
            visibility=visibility,
            hint=str(_marker_arg(item, "hint", "") or ""),
            call_timeout=float(timeout) if timeout is not None else None,
            max_elements=max_elements,
            max_message_elements=max_message,
        )
    return specs


def _max_elements(item: pytest.Item) -> tuple[int | None, int | None]:
    """``@pytest.mark.max_elements(n, message=m)``: (n, m), each None where not given.

    Raises:
        ValueError: if a limit is not a positive whole number.
    """
    marker = item.get_closest_marker("max_elements")
    if marker is None:
        return None, None
    values = [marker.args[0] if marker.args else marker.kwargs.get("value"), marker.kwargs.get("message")]
    for v in values:
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 1):
            raise ValueError(f"{item.nodeid}: max_elements must be a positive number of elements, got {v!r}")
    return tuple(int(v) if v is not None else None for v in values)  # type: ignore[return-value]


def _message(excinfo: Any) -> str:
    if excinfo is None:
        return ""
    exc = excinfo.value
    if isinstance(exc, AssertionError):
        text = str(exc).strip() or excinfo.exconly()
        # `assert cond, "message"`: pytest appends its introspection ("\nassert False
        # + where ..."), which shows students the test's internals; keep the author's message
        if not isinstance(exc, RemoteError) and not text.startswith("assert ") and "\nassert " in text:
            text = text.split("\nassert ", 1)[0].rstrip()
    elif isinstance(exc, pytest.fail.Exception) or isinstance(exc, pytest.skip.Exception):
        text = str(getattr(exc, "msg", exc))
    elif isinstance(exc, TrustedTimeout):
        text = TRUSTED_TIMEOUT_MESSAGE
    elif isinstance(exc, MemoryError):
        text = (f"the test ran out of memory working on what the submission returned ({type(exc).__name__}: "
                f"{str(exc)[:300]}): are its arrays far larger than they should be?")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."


def _status_of(excinfo: Any) -> TestStatus:
    exc = excinfo.value if excinfo is not None else None
    if isinstance(exc, (CallTimeout, TrustedTimeout)):
        return TestStatus.TIMEOUT
    if isinstance(exc, WorkerCrashed):
        return TestStatus.CRASHED
    return TestStatus.FAILED


def score(spec: TestSpec, reports: list[Any], excinfos: dict[str, Any]) -> TestResult:
    """The result of one test case from its setup/call/teardown reports.

    Args:
        reports: the ``TestReport`` objects pytest produced for the item.
        excinfos: ``{"setup"|"call"|"teardown": ExceptionInfo}`` for the
            phases that raised.
    """
    by_when = {r.when: r for r in reports}
    setup, call = by_when.get("setup"), by_when.get("call")
    duration = sum(getattr(r, "duration", 0.0) for r in reports)
    status, message = TestStatus.ERROR, "the test did not run"
    if setup is not None and setup.skipped or call is not None and call.skipped:
        status = TestStatus.SKIPPED
        rep = call if call is not None and call.skipped else setup
        longrepr = getattr(rep, "longrepr", None)
        message = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else "skipped"
    elif setup is not None and setup.failed:
        exc = excinfos.get("setup")
        status = _status_of(exc) if exc is not None and isinstance(exc.value, (RemoteError, TrustedTimeout)) \
            else TestStatus.ERROR
        message = _message(exc) or "the test's setup failed"
    elif call is not None and call.passed:
        # a passing test may leave a message in its item's user_properties, ("message", text)
        # (an imported otter case's success_message)
        note = dict(getattr(call, "user_properties", ())).get("message", "")
        status, message = TestStatus.PASSED, str(note)[:MAX_MESSAGE]
    elif call is not None and call.failed:
        exc = excinfos.get("call")
        status, message = _status_of(exc), _message(exc) or "failed"
    earned = spec.points if status is TestStatus.PASSED else 0.0
    exc = excinfos.get("call") if call is not None and call.failed else None
    return TestResult(name=spec.name, question=spec.question, score=earned, max_score=spec.points,
                      status=status, visibility=spec.visibility, message=message,
                      hint=hint_for(spec, status, exc), duration_s=round(duration, 6))


def hint_for(spec: TestSpec, status: TestStatus, excinfo: Any) -> str:
    """The hint a failed test shows: only where it explains the failure.

    A :class:`~grader.testing.Failure` brings its own (possibly empty) hint. The
    test's fixed ``@pytest.mark.hint`` goes with a wrong answer only: an assertion of
    the test's own. An exception in the student's code, a missing name, a timeout,
    a crash or an error of the test itself gets none: the message says what
    happened and where.
    """
    if status is not TestStatus.FAILED or excinfo is None:
        return ""
    exc = excinfo.value
    if isinstance(exc, Failure):
        return exc.hint
    if isinstance(exc, RemoteError) or not isinstance(exc, AssertionError):
        return ""
    return spec.hint


def not_run(spec: TestSpec, status: TestStatus, message: str) -> TestResult:
    """A zero-score result for a test that could not run on this submission."""
    return TestResult(name=spec.name, question=spec.question, score=0.0, max_score=spec.points,
                      status=status, visibility=spec.visibility, message=message[:MAX_MESSAGE])


def submission_status(events: list[Any], invalid: bool = False) -> SubmissionStatus:
    """The submission's status: invalid, else the kind of its first worker event, else graded."""
    if invalid:
        return SubmissionStatus.INVALID
    for event in events:
        if event.kind == "timeout":
            return SubmissionStatus.TIMEOUT
        if event.kind == "crashed":
            return SubmissionStatus.CRASHED
    return SubmissionStatus.GRADED
