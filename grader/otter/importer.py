"""``grader import otter``: an otter-grader assignment becomes one of this course's assignments.

1. :func:`grader.otter.source.read` reads it with otter's library (running ``otter assign`` on a
   master notebook);
2. :func:`grader.otter.emit.write` writes the folders, every case in mode ``auto``;
3. the solution is graded once, in the sandbox, on every case (:func:`classify`): each case gets
   the first mode in which the solution passes it (``plain``, then ``handles``, then
   ``worker``), and the tests are written again with it. A case the solution fails in every mode
   is reported (and kept as ``worker``, as otter would run it).

The modes come from the instructor's solution only: a submission cannot move a case to the worker.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from . import emit, source
from .cases import CLASSIFY_ENV


@dataclass
class ImportReport:
    """What the import did. ``modes`` counts the cases by mode (``auto``: not classified, there was
    no solution); ``failing`` names the cases the solution fails, with doctest's report."""

    name: str
    written: list[Path]
    questions: int
    cases: int
    points: float
    modes: Counter = field(default_factory=Counter)
    failing: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def main(src: Path, name: str, *, course: str | Path | None = None, student: Path | None = None,
         solution: Path | None = None, backend: str = "auto", force: bool = False,
         classify_cases: bool = True) -> ImportReport:
    """Import ``src`` as assignment ``name``.

    Args:
        src: a master notebook, an ``otter assign`` output folder, or an autograder zip.
        student, solution: notebooks to use with (or instead of) the ones found.
        backend: the sandbox the solution is graded in to classify the cases.
        force: replace an existing ``assignments/<name>/`` and ``reference/<name>/``.
        classify_cases: False: leave every case ``auto`` (graded as ``plain``).

    Raises:
        grader.otter.source.OtterImportError: not an otter assignment this importer reads.
        FileExistsError: the assignment exists and ``force`` is not set.
        ValueError: ``name`` is not a plain folder name.
    """
    if not name or name != Path(name).name or name.startswith(".") or not name.replace("-", "_").isidentifier():
        raise ValueError(f"{name!r} is not an assignment name (letters, digits, - and _)")
    course_obj = Course.at(course)
    otter = source.read(src, student=student, solution=solution)
    adir, rdir = course_obj.assignment_dir(name), course_obj.reference_dir(name)
    existing = [p for p in (adir, rdir) if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{', '.join(str(p) for p in existing)} already exist(s): choose another name, "
                              f"or --force to replace")
    for p in existing:
        shutil.rmtree(p)
    modules = emit.modules_of(otter.solution or otter.student or {"cells": []}, exclude_under=src.parent) \
        if (otter.solution or otter.student) else {}
    written = emit.write(otter, name, course_obj.root, origin=str(src), modules=modules)
    cases = [c for q in otter.questions for c in q.cases]
    report = ImportReport(name, written, len(otter.questions), len(cases),
                          sum(q.points for q in otter.questions))
    if not otter.questions:
        report.warnings.append("otter found no tests: the assignment has no points")
    if otter.solution is None or not classify_cases:
        if otter.solution is None:
            report.warnings.append("no solution notebook: the cases could not be classified and run as `plain` "
                                   "(give --solution to classify them)")
        report.modes = Counter("auto" for _ in cases)
        return report
    modes, failing = classify(course_obj, name, backend=backend)
    for case in cases:
        if case["name"] not in modes:  # the solution's run ended (a timeout, a crash) before this case
            failing[case["name"]] = "the solution's grading never reached this case (see grader validate)"
        case["mode"] = modes.get(case["name"], "worker")
    report.failing = failing
    report.modes = Counter(c["mode"] for c in cases)
    for path in [p for p in written if p.name.startswith("test_")]:
        path.unlink()
    report.written = emit.write(otter, name, course_obj.root, origin=str(src), modules=modules)
    return report


def classify(course_obj: Course, name: str, *, backend: str = "auto") -> tuple[dict[str, str], dict[str, str]]:
    """Grade the solution once on every ``auto`` case and return ``({case: mode}, {case: report})``:
    the first mode that passes, and for a case the solution fails in every mode, doctest's report.

    Raises:
        grader.sandbox.base.SandboxError: the sandbox cannot start.
    """
    from ..config import load_assignment, slot_limits
    from ..submissions import from_path
    from ..validate import grade_with_hidden

    config = slot_limits(load_assignment(course_obj, name), jobs=1)
    assert config.reference_path is not None
    with tempfile.TemporaryDirectory(prefix="grader-otter-classify-") as tmp:
        log = Path(tmp) / "modes.jsonl"
        log.touch()
        old = os.environ.get(CLASSIFY_ENV)
        os.environ[CLASSIFY_ENV] = str(log)
        try:
            grade_with_hidden(course_obj, config, [from_path(config.reference_path, config, student="(solution)")],
                              backend=backend)
        finally:
            if old is None:
                os.environ.pop(CLASSIFY_ENV, None)
            else:
                os.environ[CLASSIFY_ENV] = old
        modes, failing = {}, {}
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["mode"] == "failing":
                failing[entry["name"]] = entry["report"]
                modes[entry["name"]] = "worker"
            else:
                modes[entry["name"]] = entry["mode"]
    return modes, failing
