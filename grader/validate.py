"""``grader validate``: an instructor's check that an assignment is gradeable.

The reference solution must score full marks on the public and hidden tests,
the untouched template must not, the tests' points must add up to the
``points`` in the settings (when given), and public tests must not use the
``reference`` fixture (students do not have it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import AssignmentConfig, load_assignment, slot_limits
from .course import Course, CourseError
from .results import SubmissionResult
from .sandbox import make_backend
from .submissions import Submission, from_path


@dataclass
class Validation:
    """The outcome: ``problems`` is empty when the assignment is valid."""

    reference: SubmissionResult | None = None
    template: SubmissionResult | None = None
    problems: list[str] = field(default_factory=list)
    #: for an assignment imported from otter-grader: its cases counted by mode (grader.otter.cases)
    otter_modes: dict[str, int] = field(default_factory=dict)

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
    course_obj = Course.at(course)
    config = slot_limits(load_assignment(course_obj, assignment), jobs=1)
    if config.reference_path is None:
        raise CourseError(f"assignment {assignment!r} has no reference solution "
                          f"(expected reference/{assignment}/{config.reference or '<reference> in assignment.toml'})")
    template = next((config.assignment_dir / f for f in config.files if (config.assignment_dir / f).is_file()), None)
    out = Validation()
    subs = [from_path(config.reference_path, config, student="(reference)")]
    if template is not None:
        subs.append(from_path(template, config, student="(template)"))
    results, public_fixture_users = grade_with_hidden(course_obj, config, subs, backend=backend, image=image,
                                                      gpus=gpus)
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
    out.otter_modes = otter_modes(config)
    if out.otter_modes.get("auto"):
        out.problems.append(f"{out.otter_modes['auto']} otter case(s) were never classified (no solution at import): "
                            f"they run as `plain`; import again with --solution to check them")
    for name in public_fixture_users.get("reference", []):
        out.problems.append(f"public test {name} uses the `reference` fixture, which students do not have")
    return out


def grade_with_hidden(course_obj: Course, config: AssignmentConfig, subs: list[Submission], *, backend: str = "auto",
                      image: str | None = None, gpus: str | None = None) -> tuple[list[SubmissionResult], dict]:
    """Grade ``subs`` (the instructor's own files) on the public and hidden tests, in the sandbox
    ``backend`` names; return the results and which public tests use which trusted-only fixture
    (``{"reference": [test names]}``).

    Raises:
        grader.sandbox.base.SandboxError: the sandbox cannot start (its preflight says why).
        grader.harness.session.HarnessError: the tests cannot be collected.
    """
    from .harness.session import GradingSession

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
    try:
        results = session.grade(subs)
    finally:
        session.close()
        backend_obj.close()
    return results, dict(session.public_fixture_users)


def otter_modes(config: AssignmentConfig) -> dict[str, int]:
    """The cases of the otter test modules (``CASES = [...]``, written by ``grader import otter``)
    in the assignment's test folders, counted by mode; empty for other assignments."""
    import ast

    counts: dict[str, int] = {}
    folders = [config.assignment_dir / "tests"]
    if config.reference_path is not None:
        folders.append(config.reference_path.parent / "tests")
    for folder in folders:
        for path in sorted(folder.glob("test_*.py")):
            text = path.read_text(encoding="utf-8")
            if "from grader.otter import run_case" not in text:
                continue
            for node in ast.parse(text).body:
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CASES"
                                                        for t in node.targets):
                    for case in ast.literal_eval(node.value):
                        if case.get("scored") is False:  # a public copy of an all-or-nothing question's case
                            continue
                        mode = str(case.get("mode", "auto"))
                        counts[mode] = counts.get(mode, 0) + 1
    return counts
