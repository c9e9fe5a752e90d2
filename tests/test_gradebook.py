"""Tests for grader.gradebook: built from a real store, exports read back with pandas."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from grader.gradebook import (
    MAX_POINTS_LABEL,
    MAX_POINTS_SHEET,
    OUT_DIR,
    default_output,
    export,
    gradebook,
    unignored_in_git,
)
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as Case  # aliased: pytest would try to collect Test*
from grader.results import TestStatus as CaseStatus
from grader.store import ResultStore

ROOT = Path(__file__).resolve().parent.parent


def grader(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


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
def test_export_tabular_has_only_students_by_default(store: ResultStore, tmp_path: Path, ext: str):
    """No pseudo-student "max points" row, which an LMS import would take for a student."""
    df = gradebook(store, "hw1")
    path = export(df, tmp_path / f"hw1{ext}")
    back = pd.read_csv(path, index_col="student") if ext.lower() == ".csv" else pd.read_excel(path, index_col="student")
    assert list(back.index) == ["alice", "bob", "carol"]
    assert list(back.columns) == list(df.columns)
    assert back.loc["alice", ["q1", "q2", "score", "max_score", "percent"]].astype(float).tolist() == \
        [1.0, 1.5, 2.5, 7.0, 35.71]
    assert back.loc["bob", "status"] == "invalid"
    if ext == ".xlsx":  # the max points per column on a second sheet
        maxima = pd.read_excel(path, sheet_name=MAX_POINTS_SHEET)
        assert dict(zip(maxima["column"], maxima["points"])) == {"q1": 3.0, "q2": 4.0, "score": 7.0}
        assert openpyxl.load_workbook(path).sheetnames == ["hw1", MAX_POINTS_SHEET]


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_export_tabular_with_max_points_row_on_request(store: ResultStore, tmp_path: Path, ext: str):
    df = gradebook(store, "hw1")
    path = export(df, tmp_path / f"hw1{ext}", max_points_row=True)
    back = pd.read_csv(path, index_col="student") if ext == ".csv" else pd.read_excel(path, index_col="student")
    assert list(back.index) == [MAX_POINTS_LABEL, "alice", "bob", "carol"]
    assert back.loc[MAX_POINTS_LABEL, ["q1", "q2", "score"]].astype(float).tolist() == [3.0, 4.0, 7.0]
    assert back.loc["alice", ["q1", "q2", "score", "percent"]].astype(float).tolist() == [1.0, 1.5, 2.5, 35.71]


def test_points_are_rounded_to_2_decimals(tmp_path: Path):
    """19.666667 is 19.67 in the DataFrame, the exports and the terminal; percent from the unrounded score."""
    with ResultStore.open(tmp_path / "grades.db") as s:
        s.save(submission("hw4", "dana", [case("q1", 59 / 3, 20), case("q2", 1 / 3, 1)]))
        s.save(submission("hw5", "dana", [case("q1", 2 / 3, 1)]))
        by_question = gradebook(s, "hw4")
        course = gradebook(s)
        raw = gradebook(s, "hw4", decimals=None)
    assert by_question.loc["dana", ["q1", "q2", "score", "max_score", "percent"]].tolist() == \
        [19.67, 0.33, 20.0, 21.0, 95.24]
    assert raw.loc["dana", "q1"] == round(59 / 3, 6) and raw.loc["dana", "percent"] == 95.24
    assert course.loc["dana"].tolist() == [20.0, 0.67, 20.67, 22.0]
    back = pd.read_csv(export(by_question, tmp_path / "hw4.csv"), index_col="student")
    assert back.loc["dana", "q1"] == 19.67 and "19.666" not in (tmp_path / "hw4.csv").read_text()
    table = grader("gradebook", "-a", "hw4", "--db", str(tmp_path / "grades.db"))
    assert table.returncode == 0, table.stderr
    assert "19.67" in table.stdout and "19.666" not in table.stdout


def test_default_output_is_ignored_by_git(tmp_path: Path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.db\n")
    path = default_output(tmp_path, "gradebook-hw/1", ".csv")
    assert path == tmp_path / OUT_DIR / "gradebook-hw_1.csv" and path.parent.is_dir()
    path.write_text("student,score\nalice,1\n")
    assert unignored_in_git(path) is None and unignored_in_git(tmp_path / "grades.db") is None
    assert unignored_in_git(tmp_path / "hw2.csv") == tmp_path.resolve()
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status.split() == ["??", ".gitignore"]  # neither out/ nor its .gitignore is offered
    assert default_output(tmp_path, "again", ".xlsx").parent == path.parent  # an existing folder is fine


def test_unignored_outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert unignored_in_git(tmp_path / "hw2.csv") is None


def test_cli_export_default_location_and_warning(store: ResultStore, tmp_path: Path):
    """--format without -o writes into out/; -o into a repository, not ignored, warns."""
    course = tmp_path / "course"
    (course / "assignments").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(course)], check=True)
    db = str(store.path)
    proc = grader("--course", str(course), "gradebook", "-a", "hw1", "--db", db, "--format", "xlsx")
    assert proc.returncode == 0, proc.stderr
    written = course / OUT_DIR / "gradebook-hw1.xlsx"
    assert list(pd.read_excel(written, index_col="student").index) == ["alice", "bob", "carol"]
    proc = grader("gradebook", "--db", db, "-o", str(course / "hw1.csv"), "--max-points-row")
    assert proc.returncode == 0 and "not git-ignored" in " ".join(proc.stderr.split()), proc.stderr
    assert list(pd.read_csv(course / "hw1.csv", index_col="student").index)[0] == MAX_POINTS_LABEL
    quiet = grader("gradebook", "--db", db, "-o", str(written.with_suffix(".csv")))
    assert quiet.returncode == 0 and "git" not in quiet.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "csv", "-o", "g.xlsx"], "--format csv writes a .csv file"),
    (["--max-points-row"], "goes with an export"),
    (["--match-by", "id"], "go with --format canvas"),
])
def test_cli_gradebook_usage_errors(store: ResultStore, tmp_path: Path, args: list[str], message: str):
    proc = grader("gradebook", "--db", str(store.path), *args)
    assert proc.returncode == 2 and message in " ".join(proc.stderr.split()), proc.stderr


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
