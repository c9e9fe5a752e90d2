"""Tests for grader.gradebook: built from a real store, exports read back with pandas."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from grader.gradebook import MAX_POINTS_LABEL, export, gradebook
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as Case  # aliased: pytest would try to collect Test*
from grader.results import TestStatus as CaseStatus
from grader.store import ResultStore


def case(question: str, score: float, max_score: float, name: str = "") -> Case:
    status = CaseStatus.PASSED if score == max_score else CaseStatus.FAILED
    return Case(name or f"test_{question}.py::t{score}", question, score, max_score, status, Visibility.HIDDEN)


def submission(assignment: str, student: str, tests: list[Case], **kw) -> SubmissionResult:
    kw.setdefault("status", SubmissionStatus.GRADED)
    kw.setdefault("graded_at", "2025-03-01T10:00:00+00:00")
    return SubmissionResult(assignment, student, tests=tests, **kw)


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        # hw1: q1 is two tests (2 + 1 points), q2 one test (4 points) -> 7 points
        s.save(submission("hw1", "carol", [case("q1", 2, 2), case("q1", 0.5, 1, "x"), case("q2", 4, 4)]))
        s.save(submission("hw1", "alice", [case("q1", 0, 2), case("q1", 1, 1, "x"), case("q2", 1.5, 4)]))
        s.save(submission("hw1", "bob", [], status=SubmissionStatus.INVALID, message="no hw1.py"))
        # hw2: 10 points, alice did not submit
        s.save(submission("hw2", "bob", [case("q1", 10, 10)]))
        s.save(submission("hw2", "carol", [case("q1", 2.5, 10)]))
        yield s


def test_course_gradebook_totals(store: ResultStore):
    df = gradebook(store)
    assert list(df.columns) == ["hw1", "hw2", "total", "max_total"]
    assert df.index.name == "student" and list(df.index) == ["alice", "bob", "carol"]
    assert df.loc["carol"].tolist() == [6.5, 2.5, 9.0, 17.0]
    assert df.loc["bob", "hw1"] == 0.0 and df.loc["bob", "total"] == 10.0
    assert math.isnan(df.loc["alice", "hw2"]) and df.loc["alice", "total"] == 2.5
    assert df.attrs["max_points"] == {"hw1": 7.0, "hw2": 10.0, "total": 17.0}


def test_assignment_gradebook_by_question(store: ResultStore):
    df = gradebook(store, "hw1")
    assert list(df.columns) == ["q1", "q2", "score", "max_score", "percent", "status", "graded_at", "late_penalty",
                                "days_late", "submitted_at", "commit_sha", "flags"]
    assert list(df.index) == ["alice", "bob", "carol"]
    assert df.loc["alice", ["q1", "q2", "score", "max_score", "percent"]].tolist() == [1.0, 1.5, 2.5, 7.0, 35.71]
    # an invalid submission with no tests scores 0 on every question, out of the full points
    assert df.loc["bob", ["q1", "q2", "score", "max_score", "percent"]].tolist() == [0.0, 0.0, 0.0, 7.0, 0.0]
    assert df.loc["bob", "status"] == "invalid" and df.loc["carol", "status"] == "graded"
    assert df.loc["carol", "graded_at"] == "2025-03-01T10:00:00+00:00"
    assert df.attrs["max_points"] == {"q1": 3.0, "q2": 4.0, "score": 7.0}


def test_question_named_like_a_fixed_column_is_renamed(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        s.save(submission("hw3", "dan", [case("score", 1, 1), case("q2", 0, 1)]))
        df = gradebook(s, "hw3")
    assert list(df.columns)[:3] == ["score (question)", "q2", "score"]
    assert df.loc["dan", "score (question)"] == 1.0 and df.loc["dan", "score"] == 1.0


def test_unknown_assignment_lists_known_ones(store: ResultStore):
    with pytest.raises(LookupError, match=r"'hw9'.*hw1, hw2"):
        gradebook(store, "hw9")


def test_empty_store_gives_empty_course_gradebook(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        df = gradebook(s)
    assert df.empty and list(df.columns) == ["total", "max_total"]


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".CSV"])
def test_export_tabular_with_max_points_row(store: ResultStore, tmp_path: Path, ext: str):
    df = gradebook(store, "hw1")
    path = export(df, tmp_path / f"hw1{ext}")
    back = pd.read_csv(path, index_col="student") if ext.lower() == ".csv" else pd.read_excel(path, index_col="student")
    assert list(back.index) == [MAX_POINTS_LABEL, "alice", "bob", "carol"]
    assert list(back.columns) == list(df.columns)
    assert back.loc[MAX_POINTS_LABEL, ["q1", "q2", "score"]].astype(float).tolist() == [3.0, 4.0, 7.0]
    assert back.loc["alice", ["q1", "q2", "score", "percent"]].astype(float).tolist() == [1.0, 1.5, 2.5, 35.71]
    assert back.loc["bob", "status"] == "invalid"


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_export_without_max_points_row(store: ResultStore, tmp_path: Path, ext: str):
    df = gradebook(store)
    path = export(df, tmp_path / f"course{ext}", max_points_row=False)
    back = pd.read_csv(path, index_col="student") if ext == ".csv" else pd.read_excel(path, index_col="student")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


@pytest.mark.parametrize("which", [None, "hw1"])
def test_export_parquet_keeps_values_dtypes_and_max_points(store: ResultStore, tmp_path: Path, which):
    df = gradebook(store, which)
    back = pd.read_parquet(export(df, tmp_path / "g.parquet"))
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs["max_points"] == df.attrs["max_points"]


def test_parquet_needs_string_column_names(tmp_path: Path):
    df = pd.DataFrame({1: [1.0], "b": [2.0]}, index=pd.Index(["alice"], name="student"))
    back = pd.read_parquet(export(df, tmp_path / "g.parquet"))
    assert list(back.columns) == ["1", "b"] and back.loc["alice", "1"] == 1.0


@pytest.mark.parametrize("name", ["grades.json", "grades", "grades.xls"])
def test_export_unknown_extension(store: ResultStore, tmp_path: Path, name: str):
    with pytest.raises(ValueError, match=r"\.csv, \.xlsx, \.parquet"):
        export(gradebook(store), tmp_path / name)
    assert not (tmp_path / name).exists()
