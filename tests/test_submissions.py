"""Tests for grader.submissions: discovery, the main-file rule, and bad input.

Every bad input becomes a Submission with a ``problem`` a student can act on,
never an exception; symbolic links are never followed.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from grader.config import load_assignment
from grader.course import Course
from grader.notebook import Cell
from grader.submissions import Submission, discover, from_path, read_submission

NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_markdown_cell("# hw"), nbformat.v4.new_code_cell("def f(x):\n    return x + 1")]))
SECRET = "SOLUTION = 'the reference solution'\n"


@pytest.fixture
def course(write_files) -> Course:
    return Course.at(write_files({
        "assignments/hw/assignment.toml": """\
            files = ["hw.ipynb", "hw.py"]
            data = ["data.csv"]
            reference = "hw.py"
            [limits]
            max_file_size = 2000
        """,
        "assignments/hw/data.csv": "x\n1\n",
        "reference/hw/hw.py": SECRET,
    }))


@pytest.fixture
def config(course):
    return load_assignment(course, "hw")


@pytest.fixture
def subs_dir(course):
    d = course.submissions_dir("hw")
    d.mkdir(parents=True)
    return d


# --------------------------------------------------------------------------- good submissions


def test_single_notebook_file(config, subs_dir):
    (subs_dir / "alice.ipynb").write_text(NOTEBOOK)
    sub = from_path(subs_dir / "alice.ipynb", config)
    assert sub.problem is None
    assert (sub.student, sub.kind, sub.main_name) == ("alice", "notebook", "alice.ipynb")
    assert sub.cells == [Cell(1, "def f(x):\n    return x + 1")]
    assert set(sub.files) == {"alice.ipynb", "data.csv"}
    assert sub.load_request(3.0) == {"op": "load", "kind": "notebook", "cell_timeout": 3.0,
                                     "cells": [{"index": 1, "source": "def f(x):\n    return x + 1"}]}


@pytest.mark.parametrize("name, module", [("bob.py", "bob"), ("lab-iris.py", "submission"), ("1st.py", "submission")])
def test_single_module_file_and_its_module_name(config, subs_dir, name, module):
    (subs_dir / name).write_text("def f(x):\n    return x + 1\n")
    sub = from_path(subs_dir / name, config)
    assert sub.problem is None and sub.kind == "module"
    assert sub.load_request(3.0) == {"op": "load", "kind": "module", "path": name, "name": module,
                                     "cell_timeout": None}


def test_utf8_bom_is_accepted(config, subs_dir):
    (subs_dir / "bom.py").write_bytes("\ufeffx = 'é'\n".encode("utf-8"))
    assert from_path(subs_dir / "bom.py", config).problem is None


@pytest.mark.parametrize("files, main", [
    ({"hw.py": "x = 1", "scratch.py": "y = 2"}, "hw.py"),
    ({"hw.ipynb": NOTEBOOK, "hw.py": "x = 1"}, "hw.ipynb"),
    ({"my_work.ipynb": NOTEBOOK, "helpers.py": "z = 3"}, "my_work.ipynb"),
    ({"anything.py": "x = 1", "notes.txt": "hi"}, "anything.py"),
], ids=["accepted-name-wins", "first-accepted-name", "only-notebook", "only-module"])
def test_folder_main_file_rule(config, subs_dir, files, main):
    folder = subs_dir / "carol"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    sub = from_path(folder, config)
    assert sub.problem is None
    assert sub.student == "carol" and sub.main_name == main
    assert set(sub.files) == set(files) | {"data.csv"}


def test_folder_files_travel_with_the_main_file_and_skip_junk(config, subs_dir, tmp_path):
    folder = subs_dir / "dan"
    (folder / "lib" / "__pycache__").mkdir(parents=True)
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / "hw.py").write_text("from lib.util import g\n")
    (folder / "lib" / "util.py").write_text("def g(): return 2\n")
    (folder / "lib" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"\0junk")
    (folder / ".ipynb_checkpoints" / "hw-checkpoint.py").write_text("old")
    (folder / ".hidden").write_text("secret")
    sub = from_path(folder, config)
    assert sub.problem is None
    assert set(sub.files) == {"hw.py", os.path.join("lib", "util.py"), "data.csv"}
    out = tmp_path / "work"
    out.mkdir()
    sub.write_to(out)
    assert (out / "lib" / "util.py").read_text() == "def g(): return 2\n"


def test_public_data_always_comes_from_the_course(config, subs_dir):
    folder = subs_dir / "erin"
    folder.mkdir()
    (folder / "hw.py").write_text("x = 1")
    (folder / "data.csv").write_text("x\n999\n")  # the student's own (edited) copy
    sub = from_path(folder, config)
    assert sub.files["data.csv"] == b"x\n1\n"


def test_hash_depends_on_names_and_contents(config, subs_dir):
    def sha(name, text):
        path = subs_dir / name
        path.write_text(text)
        return from_path(path, config).sha256

    base = sha("a.py", "x = 1")
    assert len(base) == 64 and base == sha("a.py", "x = 1")
    assert sha("a.py", "x = 2") != base
    assert sha("b.py", "x = 1") != base  # the file's name is part of what was handed in


# --------------------------------------------------------------------------- bad input


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


BAD_FILES = {
    "empty notebook": ("hw.ipynb", b"", "hw.ipynb is empty"),
    "whitespace module": ("hw.py", "  \n\n", "hw.py is empty"),
    "invalid JSON": ("hw.ipynb", '{"cells": [', "not valid JSON"),
    "corrupt notebook": ("hw.ipynb", json.dumps({"cells": 3, "nbformat": 4}), "not a valid Jupyter notebook"),
    "notebook without code": ("hw.ipynb", nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("text only")])), "no code cells"),
    "latin-1 module": ("hw.py", "x = 'café'\n".encode("latin-1"), "not UTF-8 text (byte 8)"),
    "utf-16 notebook": ("hw.ipynb", NOTEBOOK.encode("utf-16"), "not UTF-8"),
    "NUL bytes": ("hw.py", b"x = 1\n\0\0\0", "contains NUL bytes"),
    "too large": ("hw.py", "# " + "x" * 3000, "too large (3002 bytes; the limit is 2000)"),
}


@pytest.mark.parametrize("name, content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
@pytest.mark.parametrize("layout", ["file", "folder"])
def test_bad_files_become_a_problem_not_an_exception(config, subs_dir, layout, name, content, message):
    if layout == "file":
        path = subs_dir / f"stu{os.path.splitext(name)[1]}"
    else:
        (subs_dir / "stu").mkdir()
        path = subs_dir / "stu" / name
    _write(path, content)
    [sub] = discover(subs_dir, config)
    assert sub.student == "stu"
    assert sub.problem is not None and message in sub.problem.replace("stu.", "hw."), sub.problem


@pytest.mark.parametrize("files, message", [
    ({"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK}, "several candidate files (a.ipynb, b.ipynb)"),
    ({"a.py": "x = 1", "b.py": "y = 2"}, "several candidate files (a.py, b.py)"),
    ({"notes.txt": "no code"}, "no notebook or .py file found; expected hw.ipynb or hw.py"),
    ({}, "no notebook or .py file found"),
], ids=["two-notebooks", "two-modules", "no-code", "empty-folder"])
def test_folder_without_a_clear_main_file(config, subs_dir, files, message):
    folder = subs_dir / "frank"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    [sub] = discover(subs_dir, config)
    assert sub.problem is not None and message in sub.problem
    assert sub.files == {}


def test_folder_holding_too_much(config, subs_dir):
    folder = subs_dir / "gina"
    folder.mkdir()
    (folder / "hw.py").write_text("x = 1")
    (folder / "weights.bin").write_bytes(b"\0" * 9000)  # more than 4 x max_file_size
    sub = from_path(folder, config)
    assert "holds too much" in sub.problem


def test_student_with_a_folder_and_a_file(config, subs_dir):
    (subs_dir / "hank").mkdir()
    (subs_dir / "hank" / "hw.py").write_text("x = 1")
    (subs_dir / "hank.ipynb").write_text(NOTEBOOK)
    [sub] = discover(subs_dir, config)
    assert sub.student == "hank" and "several submissions for one student" in sub.problem


def test_discover_sorts_and_skips_readme_and_hidden_entries(config, subs_dir):
    for name in ("zoe.py", "amy.py", "README.md", "readme.py", ".DS_Store", ".hidden.py", "notes.txt"):
        (subs_dir / name).write_text("x = 1")
    (subs_dir / "__pycache__").mkdir()
    assert [s.student for s in discover(subs_dir, config)] == ["amy", "zoe"]


def test_discover_needs_the_folder(config, tmp_path):
    with pytest.raises(FileNotFoundError, match="no submissions folder"):
        discover(tmp_path / "nope", config)


def test_read_submission_with_no_file(config):
    sub = read_submission("ivy", None, config, problem="nothing handed in")
    assert isinstance(sub, Submission) and sub.problem == "nothing handed in" and sub.files == {}


# --------------------------------------------------------------------------- symbolic links are never followed


def _assert_no_secret(sub: Submission) -> None:
    assert all(SECRET.encode() not in content for content in sub.files.values())


def test_symlinked_main_file_pointing_at_the_reference(course, config, subs_dir):
    (subs_dir / "mallory.py").symlink_to(course.reference_dir("hw") / "hw.py")
    [sub] = discover(subs_dir, config)
    assert sub.student == "mallory"
    assert "not a regular file (symbolic links are not accepted)" in sub.problem
    _assert_no_secret(sub)


def test_symlink_inside_a_folder_is_not_a_candidate(course, config, subs_dir):
    folder = subs_dir / "mallory"
    folder.mkdir()
    (folder / "hw.py").symlink_to(course.reference_dir("hw") / "hw.py")
    [sub] = discover(subs_dir, config)
    assert "symbolic links are not accepted: hw.py" in sub.problem
    _assert_no_secret(sub)


def test_symlinked_extra_files_and_folders_do_not_travel(course, config, subs_dir):
    folder = subs_dir / "mallory"
    folder.mkdir()
    (folder / "hw.py").write_text("print(open('stolen.py').read())")
    (folder / "stolen.py.txt").symlink_to(course.reference_dir("hw") / "hw.py")
    (folder / "ref").symlink_to(course.reference_dir("hw"), target_is_directory=True)
    sub = from_path(folder, config)
    assert sub.problem is None
    assert set(sub.files) == {"hw.py", "data.csv"}
    _assert_no_secret(sub)


def test_symlinked_student_folder_pointing_at_the_reference(course, config, subs_dir):
    (subs_dir / "mallory").symlink_to(course.reference_dir("hw"), target_is_directory=True)
    (subs_dir / "amy.py").write_text("x = 1")
    subs = discover(subs_dir, config)
    assert [s.student for s in subs] == ["amy", "mallory"]
    assert "symbolic links are not accepted" in subs[1].problem
    _assert_no_secret(subs[1])
