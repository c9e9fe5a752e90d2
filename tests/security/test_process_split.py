"""Red team, unisolated ``subprocess`` backend: what the process split alone must stop.

Without bubblewrap the worker is an ordinary child process of the grader, run
as the same user: it can read and write anything the grader can, reach the
network, and signal the grader. So this backend does **not** promise to keep
secrets, files, the network or other processes safe, and the attacks on those
(``Backends: bwrap`` in their docstrings) are listed here as skipped, each
with its reason. What it does promise, because the student's code never runs
in the process that scores it, is that a submission cannot

* get points without the work (lying objects, patched numpy/pytest/grader
  modules, a rewritten worker protocol, forged frames);
* fake its results (printed results, garbage on every file descriptor);
* stop its grading early or take the batch with it (``sys.exit``,
  ``os._exit``, ``atexit``, ``SystemExit``/``KeyboardInterrupt``, endless loops);
* crash the grader (segfault, stack overflow, memory bomb, gigantic or deeply
  nested return values, gigantic output).

The hostile submissions, with honest ones between them, are graded in one
:class:`~grader.harness.session.GradingSession` in this process.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

import pytest
import redteam

from grader import console
from grader import grade as grade_mod
from grader.config import load_assignment, parse_size
from grader.course import Course
from grader.harness.session import GradingSession
from grader.results import SubmissionResult, SubmissionStatus
from grader.sandbox import make_backend
from grader.submissions import from_path

pytestmark = pytest.mark.slow

IN_SCOPE = [a for a in redteam.ATTACKS if "subprocess" in a.backends]
ALL = [pytest.param(a, id=a.name) if "subprocess" in a.backends else
       pytest.param(a, id=a.name, marks=pytest.mark.skip(reason=f"subprocess backend: {a.unisolated}"))
       for a in redteam.ATTACKS]
EXPECTED_STATUS = {
    "infinite_loop_import": SubmissionStatus.TIMEOUT,
    "infinite_loop_function": SubmissionStatus.TIMEOUT,
    "segfault": SubmissionStatus.CRASHED,
    "stack_overflow": SubmissionStatus.CRASHED,
    "os_exit": SubmissionStatus.CRASHED,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, SubmissionResult]:
    tmp = tmp_path_factory.mktemp("redteam-subprocess")
    course = redteam.build_course(tmp)
    canary_dir = redteam.make_canary_dir(tmp)
    values = {"COURSE": str(course.root), "REPO": str(redteam.ROOT), "CANARY_DIR": str(canary_dir),
              "PORT": "9", "HOST_IP": "127.0.0.1", "UNIX": "none"}
    paths: dict[str, Path] = {}
    honest_sources = iter(redteam.HONEST * 4)
    for i, attack in enumerate(IN_SCOPE):
        path = course.submissions / f"{2 * i:03d}_{attack.name}{attack.path.suffix}"
        path.write_text(redteam.render(attack, values, "subprocess"))
        paths[attack.name] = path
        if i % 5 == 4:
            source = next(honest_sources)
            student = f"{2 * i + 1:03d}_honest_{source.stem}"
            redteam.add_honest(course, student, source)
            paths[f"honest:{student}"] = course.submissions / f"{student}.py"
    config = load_assignment(Course.at(course.root), "hw1")
    session = GradingSession(config, make_backend("subprocess"), include_hidden=True,
                             work_root=Path(tempfile.mkdtemp(dir=tmp)))
    try:
        subs = [from_path(p, config, student=name) for name, p in paths.items()]
        return {r.student: r for r in session.grade(subs)}
    finally:
        session.close()


def _explain(result: SubmissionResult) -> str:
    passed = [t.name for t in result.tests if t.passed]
    return (f"status {result.status}, score {result.score}/{result.max_score}, message {result.message[:300]!r}; "
            f"passed: {passed[:10]}; output: {result.output[:500]!r}")


@pytest.mark.parametrize("attack", ALL)
def test_attack_earns_nothing(graded, attack):
    result = graded[attack.name]
    assert result.status is not SubmissionStatus.INTERNAL_ERROR, _explain(result)
    assert result.score == 0, _explain(result)
    honest = next(r for s, r in graded.items() if s.startswith("honest:"))
    assert len(result.tests) == len(honest.tests), "every test must have a result, even when not run"
    if attack.name in EXPECTED_STATUS:
        assert result.status is EXPECTED_STATUS[attack.name], _explain(result)


def test_honest_students_keep_full_marks(graded):
    honest = {s: r for s, r in graded.items() if s.startswith("honest:")}
    assert len(honest) >= 4
    for student, result in honest.items():
        assert result.status is SubmissionStatus.GRADED and result.score == 100, f"{student}: {_explain(result)}"


def test_every_submission_has_a_result(graded):
    assert set(a.name for a in IN_SCOPE) <= set(graded)


def test_output_is_capped(graded):
    result = graded["gigantic_output"]
    assert "spam" in result.output, _explain(result)
    assert len(result.output) <= parse_size(redteam.LIMITS["output"].strip('"'))


def test_results_display_without_terminal_control_characters(graded):
    buffer = io.StringIO()
    screen = console.Console(file=buffer, force_terminal=True, color_system=None, width=200)
    screen.print(console.summary_table(graded.values(), "hw1"))
    saved = console.out, console.err
    console.out = console.err = screen
    try:
        for result in graded.values():
            console.print_check(result)
    finally:
        console.out, console.err = saved
    found = redteam.control_characters(buffer.getvalue())
    assert not found, f"control characters reach the instructor's terminal: {found}"


def test_a_grading_process_lost_after_its_last_task_does_not_hang_the_batch(tmp_path, monkeypatch):
    """A grading process that dies after taking its stop sentinel (a crash in its clean-up)
    is respawned; the new process must get a sentinel of its own, or it waits for a task
    forever and so does the batch."""
    course = redteam.build_course(tmp_path)
    redteam.add_honest(course, "honest", redteam.HONEST[0])
    monkeypatch.setattr(grade_mod, "_slot_main", redteam.slot_dying_after_its_sentinel)
    watchdog = redteam.Watchdog(60)
    started = time.monotonic()
    try:
        report = grade_mod.main("hw1", course=course.root, jobs=1, backend="subprocess")
    finally:
        watchdog.cancel()
    assert (course.root / ".first-slot-died").exists(), "the first grading process did not die as planned"
    assert not watchdog.fired, f"the batch hung ({time.monotonic() - started:.0f} s)"
    [result] = report.results
    assert result.status is SubmissionStatus.GRADED and result.score == 100, _explain(result)
