"""Shared helpers for the validity tests of each assignment's suites.

An assignment ``<hw>`` ships ``reference/<hw>/variants/*.py`` (correct
implementations in other styles: full marks) and ``reference/<hw>/mutants/*.py``
(one plausible mistake each, kept as ``*.patch`` against the reference, which
``tests/conftest.py`` turns into those files first; the docstring says "Must lose points in:
<questions>."). ``test_validity.py`` grades all of them, the reference and the
template through the real pipeline (bubblewrap sandbox, public + hidden tests)
in one session per assignment, and asserts that right and wrong are told apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.config import load_assignment
from grader.course import Course
from grader.harness.session import GradingSession
from grader.results import SubmissionResult
from grader.sandbox import make_backend
from grader.submissions import from_path

ROOT = Path(__file__).resolve().parents[2]


def student_id(path: Path) -> str:
    """A unique id per graded file: its path in the repository, ``/`` as ``-``
    (e.g. ``reference-hw1-mutants-relu_grad_one_at_zero.py``)."""
    path = Path(path).resolve()
    parts = path.relative_to(ROOT).parts if ROOT in path.parents else (path.parent.name, path.name)
    return "-".join(parts)


def named_questions(path: Path) -> set[str]:
    """The questions a mutant's docstring says it must lose points in."""
    match = re.search(r"Must lose points in: ([\w, -]+)\.", path.read_text())
    assert match, f"{path.name}: the docstring must say 'Must lose points in: <questions>.'"
    return {q.strip() for q in match.group(1).split(",")}


def lost_points(result: SubmissionResult) -> dict[str, float]:
    """Points lost per question."""
    lost: dict[str, float] = {}
    for t in result.tests:
        if t.score < t.max_score:
            lost[t.question] = lost.get(t.question, 0.0) + t.max_score - t.score
    return lost


def failures(result: SubmissionResult) -> str:
    return "\n".join(f"  {t.name}: {t.message[:300]}" for t in result.tests if not t.passed)


def grade_files(assignment: str, paths: list[Path], *, include_hidden: bool = True,
                backend: str = "bwrap") -> dict[str, SubmissionResult]:
    """Grade files of ``assignment`` in one session; results keyed by :func:`student_id`."""
    config = load_assignment(Course.at(ROOT), assignment)
    backend_obj = make_backend(backend, hide=[ROOT])
    session = GradingSession(config, backend_obj, include_hidden=include_hidden)
    try:
        subs = [from_path(p, config, student=student_id(p)) for p in paths]
        return {r.student: r for r in session.grade(subs)}
    finally:
        session.close()
        backend_obj.close()
