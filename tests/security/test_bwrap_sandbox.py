"""Red team, bubblewrap backend: every hostile submission, graded the way ``grader grade`` grades.

All hostile submissions in ``hostile/`` that name the ``bwrap`` backend, with
honest submissions (the reference and correct variants) between them, go
through ``grader.grade.main`` in one batch: two parallel grading processes,
the real store, the public and hidden suites, on a throwaway copy of hw1 in a
world-readable temporary folder (so that only the sandbox's isolation, not file
permissions, keeps it hidden). That folder, a world-writable canary folder in ``/tmp``, a
local service that hands out the reference, and the grader's environment are
full of canaries. The attacks are told every host path they could want; they
are never told a canary token.

The product's promises, checked after the batch:

* no submission gets points it did not earn (every hostile one scores 0);
* no submission sees or changes anything outside its sandbox (no token in any
  result, course files, canary folder, store, grader and Python files
  unchanged, no contact with the local service);
* no submission stops the batch or loses anyone's results (every submission
  has a result, none is an internal error, honest students get full marks,
  the batch ends in time, no process is left under a sandbox uid).

A module-scoped fixture runs the batch once (about a minute on 2 cores); the
tests then read its outcome. The tests are marked ``sandbox``: without a
working bubblewrap they fail unless ``GRADER_ALLOW_NO_SANDBOX=1``.
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import sqlite3
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import redteam

from grader import console
from grader import grade as grade_mod
from grader import results as results_mod
from grader.config import Limits, parse_size
from grader.remote import CallTimeout, RemoteSession, SubmissionProxy, WorkerCrashed
from grader.results import SubmissionResult, SubmissionStatus
from grader.sandbox import WorkerSpec, cgroups, make_backend
from grader.store import ResultStore

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

ATTACKS = [a for a in redteam.ATTACKS if "bwrap" in a.backends]
BATCH_DEADLINE_S = 480
LIMIT = {k: v.strip('"') for k, v in redteam.LIMITS.items()}
MEMORY = parse_size(LIMIT["memory"])
#: What a worker can store in all: its home (the submission's files plus ``disk``), /tmp and /dev/shm.
DISK_BOUND = 3 * parse_size(LIMIT["disk"]) + 5 * parse_size(LIMIT["max_file_size"])
EXPECTED_STATUS = {
    "infinite_loop_import": SubmissionStatus.TIMEOUT,
    "infinite_loop_function": SubmissionStatus.TIMEOUT,
    "fork_bomb": SubmissionStatus.TIMEOUT,
    "segfault": SubmissionStatus.CRASHED,
    "stack_overflow": SubmissionStatus.CRASHED,
    "os_exit": SubmissionStatus.CRASHED,
}
TAMPERING = ["tamper_store_and_submissions", "tamper_grader_files"]


@dataclass
class Batch:
    course: redteam.Course
    students: dict[str, str]  # attack name -> student id
    honest: list[str]
    results: dict[str, SubmissionResult]
    secrets: list[str]
    elapsed: float
    watchdog_fired: bool
    contacts: list[str]
    strays: list[str]
    changed: dict[str, list[str]] = field(default_factory=dict)
    prior: SubmissionResult | None = None
    stored: dict[str, SubmissionResult] = field(default_factory=dict)
    new_pth: list[str] = field(default_factory=list)


def _prior_result(secret: str) -> SubmissionResult:
    """A result stored before the batch, for a student who is not in it: it must survive untouched."""
    test = results_mod.TestResult(name="test_q1_activations.py::test_relu_values", question="activations",
                                  score=1.0, max_score=1.0, status=results_mod.TestStatus.PASSED,
                                  visibility=results_mod.Visibility.PUBLIC)
    return SubmissionResult(assignment="hw1", student="zz_prior", status=SubmissionStatus.GRADED,
                            message=f"graded last week ({secret})", tests=[test], path="zz_prior.py",
                            sha256="0" * 64, suite_hash="1" * 64, graded_at="2026-01-01T00:00:00+00:00",
                            backend="bwrap", output="")


def _grader_files() -> list[Path]:
    """Files of the grader and of the Python installation that an attack tries to rewrite."""
    grader_dir = redteam.ROOT / "grader"
    return [Path(np.__file__), Path(os.__file__), grader_dir / "testing.py", grader_dir / "harness" / "scoring.py",
            *sorted((grader_dir / "worker").glob("*.py"))]


def _site_dirs() -> list[Path]:
    return sorted({Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["platlib"])})


def _diff(before: dict, after: dict) -> list[str]:
    out = [f"removed {p}" for p in before if p not in after]
    out += [f"added {p}" for p in after if p not in before]
    out += [f"changed {p}: {before[p]} -> {after[p]}" for p in before if p in after and before[p] != after[p]]
    return out


def _grader_file_changes(before: dict, after: dict) -> list[str]:
    """Rewrites of the grader's own files. Others may edit the repository while the suite runs,
    so a change of content is not counted there; a new mtime with the same content is what
    the attack's byte-for-byte rewrite leaves."""
    out = []
    for p, (digest, *_, mtime) in before.items():
        if p not in after:
            out.append(f"removed {p}")
            continue
        digest2, *_, mtime2 = after[p]
        in_repo = p.startswith(str(redteam.ROOT / "grader"))
        if (digest2 == digest and mtime2 != mtime) or (not in_repo and after[p] != before[p]):
            out.append(f"rewritten {p}")
    return out


@pytest.fixture(scope="module")
def batch(bwrap_required) -> Batch:
    # World-readable, as course folders usually are (pytest's own tmp_path is private to root):
    # only the sandbox's isolation, not file permissions, may keep the course hidden.
    tmp = Path(tempfile.mkdtemp(prefix="redteam-bwrap-"))
    os.chmod(tmp, 0o755)
    canary_dir = redteam.make_canary_dir(Path(tempfile.gettempdir()))
    try:
        yield _grade_batch(tmp, canary_dir)
    finally:
        for d in _site_dirs():  # an attack that got through must not leave its .pth in the real venv
            (d / "zz_redteam_canary.pth").unlink(missing_ok=True)
        shutil.rmtree(canary_dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _grade_batch(tmp: Path, canary_dir: Path, backend: str = "bwrap") -> Batch:
    """Grade every attack on ``backend``, with honest students between them, through ``grader.grade.main``
    (``test_docker_sandbox.py`` runs it with ``backend="docker"``)."""
    course = redteam.build_course(tmp)
    reference_source = (course.root / "reference" / "hw1" / "hw1.py").read_bytes()
    server = redteam.AnswerServer(reference_source)
    values = {"COURSE": str(course.root), "REPO": str(redteam.ROOT), "CANARY_DIR": str(canary_dir),
              "PORT": str(server.port), "HOST_IP": redteam.host_ip(), "UNIX": server.unix_name}

    students, honest = {}, []
    honest_sources = iter(redteam.HONEST * 3)
    for i, attack in enumerate(a for a in redteam.ATTACKS if backend in a.backends):
        student = f"{2 * i:03d}_{attack.name}"
        students[attack.name] = student
        (course.submissions / f"{student}{attack.path.suffix}").write_text(redteam.render(attack, values, backend))
        if i % 4 == 3 or attack.name in ("daemon_persist", "tamper_grader_files", "fork_bomb", "kill_parent"):
            source = next(honest_sources)
            name = f"{2 * i + 1:03d}_honest_{source.stem}"
            redteam.add_honest(course, name, source)
            honest.append(name)

    course.tokens["env"] = env_secret = redteam.token("ENV")
    course.tokens["prior"] = prior_secret = redteam.token("STORE")
    prior = _prior_result(prior_secret)
    with ResultStore.open(course.db) as store:
        store.save(prior)
    watched_course = [course.root / "assignments", course.root / "reference", course.submissions]
    before = {"course": redteam.snapshot(watched_course), "canary": redteam.snapshot([canary_dir]),
              "grader": redteam.snapshot(_grader_files())}
    pth_before = {str(p) for d in _site_dirs() for p in d.glob("*.pth")}

    strays_before = set(redteam.stray_sandbox_processes())  # another grader's leftovers are not this batch's
    old_env = os.environ.get(redteam.ENV_SECRET)
    os.environ[redteam.ENV_SECRET] = env_secret
    watchdog = redteam.Watchdog(BATCH_DEADLINE_S)
    started = time.monotonic()
    try:
        report = grade_mod.main("hw1", course=course.root, jobs=2, backend=backend)
    finally:
        elapsed = time.monotonic() - started
        watchdog.cancel()
        if old_env is None:
            os.environ.pop(redteam.ENV_SECRET, None)
        else:
            os.environ[redteam.ENV_SECRET] = old_env
        server.close()

    strays: list[str] = []
    for _ in range(20):  # a killed process can take a moment to disappear from /proc
        strays = sorted(set(redteam.stray_sandbox_processes()) - strays_before)
        if not strays:
            break
        time.sleep(0.25)
    after = {"course": redteam.snapshot(watched_course), "canary": redteam.snapshot([canary_dir]),
             "grader": redteam.snapshot(_grader_files())}
    new_pth = sorted({str(p) for d in _site_dirs() for p in d.glob("*.pth")} - pth_before)
    with ResultStore.open(course.db, create=False) as store:
        stored = {r.student: r for r in store.results("hw1")}
    result = Batch(course=course, students=students, honest=honest,
                   results={r.student: r for r in report.all}, secrets=list(course.tokens.values()),
                   elapsed=elapsed, watchdog_fired=watchdog.fired, contacts=list(server.contacts),
                   strays=strays, prior=prior, stored=stored, new_pth=new_pth)
    result.changed = {"course": _diff(before["course"], after["course"]),
                      "canary": _diff(before["canary"], after["canary"]),
                      "grader": _grader_file_changes(before["grader"], after["grader"])}
    return result




def _result(batch: Batch, attack_name: str) -> SubmissionResult:
    student = batch.students[attack_name]
    assert student in batch.results, f"{student} has no result: the batch lost it"
    return batch.results[student]


def _explain(result: SubmissionResult) -> str:
    passed = [t.name for t in result.tests if t.passed]
    return (f"status {result.status}, score {result.score}/{result.max_score}, message {result.message[:300]!r}; "
            f"passed: {passed[:10]}; output: {result.output[:500]!r}")


# --------------------------------------------------------------------------- no points without the work


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_earns_nothing(batch, attack):
    result = _result(batch, attack.name)
    assert result.status is not SubmissionStatus.INTERNAL_ERROR, _explain(result)
    assert result.score == 0, _explain(result)
    n_tests = len(batch.results[batch.honest[0]].tests)
    assert len(result.tests) == n_tests, "every test must have a result, even when not run"
    if attack.name in EXPECTED_STATUS:
        assert result.status is EXPECTED_STATUS[attack.name], _explain(result)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_no_secret_reaches_the_results(batch, attack):
    result = _result(batch, attack.name)
    found = redteam.leaks(redteam.result_text(result), batch.secrets)
    assert not found, f"{attack.name} got hold of {found}"


def test_honest_students_keep_full_marks(batch):
    assert len(batch.honest) >= 8
    for student in batch.honest:
        result = batch.results.get(student)
        assert result is not None, f"{student} has no result"
        assert result.status is SubmissionStatus.GRADED and result.score == result.max_score == 100, (
            f"{student}: {_explain(result)}")


def test_every_submission_has_a_result_and_the_batch_ends_in_time(batch):
    assert not batch.watchdog_fired, f"the batch ran past {BATCH_DEADLINE_S} s and was killed"
    expected = set(batch.students.values()) | set(batch.honest)
    assert set(batch.results) == expected
    assert not [s for s, r in batch.results.items() if r.status is SubmissionStatus.INTERNAL_ERROR]


# --------------------------------------------------------------------------- nothing outside the sandbox changes


def test_course_files_unchanged(batch):
    assert not batch.changed["course"], "\n".join(batch.changed["course"][:20])


def test_canary_folder_unchanged(batch):
    assert not batch.changed["canary"], "\n".join(batch.changed["canary"][:20])


def test_grader_and_python_files_unchanged(batch):
    assert not batch.changed["grader"], "\n".join(batch.changed["grader"])
    assert not batch.new_pth, f"new .pth files in site-packages: {batch.new_pth}"


def test_store_holds_exactly_what_was_graded(batch):
    assert batch.stored.get("zz_prior") is not None, "the earlier result was deleted"
    assert batch.stored["zz_prior"].to_dict() == batch.prior.to_dict(), "the earlier result was changed"
    graded = {s: r for s, r in batch.stored.items() if s != "zz_prior"}
    assert set(graded) == set(batch.results), "the store holds other students than were graded"
    for student, result in batch.results.items():
        assert graded[student].to_dict() == result.to_dict(), f"{student}'s stored result differs from the grading"
    with sqlite3.connect(batch.course.db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("attack", TAMPERING)
def test_tampering_attacks_report_no_success(batch, attack):
    result = _result(batch, attack)
    assert "tampering:" in result.output, f"{attack} did not run: {_explain(result)}"
    assert not redteam.reported_successes(result.output)


def test_no_network_contact(batch):
    result = _result(batch, "network_answers")
    reached = re.search(r"^reached: (\[.*\])$", result.output, re.M)
    assert reached, f"network_answers did not report: {_explain(result)}"
    connected = [r for r in ast.literal_eval(reached.group(1)) if not r.startswith("udp")]  # a send proves nothing
    assert not connected, f"the sandbox reached {connected}"
    assert not batch.contacts, f"the answer service was contacted: {batch.contacts}"


def test_no_process_survives_under_a_sandbox_uid(batch):
    assert not batch.strays, "left running:\n" + "\n".join(batch.strays)


# --------------------------------------------------------------------------- resources stay bounded


def test_disk_use_is_bounded(batch):
    result = _result(batch, "disk_fill")
    wrote = redteam.reported_number(result.output, "WROTE")
    assert wrote is not None, f"disk_fill did not report: {_explain(result)}"
    assert wrote <= DISK_BOUND, f"a sandbox stored {wrote / 2**20:.0f} MiB (bound {DISK_BOUND / 2**20:.0f} MiB)"


@pytest.mark.xfail(not cgroups.available(), strict=True,
                   reason="without cgroup v1 memory (not root, or not mounted) memory is limited per process "
                   "(RLIMIT_AS), not per sandbox: processes * memory can be held at once")
def test_memory_is_bounded_per_sandbox(batch):
    result = _result(batch, "fork_memory")
    held = redteam.reported_number(result.output, "HELD")
    assert held is not None, f"fork_memory did not report: {_explain(result)}"
    assert held <= MEMORY, f"a sandbox held {held / 2**20:.0f} MiB at once (limit {MEMORY / 2**20:.0f} MiB)"


def test_output_is_capped(batch):
    result = _result(batch, "gigantic_output")
    cap = parse_size(LIMIT["output"])
    assert "spam" in result.output, _explain(result)
    assert len(result.output) <= cap


def test_cpu_hog_stays_within_its_time_limit(batch):
    result = _result(batch, "cpu_threads")
    assert result.wall_time_s <= float(LIMIT["total_timeout"]) + 15, _explain(result)


def test_results_display_without_terminal_control_characters(batch):
    buffer = io.StringIO()
    screen = console.Console(file=buffer, force_terminal=True, color_system=None, width=200)
    screen.print(console.summary_table(batch.results.values(), "hw1"))
    saved = console.out, console.err
    console.out = console.err = screen
    try:
        for result in batch.results.values():
            console.print_check(result)
    finally:
        console.out, console.err = saved
    found = redteam.control_characters(buffer.getvalue())
    assert not found, f"control characters reach the instructor's terminal: {found}"


# --------------------------------------------------------------------------- two graders on one machine


def _session(backend, workdir: Path, source: Path, slot: int, limits: Limits) -> RemoteSession:
    workdir.mkdir()
    (workdir / "hw1.py").write_text(source.read_text())
    spec = WorkerSpec(workdir=workdir, limits=limits, slot=slot)
    load = {"op": "load", "kind": "module", "path": "hw1.py", "name": "hw1", "cell_timeout": None}
    return RemoteSession(lambda: backend.start(spec), load, limits, what=source.name)


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return count


def _wait_for_process_plateau(uid: int, timeout: float = 30.0) -> int:
    """Wait until the processes of ``uid`` stop growing (the same count for 0.5 s); returns the count."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = _processes_of(uid)
        if count != last or count == 0:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= 0.5:
            return count
        time.sleep(0.05)
    return last


def test_a_fork_bomb_does_not_reach_a_neighbouring_grader(tmp_path, bwrap_required):
    """Two graders on one machine (two backends, both slot 0): one grades a fork bomb while the
    other starts a worker and grades an honest submission. A shared uid would let the bomb's
    process count starve the neighbour, and the bomb's clean-up kill the neighbour's worker."""
    limits = Limits(call_timeout=3, load_timeout=20, total_timeout=60, memory=parse_size("1GiB"), restarts=0)
    bomber, neighbour = make_backend("bwrap"), make_backend("bwrap")
    bomb = _session(bomber, tmp_path / "bomb", redteam.HOSTILE_DIR / "fork_bomb.py", 0, limits)
    honest = _session(neighbour, tmp_path / "honest", redteam.HONEST[0], 0, limits)
    outcome: dict[str, BaseException | None] = {}

    def detonate():
        try:
            SubmissionProxy(bomb).sigmoid(np.zeros(3))
            outcome["bomb"] = None
        except BaseException as exc:  # noqa: BLE001 - recorded and checked below
            outcome["bomb"] = exc

    try:
        bomb.ensure()
        thread = threading.Thread(target=detonate)
        thread.start()
        held = _wait_for_process_plateau(bomber.uid(0))  # the bomb is at its process limit now
        assert held > 10, f"the fork bomb never got going ({held} processes)"
        z = np.linspace(-3, 3, 7)
        np.testing.assert_allclose(SubmissionProxy(honest).sigmoid(z), 1 / (1 + np.exp(-z)))
        thread.join(30)
        assert isinstance(outcome.get("bomb"), (CallTimeout, WorkerCrashed)), outcome
        np.testing.assert_allclose(SubmissionProxy(honest).tanh(z), np.tanh(z))  # same worker, still alive
        assert len(honest.events) == 0, honest.events
    finally:
        bomb.close()
        honest.close()
        bomber.close()
        neighbour.close()
