"""Tests for grader.config (sizes, limits, assignment.toml) and grader.course (the folder template)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.config import AssignmentConfig, Feedback, Limits, load_assignment, parse_size
from grader.course import Course, CourseError

# --------------------------------------------------------------------------- parse_size


@pytest.mark.parametrize("text, expected", [
    ("3GiB", 3 * 2**30), ("512 MiB", 512 * 2**20), ("10MB", 10**7), ("1.5KiB", 1536), ("64kb", 64_000),
    ("100", 100), ("100b", 100), (" 2 gib ", 2 * 2**30), (1024, 1024), (2.7, 2), (0, 0),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["3XB", "abc", "", "-1", "1e3", "GiB", -5, float("inf"), float("nan"), True],
                         ids=repr)
def test_parse_size_rejects(text):
    with pytest.raises(ValueError):
        parse_size(text)


# --------------------------------------------------------------------------- Limits


def test_limits_from_dict_parses_units_and_types():
    limits = Limits.from_dict({"memory": "1GiB", "call_timeout": 2, "restarts": "1", "output": 4096})
    assert limits == Limits(memory=2**30, call_timeout=2.0, restarts=1, output=4096)
    assert isinstance(limits.call_timeout, float) and isinstance(limits.restarts, int)


def test_limits_defaults():
    limits = Limits.from_dict({})
    assert (limits.load_timeout, limits.cell_timeout, limits.call_timeout, limits.total_timeout) == (60, 30, 10, 300)
    assert (limits.memory, limits.disk, limits.output) == (3 * 2**30, 64 * 2**20, 256 * 2**10)
    assert (limits.restarts, limits.processes, limits.threads) == (2, 256, 0)
    assert limits.warm_submissions == 100
    assert Limits.from_dict({"warm_submissions": 1}).warm_submissions == 1


@pytest.mark.parametrize("d, match", [
    ({"memroy": "1GiB"}, "unknown limits: memroy"),
    ({"call_timeout": 0}, "must be positive"),
    ({"total_timeout": -1}, "must be positive"),
    ({"cell_timeout": float("nan")}, "must be positive"),
    ({"memory": "lots"}, "not a size"),
    ({"restarts": "two"}, "invalid literal"),
    ({"warm_submissions": 0}, "at least 1"),
    ({"warm_submissions": 2.5}, "whole number"),
    ({"warm_submissions": True}, "whole number"),
])
def test_limits_from_dict_rejects(d, match):
    with pytest.raises(ValueError, match=match):
        Limits.from_dict(d)


# --------------------------------------------------------------------------- Course


def test_course_at_needs_an_assignments_folder(tmp_path):
    with pytest.raises(CourseError, match="not a course folder"):
        Course.at(tmp_path)
    (tmp_path / "assignments").mkdir()
    assert Course.at(tmp_path).root == tmp_path.resolve()


def test_course_paths_follow_one_template(write_files):
    root = write_files({"assignments/hw1/assignment.toml": "", "assignments/notes/readme.md": "x",
                        "assignments/hw2/assignment.toml": ""})
    course = Course.at(root)
    assert course.assignment_names() == ["hw1", "hw2"]
    assert course.public_tests_dir("hw1") == root / "assignments/hw1/tests"
    assert course.hidden_tests_dir("hw1") == root / "reference/hw1/tests"
    assert course.submissions_dir("hw1") == root / "submissions/hw1"
    assert course.default_db == root / "grades.db"
    assert set(course.private_paths()) >= {root / "reference", root / "submissions"}


# --------------------------------------------------------------------------- load_assignment

FULL_TOML = """\
title = "Homework 1"
files = ["hw1.ipynb", "hw1.py"]
data = ["data/x.csv"]
reference = "hw1.py"
points = 10
seed = 7

[limits]
call_timeout = 2
memory = "512MiB"
restarts = 1
"""


@pytest.fixture
def course(write_files) -> Course:
    return Course.at(write_files({"assignments/hw1/assignment.toml": FULL_TOML,
                                  "assignments/hw1/data/x.csv": "a,b\n1,2\n",
                                  "reference/hw1/hw1.py": "def f(): return 1\n"}))


def test_load_assignment_reads_every_setting(course):
    cfg = load_assignment(course, "hw1")
    assert isinstance(cfg, AssignmentConfig)
    assert (cfg.name, cfg.title, cfg.files, cfg.data) == ("hw1", "Homework 1", ("hw1.ipynb", "hw1.py"),
                                                         ("data/x.csv",))
    assert (cfg.reference, cfg.points, cfg.seed) == ("hw1.py", 10.0, 7)
    assert cfg.limits == Limits(call_timeout=2.0, memory=512 * 2**20, restarts=1)
    assert cfg.reference_path == course.root / "reference/hw1/hw1.py"
    assert cfg.data_paths() == [course.root / "assignments/hw1/data/x.csv"]
    assert cfg.public_tests_dir == course.root / "assignments/hw1/tests"


def test_defaults_of_a_minimal_assignment(write_files):
    course = Course.at(write_files({"assignments/lab/assignment.toml": ""}))
    cfg = load_assignment(course, "lab")
    assert cfg.title == "lab" and cfg.files == ("lab.ipynb", "lab.py")
    assert cfg.reference is None and cfg.reference_path is None and cfg.points is None and cfg.seed == 0
    assert cfg.limits == Limits()


def test_reference_path_is_none_in_a_students_copy(course):
    (course.root / "reference/hw1/hw1.py").unlink()
    assert load_assignment(course, "hw1").reference_path is None


def test_unknown_assignment_lists_the_known_ones(course):
    with pytest.raises(CourseError, match=r"no assignment 'hw9'.*known: hw1"):
        load_assignment(course, "hw9")


@pytest.mark.parametrize("toml, match", [
    ("title = ", "invalid TOML"),
    (b"title = '\xff'", "invalid TOML"),
    ("titel = 'x'", "unknown settings: titel"),
    ("files = ['hw1.txt']", "files must list"),
    ("files = []", "files must list"),
    ("files = 'hw1.py'", "files must list"),
    ("data = ['missing.csv']", "data file 'missing.csv' is not a file inside"),
    ("data = ['../../reference/hw1/hw1.py']", "not a file inside the assignment folder"),
    ("data = ['data']", "not a file inside"),
    ("[limits]\ncall_timeout = -1", "must be positive"),
    ("[limits]\ncall_timeout = nan", "must be positive"),
    ("[limits]\nmemory = inf", "not a size"),
    ("[limits]\nrestarts = inf", "infinity"),
    ("[limits]\nbogus = 1", "unknown limits: bogus"),
    ("limits = 5", "assignment.toml"),
    ("reference = 5", "reference must be a file name"),
    ("seed = 'abc'", "invalid literal"),
    ("points = 'ten'", "could not convert"),
    ("fresh_runs = 1", "fresh_runs must be true or false"),
    ("preload = 'torch'", "preload must be a list of module names"),
    ("preload = ['torch; import os']", "preload must be a list of module names"),
    ("graded_names = ['build-model']", "graded_names must be a list of Python names"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_invalid_settings_raise_course_error_naming_the_file(course, toml, match):
    path = course.root / "assignments/hw1/assignment.toml"
    if isinstance(toml, bytes):
        path.write_bytes(toml)
    else:
        path.write_text(toml)
    with pytest.raises(CourseError, match=match) as info:
        load_assignment(course, "hw1")
    assert str(path) in str(info.value)


def test_data_file_through_a_symlink_out_of_the_assignment_is_refused(course):
    link = course.root / "assignments/hw1/solution.py"
    link.symlink_to(course.root / "reference/hw1/hw1.py")
    (course.root / "assignments/hw1/assignment.toml").write_text("data = ['solution.py']")
    with pytest.raises(CourseError, match="not a file inside the assignment folder"):
        load_assignment(course, "hw1")


def test_real_course_assignments_load():
    root = Path(__file__).resolve().parents[1]
    course = Course.at(root)
    names = course.assignment_names()
    assert names, "the repository's course has no assignments"
    for name in names:
        cfg = load_assignment(course, name)
        assert cfg.files and cfg.limits.call_timeout > 0


def test_fresh_runs_preload_and_graded_names(write_files):
    course = Course.at(write_files({"assignments/lab/assignment.toml":
                                    'fresh_runs = true\npreload = ["torch", "torch._dynamo"]\n'
                                    'graded_names = ["build_model", "train_model"]\n'}))
    cfg = load_assignment(course, "lab")
    assert cfg.fresh_runs is True
    assert cfg.preload == ("torch", "torch._dynamo")
    assert cfg.graded_names == ("build_model", "train_model")
    plain = load_assignment(Course.at(write_files({"assignments/hw/assignment.toml": ""})), "hw")
    assert (plain.fresh_runs, plain.preload, plain.graded_names) == (False, (), ())


def test_feedback_settings_default_to_hidden_tests_shown_after_publishing_without_messages(write_files):
    course = Course.at(write_files({"assignments/lab/assignment.toml": "",
                                    "assignments/secret/assignment.toml":
                                        '[feedback]\nhidden = "hidden"\nhidden_messages = true\n'}))
    assert load_assignment(course, "lab").feedback == Feedback(hidden="after_published", hidden_messages=False)
    assert load_assignment(course, "secret").feedback == Feedback(hidden="hidden", hidden_messages=True)


@pytest.mark.parametrize("toml, match", [
    ('[feedback]\nhidden = "visible"\n', "hidden must be"),
    ("[feedback]\nhidden_messages = 1\n", "hidden_messages must be true or false"),
    ("[feedback]\nshow = true\n", r"\[feedback\] holds"),
])
def test_bad_feedback_settings_are_named(write_files, toml, match):
    course = Course.at(write_files({"assignments/lab/assignment.toml": toml}))
    with pytest.raises(CourseError, match=match):
        load_assignment(course, "lab")
