"""``grader release``: what students receive, built from the course folder.

A release is a small course folder of its own, laid out so that
``grader check <assignment>`` works in it exactly as in the instructor's::

    README.md                         what to do and how to check it (for students)
    requirements.txt                  the pinned install: the grader wheel below
    wheels/grader-<version>-py3-none-any.whl
    <template>                        the notebook students fill in (at the top, where they work)
    assignments/<assignment>/assignment.toml   the public settings (no ``reference`` key)
    assignments/<assignment>/tests/   the public tests
    assignments/<assignment>/<data>   the public data the settings declare

It never holds anything of ``reference/`` (the reference solution, hidden
tests, mutants, variants), ``submissions/`` or the store: files are copied from
an allow-list (the template, ``tests/*.py``, the declared data), never by
copying folders.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from .config import AssignmentConfig, load_assignment
from .course import Course, CourseError

WHEEL_DIR = "wheels"


class ReleaseError(CourseError):
    """A release that cannot be built, with a message for humans."""


def public_settings(text: str) -> str:
    """``assignment.toml``'s text without the top-level ``reference = ...`` line.

    Raises:
        ReleaseError: the result is not the same settings less ``reference``.
    """
    kept = [line for line in text.splitlines(keepends=True) if not re.match(r"\s*reference\s*=", line)]
    public = "".join(kept)
    before, after = tomllib.loads(text), tomllib.loads(public)
    before.pop("reference", None)
    if before != after:
        raise ReleaseError("assignment.toml: could not remove the reference key line by line; "
                           "write it as a plain `reference = \"file.py\"` line")
    return public


def template_of(course: Course, config: AssignmentConfig) -> Path:
    """The template students fill in: the first accepted file name in the assignment folder.

    Raises:
        ReleaseError: the assignment folder has none.
    """
    for name in config.files:
        path = course.assignment_dir(config.name) / name
        if path.is_file():
            return path
    raise ReleaseError(f"assignments/{config.name}/ has no template ({' or '.join(config.files)})")


def build_wheel(out_dir: Path) -> Path:
    """Build the grader's wheel (no dependencies) from its source tree into ``out_dir``.

    Raises:
        ReleaseError: the grader is not installed from a source tree, or the build failed.
    """
    source = Path(__file__).resolve().parent.parent
    if not (source / "pyproject.toml").is_file():
        raise ReleaseError(f"the grader at {source} is not a source tree (no pyproject.toml): "
                           "install it with `pip install -e .` from its repository to release")
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out_dir), str(source)], capture_output=True, text=True)
    wheels = sorted(out_dir.glob("grader-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ReleaseError(f"building the grader wheel failed:\n{proc.stderr[-2000:]}")
    return wheels[-1]


def requirements(wheel: str, template: Path, config: AssignmentConfig,
                 versions: dict[str, str] | None = None) -> str:
    """``requirements.txt``: the grader wheel (its core: what ``grader check`` needs), the packages
    of the grading environment that the template imports or the assignment declares, at the grading
    environment's versions (``versions``: the assignment's worker environment's, name -> version;
    default: those installed here), and for torch its CPU build (PyPI's default on Linux is the
    multi-gigabyte CUDA one).

    Raises:
        ReleaseError: a package to pin is in neither ``versions`` nor this environment.
    """
    from importlib import metadata

    from .imports import environment_packages, imported_modules, modules_of, package_name

    imported = imported_modules([_source_text(template)])
    declared = {package_name(p) for p in config.environment}
    lines = [wheel]
    for requirement in environment_packages(config):
        name = package_name(requirement)
        if name == "numpy" or (name not in declared and not modules_of([name]) & imported):
            continue  # numpy comes with the grader; the rest only where the template needs it
        try:
            version = versions[name] if versions and name in versions else metadata.version(name)
        except metadata.PackageNotFoundError:
            raise ReleaseError(f"{template.name} needs {name}, which is not installed here to pin its "
                               "version: build the worker environments first (grader env build)") from None
        if name == "torch":
            from .environment import release as plain

            lines += ["--extra-index-url https://download.pytorch.org/whl/cpu",
                      f'torch=={plain(version)}+cpu; sys_platform != "darwin"',
                      f'torch=={plain(version)}; sys_platform == "darwin"']
        else:
            lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


def _source_text(template: Path) -> str:
    """The code of a module, or of every code cell of a notebook."""
    if template.suffix != ".ipynb":
        return template.read_text()
    import nbformat

    nb = nbformat.read(template, as_version=4)  # type: ignore[no-untyped-call]
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def student_readme(config: AssignmentConfig, template: str, wheel: str, sha256: str) -> str:
    """The README students read first."""
    return f"""# {config.title or config.name}

Fill in `{template}`: replace every `raise NotImplementedError` with your code.
Read the first cells: they say what each function must do, the rules for grading
(leave your inputs unchanged) and the library versions your code is graded with.

## Install (once)

Python 3.11 and a virtual environment:

```sh
python3.11 -m venv .venv
.venv/bin/pip install -r requirements.txt
```

`requirements.txt` installs the grader from `{wheel}`
(sha256 `{sha256}`), the exact version your instructor grades with.

## Check your work

```sh
.venv/bin/grader check {config.name}
```

This runs the public tests on `{template}` and prints what passed and
what to fix. Your instructor grades with these and with hidden tests, so a full
public score is a good sign, not the grade. Your code runs in a separate
process; the tests never import it.
"""


def step_id(name: str) -> str:
    """The grading step's id (and the reporter's runner name): letters and digits only, as the
    reporter requires; its results variable is ``<ID upper-cased>_RESULTS``."""
    return re.sub(r"[^A-Za-z0-9]", "", name) or "grader"


def classroom_workflow(name: str) -> str:
    """``.github/workflows/classroom.yml`` in the shape GitHub Classroom generates: a job
    ``run-autograding-tests`` whose grading step (id :func:`step_id`) runs ``grader check
    --format classroom`` and whose last step is the reporter, fed that step's ``result``."""
    sid = step_id(name)
    return f"""name: Autograding Tests
'on':
- push
- workflow_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
    - name: Checkout code
      uses: actions/checkout@v4
    - name: Set up Python
      uses: actions/setup-python@v5
      with:
        python-version: '3.11'
    - name: Install the grader
      run: python -m pip install -r requirements.txt
    - name: {name} public tests
      id: {sid}
      run: grader check {name} --format classroom
    - name: Autograding Reporter
      uses: education/autograding-grading-reporter@v1
      env:
        {sid.upper()}_RESULTS: "${{{{steps.{sid}.outputs.result}}}}"
      with:
        runners: {sid}
"""


RECORD = "releases.json"  # in reference/<assignment>/: instructor-only, kept with the course


def record_path(config: AssignmentConfig) -> Path:
    """Where the releases of ``config``'s assignment are recorded: ``reference/<name>/releases.json``
    (instructor-only, never released; commit it with the course)."""
    if config.course is None:
        raise ReleaseError(f"{config.name} was not loaded from a course folder: no place to record its releases")
    return config.course.reference_dir(config.name) / RECORD


def record(config: AssignmentConfig, out: Path) -> None:
    """Add the release in ``out`` to :func:`record_path`: its time, and the SHA-256 of each file
    students must not change (:func:`grader.repos.release_files`' paths) that it holds."""
    from datetime import datetime, timezone

    from .repos import release_files

    path = record_path(config)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {"releases": []}
    files = {rel: hashlib.sha256((out / rel).read_bytes()).hexdigest()
             for rel in release_files(config) if (out / rel).is_file()}
    data["releases"].append({"released_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             "files": files})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def released(config: AssignmentConfig) -> dict[str, set[str]]:
    """Every version of each protected file that a recorded release of ``config``'s assignment
    held: path in the repository -> SHA-256 digests (empty if none is recorded or the record is
    unreadable)."""
    if config.course is None:
        return {}
    try:
        data = json.loads(record_path(config).read_text())
        out: dict[str, set[str]] = {}
        for entry in data["releases"]:
            for rel, digest in entry["files"].items():
                out.setdefault(str(rel), set()).add(str(digest))
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def release(course: Course, name: str, out: Path, *, classroom: bool = False, keep_record: bool = False) -> Path:
    """Write the student release of assignment ``name`` into ``out`` (created; must be empty or absent).

    With ``classroom``, also ``.github/workflows/classroom.yml`` (:func:`classroom_workflow`) and a
    ``.gitignore``: a GitHub Classroom template repository. With ``keep_record`` (``grader release``
    does), the release is added to :func:`record_path`, so that what students received is still
    recognised after the course's files change (:func:`grader.repos.tampering`).

    Returns:
        ``out``.

    Raises:
        ReleaseError: ``out`` is not empty, the template is missing, or the wheel cannot be built.
        grader.course.CourseError: unknown assignment or bad settings.
    """
    config = load_assignment(course, name)
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty: release into a new folder")
    template = template_of(course, config)
    src = course.assignment_dir(name)
    dest = out / "assignments" / name
    (dest / "tests").mkdir(parents=True)
    (dest / "assignment.toml").write_text(public_settings((src / "assignment.toml").read_text()))
    for test in sorted((src / "tests").glob("*.py")):
        shutil.copy2(test, dest / "tests" / test.name)
    for data in config.data:
        target = dest / data
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / data, target)
    shutil.copy2(template, out / template.name)
    wheel = build_wheel(out / WHEEL_DIR)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    from .workerenv import env_for

    env = env_for(course, config)  # pin what grading runs with, where a worker environment is built
    (out / "requirements.txt").write_text(requirements(f"./{WHEEL_DIR}/{wheel.name}", template, config,
                                                       env.installed if env else None))
    (out / "README.md").write_text(student_readme(config, template.name, f"{WHEEL_DIR}/{wheel.name}", digest))
    if classroom:
        workflows = out / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / "classroom.yml").write_text(classroom_workflow(name))
        (out / ".gitignore").write_text(".venv/\n__pycache__/\n.ipynb_checkpoints/\n")
    if keep_record:
        record(config, out)
    return out

