"""Grading what GitHub Classroom hands back: a folder of student repositories, with a deadline.

A folder shaped like ``gh classroom clone student-repos``'s output is made from
a real ``grader release --classroom`` of hw2 (in a copy of the course with a
deadline), one git repository per student with dated commits, and graded
through the real pipeline:

* students are named by their GitHub username (``hw2-bob-smith`` is ``bob-smith``);
* the notebook or module may be anywhere in the repository;
* the commit graded is recorded, and its files come from git, not the working tree;
* a changed public test is flagged;
* late work loses ``penalty_per_day`` per started day, up to the cap;
* ``--at-deadline`` grades the last commit before the cutoff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader import grade
from grader.config import load_assignment
from grader.course import Course
from grader.late import Deadline, days_late, penalty_points
from grader.release import release
from grader.repos import discover_repos, shared_prefix
from grader.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))
DEADLINE_TOML = '\n[deadline]\ndue = 2026-12-01T23:59:00+01:00\ngrace_minutes = 15\npenalty_per_day = 0.1\npenalty_cap = 0.5\n'


# -- lateness, on its own ----------------------------------------------------------------------------

def test_days_late_counts_started_days_after_the_grace_period():
    d = Deadline(due=DUE, grace_minutes=15, penalty_per_day=0.1, penalty_cap=0.25)
    assert days_late(DUE + timedelta(minutes=14), d) == 0
    assert days_late(DUE + timedelta(minutes=16), d) == 1
    assert days_late(DUE + timedelta(hours=24, minutes=15), d) == 1
    assert days_late(DUE + timedelta(hours=24, minutes=16), d) == 2
    assert days_late(None, d) == 0 and days_late(DUE + timedelta(days=3), None) == 0
    assert penalty_points(90, 100, 1, d) == pytest.approx(10)
    assert penalty_points(90, 100, 5, d) == pytest.approx(25)  # the cap
    assert penalty_points(5, 100, 5, d) == 5  # never below zero


@pytest.mark.parametrize("table,match", [
    ({"due": "2026-12-01T23:59:00"}, "UTC offset"),
    ({"due": 3}, "date-time"),
    ({"due": "2026-12-01T23:59:00+00:00", "penalty_per_day": 2}, r"\[0, 1\]"),
    ({"due": "2026-12-01T23:59:00+00:00", "late": 1}, "unknown"),
])
def test_bad_deadlines_are_refused_with_a_reason(table, match):
    with pytest.raises(ValueError, match=match):
        Deadline.from_dict(table)


def test_the_prefix_the_repositories_share():
    assert shared_prefix(["hw2-softmax-alice", "hw2-softmax-bob-smith"]) == "hw2-softmax-"
    assert shared_prefix(["hw2-ann", "hw2-anna"]) == "hw2-"  # cut at the last dash, not inside a name
    assert shared_prefix(["only-one"]) == ""


# -- a classroom clone, graded -----------------------------------------------------------------------

def _course(tmp: Path) -> Course:
    """A copy of the course's hw2, with a deadline."""
    root = tmp / "course"
    shutil.copytree(ROOT / "assignments" / "hw2", root / "assignments" / "hw2")
    shutil.copytree(ROOT / "reference" / "hw2", root / "reference" / "hw2",
                    ignore=shutil.ignore_patterns("mutants", "variants"))
    toml = root / "assignments" / "hw2" / "assignment.toml"
    toml.write_text(toml.read_text() + DEADLINE_TOML)
    return Course.at(root)


def _git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org",
           "GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@example.org"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _student_repo(course: Course, folder: Path, name: str) -> Path:
    """A student's repository as GitHub Classroom creates it: the release, committed."""
    repo = release(course, "hw2", folder / name, classroom=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Initial commit", when=DUE - timedelta(days=10))
    return repo


def _commit(repo: Path, when: datetime, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message, when=when)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classroom")
    course = _course(tmp)
    folder = tmp / "hw2-softmax-submissions"
    folder.mkdir()
    solution = (course.reference_dir("hw2") / "hw2.py").read_text()
    shas = {}

    alice = _student_repo(course, folder, "hw2-softmax-alice")  # on time, her module in a subfolder
    (alice / "hw2.ipynb").unlink()
    (alice / "src").mkdir()
    (alice / "src" / "hw2.py").write_text(solution)
    shas["alice"] = _commit(alice, DUE - timedelta(hours=2), "done")
    (alice / "src" / "hw2.py").write_text("# not committed: never graded\n")

    bob = _student_repo(course, folder, "hw2-softmax-bob-smith")  # 2 days late, and edited a public test
    (bob / "hw2.ipynb").unlink()
    (bob / "hw2.py").write_text(solution)
    test = bob / "assignments" / "hw2" / "tests" / "test_q1_softmax.py"
    test.write_text(test.read_text() + "\n\ndef test_free_points():\n    assert True\n")
    shas["bob-smith"] = _commit(bob, DUE + timedelta(days=1, hours=3), "finally")

    carol = _student_repo(course, folder, "hw2-softmax-carol")  # the template on time, the work 5 h late
    shas["carol-on-time"] = _git(carol, "rev-parse", "HEAD")
    (carol / "hw2.ipynb").unlink()
    (carol / "hw2.py").write_text(solution)
    shas["carol"] = _commit(carol, DUE + timedelta(hours=5), "late work")
    return course, folder, shas


def _grade(course: Course, folder: Path, db: Path, **kw) -> dict:
    grade.main("hw2", course=course.root, submissions=folder, db=db, jobs=1, backend="bwrap", **kw)
    store = ResultStore.open(db)
    try:
        return {r.student: r for r in store.results("hw2")}
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_classroom_clone_is_graded_by_username_commit_and_deadline(clone, tmp_path):
    course, folder, shas = clone
    results = _grade(course, folder, tmp_path / "grades.db")
    assert set(results) == {"alice", "bob-smith", "carol"}

    alice = results["alice"]
    assert alice.commit_sha == shas["alice"] and alice.path == "src/hw2.py"
    assert alice.score == alice.max_score == 100, "graded from the commit, not the uncommitted change"
    assert alice.days_late == 0 and alice.flags == ""

    bob = results["bob-smith"]
    assert "changed from the release: assignments/hw2/tests/test_q1_softmax.py" in bob.flags
    assert bob.days_late == 2 and bob.late_penalty == pytest.approx(20)
    assert bob.raw_score == 100 and bob.score == pytest.approx(80)
    assert "test_free_points" not in " ".join(t.name for t in bob.tests), "the student's test was used"

    carol = results["carol"]
    assert carol.commit_sha == shas["carol"] and carol.days_late == 1 and carol.score == pytest.approx(90)
    assert datetime.fromisoformat(carol.submitted_at) == DUE + timedelta(hours=5)


@pytest.mark.slow
@pytest.mark.sandbox
def test_at_deadline_grades_the_last_commit_before_the_cutoff(clone, tmp_path):
    course, folder, shas = clone
    results = _grade(course, folder, tmp_path / "grades.db", at_deadline=True, students=("carol", "alice"))
    carol = results["carol"]
    assert carol.commit_sha == shas["carol-on-time"] and carol.days_late == 0
    assert carol.score == 0, "the template was all there was at the deadline"
    assert results["alice"].commit_sha == shas["alice"]


def test_files_changed_by_the_instructor_after_the_release_flag_nobody(tmp_path):
    """The release is recorded (reference/hw2/releases.json); the instructor then adds a deadline to
    assignment.toml and fixes a public test. A repository holding what was released is not flagged,
    nor one holding the fixed test (what the course would release now); one whose public test the
    student edited still is."""
    course = _course(tmp_path)
    folder = tmp_path / "clone"
    folder.mkdir()
    honest = release(course, "hw2", folder / "hw2-honest", classroom=True, keep_record=True)
    record = course.reference_dir("hw2") / "releases.json"
    assert json.loads(record.read_text())["releases"][0]["files"]
    edited = folder / "hw2-edited"
    shutil.copytree(honest, edited)
    test = next((edited / "assignments" / "hw2" / "tests").glob("test_*.py"))
    test.write_text(test.read_text() + "\n# made to pass\n")
    toml = course.assignment_dir("hw2") / "assignment.toml"
    toml.write_text(toml.read_text().replace("penalty_cap = 0.5", "penalty_cap = 0.3"))
    fixed = course.public_tests_dir("hw2") / test.name
    fixed.write_text(fixed.read_text() + "\n# a fix after the release\n")
    unreleased = folder / "hw2-unreleased"
    shutil.copytree(honest, unreleased)
    (unreleased / "assignments" / "hw2" / "tests" / test.name).write_bytes(fixed.read_bytes())
    for repo in (honest, edited, unreleased):
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "work", when=DUE - timedelta(days=1))
    config = load_assignment(course, "hw2")
    flags = {s.student: s.flags for s in discover_repos(folder, config)}
    assert flags["honest"] == []
    assert flags["edited"] == [f"changed from the release: assignments/hw2/tests/{test.name}"]
    assert flags["unreleased"] == [], "the course's current file is accepted too"
    record.unlink()  # without the record, only what the course would release now is accepted
    flags = {s.student: s.flags for s in discover_repos(folder, config)}
    assert "changed from the release: assignments/hw2/assignment.toml" in flags["honest"]


def test_at_deadline_needs_a_deadline(tmp_path):
    from grader.course import CourseError

    with pytest.raises(CourseError, match="no \\[deadline\\]"):
        grade.main("hw2", course=ROOT, submissions=tmp_path, db=tmp_path / "g.db", at_deadline=True)


def test_the_course_reads_its_deadline(tmp_path):
    course = _course(tmp_path)
    assert load_assignment(course, "hw2").deadline == Deadline(due=DUE, grace_minutes=15, penalty_per_day=0.1,
                                                                penalty_cap=0.5)
