"""Installs that work off this machine: the CPU build of torch, and a light student install.

This machine's pip finds wheels in a local cache, which hides what a fresh
machine would get from the public index: there, ``torch==2.13.0`` on Linux is
the CUDA build with its nvidia-* wheels and triton. ``install.sh`` must ask
for the CPU build by name (``+cpu``, from PyTorch's CPU index). Checked here:
what install.sh asks for, and that this resolves to the CPU wheel with no
CUDA packages. Not checked here (PyTorch's index cannot be reached from this
machine): that download.pytorch.org serves ``torch==2.13.0+cpu`` for every
platform students use.

The student install is the package's core dependencies: what ``grader check``
needs. The instructor's packages (pandas, pyarrow, openpyxl, the docker SDK,
matplotlib, scipy) are the ``instructor`` extra, and ``grader check`` runs with
them unimportable.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR_ONLY = {"pandas", "pyarrow", "openpyxl", "docker", "matplotlib", "scipy", "requests", "copydetect", "jinja2",
                   "nbconvert"}
STUDENT = {"numpy", "pytest", "nbformat", "rich", "click"}


def _torch_install_line() -> list[str]:
    [line] = [ln for ln in (ROOT / "install.sh").read_text().splitlines()
              if "pip install" in ln and "torch" in ln and not ln.lstrip().startswith("#")]
    return line.split("pip install", 1)[1].replace('"', "").split()


def test_install_sh_asks_for_the_cpu_build():
    args = _torch_install_line()
    assert any(re.fullmatch(r"torch==[\d.]+\+cpu", a) for a in args), args
    assert "https://download.pytorch.org/whl/cpu" in args


@pytest.mark.slow
def test_the_cpu_request_resolves_to_the_cpu_wheel_without_cuda(tmp_path):
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--report", str(report), *_torch_install_line()],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    installs = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.loads(report.read_text())["install"]}
    assert installs["torch"].endswith("+cpu")
    assert not [n for n in installs if n.startswith("nvidia") or n == "triton"], installs


def _requirement_names(reqs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in reqs}


def test_the_student_install_is_what_check_needs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _requirement_names(project["dependencies"]) == STUDENT
    extras = project["optional-dependencies"]
    assert INSTRUCTOR_ONLY <= _requirement_names(extras["instructor"])
    assert "--extra-index-url" not in project["dependencies"]
    assert 'install -e ".[instructor,dev,cluster]"' in (ROOT / "install.sh").read_text()
    assert {"distributed", "dask"} <= _requirement_names(extras["cluster"])
    # what students' code may import lives in the worker environments, not on the trusted side
    assert "scikit-learn" not in _requirement_names(extras["instructor"])
    assert ".venv/bin/grader env build" in (ROOT / "install.sh").read_text()


BLOCKED_CHECK = """
import importlib.abc, sys
BLOCK = {blocked!r}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"{{name}} is not installed for students")
sys.meta_path.insert(0, Blocker())
from grader.cli import main
main(["check", "hw2", {solution!r}, "--course", {course!r}])
"""


@pytest.mark.sandbox
def test_check_runs_without_the_instructor_packages(tmp_path):
    solution = tmp_path / "hw2.py"
    solution.write_text((ROOT / "reference" / "hw2" / "hw2.py").read_text())
    code = BLOCKED_CHECK.format(blocked=INSTRUCTOR_ONLY, solution=str(solution), course=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Total: 20 / 20 public points" in proc.stdout
