"""The worker environments (grader/workerenv.py): student code runs with what the assignment
declares, not with the grader's own packages.

The course's environments are built here if they are not yet (``grader env build``; about
50 s once, then reused: install.sh builds them). A layer is also built into a temporary
course from a small package, to check the layering itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from grader import workerenv
from grader.config import load_assignment
from grader.course import Course
from grader.grade import main as grade
from grader.imports import BASE_PACKAGES, unavailable_packages
from grader.results import SubmissionStatus
from grader.sandbox import BwrapBackend

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)
CONFIGS = [load_assignment(COURSE, name) for name in COURSE.assignment_names()]
needs_bwrap = pytest.mark.skipif(not BwrapBackend.available(), reason="bubblewrap is not installed")


@pytest.fixture(scope="module")
def envs() -> dict[str, workerenv.WorkerEnv]:
    """The course's worker environments, built if they are not (idempotent)."""
    return workerenv.build(COURSE, CONFIGS, log=lambda line: None)


def imports(python: Path, *modules: str) -> dict[str, bool]:
    code = ("import json, sys; from importlib.util import find_spec\n"
            "print(json.dumps({m: find_spec(m) is not None for m in sys.argv[1:]}))")
    proc = subprocess.run([str(python), "-I", "-c", code, *modules], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_names_of_environments():
    assert workerenv.env_name([]) == "base"
    name = workerenv.env_name(["scikit-learn", "pandas"])
    assert name.startswith("pandas-scikit-learn-") and name == workerenv.env_name(["pandas", "scikit-learn"])
    assert workerenv.env_name(["pandas>=2"]) != workerenv.env_name(["pandas"]), "the exact requirements key it"
    iris = load_assignment(COURSE, "lab-iris")
    assert workerenv.extra_packages(iris) == ["pandas", "scikit-learn"], "matplotlib is in the base already"
    assert workerenv.extra_packages(load_assignment(COURSE, "hw2")) == []


def test_the_base_is_pinned_to_the_graders_versions():
    pins = dict(r.split("==", 1) for r in workerenv.base_requirements())
    assert list(pins) == list(BASE_PACKAGES)
    assert pins["numpy"] == metadata.version("numpy"), "arrays cross the wire: the same numpy on both sides"
    assert pins["torch"] == metadata.version("torch")


def test_nothing_is_used_before_it_is_built(tmp_path):
    course = _course(tmp_path, environment=["pyyaml"])
    config = load_assignment(course, "a")
    assert workerenv.env_for(course, config) is None
    assert workerenv.env_for(course, dataclasses.replace(config, environment=())) is None


def test_each_assignment_gets_only_what_it_declares(envs):
    assert {name: env.path.name for name, env in envs.items() if name.startswith("hw")} == \
        {f"hw{i}": "base" for i in range(1, 6)}
    base, iris = envs["hw2"], envs["lab-iris"]
    assert iris.base == base.path and iris.path != base.path
    assert imports(iris.python, "sklearn", "pandas", "numpy", "torch", "matplotlib") == dict.fromkeys(
        ["sklearn", "pandas", "numpy", "torch", "matplotlib"], True)
    # the trusted side's packages, and the Iris lab's, stay out of hw2's environment
    leaked = imports(base.python, "pandas", "sklearn", "pytest", "docker", "click", "rich", "grader", "pip",
                     "nbformat", "pyarrow")
    assert not any(leaked.values()), leaked
    assert all(imports(base.python, *(m for m in ("numpy", "scipy", "matplotlib", "torch"))).values())
    for config in CONFIGS:
        assert workerenv.env_for(COURSE, config) == envs[config.name]
        assert unavailable_packages(config, python=envs[config.name].python) == []
    assert unavailable_packages(load_assignment(COURSE, "lab-iris"), python=base.python) == \
        ["scikit-learn", "pandas"], "base lacks what only the lab declares"


def test_the_layer_holds_no_second_copy_of_the_base(envs):
    iris = envs["lab-iris"]
    site = Path(subprocess.run([str(iris.python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    own = {p.name.lower() for p in site.iterdir()}
    assert "sklearn" in own and "pandas" in own
    assert not own & {"numpy", "torch", "scipy", "matplotlib"}, own
    assert iris.installed["numpy"] == envs["hw1"].installed["numpy"] == metadata.version("numpy")


def test_a_changed_declaration_needs_a_rebuild(envs):
    iris = load_assignment(COURSE, "lab-iris")
    assert workerenv.env_for(COURSE, dataclasses.replace(iris, environment=("scikit-learn", "polars"))) is None


def test_a_layer_is_built_once_and_recorded(tmp_path, envs):
    course = _course(tmp_path, environment=["pyyaml"])
    config = load_assignment(course, "a")
    lines: list[str] = []
    layer = workerenv.build_layer(course, ["pyyaml"], envs["hw1"], log=lines.append)
    assert layer.installed["pyyaml"] and imports(layer.python, "yaml", "numpy") == {"yaml": True, "numpy": True}
    assert json.loads((layer.path / workerenv.MANIFEST).read_text())["requirements"] == ["pyyaml"]
    again = workerenv.build_layer(course, ["pyyaml"], envs["hw1"], log=lines.append)
    assert again == layer and lines[-1].endswith("up to date")
    assert workerenv.env_for(course, config) is None, "its base is the other course's: this course's is not built"


def test_a_package_that_does_not_exist_is_a_clear_error(tmp_path, envs):
    course = _course(tmp_path, environment=["no-such-package-xyz-0"])
    with pytest.raises(workerenv.EnvError, match="no-such-package-xyz-0"):
        workerenv.build_layer(course, ["no-such-package-xyz-0"], envs["hw1"], log=lambda line: None)
    assert workerenv.load(workerenv.envs_dir(course) / workerenv.env_name(["no-such-package-xyz-0"])) is None, \
        "a failed build leaves no environment that looks usable"


def test_docker_image_requirements_cover_every_declaration(envs):
    lines = workerenv.course_requirements(COURSE, CONFIGS)
    names = [line.split("==")[0] for line in lines]
    assert names[:4] == list(BASE_PACKAGES) and {"scikit-learn", "pandas"} <= set(names)
    assert all("==" in line for line in lines), lines
    assert f"scikit-learn=={envs['lab-iris'].installed['scikit-learn']}" in lines


@pytest.mark.slow
@pytest.mark.sandbox
@needs_bwrap
def test_grading_runs_student_code_in_its_environment(tmp_path, envs):
    """hw2's students cannot import pandas (the grader has it; hw2 does not declare it) nor the
    grader's own packages; the reference, and the Iris lab's sklearn, grade cleanly."""
    reference = (ROOT / "reference" / "hw2" / "hw2.py").read_text().replace("from __future__ import annotations\n", "")
    folder = tmp_path / "hw2"
    for student, first_line in [("clean", ""), ("pandas", "import pandas\n"), ("pytest", "import pytest\n"),
                                ("rich", "import rich\n")]:
        (folder / student).mkdir(parents=True)
        (folder / student / "hw2.py").write_text(first_line + reference)
    notes: list[str] = []
    report = grade("hw2", course=ROOT, submissions=folder, db=tmp_path / "g.db", jobs=1, backend="bwrap",
                   on_event=lambda kind, value: notes.append(value) if kind == "note" else None)
    by = {r.student: r for r in report.all}
    assert by["clean"].score == by["clean"].max_score > 0, by["clean"].message
    for student in ("pandas", "pytest", "rich"):
        assert by[student].score == 0 and f"No module named '{student}'" in by[student].message, by[student].message
    assert notes == [], "a built environment is used without a warning"

    iris = tmp_path / "iris" / "s1"
    iris.mkdir(parents=True)
    solution = (ROOT / "reference" / "lab-iris" / "lab_iris.py").read_text()
    (iris / "lab_iris.py").write_text("from sklearn.datasets import load_iris\nimport pandas as pd\n"
                                      + solution.replace("from __future__ import annotations\n", ""))
    report = grade("lab-iris", course=ROOT, submissions=iris.parent, db=tmp_path / "g.db", jobs=1, backend="bwrap")
    (result,) = report.all
    assert result.status == SubmissionStatus.GRADED and result.score > 0.9 * result.max_score, result.message


@pytest.mark.sandbox
@needs_bwrap
def test_without_an_environment_grading_says_so(tmp_path):
    """A course with no worker environment built grades with the grader's own Python, and says
    that student code can import its packages."""
    course = tmp_path / "course"
    for sub in ("assignments/hw1", "reference/hw1"):
        (course / sub).mkdir(parents=True)
    for path in (ROOT / "assignments" / "hw1").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            target = course / "assignments" / "hw1" / path.relative_to(ROOT / "assignments" / "hw1")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    submissions = tmp_path / "subs" / "x"
    submissions.mkdir(parents=True)
    (submissions / "hw1.py").write_text("import numpy as np\n")
    notes: list[str] = []
    grade("hw1", course=course, submissions=submissions.parent, db=tmp_path / "g.db", jobs=1, backend="bwrap",
          on_event=lambda kind, value: notes.append(value) if kind == "note" else None)
    assert len(notes) == 1 and "grader env build" in notes[0]


def test_cli_show_and_requirements(envs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-m", "grader.cli", "env", "show"], cwd=ROOT, capture_output=True,
                           text=True, env=env, check=True).stdout
    assert "lab-iris" in shown and "scikit-learn" in shown and "not built" not in shown
    printed = subprocess.run([sys.executable, "-m", "grader.cli", "env", "requirements", "lab-iris"], cwd=ROOT,
                             capture_output=True, text=True, env=env, check=True).stdout.split()
    assert printed == workerenv.course_requirements(COURSE, [load_assignment(COURSE, "lab-iris")])


def _course(tmp_path: Path, environment: list[str]) -> Course:
    root = tmp_path / "course"
    (root / "assignments" / "a").mkdir(parents=True)
    (root / "assignments" / "a" / "assignment.toml").write_text(
        f'files = ["a.py"]\n\n[environment]\npackages = {json.dumps(environment)}\n')
    return Course.at(root)
