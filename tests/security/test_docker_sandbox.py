"""Red team, Docker backend: every hostile submission, graded the way ``grader grade --sandbox docker`` grades.

The same batch as ``test_bwrap_sandbox.py`` (its ``_grade_batch`` with
``backend="docker"``): every attack whose ``Backends:`` line names ``docker``
(all those that name ``bwrap``), honest submissions between them, two grading
processes, the real store, a world-readable throwaway copy of hw1 full of
canaries, a canary folder, a local answer service and a secret in the grader's
environment. The same promises are checked afterwards, plus the Docker ones:

* no hostile submission gets more points than a submission that does no work
  (every hw1 function returns a wrong constant of the right shape, graded alone
  afterwards): the points a suite gives for nothing are not the sandbox's to take;
* nothing outside changes, nothing secret reaches a result, nobody is reached
  over the network;
* every submission has a result, honest students keep their exact scores, the
  batch ends in time, no container (``grader=worker``) and no process of the
  container user (uid 10001) is left;
* memory is bounded per container (its cgroup's peak), disk by its tmpfs mounts.

Marked ``docker``: skips without an engine and the grading image, fails with
``GRADER_REQUIRE_DOCKER=1``. About 100 s on 2 cores.
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redteam
import test_bwrap_sandbox as suite

from grader import console
from grader import grade as grade_mod
from grader.config import parse_size
from grader.results import SubmissionResult, SubmissionStatus
from grader.sandbox.docker import SANDBOX_UID, connect

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ATTACKS = [a for a in redteam.ATTACKS if "docker" in a.backends]
EXPECTED_STATUS = {**suite.EXPECTED_STATUS, "memory_bomb": SubmissionStatus.CRASHED}  # the OOM killer, not MemoryError
#: hw1's functions, each returning a wrong constant of the right shape: no work at all.
NO_WORK = '''
import numpy as np
W = 12345.678
def _w(shape):
    return np.full(shape, W)
def sigmoid(z): return _w(np.shape(z))
def sigmoid_grad(z): return _w(np.shape(z))
def tanh(z): return _w(np.shape(z))
def tanh_grad(z): return _w(np.shape(z))
def relu(z): return _w(np.shape(z))
def relu_grad(z): return _w(np.shape(z))
def leaky_relu(z, alpha=0.01): return _w(np.shape(z))
def leaky_relu_grad(z, alpha=0.01): return _w(np.shape(z))
def neuron(x, w, b, activation="sigmoid"): return _w(np.shape(x)[:-1])
def affine_forward(x, w, b): return _w((np.shape(x)[0], np.shape(w)[1])), None
def mlp_forward(x, params, activation="relu"): return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
'''


@dataclass
class DockerBatch:
    batch: suite.Batch
    no_work: SubmissionResult
    containers_left: list[str]
    processes_left: list[str]


def _worker_containers() -> set[str]:
    client = connect()
    try:
        return {c.id for c in client.containers.list(all=True, filters={"label": "grader=worker"})}
    finally:
        client.close()


def _container_user_processes() -> list[str]:
    """Processes on this host running as the containers' user (uid 10001)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == SANDBOX_UID:
                    cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
                    out.append(f"pid {entry}: {cmd.decode(errors='replace')}")
            except OSError:
                pass
    return out


@pytest.fixture(scope="module")
def docker_batch(docker_required) -> DockerBatch:
    tmp = Path(tempfile.mkdtemp(prefix="redteam-docker-"))
    os.chmod(tmp, 0o755)  # world-readable: only the sandbox may keep the course hidden
    canary_dir = redteam.make_canary_dir(Path(tempfile.gettempdir()))
    containers_before = _worker_containers()  # another grader's containers are not this batch's
    processes_before = set(_container_user_processes())
    try:
        batch = suite._grade_batch(tmp, canary_dir, backend="docker")
        left: list[str] = []
        for _ in range(20):  # removal runs in the background until each backend closes; allow a moment
            left = sorted(_worker_containers() - containers_before)
            if not left:
                break
            time.sleep(0.25)
        processes = sorted(set(_container_user_processes()) - processes_before)
        no_work_dir = tmp / "no-work"
        no_work_dir.mkdir()
        (no_work_dir / "zz_no_work.py").write_text(NO_WORK)
        report = grade_mod.main("hw1", course=batch.course.root, submissions=no_work_dir, db=tmp / "no-work.db",
                                jobs=1, backend="docker")
        [no_work] = report.all
        yield DockerBatch(batch, no_work, [c[:12] for c in left], processes)
    finally:
        for d in suite._site_dirs():
            (d / "zz_redteam_canary.pth").unlink(missing_ok=True)
        shutil.rmtree(canary_dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def batch(docker_batch) -> suite.Batch:
    return docker_batch.batch


# --------------------------------------------------------------------------- no points without the work


def test_a_submission_that_does_no_work_is_graded(docker_batch):
    assert docker_batch.no_work.status is SubmissionStatus.GRADED, suite._explain(docker_batch.no_work)
    # every test that earns a point needs a right value, inputs-unchanged tests included
    assert docker_batch.no_work.score == 0, suite._explain(docker_batch.no_work)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_earns_nothing(docker_batch, attack):
    batch = docker_batch.batch
    result = suite._result(batch, attack.name)
    assert result.status is not SubmissionStatus.INTERNAL_ERROR, suite._explain(result)
    assert result.score <= docker_batch.no_work.score, (
        f"more than a submission that does no work ({docker_batch.no_work.score}): {suite._explain(result)}")
    n_tests = len(batch.results[batch.honest[0]].tests)
    assert len(result.tests) == n_tests, "every test must have a result, even when not run"
    if attack.name in EXPECTED_STATUS:
        assert result.status is EXPECTED_STATUS[attack.name], suite._explain(result)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_no_secret_reaches_the_results(batch, attack):
    found = redteam.leaks(redteam.result_text(suite._result(batch, attack.name)), batch.secrets)
    assert not found, f"{attack.name} got hold of {found}"


def test_honest_students_keep_full_marks(batch):
    assert len(batch.honest) >= 8
    for student in batch.honest:
        result = batch.results.get(student)
        assert result is not None, f"{student} has no result"
        missing = re.search(r"ModuleNotFoundError: No module named '(\w+)'", result.message)
        assert not missing, f"{student}: the grading image lacks {missing.group(1)!r}, which students may use"
        assert result.status is SubmissionStatus.GRADED and result.score == result.max_score == 100, (
            f"{student}: {suite._explain(result)}")
        assert result.backend == "docker" and result.device == "cpu"


def test_every_submission_has_a_result_and_the_batch_ends_in_time(batch):
    assert not batch.watchdog_fired, f"the batch ran past {suite.BATCH_DEADLINE_S} s and was killed"
    assert set(batch.results) == set(batch.students.values()) | set(batch.honest)
    assert not [s for s, r in batch.results.items() if r.status is SubmissionStatus.INTERNAL_ERROR]


# --------------------------------------------------------------------------- nothing outside the sandbox changes


def test_course_canary_grader_and_python_files_unchanged(batch):
    for what in ("course", "canary", "grader"):
        assert not batch.changed[what], f"{what}:\n" + "\n".join(batch.changed[what][:20])
    assert not batch.new_pth, f"new .pth files in site-packages: {batch.new_pth}"


def test_store_holds_exactly_what_was_graded(batch):
    assert batch.stored.get("zz_prior") is not None and batch.stored["zz_prior"].to_dict() == batch.prior.to_dict()
    graded = {s: r for s, r in batch.stored.items() if s != "zz_prior"}
    assert set(graded) == set(batch.results)
    for student, result in batch.results.items():
        assert graded[student].to_dict() == result.to_dict(), f"{student}'s stored result differs from the grading"
    with sqlite3.connect(batch.course.db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("attack", suite.TAMPERING)
def test_tampering_attacks_report_no_success(batch, attack):
    result = suite._result(batch, attack)
    assert "tampering:" in result.output, f"{attack} did not run: {suite._explain(result)}"
    assert not redteam.reported_successes(result.output)


def test_no_network_contact(batch):
    result = suite._result(batch, "network_answers")
    reached = re.search(r"^reached: (\[.*\])$", result.output, re.M)
    assert reached, f"network_answers did not report: {suite._explain(result)}"
    assert not [r for r in ast.literal_eval(reached.group(1)) if not r.startswith("udp")]
    assert not batch.contacts, f"the answer service was contacted: {batch.contacts}"


def test_no_container_or_process_is_left(docker_batch):
    assert not docker_batch.containers_left, f"containers left: {docker_batch.containers_left}"
    assert not docker_batch.processes_left, "left running:\n" + "\n".join(docker_batch.processes_left)
    assert not docker_batch.batch.strays


# --------------------------------------------------------------------------- resources stay bounded


def test_disk_use_is_bounded(batch):
    result = suite._result(batch, "disk_fill")
    wrote = redteam.reported_number(result.output, "WROTE")
    assert wrote is not None, f"disk_fill did not report: {suite._explain(result)}"
    assert wrote <= suite.DISK_BOUND


@pytest.mark.parametrize("attack", ["fork_memory", "memory_bomb"])
def test_memory_is_bounded_per_container(batch, attack):
    """The container's cgroup peak (all its processes at once), not what the attack says: an
    OOM-killed child of ``fork_memory`` has reported its block before the kernel killed it."""
    result = suite._result(batch, attack)
    if result.peak_memory_bytes is not None:
        assert result.peak_memory_bytes <= suite.MEMORY, suite._explain(result)


def test_a_memory_bomb_is_reported_as_such(batch):
    result = suite._result(batch, "memory_bomb")
    assert "ran out of memory" in result.message, suite._explain(result)


def test_output_is_capped(batch):
    result = suite._result(batch, "gigantic_output")
    assert "spam" in result.output, suite._explain(result)
    assert len(result.output) <= parse_size(suite.LIMIT["output"])


def test_cpu_hog_stays_within_its_time_limit(batch):
    result = suite._result(batch, "cpu_threads")
    assert result.wall_time_s <= float(suite.LIMIT["total_timeout"]) + 15, suite._explain(result)


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
    assert not redteam.control_characters(buffer.getvalue())
