"""``grader check``: a student runs the public tests on their own work.

It needs only the public part of the course (``assignments/``), so it works in
a student's copy without ``reference/``. The student's code still runs in a
separate worker process (sandboxed where bubblewrap exists); the tests run here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import AssignmentConfig, load_assignment, slot_limits
from .course import Course, CourseError
from .harness.workers import WorkerSupply
from .results import SubmissionResult
from .sandbox import make_backend
from .submissions import from_path


def find_course(assignment: str, start: Path) -> Course:
    """The nearest folder at or above ``start`` that holds ``assignments/<assignment>/``.

    Raises:
        CourseError: if there is none.
    """
    for folder in [start, *start.parents]:
        if (folder / "assignments" / assignment / "assignment.toml").is_file():
            return Course(folder)
    raise CourseError(f"no course folder with assignments/{assignment}/ at or above {start} "
                      "(run from your course folder or pass --course DIR)")


def default_path(config: AssignmentConfig, cwd: Path) -> Path:
    """The assignment's file in ``cwd`` (the first accepted name that exists).

    Raises:
        CourseError: if none of the accepted names exists there.
    """
    for name in config.files:
        if (cwd / name).is_file():
            return cwd / name
    raise CourseError(f"no {' or '.join(config.files)} in {cwd}: pass the path of your notebook or module")


@dataclass(frozen=True)
class Checked:
    """A check's result, with what it checked: the settings and the file or folder."""

    result: SubmissionResult
    config: AssignmentConfig
    target: Path
    missing_imports: tuple[str, ...] = ()


def main(assignment: str, path: str | Path | None = None, *, course: str | Path | None = None,
         backend: str = "auto", image: str | None = None) -> SubmissionResult:
    """:func:`run`'s result only."""
    return run(assignment, path, course=course, backend=backend, image=image).result


def run(assignment: str, path: str | Path | None = None, *, course: str | Path | None = None,
        backend: str = "auto", image: str | None = None) -> Checked:
    """Run the public tests of ``assignment`` on one notebook, module or folder.

    Args:
        path: the student's file or folder (default: the assignment's file in
            the current directory).
        course: the course root (default: found at or above the current directory).
        backend: ``auto`` (bubblewrap where installed, else a plain subprocess),
            ``bwrap``, ``docker`` or ``subprocess``.
        image: the Docker backend's grading image (default: see :func:`grader.sandbox.make_backend`).

    Raises:
        grader.course.CourseError: no course, unknown assignment, or no file to check.
        grader.harness.session.HarnessError: the public tests cannot be collected.
    """
    cwd = Path.cwd()
    course_obj = Course.at(course) if course else find_course(assignment, cwd)
    config = slot_limits(load_assignment(course_obj, assignment), jobs=1)
    target = Path(path) if path else default_path(config, cwd)
    if not target.exists():
        raise CourseError(f"{target} does not exist")
    sub = from_path(target.resolve(), config, student="local")
    backend_obj = make_backend(backend, hide=[course_obj.root], image=image)
    # the worker starts first (its Python and numpy imports take ~0.1 s), and this process
    # imports pytest and the harness meanwhile: one check, one worker, no spare after it
    workers = WorkerSupply(config, backend_obj, prestart=False)
    try:
        if sub.problem is None:
            workers.start_spare()
        from .harness.session import GradingSession

        session = GradingSession(config, backend_obj, include_hidden=False, workers=workers)
        [result] = session.grade([sub])
    finally:
        workers.close()
        backend_obj.close()
    from .imports import missing_imports

    return Checked(result, config, target.resolve(), tuple(missing_imports(sub, config)))


def others_beside(config: AssignmentConfig, chosen: Path) -> list[str]:
    """The assignment's other accepted file names that also exist next to ``chosen`` (not checked)."""
    return [name for name in config.files if name != chosen.name and (chosen.parent / name).is_file()]


def hidden_points(config: AssignmentConfig, result: SubmissionResult) -> float | None:
    """The hidden tests' points: the assignment's ``points`` less the public ones, when ``points`` is set."""
    if config.points is None or not result.tests:
        return None
    return max(0.0, float(config.points) - result.max_score)


def all_passed(result: SubmissionResult) -> bool:
    return bool(result.tests) and all(t.passed for t in result.tests)
