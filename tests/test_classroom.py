"""GitHub Classroom, end to end without GitHub.

* The reporter GitHub runs (``../shared/tools/github-classroom-reporter``, built from
  its source) is fed what ``grader check --format classroom`` wrote, for a full,
  a partial and an empty submission: the total it prints to students
  (``Total points for <id>: X/Y``) and the total GitHub Classroom records (the
  sum of ``tests[].score`` over ``max_score``) both equal the grader's score.
* The workflow ``grader release --classroom`` writes is parsed, and each of its
  ``run:`` steps is run in order, in a fresh virtual environment made from the
  release, with ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` set; then the
  reporter step runs on the outputs, with the environment the workflow gives it.

What this cannot test without GitHub: the ``uses:`` steps other than the
reporter (checkout, setup-python), the reporter's call to GitHub's API
(``notify-classroom``: its sum is computed here from the same JSON), and
GitHub Classroom's own import of the check run's points.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from grader import check
from grader.classroom import autograding_result, write_step_outputs
from grader.course import Course
from grader.release import release

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)
REPORTER_CANDIDATES = [
    Path(os.environ.get("GRADER_CLASSROOM_REPORTER", "/nonexistent")),
    # ../shared beside this checkout, or the workplace's copy when the checkout is a clone elsewhere
    ROOT.parent / "shared" / "tools" / "github-classroom-reporter" / "main.js",
    Path("/work/shared/tools/github-classroom-reporter/main.js"),
]
REPORTER = next((p for p in REPORTER_CANDIDATES if p.is_file()), REPORTER_CANDIDATES[1])
NODE = shutil.which("node")

needs_reporter = pytest.mark.skipif(not (NODE and REPORTER.is_file()), reason="node or the reporter is missing")

# (assignment, what is submitted): the reference (full), a one-mistake mutant (partial), the template (empty)
CASES = {
    "full": lambda hw: COURSE.reference_dir(hw) / f"{hw}.py",
    "partial": lambda hw: COURSE.reference_dir(hw) / "mutants" / PARTIAL[hw],
    "empty": lambda hw: COURSE.assignment_dir(hw) / f"{hw}.ipynb",
}
PARTIAL = {"hw2": "softmax_no_max_shift.py", "hw3": "value_mul_grad_swapped.py"}


def run_reporter(runner: str, encoded: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The reporter action as Actions runs it: ``INPUT_RUNNERS`` and ``<RUNNER>_RESULTS``."""
    env = env if env is not None else {f"{runner.upper()}_RESULTS": encoded}
    return subprocess.run([NODE, str(REPORTER)], env={"PATH": os.environ["PATH"], "INPUT_RUNNERS": runner, **env},
                          capture_output=True, text=True, timeout=60)


def console_total(stdout: str, runner: str) -> tuple[float, float]:
    match = re.search(rf"Total points for {runner}: ([0-9.]+)/([0-9.]+)", stdout)
    assert match, f"no total in the reporter's output:\n{stdout[-2000:]}"
    return float(match.group(1)), float(match.group(2))


def classroom_total(payload: dict) -> tuple[float, float]:
    """What notify-classroom sends GitHub Classroom: the sum of tests[].score out of max_score."""
    return sum(t["score"] for t in payload["tests"]), payload["max_score"]


@needs_reporter
@pytest.mark.sandbox
@pytest.mark.parametrize("hw", ["hw2", "hw3"])  # hw3's public tests are worth 0.5, 1 and 2 points
@pytest.mark.parametrize("case", list(CASES))
def test_reporter_totals_equal_the_grader_score(hw, case, tmp_path):
    result = check.main(hw, CASES[case](hw), course=ROOT)
    expected = {"full": lambda s: s == result.max_score, "partial": lambda s: 0 < s < result.max_score,
                "empty": lambda s: s == 0}[case]
    assert expected(result.score), f"{case}: the grader gave {result.score}/{result.max_score}"
    out, summary = tmp_path / "output", tmp_path / "summary.md"
    encoded = write_step_outputs(result, out, summary)
    assert out.read_text() == f"result={encoded}\n"
    payload = json.loads(base64.b64decode(encoded))
    assert payload == autograding_result(result)
    shown = run_reporter(hw, encoded)
    assert console_total(shown.stdout, hw) == pytest.approx((result.score, result.max_score))
    assert classroom_total(payload) == pytest.approx((result.score, result.max_score))
    assert shown.returncode == (0 if case == "full" else 1), shown.stdout[-1000:]
    assert f"{result.score:g} / {result.max_score:g} public points" in summary.read_text()


@needs_reporter
def test_reporter_totals_of_a_submission_that_cannot_be_graded():
    from grader.results import SubmissionResult, SubmissionStatus

    result = SubmissionResult(assignment="hw2", student="local", status=SubmissionStatus.INVALID,
                              message="no hw2.ipynb or hw2.py")
    payload = autograding_result(result)
    assert payload["status"] == "error" and payload["tests"]
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    shown = run_reporter("hw2", encoded)
    assert shown.returncode == 1 and "no hw2.ipynb or hw2.py" in shown.stdout


def _workflow(bundle: Path) -> dict:
    return yaml.safe_load((bundle / ".github" / "workflows" / "classroom.yml").read_text())


@pytest.mark.parametrize("hw", COURSE.assignment_names())
def test_workflow_has_github_classrooms_shape(hw, tmp_path):
    bundle = release(COURSE, hw, tmp_path / "repo", classroom=True)
    flow = _workflow(bundle)
    assert flow["name"] == "Autograding Tests"
    assert set(flow["on"]) == {"push", "workflow_dispatch"}
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    steps = flow["jobs"]["run-autograding-tests"]["steps"]
    grading = [s for s in steps if "run" in s and "--format classroom" in s["run"]]
    assert len(grading) == 1 and grading[0]["id"] and f"grader check {hw}" in grading[0]["run"]
    reporter = steps[-1]
    sid = grading[0]["id"]
    assert reporter["uses"] == "education/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == sid
    assert reporter["env"] == {f"{sid.upper()}_RESULTS": f"${{{{steps.{sid}.outputs.result}}}}"}
    assert (bundle / ".gitignore").is_file()


@pytest.fixture(scope="module")
def student_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment, as setup-python gives the job (the install step fills it)."""
    path = tmp_path_factory.mktemp("venv") / ".venv"
    venv.EnvBuilder(with_pip=True).create(path)
    return path


def _expand(text: str, outputs: dict[str, dict[str, str]]) -> str:
    return re.sub(r"\$\{\{\s*steps\.(\w+)\.outputs\.(\w+)\s*\}\}", lambda m: outputs[m.group(1)][m.group(2)], text)


@needs_reporter
@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("case", list(CASES))
def test_workflow_steps_run_locally(case, student_venv, tmp_path):
    hw = "hw2"
    bundle = release(COURSE, hw, tmp_path / "repo", classroom=True)
    submitted = CASES[case](hw)
    if submitted.suffix == ".py":  # the student's work replaces the template
        (bundle / f"{hw}.ipynb").unlink()
        shutil.copy2(submitted, bundle / f"{hw}.py")
    steps = _workflow(bundle)["jobs"]["run-autograding-tests"]["steps"]
    outputs: dict[str, dict[str, str]] = {}
    summary = tmp_path / "summary.md"
    env = dict(os.environ, PATH=f"{student_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
               GITHUB_STEP_SUMMARY=str(summary), VIRTUAL_ENV=str(student_venv))
    env.pop("PYTHONPATH", None)
    for step in steps:
        if "run" not in step:
            continue
        output = tmp_path / f"output-{step.get('id', 'x')}"
        output.touch()
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=bundle, env={**env, "GITHUB_OUTPUT": str(output)},
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"step {step['name']!r} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines())
    reporter = steps[-1]
    runner = reporter["with"]["runners"]
    shown = run_reporter(runner, "", env={k: _expand(v, outputs) for k, v in reporter["env"].items()})
    payload = json.loads(base64.b64decode(outputs[runner]["result"]))
    # the grader of the course, for comparison
    result = check.main(hw, submitted, course=ROOT)
    assert console_total(shown.stdout, runner) == pytest.approx((result.score, result.max_score))
    assert classroom_total(payload) == pytest.approx((result.score, result.max_score))
    assert "public points" in summary.read_text()
    # the install came from the release's own wheel, not from this checkout
    where = subprocess.run([str(student_venv / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert str(student_venv) in where.stdout, where.stdout + where.stderr
    light = subprocess.run([str(student_venv / "bin" / "python"), "-c", "import pandas"], capture_output=True,
                           env=env, cwd=tmp_path)
    assert light.returncode != 0, "the student install brought the instructor's pandas"
    assert sys.executable != str(student_venv / "bin" / "python")
