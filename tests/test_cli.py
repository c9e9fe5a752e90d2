"""Tests for the ``grader`` command line, run as a real subprocess on a small course in tmp_path.

The course has one assignment with public and hidden tests, a reference, a
template, and a submissions folder holding good work and every kind of bad
input a class hands in. Grading runs in real bubblewrap sandboxes (the
default backend), so those tests are marked ``sandbox``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

GRADER = str(Path(sys.executable).with_name("grader"))

SOLUTION = """\
import numpy as np


def inc(x):
    return x + 1


def square(x):
    return np.asarray(x) ** 2
"""

TEMPLATE = """\
def inc(x):
    raise NotImplementedError


def square(x):
    raise NotImplementedError
"""

PUBLIC = """\
import pytest

pytestmark = pytest.mark.question("basics")


@pytest.mark.points(2)
@pytest.mark.hint("Add one.")
def test_inc(submission):
    assert submission.inc(1) == 2
"""

HIDDEN = """\
import pytest
from grader.testing import assert_close


@pytest.mark.points(3)
@pytest.mark.parametrize("x", [0.0, -2.0, 3.0])
def test_square(submission, reference, x):
    assert_close(submission.square(x), reference.square(x), name="square(x)")
"""


def notebook(source: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hw"),
                                                           nbformat.v4.new_code_cell(source)]))


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


# what each submission is, and the status and message grading must give it
EXPECTED = {
    "alice": ("graded", ""),
    "bob": ("graded", ""),
    "carol": ("graded", ""),
    "empty": ("invalid", "empty.ipynb is empty"),
    "corrupt": ("invalid", "not a valid Jupyter notebook"),
    "badjson": ("invalid", "not valid JSON"),
    "latin": ("invalid", "not UTF-8"),
    "syntax": ("invalid", "SyntaxError"),
    "missing": ("graded", ""),
    "several": ("invalid", "several candidate files (a.py, b.py)"),
    "big": ("invalid", "too large"),
    "mallory": ("invalid", "symbolic links are not accepted"),
    "trudy": ("invalid", "symbolic links are not accepted"),
}


def make_course(root: Path) -> Path:
    write(root, {
        "assignments/hw/assignment.toml": """\
title = "Tiny homework"
files = ["hw.ipynb", "hw.py"]
reference = "hw.py"
points = 5

[limits]
call_timeout = 2
load_timeout = 10
max_file_size = "4KiB"
""",
        "assignments/hw/hw.py": TEMPLATE,
        "assignments/hw/tests/test_basics.py": PUBLIC,
        "reference/hw/hw.py": SOLUTION,
        "reference/hw/tests/test_hidden.py": HIDDEN,
        "submissions/hw/README.md": "not a submission",
        "submissions/hw/alice.py": SOLUTION,
        "submissions/hw/bob.ipynb": notebook(SOLUTION.replace("** 2", "** 3")),
        "submissions/hw/carol/hw.ipynb": notebook(SOLUTION),
        "submissions/hw/carol/notes.txt": "my notes",
        "submissions/hw/empty.ipynb": b"",
        "submissions/hw/corrupt.ipynb": json.dumps({"cells": 3, "nbformat": 4}),
        "submissions/hw/badjson.ipynb": notebook(SOLUTION)[:50],
        "submissions/hw/latin.py": "# café\n".encode("latin-1") + SOLUTION.encode(),
        "submissions/hw/syntax.py": "def inc(x:\n    return x\n",
        "submissions/hw/missing.py": "def inc(x):\n    return x + 1\n",
        "submissions/hw/several/a.py": SOLUTION,
        "submissions/hw/several/b.py": SOLUTION,
        "submissions/hw/big.py": SOLUTION + "#" * 5000,
    })
    (root / "submissions/hw/mallory.py").symlink_to(root / "reference/hw/hw.py")
    (root / "submissions/hw/trudy").symlink_to(root / "reference/hw", target_is_directory=True)
    return root


def grader(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([GRADER, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(course, bwrap_required) -> list[dict]:
    """``grader grade hw --json`` on the whole class, once for the module."""
    proc = grader("grade", "hw", "--course", str(course), "--json", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


RESULT_KEYS = {"student", "assignment", "status", "score", "max_score", "tests"}
TEST_KEYS = {"name", "score", "max_score", "status", "visibility", "message"}


def assert_result_shape(result: dict) -> None:
    assert RESULT_KEYS <= set(result)
    assert isinstance(result["score"], (int, float)) and isinstance(result["max_score"], (int, float))
    for t in result["tests"]:
        assert TEST_KEYS <= set(t)
        assert t["visibility"] in ("public", "hidden")
        assert t["status"] in ("passed", "failed", "error", "timeout", "crashed", "skipped")


# --------------------------------------------------------------------------- grader check


@pytest.mark.sandbox
@pytest.mark.parametrize("path, code, score", [
    ("submissions/hw/alice.py", 0, 2.0),
    ("submissions/hw/missing.py", 0, 2.0),
    ("assignments/hw/hw.py", 1, 0.0),
    ("submissions/hw/syntax.py", 1, 0.0),
    ("submissions/hw/empty.ipynb", 1, 0.0),
], ids=["correct", "public-only-passes", "template", "syntax-error", "empty"])
def test_check_exit_code_and_json(course, path, code, score):
    proc = grader("check", "hw", str(course / path), "--course", str(course), "--json")
    assert proc.returncode == code, proc.stderr
    result = json.loads(proc.stdout)  # stdout holds only the JSON document
    assert_result_shape(result)
    assert result["assignment"] == "hw" and result["student"] == "local"
    assert (result["score"], result["max_score"]) == (score, 2.0)
    assert [t["name"] for t in result["tests"]] == ["test_basics.py::test_inc"]
    assert {t["visibility"] for t in result["tests"]} == {"public"}


@pytest.mark.sandbox
def test_check_finds_the_course_and_the_file_from_the_working_directory(course):
    work = course / "students" / "me"
    work.mkdir(parents=True, exist_ok=True)
    (work / "hw.py").write_text(SOLUTION)
    proc = grader("check", "hw", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "Total: 2 / 2 public points" in proc.stdout and "test_inc" in proc.stdout
    assert "also here" not in proc.stdout


@pytest.mark.sandbox
def test_check_says_which_file_it_checked_when_there_are_two(course, tmp_path):
    work = course / "students" / "both"
    work.mkdir(parents=True, exist_ok=True)
    (work / "hw.py").write_text(SOLUTION)
    (work / "hw.ipynb").write_text(notebook("def inc(x):\n    return x"))
    proc = grader("check", "hw", cwd=work)
    assert proc.returncode == 1, proc.stderr  # the notebook, first in `files`, is the one checked
    assert "checked hw.ipynb; also here: hw.py" in proc.stdout


@pytest.mark.sandbox
def test_check_human_output_shows_failures_and_hints(course, tmp_path):
    proc = grader("check", "hw", str(course / "assignments/hw/hw.py"), "--course", str(course))
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "NotImplementedError" in proc.stdout
    assert "hint:" not in proc.stdout  # the hint explains a wrong answer, not an exception
    wrong = tmp_path / "hw.py"
    wrong.write_text("def inc(x):\n    return x + 2\n")
    proc = grader("check", "hw", str(wrong), "--course", str(course))
    assert proc.returncode == 1 and "hint: Add one." in proc.stdout


def test_check_with_the_subprocess_backend(course):
    proc = grader("check", "hw", str(course / "submissions/hw/alice.py"), "--course", str(course),
                  "--backend", "subprocess", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["backend"] == "subprocess"


# --------------------------------------------------------------------------- grader grade


@pytest.mark.sandbox
def test_grade_json_has_one_object_per_submission(graded):
    assert [r["student"] for r in graded] == sorted(EXPECTED)
    for r in graded:
        assert_result_shape(r)
        assert r["assignment"] == "hw" and r["max_score"] == 5.0


@pytest.mark.sandbox
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_grade_gives_every_submission_a_status_and_message(graded, student):
    status, message = EXPECTED[student]
    [r] = [r for r in graded if r["student"] == student]
    assert r["status"] == status, r["message"]
    assert message in r["message"]
    assert len(r["tests"]) == 4, "every test gets a result, even when it cannot run"
    if status == "invalid":
        assert r["score"] == 0.0 and all(t["status"] == "error" for t in r["tests"])
        assert all(t["message"].startswith("not run: ") for t in r["tests"])


@pytest.mark.sandbox
def test_grade_scores(graded):
    scores = {r["student"]: r["score"] for r in graded}
    assert scores["alice"] == scores["carol"] == 5.0
    assert scores["bob"] == 3.0  # x ** 3 is right for 0 only: 2 + 1 of the 3 hidden points
    assert scores["missing"] == 2.0
    [missing] = [r for r in graded if r["student"] == "missing"]
    assert all("does not define `square`" in t["message"] for t in missing["tests"] if t["visibility"] == "hidden")


@pytest.mark.sandbox
def test_symlinked_reference_is_never_read(graded):
    for r in graded:
        if r["student"] in ("mallory", "trudy"):
            assert r["status"] == "invalid" and "link" in r["message"]
            assert r["score"] == 0.0 and r["output"] == ""


@pytest.mark.sandbox
@pytest.mark.slow
def test_grade_resumes_and_force_regrades(course, graded):
    db = course / "grades.db"
    with sqlite3.connect(db) as conn:
        before = dict(conn.execute("SELECT student, graded_at FROM submissions"))
    assert set(before) == set(EXPECTED)
    # every submission has a hash, those refused before their files were read a fingerprint
    hashed = {r["student"] for r in graded if r["sha256"]}
    assert hashed == set(EXPECTED)

    again = grader("grade", "hw", "--course", str(course))
    assert again.returncode == 0, again.stderr
    assert f"{len(hashed)} already graded" in again.stdout
    with sqlite3.connect(db) as conn:
        after = dict(conn.execute("SELECT student, graded_at FROM submissions"))
    assert {s: after[s] for s in hashed} == {s: before[s] for s in hashed}

    alice = course / "submissions/hw/alice.py"
    alice.write_text(SOLUTION.replace("x + 1", "x + 2"))
    try:
        changed = grader("grade", "hw", "--course", str(course), "--json")
        assert changed.returncode == 0, changed.stderr
        by_student = {r["student"]: r for r in json.loads(changed.stdout)}
        assert set(by_student) == set(EXPECTED)  # skipped ones are reported too
        assert by_student["alice"]["score"] == 3.0
        assert {s: by_student[s]["graded_at"] for s in hashed - {"alice"}} == {s: before[s] for s in hashed - {"alice"}}
    finally:  # leave the store as the other tests expect it
        alice.write_text(SOLUTION)
        assert grader("grade", "hw", "--course", str(course), "--student", "alice").returncode == 0

    skipped = grader("grade", "hw", "--course", str(course), "--student", "bob")
    assert skipped.returncode == 0 and "1 already graded" in skipped.stdout, skipped.stderr
    forced = grader("grade", "hw", "--course", str(course), "--student", "bob", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "bob" in forced.stdout and "already graded" not in forced.stdout


# --------------------------------------------------------------------------- grader gradebook


@pytest.mark.sandbox
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_gradebook_exports(course, graded, tmp_path, suffix):
    out = tmp_path / f"grades{suffix}"
    proc = grader("gradebook", "-a", "hw", "--course", str(course), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    if suffix == ".csv":
        df = pd.read_csv(out, index_col="student")
    elif suffix == ".xlsx":
        df = pd.read_excel(out, index_col="student")
    else:
        df = pd.read_parquet(out)
    assert sorted(df.index) == sorted(EXPECTED)  # students only: no "max points" row
    assert float(df.loc["alice", "score"]) == 5.0 and float(df.loc["alice", "max_score"]) == 5.0
    assert {"basics", "hidden", "score", "max_score"} <= set(df.columns)


@pytest.mark.sandbox
def test_gradebook_table(course, graded):
    proc = grader("gradebook", "--course", str(course))
    assert proc.returncode == 0, proc.stderr
    assert "alice" in proc.stdout and "hw" in proc.stdout


# --------------------------------------------------------------------------- grader validate


@pytest.mark.sandbox
def test_validate_a_valid_assignment(course):
    proc = grader("validate", "hw", "--course", str(course))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reference: 5/5" in proc.stdout and "hw is valid" in proc.stdout


@pytest.mark.sandbox
def test_validate_reports_problems(tmp_path):
    root = make_course(tmp_path)
    (root / "assignments/hw/hw.py").write_text(SOLUTION)  # a template that already passes
    toml = root / "assignments/hw/assignment.toml"
    toml.write_text(toml.read_text().replace("points = 5", "points = 10"))
    proc = grader("validate", "hw", "--course", str(root))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the untouched template scores full marks" in proc.stdout
    assert "the tests add up to 5 points, but assignment.toml says 10" in proc.stdout


# --------------------------------------------------------------------------- bad input: exit code 2


@pytest.mark.parametrize("args, message", [
    (["check", "nope", "x.py"], "no assignment 'nope'"),
    (["grade", "nope"], "no assignment 'nope'"),
    (["validate", "nope"], "no assignment 'nope'"),
    (["check", "hw", "does/not/exist.py"], "does not exist"),
    pytest.param(["gradebook", "-a", "nope"], "no graded submissions for assignment 'nope'",
                 marks=pytest.mark.sandbox),
    pytest.param(["gradebook", "-o", "grades.txt"], "unknown extension", marks=pytest.mark.sandbox),
    (["gradebook", "--db", "missing.db"], "no results store"),
    (["grade", "hw", "--backend", "subprocess", "--submissions", "no-such-folder"], "no submissions folder"),
    (["grade", "hw", "--backend", "subprocess", "--student", "zed"], "no submission for zed"),
], ids=["check-unknown", "grade-unknown", "validate-unknown", "check-missing-file", "gradebook-unknown",
        "gradebook-extension", "gradebook-no-db", "grade-no-submissions", "grade-unknown-student"])
def test_bad_input_exits_2_with_a_clear_error(course, store_if_needed, args, message):
    proc = grader(*args, "--course", str(course), cwd=course)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "error:" in proc.stderr and message in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


@pytest.fixture
def store_if_needed(request):
    """The cases marked ``sandbox`` need a results store: grade the class first."""
    if request.node.get_closest_marker("sandbox"):
        request.getfixturevalue("graded")


@pytest.mark.parametrize("args", [["check", "hw", "x.py"], ["grade", "hw"], ["gradebook"], ["validate", "hw"]])
def test_missing_course_exits_2(tmp_path, args):
    proc = grader(*args, "--course", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "not a course folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_outside_any_course_exits_2(tmp_path):
    (tmp_path / "hw.py").write_text(SOLUTION)
    proc = grader("check", "hw", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no course folder with assignments/hw/" in proc.stderr


def test_broken_instructor_tests_exit_2(tmp_path):
    root = make_course(tmp_path)
    (root / "assignments/hw/tests/test_broken.py").write_text("import not_a_module_anywhere\n")
    proc = grader("check", "hw", str(root / "submissions/hw/alice.py"), "--course", str(root),
                  "--backend", "subprocess")
    assert proc.returncode == 2, proc.stderr
    assert "could not be collected" in proc.stderr and "test_broken.py" in proc.stderr


def test_version_and_help():
    assert grader("--version").stdout.startswith("grader, version")
    proc = grader("--help")
    assert proc.returncode == 0 and all(cmd in proc.stdout for cmd in ("check", "grade", "gradebook", "validate"))
