"""Gradescope's autograder: ``grader export gradescope ASSIGNMENT -o autograder.zip``.

Gradescope builds an image from the zip (its contents land in ``/autograder/source``)
by running ``setup.sh`` once, then runs ``run_autograder`` for each submission with
the student's files in ``/autograder/submission``, and reads
``/autograder/results/results.json``. The zip holds::

    setup.sh              apt: Python 3.11, bubblewrap; a venv with the grader (from the wheel
                          below) and the exporting machine's versions of what it runs with
                          (torch's CPU build from PyTorch's CPU index); then `grader env build`,
                          the students' environment
    run_autograder        runs ``python -m grader.gradescope`` with that venv's Python
    requirements.txt      the pins setup.sh installs
    gradescope.json       which assignment, exported by which grader, when
    wheels/grader-*.whl   the grader itself
    course/assignments/<name>/   the assignment folder (settings, public tests, data, template)
    course/reference/<name>/     the reference solution and the hidden tests (never the
                                 mutants, variants or the releases record)

The zip holds the hidden tests and the reference: it is for Gradescope, never for students.

Grading a submission (:func:`run`) is ``grader grade`` for one submission: the same
session, tests, sandbox and worker environment, in the bubblewrap sandbox when it can
start there (:func:`bwrap_problem`), else in a separate process without isolation, which
the result's ``output`` says. The result becomes Gradescope's format (:func:`results_json`):

* one entry per test: ``name`` (question: test id), ``score``, ``max_score``, ``status``
  (``passed``/``failed``), ``output`` (the message and the hint), ``visibility``: public
  tests ``visible``; hidden ones as ``[feedback] hidden`` says (``after_published`` or
  ``hidden``), and their output only ``passed``/``failed`` unless ``hidden_messages``;
* ``score`` after the late penalty (``[deadline]``'s rates in ``assignment.toml``, with the
  due date from ``submission_metadata.json`` when it has one), ``execution_time`` (seconds),
  ``output`` (the submission's status and message, what the sandbox was);
* for a competition lab (a result with the ``accuracy_mean`` metric), ``leaderboard`` entries
  ``Accuracy`` (desc) and ``Parameters`` (asc) when the submission is rankable by
  :mod:`grader.leaderboard`'s rules, else none, and the reason in ``output``.

A submission without a file, or one that crashes, still gets a valid ``results.json`` (its
tests at 0 and the reason); so does a failure of the grader itself (score 0, a message).

``GRADER_AUTOGRADER_ROOT`` moves ``/autograder`` (tests), and ``GRADER_AUTOGRADER_PYTHON``
names the Python ``run_autograder`` uses (default: ``source/venv/bin/python`` under the root).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .config import AssignmentConfig, load_assignment
from .course import Course, CourseError
from .late import Deadline
from .results import SubmissionResult, TestResult, Visibility
from .visible import make_visible

__all__ = ["GradescopeError", "ROOT_ENV", "PYTHON_ENV", "export", "requirements", "setup_script", "run_script",
           "results_json", "failure_json", "leaderboard_entries", "bwrap_problem", "read_metadata", "deadline_for",
           "grade_submission", "run", "main"]

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
PYTHON_ENV = "GRADER_AUTOGRADER_PYTHON"
DEFAULT_ROOT = Path("/autograder")
COURSE_DIR = "course"
VENV_DIR = "venv"
MANIFEST = "gradescope.json"
WHEEL_DIR = "wheels"
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: what the grader itself runs with on Gradescope, besides the students' environment's packages:
#: its core (pyproject's dependencies) and pandas (grader.leaderboard decides who is ranked)
TRUSTED_PACKAGES = ("numpy", "pytest", "nbformat", "rich", "click", "pandas")
#: left out of the zip's reference folder: not needed to grade, and not for anyone else's eyes
REFERENCE_EXCLUDED = {"mutants", "variants", "releases.json"}
CACHE_NAMES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".DS_Store"}
LEADERBOARD_METRIC = "accuracy_mean"


class GradescopeError(CourseError):
    """An autograder that cannot be built (or a Gradescope folder that cannot be read), with a
    message for humans."""


# ---------------------------------------------------------------------------------------- export
def _version(name: str, pins: dict[str, str]) -> str | None:
    """``name``'s version: the assignment's built worker environment's (``pins``), else this
    environment's, else None."""
    if name in pins:
        return pins[name]
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def requirements(course: Course, config: AssignmentConfig) -> list[str]:
    """The lines of the zip's ``requirements.txt``: the grader's wheel is added by :func:`export`;
    these pin what the grader runs with on Gradescope to this machine's versions: its core and
    pandas (:data:`TRUSTED_PACKAGES`), the students' environment's packages (numpy, scipy,
    matplotlib and torch, so that ``grader env build`` there pins the same versions, and the
    assignment's ``[environment]`` packages, which the unisolated fallback runs student code
    with), at the versions of the assignment's built worker environment where there is one.
    torch is its CPU build, from PyTorch's CPU index.

    Raises:
        GradescopeError: torch is part of the students' environment but not installed here,
            so its version cannot be pinned (a bare ``torch`` would be PyPI's CUDA build).
    """
    from . import workerenv
    from .environment import release
    from .imports import environment_packages, package_name

    env = workerenv.env_for(course, config)
    pins = dict(env.installed) if env else {}
    lines: list[str] = []
    torch: list[str] = []
    seen: set[str] = set()
    for requirement in [*TRUSTED_PACKAGES, *environment_packages(config)]:
        name = package_name(requirement)
        if name in seen:
            continue
        seen.add(name)
        version = _version(name, pins)
        if name == "torch":
            if version is None:
                raise GradescopeError(f"{config.name}'s students' environment includes torch, which is not installed "
                                      "here to pin its version: install the grader with install.sh first")
            torch = [f"--extra-index-url {PYTORCH_CPU_INDEX}", f"torch=={release(version)}+cpu"]
        elif version is not None:
            lines.append(f"{name}=={version}")
        else:
            lines.append(requirement)
    return lines + torch


def setup_script(config: AssignmentConfig, version: str) -> str:
    """``setup.sh``: run once, as root, by Gradescope when it builds the image (Ubuntu, 22.04 by default)."""
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu; 22.04 by default).
# Written by `grader export gradescope {config.name}` (grader {version}).
set -euxo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"   # /autograder/source: this zip's contents
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
apt-get update
# bubblewrap: the sandbox; util-linux: setpriv and prlimit, which the sandbox uses
apt-get install -y --no-install-recommends bubblewrap util-linux ca-certificates
# Python 3.11, the grader's: Ubuntu 22.04 has it; other releases get it from the deadsnakes PPA
if ! apt-get install -y --no-install-recommends python3.11 python3.11-venv; then
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv "$SOURCE/{VENV_DIR}"
"$SOURCE/{VENV_DIR}/bin/python" -m pip install --upgrade pip
cd "$SOURCE"
# The grader (the wheel in this zip) and what it runs with, at the versions of the machine that exported
# it; torch is its CPU build, from PyTorch's CPU index (on Linux, PyPI's torch is the CUDA build, several GB)
"$SOURCE/{VENV_DIR}/bin/pip" install -r requirements.txt
# The students' environment: the Python student code runs with in the sandbox (see grader/workerenv.py)
"$SOURCE/{VENV_DIR}/bin/grader" env build {config.name} --course "$SOURCE/{COURSE_DIR}"
"$SOURCE/{VENV_DIR}/bin/grader" --version
"""


def run_script() -> str:
    """``run_autograder``: run by Gradescope for each submission (as ``/autograder/run_autograder``,
    in ``/autograder``). It always leaves a ``results.json``, even when the grader cannot start."""
    return f"""#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades /autograder/submission/ with the public and hidden
# tests and writes /autograder/results/results.json (written by `grader export gradescope`).
# {ROOT_ENV} moves /autograder; {PYTHON_ENV} names the grader's Python.
set -u
ROOT="${{{ROOT_ENV}:-/autograder}}"
PYTHON="${{{PYTHON_ENV}:-$ROOT/source/{VENV_DIR}/bin/python}}"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
"$PYTHON" -m grader.gradescope --root "$ROOT"
code=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # the grader could not start at all: a valid result all the same, and the reason in this log
    echo "run_autograder: the grader exited with status $code and wrote no results.json"
    printf '{{"score": 0, "execution_time": %d, "output": "%s", "output_format": "text", "stdout_visibility": "hidden", "tests": []}}\\n' \\
        "$SECONDS" "The autograder could not run; your instructor can see why in its log." > "$ROOT/results/results.json"
fi
exit 0
"""


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in CACHE_NAMES or n.endswith(".pyc")}


def _stage_course(course: Course, config: AssignmentConfig, dest: Path) -> None:
    """Copy what grading ``config``'s assignment needs into the course folder ``dest``: the
    assignment folder, and the reference folder less :data:`REFERENCE_EXCLUDED`."""
    shutil.copytree(course.assignment_dir(config.name), dest / "assignments" / config.name, ignore=_ignore,
                    symlinks=False)
    reference = course.reference_dir(config.name)
    target = dest / "reference" / config.name
    target.mkdir(parents=True)
    for entry in sorted(reference.iterdir()):
        if entry.name in REFERENCE_EXCLUDED or entry.name in CACHE_NAMES or entry.name.endswith(".pyc"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, ignore=_ignore)
        else:
            shutil.copy2(entry, target / entry.name)


def export(course: Course, name: str, out: Path) -> Path:
    """Write Gradescope's autograder zip for assignment ``name`` to ``out`` (replaced if it exists).

    Returns:
        ``out``.

    Raises:
        GradescopeError: the assignment has no reference solution or hidden tests (Gradescope would
            grade with the public tests alone), torch cannot be pinned, or the grader's wheel
            cannot be built.
        grader.course.CourseError: unknown assignment or bad settings.
    """
    from . import __version__
    from .release import build_wheel

    config = load_assignment(course, name)
    if not config.hidden_tests_dir.is_dir() or not any(config.hidden_tests_dir.rglob("*.py")):
        raise GradescopeError(f"{name} has no hidden tests in {config.hidden_tests_dir}: the autograder grades with "
                              "the public and hidden tests (students already run the public ones with grader check)")
    if config.reference is not None and config.reference_path is None:
        raise GradescopeError(f"{name}'s reference solution reference/{name}/{config.reference} is missing: "
                              "the hidden tests need it")
    lines = requirements(course, config)
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        stage = Path(tmp) / "autograder"
        stage.mkdir()
        _stage_course(course, config, stage / COURSE_DIR)
        wheel = build_wheel(stage / WHEEL_DIR)
        (stage / "requirements.txt").write_text(
            "# the grader (from this zip) and what it runs with, pinned to the exporting machine's versions\n"
            + "\n".join([f"./{WHEEL_DIR}/{wheel.name}", *lines]) + "\n")
        (stage / MANIFEST).write_text(json.dumps({
            "assignment": name, "title": config.title, "grader_version": __version__,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "course": COURSE_DIR,
        }, indent=2) + "\n")
        (stage / "setup.sh").write_text(setup_script(config, __version__))
        (stage / "run_autograder").write_text(run_script())
        executable = {"setup.sh", "run_autograder"}
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(stage.rglob("*")):
                rel = path.relative_to(stage).as_posix()
                if path.is_dir():
                    continue
                info = zipfile.ZipInfo.from_file(path, rel, strict_timestamps=False)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = ((0o100755 if rel in executable else 0o100644) & 0xFFFF) << 16
                zf.writestr(info, path.read_bytes())
        partial.replace(out)
    return out


# ---------------------------------------------------------------------------------------- results
def _text(value: str) -> str:
    """A student-originated string for a text field: invisible and control characters escaped."""
    return make_visible(value, keep="\n\t")


def _test_output(test: TestResult, hidden_messages: bool) -> str:
    if test.visibility is Visibility.HIDDEN and not hidden_messages:
        return "passed" if test.passed else "failed"
    if test.passed:
        return "passed"
    lines = [_text(test.message) if test.message else str(test.status)]
    if test.hint:
        lines.append(f"Hint: {_text(test.hint)}")
    return "\n".join(lines)


def leaderboard_entries(result: SubmissionResult) -> tuple[list[dict[str, Any]], str]:
    """Gradescope's ``leaderboard`` entries for a competition lab's result, and a note for the
    student: ``Accuracy`` (the ``accuracy_mean`` metric, 0..1, higher first) and ``Parameters``
    (the rebuilt network's, fewer first) when :func:`grader.leaderboard.leaderboard` ranks the
    submission; none, and the board's reason, when it does not (unverified, failed permutation
    check, architecture rules, invalid metrics). ``([], "")`` for a result without that metric."""
    if LEADERBOARD_METRIC not in result.metrics:
        return [], ""
    import pandas as pd

    from .leaderboard import leaderboard
    from .store import ResultStore

    with tempfile.TemporaryDirectory(prefix="grader-board-") as tmp:  # the board's own rules, on this one result
        with ResultStore.open(Path(tmp) / "board.db") as store:
            store.save(result)
            row = leaderboard(store, result.assignment, LEADERBOARD_METRIC).iloc[0].to_dict()
    if pd.isna(row["rank"]):
        note = str(row.get("public_note") or row.get("note") or "not ranked")
        return [], f"Leaderboard: {_text(note)}."
    accuracy = float(row["accuracy"])
    entries: list[dict[str, Any]] = [{"name": "Accuracy", "value": round(accuracy, 4), "order": "desc"}]
    if not pd.isna(row["n_params"]):
        entries.append({"name": "Parameters", "value": int(row["n_params"]), "order": "asc"})
    return entries, f"Leaderboard: accuracy {accuracy:.1%}."


def results_json(result: SubmissionResult, config: AssignmentConfig, *, execution_time: float,
                 notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """``result`` as Gradescope's ``results.json`` (see the module docstring).

    Args:
        result: the graded submission (its ``late_penalty`` already set; ``score`` is after it).
        config: the assignment's settings (``feedback`` decides what students see of hidden tests).
        execution_time: seconds the grading took.
        notes: lines for the top-level ``output`` (the sandbox used, the lateness).
    """
    feedback = config.feedback
    tests = []
    for test in result.tests:
        hidden = test.visibility is Visibility.HIDDEN
        tests.append({
            "name": f"{_text(test.question)}: {_text(test.name)}" if test.question else _text(test.name),
            "name_format": "text",
            "score": round(test.score, 6),
            "max_score": round(test.max_score, 6),
            "status": "passed" if test.passed else "failed",
            "output": _test_output(test, feedback.hidden_messages),
            "output_format": "text",
            "visibility": feedback.hidden if hidden else "visible",
            "tags": [_text(test.question), "hidden" if hidden else "public"] if test.question
            else ["hidden" if hidden else "public"],
        })
    lines = [f"{config.title}: graded." if result.status == "graded" else f"{config.title}: {result.status}."]
    if result.message:
        lines.append(_text(result.message))
    if feedback.hidden == "hidden":
        secret = [t for t in result.tests if t.visibility is Visibility.HIDDEN]
        if secret:
            lines.append(f"Hidden tests: {_points(sum(t.score for t in secret))} of "
                         f"{_points(sum(t.max_score for t in secret))} points.")
    board, board_note = leaderboard_entries(result)
    if board_note:
        lines.append(board_note)
    lines += notes
    out: dict[str, Any] = {
        "score": result.score,
        "execution_time": round(execution_time, 3),
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": "hidden",  # the run's log holds the student's prints, which may show hidden inputs
        "tests": tests,
        "extra_data": {
            "assignment": config.name, "status": str(result.status), "raw_score": result.raw_score,
            "max_score": result.max_score, "late_penalty": result.late_penalty, "days_late": result.days_late,
            "backend": result.backend,
        },
    }
    if board:
        out["leaderboard"] = board
    return out


def failure_json(message: str, execution_time: float) -> dict[str, Any]:
    """A ``results.json`` for a run in which the grader itself failed: score 0 and ``message``."""
    return {"score": 0.0, "execution_time": round(execution_time, 3), "output": message, "output_format": "text",
            "stdout_visibility": "hidden", "tests": []}


def _points(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}"


# ---------------------------------------------------------------------------------------- running
def bwrap_problem() -> str | None:
    """Why the bubblewrap sandbox cannot start here (Gradescope's container may forbid the
    namespaces it needs), or None if it can: starts one sandbox with the namespaces, mounts and
    (as root) the uid change that the backend's workers use, running ``true``."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    from .sandbox.bwrap import BASE_UID, SYSTEM_DIRS, BwrapBackend

    if not BwrapBackend.available():
        return "bubblewrap is not installed"
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    for system_dir in SYSTEM_DIRS:
        if os.path.islink(system_dir):
            argv += ["--symlink", os.readlink(system_dir), system_dir]
        elif os.path.isdir(system_dir):
            argv += ["--ro-bind", system_dir, system_dir]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    if os.geteuid() == 0:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", "/usr/bin/setpriv",
                 f"--reuid={BASE_UID}", f"--regid={BASE_UID}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--", "true"]
    else:
        argv += ["--unshare-user", "--", "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap cannot start: {exc}"
    if proc.returncode != 0:
        return f"bubblewrap cannot create a sandbox here (exit {proc.returncode}): {proc.stderr.strip()[:300]}"
    return None


def _when(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset from the metadata, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def read_metadata(path: Path) -> dict[str, Any]:
    """``submission_metadata.json`` as a dict ({} when it is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def deadline_for(config: AssignmentConfig, meta: dict[str, Any]) -> Deadline | None:
    """The deadline the late penalty is computed against: ``assignment.toml``'s ``[deadline]``
    (its grace and rates) with Gradescope's due date when the metadata has one; None without
    a ``[deadline]`` table (no penalty: Gradescope's own late settings then apply)."""
    if config.deadline is None:
        return None
    assignment = meta.get("assignment")
    due = _when(assignment.get("due_date")) if isinstance(assignment, dict) else None
    return dataclasses.replace(config.deadline, due=due) if due else config.deadline


def _student(meta: dict[str, Any]) -> str:
    users = meta.get("users")
    if isinstance(users, list):
        ids = [str(u.get("id")) for u in users if isinstance(u, dict) and u.get("id") is not None]
        if ids:
            return "+".join(ids)[:100]
    return "submission"


def grade_submission(config: AssignmentConfig, folder: Path, *, student: str, hide: list[Path],
                     backend: str, submitted_at: datetime | None) -> SubmissionResult:
    """Grade the files in ``folder`` as ``grader grade`` grades one submission (public and hidden
    tests, ``backend``'s sandbox, the assignment's worker environment where it is built), with its
    lateness judged from ``submitted_at`` against ``config.deadline``.

    Raises:
        grader.course.CourseError: the worker environment lacks a declared package.
        grader.harness.session.HarnessError: the tests cannot be collected.
        grader.sandbox.SandboxError: ``backend`` is not available.
    """
    from .config import slot_limits
    from .grade import limit_trusted_memory, with_submission_facts, worker_python
    from .harness.session import GradingSession
    from .sandbox import make_backend
    from .submissions import Submission, from_path

    config = slot_limits(config, jobs=1)
    limit_trusted_memory(config.limits.trusted_memory)
    assert config.course is not None
    from . import console

    options = worker_python(config.course, config, lambda kind, value: console.warn(str(value))) \
        if backend == "bwrap" else {}
    if folder.is_dir():
        sub = from_path(folder, config, student=student)
    else:
        sub = Submission(student=student, problem="no files were submitted")
    sub.submitted_at = submitted_at
    sandbox = make_backend(backend, hide=hide, **options)
    try:
        session = GradingSession(config, sandbox, include_hidden=True, prestart=False)
        try:
            [result] = session.grade([sub])
        finally:
            session.close()
    finally:
        sandbox.close()
    return with_submission_facts(result, sub, config)


def _log_result(result: SubmissionResult) -> None:
    """The run's log (Gradescope's stdout, shown to instructors only): the summary, every test that
    did not pass with its message's first line, and the student's output."""
    from . import console

    console.out.print(console.summary_table([result], f"{result.assignment}: this submission"))
    for test in result.tests:
        if not test.passed:
            first = test.message.splitlines()[0] if test.message else ""
            console.out.print(f"  {test.status} {console.shown(test.name)} {_points(test.score)}/"
                              f"{_points(test.max_score)}: {console.shown(first[:200])}")
    if result.output:
        console.out.print("--- the submission's output ---")
        console.out.print(console.shown(result.output, multiline=True))


def run(root: Path | None = None) -> dict[str, Any]:
    """Grade ``root/submission`` with the autograder in ``root/source`` and write
    ``root/results/results.json``; returns what it wrote. ``root`` defaults to
    ``$GRADER_AUTOGRADER_ROOT``, else ``/autograder``. Never raises for a bad submission or
    a failure of the grader: both become a valid ``results.json`` (score 0 and the reason for
    the latter, with the traceback in the log)."""
    started = time.monotonic()
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    try:
        payload = _run(root, started)
    except Exception as exc:
        traceback.print_exc()
        payload = failure_json(f"The autograder failed ({type(exc).__name__}: {_text(str(exc))[:1000]}); "
                               "your instructor can see the details in its log.", time.monotonic() - started)
    partial = results_dir / "results.json.part"
    partial.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    partial.replace(results_dir / "results.json")
    return payload


def _run(root: Path, started: float) -> dict[str, Any]:
    source = root / "source"
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        name = str(manifest["assignment"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GradescopeError(f"{source / MANIFEST} is missing or unreadable ({exc}): is this the zip that "
                              "`grader export gradescope` wrote?") from None
    course = Course.at(source / str(manifest.get("course", COURSE_DIR)))
    config = load_assignment(course, name)
    meta = read_metadata(root / "submission_metadata.json")
    config = dataclasses.replace(config, deadline=deadline_for(config, meta))
    problem = bwrap_problem()
    if problem is None:
        backend, notes = "bwrap", ["Graded in the bubblewrap sandbox."]
    else:
        backend = "subprocess"
        notes = [f"No sandbox: {problem}. Your code ran in a separate process, without isolation."]
    from . import console

    console.out.print(console.shown(notes[0]))
    result = grade_submission(config, root / "submission", student=_student(meta), hide=[root.resolve()],
                              backend=backend, submitted_at=_when(meta.get("created_at")))
    if result.late_penalty and config.deadline is not None:
        notes.append(f"Late: {result.days_late} day{'s' * (result.days_late != 1)} after the due date "
                     f"({config.deadline.due.isoformat()}, plus {config.deadline.grace_minutes:g} minutes of "
                     f"grace): {_points(result.late_penalty)} points off.")
    _log_result(result)
    return results_json(result, config, execution_time=time.monotonic() - started, notes=tuple(notes))


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.gradescope [--root DIR]``: what ``run_autograder`` runs. Exit status 0
    once ``results.json`` is written (whatever the submission), 2 for a bad command line."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader.gradescope",
                                     description="Grade a Gradescope submission (run by run_autograder).")
    parser.add_argument("--root", type=Path, default=None,
                        help=f"the autograder folder (default: ${ROOT_ENV}, else {DEFAULT_ROOT})")
    args = parser.parse_args(argv)
    from . import console

    payload = run(args.root)
    console.out.print(f"results.json written: score {payload['score']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
