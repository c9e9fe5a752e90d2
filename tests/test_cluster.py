"""``grader grade --cluster``: the same grading on the workers of a real Dask cluster.

A real :class:`distributed.LocalCluster` (two worker processes, one thread each) grades hw1
submissions (copies of the reference and two mutants) in real bubblewrap sandboxes, into a real
SQLite store, and is held to what a local ``grader grade`` of the same folder gives:

* the same statuses, scores and per-test points;
* resume: a second run grades nothing new, ``--force`` grades everything again, one row each;
* a Dask worker SIGKILLed while it grades: its task runs again elsewhere, every student ends
  with exactly one row and the score a local run gives;
* a grading process (the trusted process a worker starts) killed while it grades: that student
  is an ``internal_error`` saying so, and the batch goes on;
* a worker whose course folder differs from the client's refuses to grade.

In the kill tests every submission sleeps at import, so each task is in flight long enough to
be killed (the tests check that the victim was executing a task when it was killed).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed (pip install -e '.[cluster]')")
psutil = pytest.importorskip("psutil")

from grader import grade  # noqa: E402
from grader.cluster import ClusterError, _Batch, parse_cluster, prepare  # noqa: E402
from grader.config import load_assignment  # noqa: E402
from grader.course import Course, CourseError  # noqa: E402
from grader.results import SubmissionResult, SubmissionStatus  # noqa: E402
from grader.store import ResultStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "hw1" / "hw1.py"
MUTANTS = ROOT / "reference" / "hw1" / "mutants"
#: student -> the file they hand in
ORIGIN = {"ada": REFERENCE, "ben": REFERENCE, "cy": REFERENCE, "dee": REFERENCE,
          "eve": MUTANTS / "affine_missing_bias.py", "fox": MUTANTS / "tanh_grad_wrong_sign.py"}
SLEEP = "\nimport time\ntime.sleep(2)  # in flight long enough to be killed\n"


def _write_submissions(folder: Path, suffix: str = "") -> Path:
    folder.mkdir(parents=True)
    for student, source in ORIGIN.items():
        (folder / f"{student}.py").write_text(source.read_text() + suffix)
    return folder


def _scores(results: list[SubmissionResult]) -> dict[str, tuple[str, float, list[tuple[str, float]]]]:
    return {r.student: (str(r.status), r.score, [(t.name, t.score) for t in r.tests]) for r in results}


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT student, COUNT(*) FROM submissions GROUP BY student").fetchall())


@pytest.fixture(scope="module")
def submissions(tmp_path_factory, bwrap_required) -> Path:
    return _write_submissions(tmp_path_factory.mktemp("cluster") / "hw1")


@pytest.fixture(scope="module")
def slow_submissions(tmp_path_factory, bwrap_required) -> Path:
    return _write_submissions(tmp_path_factory.mktemp("cluster-slow") / "hw1", SLEEP)


@pytest.fixture(scope="module")
def local(submissions, tmp_path_factory):
    """What a local ``grader grade hw1`` (two grading processes) gives for ``submissions``."""
    db = tmp_path_factory.mktemp("local") / "grades.db"
    report = grade.main("hw1", course=ROOT, submissions=submissions, db=db, jobs=2, backend="bwrap")
    scores = _scores(report.results)
    assert set(scores) == set(ORIGIN)
    # the batch is worth comparing against: the reference gets full marks, each mutant loses points
    assert scores["ada"][1] == 100 and scores["eve"][1] < 100 and scores["fox"][1] < 100
    return scores


@pytest.fixture(scope="module")
def dask_client(bwrap_required):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address="127.0.0.1:0")
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _executing(client) -> dict[str, int]:
    return client.run(lambda dask_worker: len(dask_worker.state.executing))


def _grading_processes(pid: int) -> list:
    return [p for p in psutil.Process(pid).children() if "grader.slot_process" in p.cmdline()]


# -- without a sandbox ----------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [("local:3", ("local", 3)), ("tcp://10.0.0.5:8786", ("address", 0))])
def test_cluster_values(value, expected):
    assert parse_cluster(value) == expected


@pytest.mark.parametrize("value", ["local:0", "local:", "local:two", "10.0.0.5:8786"])
def test_bad_cluster_values_are_refused(value):
    with pytest.raises(ClusterError):
        parse_cluster(value)


def test_a_worker_with_another_copy_of_the_tests_refuses_to_grade():
    job = {"course": str(ROOT), "assignment": "hw1", "backend": "subprocess", "options": {}, "hide": [],
           "suite": "0" * 64}
    with pytest.raises(CourseError, match="differs from the one grading was started from"):
        prepare(job, lambda kind, value: None)


def test_a_second_result_for_a_student_is_dropped(tmp_path):
    """The client keeps the first result per student and batch: a late duplicate (a task run twice)
    neither adds a row nor replaces the first."""
    from grader.submissions import discover

    config = load_assignment(Course.at(ROOT), "hw1")
    todo = discover(_write_submissions(tmp_path / "hw1"), config)
    seen = []
    with ResultStore.open(tmp_path / "grades.db") as store:
        batch = _Batch(None, {}, config, todo, store, lambda kind, value: seen.append((kind, value)))
        first = SubmissionResult(assignment="hw1", student="ada", status=SubmissionStatus.GRADED, message="first")
        batch.save(first)
        batch.save(SubmissionResult(assignment="hw1", student="ada", status=SubmissionStatus.CRASHED,
                                    message="second"))
        assert store.get("hw1", "ada").message == "first"
    assert _rows(tmp_path / "grades.db") == {"ada": 1}
    assert batch.results == [first] and len(seen) == 1


# -- on a real cluster ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster_run(submissions, dask_client, tmp_path_factory):
    db = tmp_path_factory.mktemp("on-cluster") / "grades.db"
    events = []
    report = grade.main("hw1", course=ROOT, submissions=submissions, db=db, backend="bwrap",
                        cluster=dask_client.scheduler.address, on_event=lambda k, v: events.append((k, v)))
    return report, db, events


@pytest.mark.slow
def test_the_cluster_gives_the_scores_of_a_local_run(cluster_run, local):
    report, db, events = cluster_run
    assert _scores(report.results) == local
    assert {r.backend for r in report.results} == {"bwrap"}
    assert _rows(db) == {s: 1 for s in ORIGIN}
    assert [v for k, v in events if k == "total"] == [len(ORIGIN)]
    assert sorted(v for k, v in events if k == "started") == sorted(ORIGIN)
    assert sorted(v.student for k, v in events if k == "result") == sorted(ORIGIN)


@pytest.mark.slow
def test_resume_grades_nothing_new_and_force_grades_again(cluster_run, dask_client, submissions, local):
    _, db, _ = cluster_run
    again = grade.main("hw1", course=ROOT, submissions=submissions, db=db, backend="bwrap",
                       cluster=dask_client.scheduler.address)
    assert again.results == [] and sorted(r.student for r in again.skipped) == sorted(ORIGIN)
    before = {r.student: r.graded_at for r in again.skipped}
    forced = grade.main("hw1", course=ROOT, submissions=submissions, db=db, backend="bwrap", cluster="local:1",
                        force=True)
    assert _scores(forced.results) == local and forced.skipped == []
    assert _rows(db) == {s: 1 for s in ORIGIN}
    with ResultStore.open(db) as store:
        assert {r.student: r.graded_at for r in store.results("hw1")} == {r.student: r.graded_at for r in forced.results}
    assert before.keys() == {r.student for r in forced.results}


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(slow_submissions, dask_client, local, tmp_path):
    pids = dask_client.run(os.getpid)
    killed = {}

    def on_event(kind, value):
        if kind == "started" and not killed:
            busy = [a for a, n in _executing(dask_client).items() if n]
            assert busy, "no worker was executing a task when one started"
            victim = busy[0]
            killed["address"], killed["executing"] = victim, _executing(dask_client)[victim]
            os.kill(pids[victim], signal.SIGKILL)

    db = tmp_path / "grades.db"
    report = grade.main("hw1", course=ROOT, submissions=slow_submissions, db=db, backend="bwrap",
                        cluster=dask_client.scheduler.address, on_event=on_event)
    assert killed and killed["executing"] == 1
    assert killed["address"] not in dask_client.scheduler_info(n_workers=-1)["workers"]
    assert _rows(db) == {s: 1 for s in ORIGIN}
    assert _scores(report.results) == local  # the lost task was graded again, in full, elsewhere
    with ResultStore.open(db) as store:
        assert _scores(store.results("hw1")) == local
    dask_client.wait_for_workers(2, timeout=60)  # the nanny restarts it


@pytest.mark.slow
def test_a_grading_process_killed_mid_batch_is_an_internal_error(slow_submissions, dask_client, local, tmp_path):
    dask_client.wait_for_workers(2, timeout=60)
    pids = dask_client.run(os.getpid)
    killed = []

    def on_event(kind, value):
        if kind == "started" and not killed:
            for address, n in _executing(dask_client).items():
                children = _grading_processes(pids[address])
                if n and children:
                    children[0].kill()
                    killed.append(children[0].pid)
                    return

    db = tmp_path / "grades.db"
    report = grade.main("hw1", course=ROOT, submissions=slow_submissions, db=db, backend="bwrap",
                        cluster=dask_client.scheduler.address, on_event=on_event)
    assert killed
    assert _rows(db) == {s: 1 for s in ORIGIN}
    failed = [r for r in report.results if r.status is SubmissionStatus.INTERNAL_ERROR]
    assert len(failed) == 1 and "the grading process died" in failed[0].message, [r.message for r in failed]
    graded = {r.student: v for r in report.results if r.status is SubmissionStatus.GRADED
              for v in [_scores([r])[r.student]]}
    assert graded == {s: local[s] for s in ORIGIN if s != failed[0].student}


@pytest.mark.slow
def test_tests_that_cannot_be_collected_stop_the_batch_and_save_nothing(tmp_path, dask_client, submissions):
    """As without a cluster: broken tests are the instructor's error (HarnessError), not a zero for
    every student. The copied course has no worker environment: each worker's note comes back."""
    from grader.harness.session import HarnessError

    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "hw1", course / "assignments" / "hw1")
    shutil.copytree(ROOT / "reference" / "hw1", course / "reference" / "hw1",
                    ignore=shutil.ignore_patterns("mutants", "variants"))
    (course / "reference" / "hw1" / "tests" / "test_broken_hidden.py").write_text("import no_such_module_here\n")
    events = []
    with pytest.raises(HarnessError, match="could not be collected"):
        grade.main("hw1", course=course, submissions=submissions, db=tmp_path / "grades.db", backend="bwrap",
                   cluster=dask_client.scheduler.address, on_event=lambda k, v: events.append((k, v)))
    assert not _rows(tmp_path / "grades.db")
    notes = [v for k, v in events if k == "note"]
    assert len(notes) == 1 and "no worker environment is built" in notes[0] and "on 2 of 2 workers" in notes[0]
