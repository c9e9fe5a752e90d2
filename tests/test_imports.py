"""The students' environment: what an assignment declares, what check tells students, what grading has.

* ``[environment] packages`` in ``assignment.toml`` adds to the base (numpy,
  scipy, matplotlib, torch); the Iris lab declares scikit-learn and pandas.
* ``grader check`` names the imports grading would not have (not the standard
  library, the environment or the student's own files).
* A release's requirements pin what the template imports and what the
  assignment declares, at the grading environment's versions.
* An Iris notebook that loads the data with scikit-learn and pandas grades
  cleanly through the sandbox.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.config import load_assignment
from grader.course import Course, CourseError
from grader.imports import imported_modules, missing_imports, missing_message, unavailable_packages
from grader.release import release
from grader.submissions import Submission, read_submission

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)


def _module(tmp_path: Path, hw: str, code: str, extra: dict[str, str] | None = None) -> Submission:
    folder = tmp_path / "student"
    folder.mkdir()
    main = folder / f"{hw}.py"
    main.write_text(code)
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return read_submission("s", main, load_assignment(COURSE, hw), folder=folder)


def test_imports_are_read_from_code_and_notebook_cells():
    cells = ["%matplotlib inline\nimport numpy as np, sklearn.datasets\n!pip install foo",
             "from pandas import DataFrame\nfrom . import sibling\nimport os.path", "def broken(:\n  import nope"]
    assert imported_modules(cells) == {"numpy", "sklearn", "pandas", "os"}


def test_check_names_what_grading_lacks(tmp_path):
    sub = _module(tmp_path, "hw2", "import numpy as np\nimport json\nfrom sklearn.datasets import make_moons\n"
                                   "import helpers\nimport seaborn\n", {"helpers.py": "X = 1\n"})
    config = load_assignment(COURSE, "hw2")
    assert missing_imports(sub, config) == ["seaborn", "sklearn"]
    message = missing_message(["seaborn", "sklearn"], config)
    assert "sklearn (pip: scikit-learn)" in message and "numpy, scipy, matplotlib, torch" in message


def test_the_iris_lab_declares_scikit_learn_and_pandas(tmp_path):
    config = load_assignment(COURSE, "lab-iris")
    assert {"scikit-learn", "pandas"} <= set(config.environment)
    sub = _module(tmp_path, "lab-iris", "from sklearn.datasets import load_iris\nimport pandas as pd\nimport torch\n")
    assert missing_imports(sub, dataclasses.replace(config, files=("lab-iris.py",))) == []
    assert unavailable_packages(config) == [], "the grading environment lacks what the lab declares"


def test_a_declared_package_this_environment_lacks_is_named():
    config = dataclasses.replace(load_assignment(COURSE, "hw1"), environment=("no-such-package-xyz>=1",))
    assert unavailable_packages(config) == ["no-such-package-xyz"]


@pytest.mark.parametrize("table", ['packages = "sklearn"', 'packages = ["scikit-learn; rm -rf"]', "other = 1"])
def test_bad_environment_tables_are_refused(tmp_path, table):
    root = tmp_path / "course"
    (root / "assignments" / "a").mkdir(parents=True)
    (root / "assignments" / "a" / "assignment.toml").write_text(f'files = ["a.py"]\n\n[environment]\n{table}\n')
    with pytest.raises(CourseError, match="environment"):
        load_assignment(Course.at(root), "a")


def test_release_requirements_pin_what_the_template_needs(tmp_path):
    from importlib import metadata

    hw2 = (release(COURSE, "hw2", tmp_path / "hw2") / "requirements.txt").read_text().splitlines()
    assert f"matplotlib=={metadata.version('matplotlib')}" in hw2  # the template plots
    assert not any(line.startswith(("scikit-learn", "pandas", "torch")) for line in hw2)
    iris = (release(COURSE, "lab-iris", tmp_path / "iris") / "requirements.txt").read_text().splitlines()
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in iris and f"pandas=={metadata.version('pandas')}" in iris


@pytest.mark.slow
@pytest.mark.sandbox
def test_an_iris_notebook_that_imports_sklearn_grades_cleanly(tmp_path):
    solution = (ROOT / "reference" / "lab-iris" / "lab_iris.py").read_text()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import pandas as pd\nfrom sklearn.datasets import load_iris\n"
                                  "X, y = load_iris(return_X_y=True)\nframe = pd.DataFrame(X)\nprint(frame.shape)"),
        nbformat.v4.new_code_cell(solution.replace("from __future__ import annotations\n", "")),
    ])
    path = tmp_path / "lab-iris.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "check", "lab-iris", str(path), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    result = json.loads(proc.stdout)
    assert result["message"] == "", result["message"]
    assert result["score"] == result["max_score"] > 0, [t["message"] for t in result["tests"] if t["score"] == 0]
