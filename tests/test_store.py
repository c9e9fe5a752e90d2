"""Tests for grader.store: real SQLite files in tmp_path, no mocks."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as Case  # aliased: pytest would try to collect Test*
from grader.results import TestStatus as CaseStatus
from grader.store import SCHEMA_VERSION, ResultStore, StoreError

REPO = Path(__file__).resolve().parents[1]


def make_result(student: str = "alice", assignment: str = "hw1", **kw) -> SubmissionResult:
    tests = [
        Case("test_a.py::test_sigmoid[small]", "q1", 1.5, 2.0, CaseStatus.PASSED, Visibility.PUBLIC,
                   duration_s=0.012),
        Case("test_a.py::test_sigmoid[large]", "q1", 0.0, 2.0, CaseStatus.FAILED, Visibility.HIDDEN,
                   message="assert 0.5 == 1.0\nnext line", hint="use a stable form", duration_s=0.5),
        Case("test_b.py::test_softmax", "q2", 0.0, 3.0, CaseStatus.TIMEOUT, Visibility.HIDDEN,
                   message="timed out after 10 s"),
    ]  # fmt: skip
    fields = dict(
        status=SubmissionStatus.GRADED,
        message="cell 3 raised ZeroDivisionError",
        tests=tests,
        metrics={"accuracy_mean": 0.9666666666666667, "n_params": 451.0, "big": math.inf},
        path=f"{student}/hw1.ipynb",
        sha256="ab" * 32,
        suite_hash="cd" * 32,
        graded_at="2025-01-02T03:04:05+00:00",
        wall_time_s=12.25,
        cpu_time_s=10.125,
        peak_memory_bytes=734_003_200,
        backend="bwrap",
        output="hello\x00 wörld ✓\n" * 3,
    )
    fields.update(kw)
    return SubmissionResult(assignment=assignment, student=student, **fields)


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        yield s


@pytest.mark.parametrize(
    "result",
    [
        make_result(),
        make_result(student="bob", status=SubmissionStatus.INVALID, tests=[], metrics={},
                    cpu_time_s=None, peak_memory_bytes=None, message="no hw1.ipynb or hw1.py"),
        make_result(student="карл 'O\"Brien'; DROP TABLE tests;--", status=SubmissionStatus.CRASHED),
        make_result(tests=[Case("t::x", "q", 0.1 + 0.2, 1 / 3, CaseStatus.ERROR, Visibility.PUBLIC)]),
    ],
    ids=["full", "invalid-empty", "odd-student-id", "inexact-floats"],
)
def test_round_trip_is_exact(store: ResultStore, result: SubmissionResult):
    store.save(result)
    back = store.get(result.assignment, result.student)
    assert back == result
    assert back.score == result.score and back.max_score == result.max_score
    assert [type(t.status) for t in back.tests] == [CaseStatus] * len(result.tests)
    assert type(back.status) is SubmissionStatus


def test_round_trip_survives_reopening(tmp_path: Path):
    result = make_result()
    with ResultStore.open(tmp_path / "grades.db") as s:
        s.save(result)
    with ResultStore.open(tmp_path / "grades.db", create=False) as s:
        assert s.get("hw1", "alice") == result


def test_nan_metric_comes_back_as_nan(store: ResultStore):
    store.save(make_result(metrics={"accuracy_std": math.nan, "n_params": 3}))
    metrics = store.get("hw1", "alice").metrics
    assert math.isnan(metrics["accuracy_std"]) and metrics["n_params"] == 3.0


def test_numpy_numbers_are_accepted(store: ResultStore):
    store.save(make_result(peak_memory_bytes=np.int64(123), metrics={"a": np.float32(0.5), "b": np.int64(7)}))
    back = store.get("hw1", "alice")
    assert back.peak_memory_bytes == 123 and type(back.peak_memory_bytes) is int
    assert back.metrics == {"a": 0.5, "b": 7.0}


def test_non_numeric_metric_is_refused_and_nothing_is_written(store: ResultStore):
    with pytest.raises(StoreError, match="metric 'note'"):
        store.save(make_result(metrics={"note": "fast"}))
    assert store.get("hw1", "alice") is None


def test_regrade_replaces_previous_results_entirely(store: ResultStore):
    store.save(make_result())
    store.save(make_result(student="bob"))
    new = make_result(
        tests=[Case("t::only", "q9", 1.0, 1.0, CaseStatus.PASSED, Visibility.PUBLIC)],
        metrics={"accuracy_mean": 0.5},
        sha256="ee" * 32,
        status=SubmissionStatus.TIMEOUT,
    )
    store.save(new)
    assert store.get("hw1", "alice") == new
    assert store.get("hw1", "bob") == make_result(student="bob")
    assert [r.student for r in store.results("hw1")] == ["alice", "bob"]
    # no orphaned rows from the first grading
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT count(*) FROM tests").fetchone()[0] == 1 + 3
    assert conn.execute("SELECT count(*) FROM metrics").fetchone()[0] == 1 + 3
    conn.close()


def test_results_filter_and_order_and_assignments(store: ResultStore):
    for a, s in [("hw2", "bob"), ("hw1", "carol"), ("hw1", "alice"), ("lab_iris", "bob")]:
        store.save(make_result(student=s, assignment=a))
    assert [(r.assignment, r.student) for r in store.results()] == [
        ("hw1", "alice"), ("hw1", "carol"), ("hw2", "bob"), ("lab_iris", "bob"),
    ]  # fmt: skip
    assert [r.student for r in store.results("hw1")] == ["alice", "carol"]
    assert store.results("nope") == []
    assert store.assignments() == ["hw1", "hw2", "lab_iris"]
    assert store.get("hw2", "alice") is None


def test_graded_hash_for_resuming_a_batch(store: ResultStore):
    assert store.graded_hash("hw1", "alice") is None
    store.save(make_result(sha256="11", suite_hash="22"))
    assert store.graded_hash("hw1", "alice") == ("11", "22")
    assert store.graded_hash("hw2", "alice") is None
    store.save(make_result(sha256="11", suite_hash="33"))
    assert store.graded_hash("hw1", "alice") == ("11", "33")


def test_empty_graded_at_is_stamped_with_save_time(store: ResultStore):
    store.save(make_result(graded_at=""))
    stamped = store.get("hw1", "alice").graded_at
    assert stamped.startswith("20") and stamped.endswith("+00:00")


def test_schema_version_and_wal_mode(store: ResultStore):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_killed_writer_loses_nothing_already_saved(tmp_path: Path):
    db = tmp_path / "grades.db"
    script = f"""
import os, sys
sys.path.insert(0, {str(REPO)!r})
from grader.store import ResultStore
from grader.results import SubmissionResult, SubmissionStatus
s = ResultStore.open({str(db)!r})
s.save(SubmissionResult("hw1", "alice", SubmissionStatus.GRADED, sha256="aa"))
s.save(SubmissionResult("hw1", "bob", SubmissionStatus.GRADED, sha256="bb"))
os._exit(9)  # killed: no close, no clean shutdown
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    with ResultStore.open(db, create=False) as s:
        assert [(r.student, r.sha256) for r in s.results("hw1")] == [("alice", "aa"), ("bob", "bb")]


def test_reader_sees_writes_of_another_connection(tmp_path: Path):
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as writer, ResultStore.open(db) as reader:
        assert reader.results() == []
        for i in range(5):
            writer.save(make_result(student=f"s{i}"))
            assert len(reader.results("hw1")) == i + 1
        assert reader.get("hw1", "s4") == make_result(student="s4")


@pytest.mark.parametrize("shared", [True, False], ids=["one-handle", "handle-per-thread"])
def test_concurrent_writers(tmp_path: Path, shared: bool):
    db = tmp_path / "grades.db"
    stores = [ResultStore.open(db)] if shared else [ResultStore.open(db) for _ in range(4)]

    def grade(worker: int) -> None:
        store = stores[worker % len(stores)]
        for i in range(10):
            store.save(make_result(student=f"w{worker}-{i}"))
            store.results("hw1")

    threads = [threading.Thread(target=grade, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stores[0].results("hw1")) == 40
    for s in stores:
        s.close()


def _text_file(p: Path) -> None:
    p.write_text("student,score\nalice,3\n" * 100)


def _binary_file(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 20)


def _foreign_db(p: Path) -> None:
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE gradebook (x)")
    conn.commit()
    conn.close()


def _newer_db(p: Path) -> None:
    ResultStore.open(p).close()
    conn = sqlite3.connect(p)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


@pytest.mark.parametrize(
    ("prepare", "match"),
    [
        (_text_file, "is not an SQLite database"),
        (_binary_file, "is not an SQLite database"),
        (_foreign_db, "not a results store"),
        (_newer_db, "newer than this grader"),
        (lambda p: p.mkdir(), "it is a directory"),
    ],
    ids=["csv-file", "binary-file", "foreign-sqlite", "newer-schema", "directory"],
)
def test_bad_file_raises_store_error_naming_it(tmp_path: Path, prepare, match):
    path = tmp_path / "grades.db"
    prepare(path)
    with pytest.raises(StoreError, match=match) as info:
        ResultStore.open(path)
    assert str(path) in str(info.value)


def test_missing_folder_and_missing_file_without_create(tmp_path: Path):
    with pytest.raises(StoreError, match="does not exist") as info:
        ResultStore.open(tmp_path / "nope" / "grades.db")
    assert "nope" in str(info.value)
    with pytest.raises(StoreError, match="no results store"):
        ResultStore.open(tmp_path / "grades.db", create=False)
    assert not (tmp_path / "grades.db").exists()


def test_empty_file_becomes_a_store(tmp_path: Path):
    (tmp_path / "grades.db").touch()
    with ResultStore.open(tmp_path / "grades.db") as s:
        assert s.assignments() == []


def test_closed_store_raises(tmp_path: Path):
    s = ResultStore.open(tmp_path / "grades.db")
    s.close()
    s.close()  # harmless
    with pytest.raises(StoreError, match="closed"):
        s.get("hw1", "alice")
    with pytest.raises(StoreError, match="closed"):
        s.save(make_result())
