"""``grader import otter`` (grader/otter/source.py, emit.py, importer.py): from a master notebook,
from the folder ``otter assign`` wrote, and from an autograder zip with the notebooks beside it.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.config import load_assignment
from grader.course import Course
from grader.notebook import is_otter_cell, read_notebook
from grader.otter import emit, importer, source

pytest.importorskip("otter")

MASTER = Path(__file__).parent / "otter" / "master" / "softmax-losses.ipynb"
BIN = Path(sys.executable).parent


def _cases(path: Path) -> list[dict]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CASES":
            return ast.literal_eval(node.value)
    raise AssertionError(f"no CASES in {path}")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("assign")
    shutil.copy(MASTER, root / MASTER.name)
    done = subprocess.run([str(BIN / "otter"), "assign", MASTER.name, "dist", "--no-run-tests"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "dist"


def _course(tmp_path: Path) -> Path:
    (tmp_path / "assignments").mkdir(parents=True)
    return tmp_path


def test_reads_the_questions_with_otters_points(dist):
    otter = source.read(dist)
    assert otter.student is not None and otter.solution is not None
    assert len(otter.questions) >= 8
    for q in otter.questions:
        assert q.cases and all(isinstance(c["points"], float) for c in q.cases)
    every = [c for q in otter.questions for c in q.cases]
    assert any(c["hidden"] for c in every) and not all(c["hidden"] for c in every)
    assert sum(1 for q in otter.questions if q.all_or_nothing) == 1
    # the notebook's order, not the alphabet's (q10 after q9)
    names = [q.name for q in otter.questions]
    text = json.dumps(otter.solution)
    assert names == sorted(names, key=lambda n: text.find(f'check(\\"{n}\\")'))


def test_writes_public_and_hidden_tests_and_settings(dist, tmp_path):
    root = _course(tmp_path)
    report = importer.main(dist, "sm", course=root, classify_cases=False)
    otter = source.read(dist)
    config = load_assignment(Course.at(root), "sm")
    assert config.points == pytest.approx(sum(q.points for q in otter.questions)) == report.points
    assert config.reference == "sm.ipynb" and config.files[0] == "sm.ipynb"
    public = [c for p in sorted((root / "assignments/sm/tests").glob("test_*.py")) for c in _cases(p)]
    hidden = [c for p in sorted((root / "reference/sm/tests").glob("test_*.py")) for c in _cases(p)]
    assert public and hidden
    # files sort (and pytest runs them) in the notebook's order: q9 before q10
    files = sorted(p.name for p in (root / "reference/sm/tests").glob("test_*.py"))
    assert [f.split("_", 2)[2].removesuffix(".py") for f in files] == [q.name for q in otter.questions]
    assert not any(c["hidden"] for c in public)
    # every case once, and an all-or-nothing question's public cases twice: scored in its hidden test
    assert sum(1 for c in public if c.get("scored") is not False) + len(hidden) == \
        sum(len(q.cases) for q in otter.questions)
    for case in public + hidden:
        assert {"name", "code", "points", "mode", "success_message", "failure_message"} <= set(case)
    student = json.loads((root / "assignments/sm/sm.ipynb").read_text())
    assert not any(is_otter_cell("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
                   for c in student["cells"] if c["cell_type"] == "code")
    assert "grader check sm" in json.dumps(student)
    assert report.modes == {"auto": report.cases}


def test_the_public_folder_never_holds_a_hidden_case(dist, tmp_path):
    root = _course(tmp_path)
    importer.main(dist, "sm", course=root, classify_cases=False)
    hidden_code = {c["code"] for q in source.read(dist).questions for c in q.cases if c["hidden"]}
    for path in (root / "assignments" / "sm").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not any(code.strip() in text for code in hidden_code if len(code.strip()) > 20), path


@pytest.mark.sandbox
def test_classifies_every_case_with_the_solution(dist, tmp_path, bwrap_required):
    root = _course(tmp_path)
    report = importer.main(dist, "sm", course=root)
    assert not report.failing, report.failing
    assert "auto" not in report.modes and sum(report.modes.values()) == report.cases
    assert report.modes["plain"] >= report.cases // 2  # most checks need only plain data
    done = subprocess.run([str(BIN / "grader"), "--course", str(root), "validate", "sm"], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "otter cases:" in done.stdout and "sm is valid" in done.stdout


@pytest.mark.sandbox
def test_from_the_master_notebook_and_from_the_zip(dist, tmp_path, bwrap_required):
    a = importer.main(MASTER, "from_master", course=_course(tmp_path / "a"), classify_cases=False)
    b = importer.main(dist, "from_dist", course=_course(tmp_path / "b"), classify_cases=False)
    assert (a.questions, a.cases, a.points) == (b.questions, b.cases, b.points)
    zips = sorted((dist / "autograder").glob("*.zip"))
    c_root = _course(tmp_path / "c")
    c = importer.main(zips[-1], "from_zip", course=c_root, classify_cases=False)
    assert (c.questions, c.cases, c.points) == (b.questions, b.cases, b.points)
    assert any("no solution" in w for w in c.warnings)
    with_nb = importer.main(zips[-1], "from_zip2", course=c_root, student=next((dist / "student").glob("*.ipynb")),
                            solution=next((dist / "autograder").glob("*.ipynb")))
    assert not with_nb.failing and "auto" not in with_nb.modes


def test_refuses_to_overwrite_without_force(dist, tmp_path):
    root = _course(tmp_path)
    importer.main(dist, "sm", course=root, classify_cases=False)
    with pytest.raises(FileExistsError, match="--force"):
        importer.main(dist, "sm", course=root, classify_cases=False)
    (root / "reference/sm/tests/test_stale.py").write_text("")
    importer.main(dist, "sm", course=root, classify_cases=False, force=True)
    assert not (root / "reference/sm/tests/test_stale.py").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden", "has space"])
def test_rejects_names_that_are_not_folder_names(dist, tmp_path, name):
    with pytest.raises(ValueError, match="not an assignment name"):
        importer.main(dist, name, course=_course(tmp_path), classify_cases=False)


def test_clear_errors_for_what_is_not_an_otter_assignment(tmp_path):
    plain = tmp_path / "plain.ipynb"
    plain.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {},
                                            "outputs": [], "execution_count": None}],
                                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(source.OtterImportError, match="BEGIN QUESTION"):
        source.read(plain)
    bogus = tmp_path / "bogus.zip"
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(source.OtterImportError, match="no tests"):
        source.read(bogus)
    (tmp_path / "notazip.zip").write_text("no")
    with pytest.raises(source.OtterImportError, match="not a zip"):
        source.read(tmp_path / "notazip.zip")
    with pytest.raises(source.OtterImportError, match="autograder"):
        source.read(tmp_path)
    exc_format = tmp_path / "exc.zip"
    with zipfile.ZipFile(exc_format, "w") as z:
        z.writestr("tests/q1.py", "from otter.test_files import test_case\nOK_FORMAT = False\nname = 'q1'\n")
    with pytest.raises(source.OtterImportError, match="exception-format"):
        source.read(exc_format)


def test_the_cli_imports_and_says_what_it_did(dist, tmp_path):
    root = _course(tmp_path)
    done = subprocess.run([str(BIN / "grader"), "--course", str(root), "import", "otter", str(dist), "--as", "sm",
                           "--sandbox", "subprocess"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported" in done.stdout and "cases by mode" in done.stdout
    again = subprocess.run([str(BIN / "grader"), "--course", str(root), "import", "otter", str(dist), "--as", "sm"],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "--force" in again.stderr


def test_otter_cells_are_left_out_when_grading_an_otter_notebook():
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "# Initialize Otter\nimport otter\ngrader = otter.Notebook('hw.ipynb')",
         "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": "def f():\n    return 1", "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": 'grader.check("q1")', "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": 'grader.check("q1")\nx = 2', "metadata": {}, "outputs": [],
         "execution_count": None},
    ]}
    assert [c.index for c in read_notebook(json.dumps(nb))] == [1, 3]
    nb["cells"] = nb["cells"][1:]  # no otter.Notebook: a `grader` of the student's own is left alone
    assert [c.index for c in read_notebook(json.dumps(nb))] == [0, 1, 2]


def test_modules_of_the_solution(tmp_path):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "import numpy as np\nimport math\nfrom numpy import linalg as la\n"
         "import otter\nimport not_a_module_anywhere\ntry:\n    import torch\nexcept ImportError:\n    pass\n"
         "def f():\n    import json\n", "metadata": {}, "outputs": [], "execution_count": None}]}
    modules = emit.modules_of(nb)
    assert modules["np"] == "numpy" and modules["math"] == "math" and modules["la"] == "numpy:linalg"
    assert "otter" not in modules and "not_a_module_anywhere" not in modules and "json" not in modules


def test_an_r_notebook_is_refused_with_a_reason(tmp_path):
    nb = {"cells": [{"cell_type": "raw", "source": "# BEGIN QUESTION\nname: q1", "metadata": {}}],
          "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "r.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(source.OtterImportError, match="only Python assignments"):
        source.read(path)
