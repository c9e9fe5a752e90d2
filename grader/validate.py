"""``grader validate``: an instructor's check that an assignment is gradeable.

The reference solution must score full marks on the public and hidden tests,
the untouched template must not, the tests' points must add up to the
``points`` in the settings (when given), and public tests must not use the
``reference`` fixture (students do not have it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import load_assignment, slot_limits
from .course import Course, CourseError
from .results import SubmissionResult
from .sandbox import make_backend
from .submissions import from_path


@dataclass
class Validation:
    """The outcome: ``problems`` is empty when the assignment is valid."""

    reference: SubmissionResult | None = None
    template: SubmissionResult | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def main(assignment: str, *, course: str | Path | None = None, backend: str = "auto", image: str | None = None,
         gpus: str | None = None) -> Validation:
    """Grade the reference solution and the template, and check the rules above.

    ``backend``, ``image`` and ``gpus`` choose the sandbox as for :func:`grader.grade.main`.

    Raises:
        grader.course.CourseError: unknown assignment, or no reference solution.
        grader.harness.session.HarnessError: the tests cannot be collected.
    """
    from .harness.session import GradingSession

    course_obj = Course.at(course)
    config = slot_limits(load_assignment(course_obj, assignment), jobs=1)
    if config.reference_path is None:
        raise CourseError(f"assignment {assignment!r} has no reference solution "
                          f"(expected reference/{assignment}/{config.reference or '<reference> in assignment.toml'})")
    template = next((config.assignment_dir / f for f in config.files if (config.assignment_dir / f).is_file()), None)
    out = Validation()
    options = {}
    if backend != "docker" and not gpus:
        from .grade import worker_python

        options = worker_python(course_obj, config)
    backend_obj = make_backend(backend, hide=[course_obj.root], image=image, gpus=gpus, **options)
    try:
        backend_obj.preflight()
    except BaseException:
        backend_obj.close()
        raise
    session = GradingSession(config, backend_obj, include_hidden=True)
    subs = [from_path(config.reference_path, config, student="(reference)")]
    if template is not None:
        subs.append(from_path(template, config, student="(template)"))
    try:
        results = session.grade(subs)
    finally:
        session.close()
        backend_obj.close()
    out.reference = results[0]
    ref = out.reference
    if ref.score < ref.max_score - 1e-9:
        failed = [t.name for t in ref.tests if not t.passed]
        out.problems.append(f"the reference solution scores {ref.score:g}/{ref.max_score:g}; failing: "
                            + ", ".join(failed[:10]))
    if template is None:
        out.problems.append(f"no template in assignments/{assignment}/ (expected one of {', '.join(config.files)})")
    else:
        out.template = results[1]
        if out.template.max_score > 0 and out.template.score >= out.template.max_score - 1e-9:
            out.problems.append("the untouched template scores full marks: the tests do not test anything")
    if config.points is not None and abs(ref.max_score - config.points) > 1e-6:
        out.problems.append(f"the tests add up to {ref.max_score:g} points, but assignment.toml says {config.points:g}")
    for name in session.public_fixture_users.get("reference", []):
        out.problems.append(f"public test {name} uses the `reference` fixture, which students do not have")
    return out
