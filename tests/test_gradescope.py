"""``grader export gradescope``: the autograder zip, run as Gradescope runs it.

The zip of this repository's hw2 (and the Iris lab) is unpacked into a folder laid out as
Gradescope lays out ``/autograder`` (``source/`` the zip, ``submission/`` a student's files,
``results/``, ``submission_metadata.json``, ``run_autograder`` copied to the top), and the real
``run_autograder`` script runs in a bubblewrap "container": a new root holding only the system,
this Python, this repository and that folder bound at ``/autograder``, so no path is overridden;
what setup.sh installs is bound where it installs it (the grader installed in .venv at
``source/venv``, the worker environments built here at ``source/course/.grader``). The grader inside starts its own bubblewrap sandbox there (nested). Its
``results.json`` is checked against a JSON schema written from Gradescope's documented format
(gradescope-autograders.readthedocs.io, "Autograder Specifications" and "Leaderboards"), and
every test's score and the total against ``grader grade`` of the same submissions.

setup.sh itself cannot run here (apt and PyPI are out of reach): it is checked with ``bash -n``
and for what it installs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader import grade as grade_mod
from grader import gradescope
from grader.config import Feedback, load_assignment
from grader.course import Course
from grader.late import penalty_points
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as CaseResult  # not named Test*: pytest would try to collect it
from grader.results import TestStatus as CaseStatus

REPO = Path(__file__).resolve().parent.parent
GRADER = str(Path(sys.executable).with_name("grader"))

# Gradescope's results.json, from its documentation: every key it names, with the values it lists.
_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_TEST = {
    "type": "object",
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"}, "name_format": _FORMAT, "number": {"type": "string"},
        "output": {"type": "string"}, "output_format": _FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": _VISIBILITY, "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
GRADESCOPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"}, "output_format": _FORMAT,
        "test_output_format": _FORMAT, "test_name_format": _FORMAT,
        "visibility": _VISIBILITY, "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": _TEST},
        "leaderboard": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}},
            "required": ["name", "value"], "additionalProperties": False}},
    },
    "additionalProperties": False,
    # "score": optional, but required if not on each test case
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}],
}
# What this grader promises on top of the format: the fields the issue lists, on every test.
OURS: dict[str, Any] = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "properties": {"tests": {"items": {"required": ["name", "score", "max_score", "status", "output", "visibility"]}}},
}


def validate(results: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(GRADESCOPE_SCHEMA)
    jsonschema.validate(results, GRADESCOPE_SCHEMA, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(results, OURS, cls=jsonschema.Draft202012Validator)


# ------------------------------------------------------------------------------------------ helpers
def export_zip(course: Path, assignment: str, out: Path) -> Path:
    proc = subprocess.run([GRADER, "export", "gradescope", assignment, "-o", str(out), "--course", str(course)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def unpack(zip_path: Path, root: Path, files: dict[str, bytes], *, meta: dict[str, Any] | None = None) -> Path:
    """A Gradescope layout at ``root``: source/ (the zip, with its file modes), submission/ (``files``),
    results/, submission_metadata.json, and run_autograder copied to the top."""
    source = root / "source"
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, source)
            os.chmod(source / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, content in files.items():
        (root / "submission" / name).write_bytes(content)
    (root / "results").mkdir()
    (root / "submission_metadata.json").write_text(json.dumps(meta or {
        "id": 1, "created_at": "2026-12-01T10:00:00.000000-08:00",
        "assignment": {"due_date": "2026-12-31T23:00:00.000000-08:00", "title": "hw", "total_points": "100.0"},
        "users": [{"email": "s@example.com", "id": 4242, "name": "<b>Student</b>"}], "previous_submissions": []}))
    return root


def container(root: Path, *, extra_path: Path | None = None) -> list[str]:
    """bwrap's command line for a throwaway root that holds the system, this Python, this repository
    and ``root`` at /autograder, where ``/autograder/run_autograder`` runs as Gradescope runs it."""
    # /tmp and /run first: a clone or venv under /tmp (a CI checkout) is bound on top of them below
    argv = ["bwrap", "--tmpfs", "/", "--tmpfs", "/tmp", "--tmpfs", "/run", "--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            argv += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            argv += ["--ro-bind", d, d]
    for d in sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), REPO}):
        argv += ["--ro-bind", str(d), str(d)]
    argv += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev",
             "--bind", str(root), "/autograder", "--unshare-pid", "--die-with-parent", "--chdir", "/autograder"]
    # what setup.sh would have installed, where it installs it: the grader's venv (this one) and the
    # worker environments `grader env build` made in the course (this repository's, where built)
    (root / "source" / "venv").mkdir(exist_ok=True)
    argv += ["--ro-bind", sys.prefix, "/autograder/source/venv"]
    if (REPO / ".grader" / "envs" / "base").is_dir():
        (root / "source" / "course" / ".grader").mkdir(exist_ok=True)
        argv += ["--ro-bind", str(REPO / ".grader"), "/autograder/source/course/.grader"]
    if os.geteuid() == 0:  # the uid leases of every grader on this machine (grader.sandbox.bwrap) stay shared
        os.makedirs("/run/grader-uids", mode=0o700, exist_ok=True)
        argv += ["--bind", "/run/grader-uids", "/run/grader-uids"]
    else:
        argv += ["--unshare-user"]
    if extra_path is not None:
        argv += ["--ro-bind", str(extra_path), "/extra-bin"]
    return [*argv, "--", "/autograder/run_autograder"]


def start_container(root: Path, *, extra_path: Path | None = None) -> subprocess.Popen[str]:
    path = ("/extra-bin:" if extra_path else "") + "/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": "/tmp", "LANG": "C.UTF-8"}
    return subprocess.Popen(container(root, extra_path=extra_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def finish_container(proc: subprocess.Popen[str], root: Path) -> tuple[dict[str, Any], str]:
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    return json.loads((root / "results" / "results.json").read_text()), log


def run_container(root: Path, *, extra_path: Path | None = None) -> tuple[dict[str, Any], str]:
    return finish_container(start_container(root, extra_path=extra_path), root)


def run_direct(root: Path, **env: str) -> tuple[dict[str, Any], str]:
    """run_autograder without the container: the root and the grader's Python through the variables."""
    full = {**os.environ, gradescope.ROOT_ENV: str(root), gradescope.PYTHON_ENV: sys.executable, **env}
    proc = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=300,
                          env=full)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    return json.loads((root / "results" / "results.json").read_text()), log


def by_name(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tests = {t["name"]: t for t in results["tests"]}
    assert len(tests) == len(results["tests"]), "test names must be unique"
    return tests


def assert_same_scores(results: dict[str, Any], graded: SubmissionResult) -> None:
    """Every test's score and maximum, and the total, as ``grader grade`` gave them."""
    tests = by_name(results)
    assert len(tests) == len(graded.tests) > 0
    for t in graded.tests:
        entry = tests[f"{t.question}: {t.name}" if t.question else t.name]
        assert entry["score"] == pytest.approx(t.score, abs=1e-6), t.name
        assert entry["max_score"] == pytest.approx(t.max_score, abs=1e-6), t.name
        assert entry["status"] == ("passed" if t.passed else "failed"), t.name
        assert entry["visibility"] == ("visible" if t.visibility is Visibility.PUBLIC else "after_published")
    assert results["score"] == pytest.approx(graded.score, abs=1e-6)
    assert results["extra_data"]["status"] == str(graded.status)


CRASH = b"import os\nos._exit(3)\n"
HW2 = {
    "amara": {f.name: f.read_bytes() for f in (REPO / "submissions/hw2/amara").iterdir()},   # correct: 100
    "fatima": {f.name: f.read_bytes() for f in (REPO / "submissions/hw2/fatima").iterdir()},  # wrong answers
    "crash": {"hw2.py": CRASH},  # kills its worker while it loads
    "empty": {},  # no file at all
}


@pytest.fixture(scope="module")
def hw2_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_zip(REPO, "hw2", tmp_path_factory.mktemp("export") / "autograder.zip")


@pytest.fixture(scope="module")
def hw2_graded(tmp_path_factory: pytest.TempPathFactory, bwrap_required: None) -> dict[str, SubmissionResult]:
    """``grader grade hw2`` of the same submissions, into a store of its own."""
    tmp = tmp_path_factory.mktemp("grade")
    for student, files in HW2.items():
        (tmp / "subs" / student).mkdir(parents=True)
        for name, content in files.items():
            (tmp / "subs" / student / name).write_bytes(content)
    report = grade_mod.main("hw2", course=REPO, submissions=tmp / "subs", db=tmp / "grades.db", jobs=2)
    return {r.student: r for r in report.all}


@pytest.fixture(scope="module")
def hw2_gradescope(hw2_zip: Path, tmp_path_factory: pytest.TempPathFactory,
                   bwrap_required: None) -> dict[str, tuple[dict, str]]:
    """run_autograder's results.json and log for each submission, in the container."""
    out = {}
    for student, files in HW2.items():
        root = unpack(hw2_zip, tmp_path_factory.mktemp(f"gs-{student}"), files)
        out[student] = run_container(root)
    return out


# ------------------------------------------------------------------------------------------ the zip
def test_zip_holds_the_autograder_and_nothing_secret_beyond_it(hw2_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(hw2_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) for i in zf.infolist()}
        zf.extractall(tmp_path)
    assert {"setup.sh", "run_autograder", "requirements.txt", "gradescope.json"} <= names  # at the zip's root
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_ISREG(modes[script]) and modes[script] & 0o111, f"{script} must be executable"
        check = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    [wheel] = [n for n in names if n.startswith("wheels/grader-") and n.endswith(".whl")]
    expected = {p.relative_to(REPO).as_posix() for p in [*(REPO / "assignments/hw2").rglob("*"),
                                                         *(REPO / "reference/hw2/tests").rglob("*.py"),
                                                         REPO / "reference/hw2/hw2.py"]
                if p.is_file() and "__pycache__" not in p.parts}
    assert {n.removeprefix("course/") for n in names if n.startswith("course/")} == expected
    assert not any("mutants" in n or "variants" in n or "submissions" in n or n.endswith(".db") for n in names)
    assert json.loads((tmp_path / "gradescope.json").read_text())["assignment"] == "hw2"

    # setup.sh: apt's Python 3.11 and bubblewrap, then the pinned grader, then the students' environment
    setup = (tmp_path / "setup.sh").read_text()
    for needed in ("apt-get install", "python3.11 python3.11-venv", "bubblewrap", "python3.11 -m venv",
                   "pip\" install -r requirements.txt", "env build hw2 --course"):
        assert needed in setup, needed
    assert setup.index("bubblewrap") < setup.index("pip\" install -r") < setup.index("env build")
    reqs = (tmp_path / "requirements.txt").read_text().splitlines()
    assert f"./{wheel}" in reqs
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in reqs
    [torch] = [r for r in reqs if r.startswith("torch")]
    assert torch.endswith("+cpu") and "==" in torch
    from importlib import metadata

    for name in ("numpy", "pytest", "nbformat", "rich", "click", "pandas", "scipy", "matplotlib"):
        assert f"{name}=={metadata.version(name)}" in reqs, name
    assert "GRADER_AUTOGRADER_ROOT" in (tmp_path / "run_autograder").read_text()


def test_export_refuses_what_gradescope_cannot_grade(write_files, tmp_path: Path) -> None:
    course = write_files({
        "assignments/solo/assignment.toml": 'title = "Solo"\nfiles = ["solo.py"]\n',
        "assignments/solo/tests/test_a.py": "def test_a(submission):\n    assert True\n",
    })
    cases = [(["solo", "-o", str(tmp_path / "a.zip")], "no hidden tests"),
             (["nope", "-o", str(tmp_path / "b.zip")], "no assignment 'nope'"),
             (["solo", "-o", str(tmp_path / "c.tar")], "Gradescope takes a .zip file")]
    for args, message in cases:
        proc = subprocess.run([GRADER, "export", "gradescope", *args, "--course", str(course)],
                              capture_output=True, text=True)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert message in " ".join(proc.stderr.split()), proc.stderr
        assert "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("*.zip"))


# ------------------------------------------------------------------------------------------ results.json
def _config(**feedback: Any):
    config = load_assignment(Course.at(REPO), "hw2")
    return dataclasses.replace(config, feedback=Feedback(**feedback)) if feedback else config


def _result(metrics: dict[str, float] | None = None) -> SubmissionResult:
    return SubmissionResult(assignment="hw2", student="s", status=SubmissionStatus.GRADED, tests=[
        CaseResult("test_a.py::test_one", "q1", 2.0, 2.0, CaseStatus.PASSED, Visibility.PUBLIC),
        CaseResult("test_a.py::test_two", "q1", 0.0, 1.0, CaseStatus.FAILED, Visibility.PUBLIC,
                   message="got 3\x1b[2J, expected 2", hint="add one"),
        CaseResult("test_b_hidden.py::test_secret[x=7]", "q2", 0.0, 3.0, CaseStatus.TIMEOUT, Visibility.HIDDEN,
                   message="f(x=7) did not return", hint="loop ends?"),
        CaseResult("test_b_hidden.py::test_other", "q2", 4.0, 4.0, CaseStatus.PASSED, Visibility.HIDDEN),
    ], metrics=metrics or {}, late_penalty=1.0)


def test_results_json_follows_the_feedback_settings() -> None:
    default = gradescope.results_json(_result(), _config(), execution_time=1.5)
    validate(default)
    tests = by_name(default)
    assert default["score"] == 5.0  # 6 points less the late penalty
    assert default["execution_time"] == 1.5
    assert tests["q1: test_a.py::test_one"]["visibility"] == "visible"
    failed = tests["q1: test_a.py::test_two"]
    assert failed["status"] == "failed" and failed["output"] == "got 3\\x1b[2J, expected 2\nHint: add one"
    secret = tests["q2: test_b_hidden.py::test_secret[x=7]"]
    assert secret["visibility"] == "after_published" and secret["status"] == "failed"
    assert secret["output"] == "failed"  # hidden_messages = false: no message, no hint
    assert tests["q2: test_b_hidden.py::test_other"]["output"] == "passed"
    assert "Hidden tests" not in default["output"] and "leaderboard" not in default

    hidden = gradescope.results_json(_result(), _config(hidden="hidden", hidden_messages=True), execution_time=0)
    validate(hidden)
    secret = by_name(hidden)["q2: test_b_hidden.py::test_secret[x=7]"]
    assert secret["visibility"] == "hidden"
    assert secret["output"] == "f(x=7) did not return\nHint: loop ends?"
    assert "Hidden tests: 4 of 7 points." in hidden["output"]


def test_leaderboard_only_for_a_rankable_network(tmp_path: Path) -> None:
    """The Gradescope board takes the course board's decision (grader.leaderboard) and its reason."""
    from grader.leaderboard import leaderboard
    from grader.store import ResultStore

    ranked = {"accuracy_mean": 0.9712345, "accuracy_std": 0.01, "n_params": 451, "verified": 1.0,
              "learns_from_labels": 1.0, "architecture_ok": 1.0, "train_time_s": 0.2}
    payload = gradescope.results_json(_result(ranked), _config(), execution_time=1)
    validate(payload)
    assert payload["leaderboard"] == [{"name": "Accuracy", "value": 0.9712, "order": "desc"},
                                      {"name": "Parameters", "value": 451, "order": "asc"}]
    assert "Leaderboard: accuracy 97.1%." in payload["output"]
    for i, change in enumerate(({"verified": 0.0}, {"learns_from_labels": 0.0}, {"architecture_ok": 0.0},
                                {"n_params": 1e30})):
        result = _result({**ranked, **change})
        payload = gradescope.results_json(result, _config(), execution_time=1)
        validate(payload)
        assert "leaderboard" not in payload, change
        with ResultStore.open(tmp_path / f"{i}.db") as store:
            store.save(result)
            row = leaderboard(store, "hw2").iloc[0]
        note = row.get("public_note") or row["note"]
        assert note.startswith("not ranked")
        assert f"Leaderboard: {note}." in payload["output"], change
    assert gradescope.leaderboard_entries(_result()) == ([], "")  # not a competition lab


def test_a_broken_autograder_still_writes_results(tmp_path: Path) -> None:
    payload = gradescope.run(tmp_path)  # no source/ at all
    validate(payload)
    assert json.loads((tmp_path / "results" / "results.json").read_text()) == payload
    assert payload["score"] == 0 and "gradescope.json" in payload["output"]

    (tmp_path / "run_autograder").write_text(gradescope.run_script())
    results, log = run_direct(tmp_path, **{gradescope.PYTHON_ENV: str(tmp_path / "no-python")})
    validate(results)
    assert results["score"] == 0 and "could not run" in results["output"]
    assert "wrote no results.json" in log


# ------------------------------------------------------------------------------------------ run_autograder
@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("student", list(HW2))
def test_run_autograder_matches_grader_grade(student: str, hw2_gradescope: dict, hw2_graded: dict) -> None:
    results, log = hw2_gradescope[student]
    validate(results)
    graded = hw2_graded[student]
    assert_same_scores(results, graded)
    assert "Graded in the bubblewrap sandbox." in results["output"]
    assert results["extra_data"]["backend"] == "bwrap"
    expected = {"amara": (SubmissionStatus.GRADED, 100.0), "crash": (SubmissionStatus.CRASHED, 0.0),
                "empty": (SubmissionStatus.INVALID, 0.0)}
    if student in expected:
        assert (graded.status, graded.score) == expected[student]
    else:
        assert 0 < graded.score < 100
    if student == "empty":
        assert "no notebook or .py file found" in results["output"]
    if student == "crash":
        assert all(t["status"] == "failed" and t["score"] == 0 for t in results["tests"])
    for t in results["tests"]:  # hidden tests' messages stay with the instructor (hidden_messages = false)
        if t["visibility"] != "visible":
            assert t["output"] in ("passed", "failed")
    assert "<b>Student</b>" not in json.dumps(results)


@pytest.mark.slow
@pytest.mark.sandbox
def test_without_bubblewrap_it_says_so_and_grades_the_same(hw2_zip: Path, hw2_graded: dict, tmp_path: Path) -> None:
    """Gradescope's container may not let bubblewrap start: a bwrap that fails as it does then
    (first on PATH, in the container) makes run_autograder grade unisolated, and say so."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    root = unpack(hw2_zip, tmp_path / "root", HW2["fatima"])
    results, log = run_container(root, extra_path=fake)
    validate(results)
    assert_same_scores(results, hw2_graded["fatima"])
    assert results["extra_data"]["backend"] == "subprocess"
    assert "No sandbox: bubblewrap cannot create a sandbox here" in results["output"]
    assert "without isolation" in results["output"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_late_penalty_from_the_metadata_and_hidden_feedback(tmp_path: Path, hw2_graded: dict) -> None:
    """[deadline]'s rates with Gradescope's due date (not the course's), and [feedback] hidden = "hidden";
    run through the variables (no container), which is how Gradescope's paths are overridden for tests."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "assignments" / "hw2", course / "assignments" / "hw2")
    shutil.copytree(REPO / "reference" / "hw2", course / "reference" / "hw2",
                    ignore=shutil.ignore_patterns("mutants", "variants"))
    toml = course / "assignments" / "hw2" / "assignment.toml"
    toml.write_text(toml.read_text().replace("[limits]", (
        '[deadline]\ndue = 2030-01-01T00:00:00+00:00\npenalty_per_day = 0.1\npenalty_cap = 0.5\n\n'
        '[feedback]\nhidden = "hidden"\n\n[limits]')))
    zip_path = export_zip(course, "hw2", tmp_path / "autograder.zip")
    meta = {"created_at": "2026-12-03T01:00:00+00:00", "assignment": {"due_date": "2026-12-01T12:00:00+00:00"},
            "users": [{"id": 7, "name": "x", "email": ""}]}  # 37 hours late: 2 started days
    root = unpack(zip_path, tmp_path / "root", HW2["fatima"], meta=meta)
    results, _ = run_direct(root)
    validate(results)
    graded = hw2_graded["fatima"]
    penalty = penalty_points(graded.raw_score, graded.max_score, 2, load_assignment(Course.at(course), "hw2").deadline)
    assert penalty == pytest.approx(20.0)
    assert results["extra_data"]["days_late"] == 2
    assert results["extra_data"]["late_penalty"] == pytest.approx(penalty)
    assert results["score"] == pytest.approx(graded.raw_score - penalty, abs=1e-6)
    assert "Late: 2 days after the due date (2026-12-01T12:00:00+00:00" in results["output"]
    hidden = [t for t in results["tests"] if t["tags"][-1] == "hidden"]
    assert hidden and all(t["visibility"] == "hidden" and t["output"] in ("passed", "failed") for t in hidden)
    got = sum(t.score for t in graded.tests if t.visibility is Visibility.HIDDEN)
    assert f"Hidden tests: {got:.2f} of 80 points." in results["output"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_iris_lab_leaderboard(tmp_path: Path) -> None:
    files = {f.name: f.read_bytes() for f in (REPO / "submissions/lab-iris/bob").iterdir()}
    (tmp_path / "subs" / "bob").mkdir(parents=True)
    for name, content in files.items():
        (tmp_path / "subs" / "bob" / name).write_bytes(content)
    root = unpack(export_zip(REPO, "lab-iris", tmp_path / "autograder.zip"), tmp_path / "root", files)
    running = start_container(root)  # while grader grade grades the same (one core each)
    try:
        [graded] = grade_mod.main("lab-iris", course=REPO, submissions=tmp_path / "subs", db=tmp_path / "g.db",
                                  jobs=1).all
    finally:
        results, _ = finish_container(running, root)
    validate(results)
    assert_same_scores(results, graded)
    assert graded.score == 100.0
    # seeded runs on seeded simulated flowers: the same accuracy as grader grade recorded
    assert results["leaderboard"] == [
        {"name": "Accuracy", "value": round(graded.metrics["accuracy_mean"], 4), "order": "desc"},
        {"name": "Parameters", "value": int(graded.metrics["n_params"]), "order": "asc"}]
    assert results["leaderboard"][0]["value"] >= 0.9
