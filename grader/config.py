"""Per-assignment settings, read from ``assignments/<name>/assignment.toml``.

Example::

    title = "Homework 1: neurons, activations and the forward pass"
    files = ["hw1.ipynb", "hw1.py"]   # accepted submission file names, preferred first
    data = []                         # public data files, relative to the assignment folder
    reference = "hw1.py"              # reference solution, relative to reference/<name>/
    points = 100                      # optional: what the tests must add up to
    seed = 1234                       # seeds the `rng` fixture
    fresh_runs = false                # true: tests may ask for fresh runs (grader.testing.fresh_run)
                                      # cheaply: the worker forks one child per run from a clean parent
    preload = []                      # modules that clean parent imports first, e.g. ["torch"]
    graded_names = []                 # the names the tests call, e.g. ["build_model", "train_model"]:
                                      # a fresh run of a notebook leaves out slow cells that define
                                      # nothing they use (grader.notebook.cells_to_skip)

    [limits]
    load_timeout = 60        # seconds to run the whole notebook or module
    cell_timeout = 30        # seconds for one notebook cell (the cell is interrupted)
    call_timeout = 10        # seconds for one call into the student's code
    total_timeout = 300      # seconds for the whole submission
    memory = "3GiB"          # address-space limit of the worker
    max_file_size = "10MiB"  # largest submission accepted
    output = "256KiB"        # captured stdout/stderr kept per submission
    disk = "64MiB"           # largest file the worker may write; with bubblewrap also what it may
                             # store in each of its home (besides its files), /tmp and /dev/shm
    threads = 1              # CPU threads per worker (OMP_NUM_THREADS, torch); 0: the slot's CPU share
    restarts = 2             # times one function may time out or crash and still be run again
    gpu_memory_fraction = 0  # Docker with --gpus: share of its GPU's memory a worker may allocate
                             # through torch (0: no cap); the worker applies it before student code
    max_elements = 1000000   # most elements of one array the tests receive from the worker (a reply,
                             # or an argument of a callback); a larger one fails that call
    max_message_elements = 4000000  # most array elements of one reply or callback, all arrays together
    trusted_memory = "1536MiB"  # data-segment limit (RLIMIT_DATA) of each trusted grading process of
                             # `grader grade`: tests, the reference and the decoded replies (0: none)
    warm_submissions = 100   # `grader grade` on bwrap or Docker: submissions one sandbox grades in
                             # turn, each in a child forked from its clean parent, which removes
                             # all the child left before the next (1: a new sandbox for each)

    [environment]            # optional: packages student code may import beyond the base
    packages = ["scikit-learn", "pandas"]   # (numpy, scipy, matplotlib, torch; see grader.imports)

    [deadline]               # optional: late work (see grader.late)
    due = 2026-12-18T23:59:00+01:00
    grace_minutes = 15
    penalty_per_day = 0.10   # share of the maximum score per started day late
    penalty_cap = 0.50

    [feedback]               # optional: what students see of the hidden tests (feedback pages, Gradescope)
    hidden = "after_published"   # "after_published": each hidden test's name, status and points once
                                 # grades are published; "hidden": only the total of the hidden tests
    hidden_messages = false      # true: also a hidden test's message and hint (they may name its inputs)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .course import Course, CourseError
from .late import Deadline

_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 10**3, "mb": 10**6, "gb": 10**9}


def parse_size(value: int | float | str) -> int:
    """Parse ``"3GiB"``, ``"512 MiB"``, ``"10MB"`` or a number of bytes into bytes.

    Raises:
        ValueError: on an unknown unit or a negative size.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):  # TOML has nan and inf
            raise ValueError(f"not a size: {value!r}")
        size = int(value)
    else:
        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(value))
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(f"not a size: {value!r} (use e.g. '512MiB', '3GiB')")
        size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size < 0:
        raise ValueError(f"a size cannot be negative: {value!r}")
    return size


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission. Times in seconds, sizes in bytes."""

    load_timeout: float = 60.0
    cell_timeout: float = 30.0
    call_timeout: float = 10.0
    total_timeout: float = 300.0
    memory: int = 3 * 2**30
    max_file_size: int = 10 * 2**20
    output: int = 256 * 2**10
    disk: int = 64 * 2**20
    threads: int = 0  # 0: the slot's CPU share (cores // jobs)
    restarts: int = 2
    processes: int = 256
    open_files: int = 256
    gpu_memory_fraction: float = 0.0  # 0: no cap; else torch.cuda.set_per_process_memory_fraction
    max_elements: int = 1_000_000  # per array received from the worker (elements, not bytes)
    max_message_elements: int = 4_000_000  # per reply or callback frame, all arrays together
    trusted_memory: int = 1536 * 2**20  # RLIMIT_DATA of a grading process (bytes; 0: no limit)
    warm_submissions: int = 100  # submissions one warm sandbox grades in turn (1: a sandbox each)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Limits:
        known = {f.name: f for f in fields(cls)}
        unknown = set(d) - set(known)
        if unknown:
            raise ValueError(f"unknown limits: {', '.join(sorted(unknown))}")
        kw: dict[str, Any] = {}
        for k, v in d.items():
            if k in ("memory", "max_file_size", "output", "disk", "trusted_memory"):
                kw[k] = parse_size(v)
            elif k in ("threads", "restarts", "processes", "open_files"):
                kw[k] = int(v)
            elif k == "warm_submissions":
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise ValueError(f"limits.{k} must be a whole number of submissions, at least 1, got {v!r}")
                kw[k] = v
            elif k in ("max_elements", "max_message_elements"):
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 1:
                    raise ValueError(f"limits.{k} must be a positive number of elements, got {v!r}")
                kw[k] = int(v)
            elif k == "gpu_memory_fraction":
                kw[k] = float(v)
                if not 0 <= kw[k] <= 1:  # NaN too
                    raise ValueError(f"limits.{k} must be between 0 and 1, got {v!r}")
            else:
                kw[k] = float(v)
                if not kw[k] > 0:  # NaN too (TOML has nan)
                    raise ValueError(f"limits.{k} must be positive, got {v!r}")
        return cls(**kw)


@dataclass(frozen=True)
class Feedback:
    """``[feedback]``: what students see of the hidden tests.

    Attributes:
        hidden: ``"after_published"`` (each hidden test's name, status and points, once grades are
            published: Gradescope's visibility of that name) or ``"hidden"`` (only the hidden tests'
            total; Gradescope's ``hidden``).
        hidden_messages: whether a hidden test's message and hint are shown too (they may name
            the test's inputs, which then stop being secret).
    """

    hidden: str = "after_published"
    hidden_messages: bool = False

    @classmethod
    def from_dict(cls, d: Any) -> Feedback:
        """Raises:
            ValueError: not a table of these two settings with valid values."""
        if not isinstance(d, dict) or set(d) - {"hidden", "hidden_messages"}:
            raise ValueError('[feedback] holds hidden = "after_published" | "hidden" and hidden_messages = true | false')
        hidden = d.get("hidden", "after_published")
        if hidden not in ("after_published", "hidden"):
            raise ValueError(f'[feedback] hidden must be "after_published" or "hidden", got {hidden!r}')
        messages = d.get("hidden_messages", False)
        if not isinstance(messages, bool):
            raise ValueError(f"[feedback] hidden_messages must be true or false, got {messages!r}")
        return cls(hidden=hidden, hidden_messages=messages)


@dataclass(frozen=True)
class AssignmentConfig:
    """The settings of one assignment, plus where its parts are on disk."""

    name: str
    title: str
    files: tuple[str, ...]
    data: tuple[str, ...] = ()
    reference: str | None = None
    points: float | None = None
    seed: int = 0
    limits: Limits = field(default_factory=Limits)
    course: Course | None = None
    fresh_runs: bool = False
    preload: tuple[str, ...] = ()
    graded_names: tuple[str, ...] = ()
    deadline: Deadline | None = None
    environment: tuple[str, ...] = ()
    feedback: Feedback = field(default_factory=Feedback)

    @property
    def assignment_dir(self) -> Path:
        assert self.course is not None
        return self.course.assignment_dir(self.name)

    @property
    def public_tests_dir(self) -> Path:
        assert self.course is not None
        return self.course.public_tests_dir(self.name)

    @property
    def hidden_tests_dir(self) -> Path:
        assert self.course is not None
        return self.course.hidden_tests_dir(self.name)

    @property
    def reference_path(self) -> Path | None:
        """The reference solution file, or None if this copy has no reference/."""
        if self.course is None or self.reference is None:
            return None
        path = self.course.reference_dir(self.name) / self.reference
        return path if path.is_file() else None

    def data_paths(self) -> list[Path]:
        return [self.assignment_dir / d for d in self.data]


def load_assignment(course: Course, name: str) -> AssignmentConfig:
    """Read and check ``assignments/<name>/assignment.toml``.

    Raises:
        CourseError: if the assignment does not exist or its settings are invalid
            (the message names the file and the problem).
    """
    path = course.assignment_dir(name) / "assignment.toml"
    if not path.is_file():
        known = ", ".join(course.assignment_names()) or "none"
        raise CourseError(f"no assignment {name!r} in {course.assignments_dir} (known: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: invalid TOML: {exc}") from None
    allowed = {"title", "files", "data", "reference", "points", "seed", "limits", "fresh_runs", "preload",
               "graded_names", "deadline", "environment", "feedback"}
    unknown = set(raw) - allowed
    if unknown:
        raise CourseError(f"{path}: unknown settings: {', '.join(sorted(unknown))}")
    try:
        files = tuple(str(f) for f in raw.get("files", [f"{name}.ipynb", f"{name}.py"]))
        if not files or any(Path(f).suffix not in (".ipynb", ".py") for f in files):
            raise ValueError("files must list .ipynb or .py names")
        data = tuple(str(d) for d in raw.get("data", []))
        for d in data:
            p = (course.assignment_dir(name) / d).resolve()
            if not p.is_file() or course.assignment_dir(name).resolve() not in p.parents:
                raise ValueError(f"data file {d!r} is not a file inside the assignment folder")
        limits = Limits.from_dict(raw.get("limits", {}))
        points = raw.get("points")
        reference = raw.get("reference")
        if reference is not None and (not isinstance(reference, str) or not reference):
            raise ValueError(f"reference must be a file name, got {reference!r}")
        fresh_runs = raw.get("fresh_runs", False)
        if not isinstance(fresh_runs, bool):
            raise ValueError(f"fresh_runs must be true or false, got {fresh_runs!r}")
        preload = raw.get("preload", [])
        if not isinstance(preload, list) or not all(
                isinstance(m, str) and all(part.isidentifier() for part in m.split(".")) for m in preload):
            raise ValueError(f"preload must be a list of module names, got {preload!r}")
        graded_names = raw.get("graded_names", [])
        if not isinstance(graded_names, list) or not all(isinstance(n, str) and n.isidentifier()
                                                         for n in graded_names):
            raise ValueError(f"graded_names must be a list of Python names, got {graded_names!r}")
        cfg = AssignmentConfig(
            name=name,
            title=str(raw.get("title", name)),
            files=files,
            data=data,
            reference=reference,
            points=float(points) if points is not None else None,
            seed=int(raw.get("seed", 0)),
            limits=limits,
            course=course,
            fresh_runs=fresh_runs,
            preload=tuple(preload),
            graded_names=tuple(graded_names),
            deadline=Deadline.from_dict(raw["deadline"]) if "deadline" in raw else None,
            environment=_environment(raw.get("environment", {})),
            feedback=Feedback.from_dict(raw.get("feedback", {})),
        )
    except (ValueError, TypeError, OverflowError) as exc:  # OverflowError: int(inf)
        raise CourseError(f"{path}: {exc}") from None
    return cfg


def _environment(table: Any) -> tuple[str, ...]:
    """``[environment] packages``: pip requirement strings (``"scikit-learn>=1.3"``).

    Raises:
        ValueError: not a table with a list of requirement strings.
    """
    if not isinstance(table, dict) or set(table) - {"packages"}:
        raise ValueError("[environment] holds one setting: packages = [\"scikit-learn\", ...]")
    packages = table.get("packages", [])
    if not isinstance(packages, list) or not all(
            isinstance(p, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\s*([<>=!~]=?[^;]*)?", p.strip())
            for p in packages):
        raise ValueError(f"[environment] packages must be pip requirements like \"scikit-learn>=1.3\", got {packages!r}")
    return tuple(p.strip() for p in packages)


def slot_limits(config: AssignmentConfig, jobs: int) -> AssignmentConfig:
    """The config with ``limits.threads`` set to one grading slot's CPU share
    (cores // jobs, at least 1), unless the settings fix it."""
    import dataclasses
    import os

    threads = config.limits.threads or max(1, (os.cpu_count() or 1) // max(1, jobs))
    return dataclasses.replace(config, limits=dataclasses.replace(config.limits, threads=threads))
