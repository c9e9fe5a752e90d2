"""Writing an imported otter assignment into the course: ``assignments/<name>/`` (settings, the
student notebook, data, public tests) and ``reference/<name>/`` (the solution, hidden tests).

Each question becomes one test module per folder, ``tests/test_<n>_<question>.py`` (``n``: its
place in the notebook), holding its cases as data (``CASES``) and one test per case, worth the
case's points, that calls :func:`grader.otter.cases.run_case`. A question graded all-or-nothing by
otter becomes one hidden test worth all its points that runs every case (its public cases stay
public, worth 0 points, so students still see them with ``grader check``).
"""

from __future__ import annotations

import ast
import json
import pprint
import re
from datetime import date
from pathlib import Path

from ..notebook import NotebookError, is_otter_cell, read_notebook
from .source import OTTER_VERSION, OtterAssignment, Question

_HEADER = '''"""Question {question!r}: the {visibility} cases of otter-grader's test {origin}, imported by
`grader import otter` on {day} ({count} case(s), {points:g} point(s) here).

Each case is otter's own doctest text, run by grader.otter.cases.run_case: in the trusted process
with the notebook's names as handles to the student's code ("plain", "handles"), or, for a test
whose name ends in _in_worker, in the sandboxed worker as otter runs it (see grader.otter.cases).
Running `grader import otter` again overwrites this file.
"""

import pytest

from grader.otter import run_case

pytestmark = pytest.mark.question({question!r})

# the modules the solution imports: these names are this process's own modules, never the student's
MODULES = {modules}

CASES = {cases}
'''

_CASE_TEST = '''

@pytest.mark.points({points!r})
def {function}(submission, request):
    run_case(submission, CASES[{index}], MODULES, request)
'''

_ALL_TEST = '''

@pytest.mark.points({points!r})
def {function}(submission, request):
    """otter grades this question all or nothing: its points only if every case passes."""
    for case in CASES:
        run_case(submission, case, MODULES, request)
'''


def write(otter: OtterAssignment, name: str, course_root: Path, *, origin: str, modules: dict[str, str]) -> list[Path]:
    """Write the assignment; return the files written.

    Args:
        name: the assignment's name in this course (a folder name).
        origin: where it came from, for the files' headers (the path given to the import).
        modules: the solution's imports (:func:`modules_of`).
    """
    adir, rdir = course_root / "assignments" / name, course_root / "reference" / name
    written: list[Path] = []

    def put(path: Path, data: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        written.append(path)

    notebook = f"{name}.ipynb"
    if otter.student is not None:
        put(adir / notebook, _dump(strip_otter_cells(otter.student, check_hint=name)))
    if otter.solution is not None:
        put(rdir / notebook, _dump(strip_otter_cells(otter.solution)))
    for rel, data in otter.files.items():
        put(adir / rel, data)
    width = len(str(len(otter.questions)))
    for number, q in enumerate(otter.questions, 1):
        # numbered in the notebook's order, so pytest (which goes by file name) runs and reports the
        # questions in that order (q9 before q10); the question's name is its pytest.mark.question
        stem = f"test_{number:0{width}d}_{_identifier(q.name)}"
        public = [c for c in q.cases if not c["hidden"]]
        hidden = [c for c in q.cases if c["hidden"]]
        if q.all_or_nothing:
            if public:
                put(adir / "tests" / f"{stem}.py", test_module(q, public, "public", origin, modules, zero_points=True))
            put(rdir / "tests" / f"{stem}.py", test_module(q, q.cases, "hidden", origin, modules, all_or_nothing=True))
            continue
        if public:
            put(adir / "tests" / f"{stem}.py", test_module(q, public, "public", origin, modules))
        if hidden:
            put(rdir / "tests" / f"{stem}.py", test_module(q, hidden, "hidden", origin, modules))
    put(adir / "assignment.toml", settings(otter, name, origin))
    return written


def test_module(q: Question, cases: list[dict], visibility: str, origin: str, modules: dict[str, str], *,
                zero_points: bool = False, all_or_nothing: bool = False) -> str:
    """The source of one question's test module (see the module docstring)."""
    cases = [{**c, "mode": c.get("mode", "auto")} | ({"scored": False} if zero_points else {}) for c in cases]
    points = 0.0 if zero_points else sum(c["points"] for c in cases)
    text = _HEADER.format(question=q.name, visibility=visibility, origin=f"{Path(q.path).name or q.name} ({origin})",
                          day=date.today().isoformat(), count=len(cases), points=points,
                          modules=pprint.pformat(modules, width=100),
                          cases=pprint.pformat(cases, width=110, sort_dicts=False))
    if all_or_nothing:
        worker = any(c["mode"] == "worker" for c in cases)
        return text + _ALL_TEST.format(points=_round(points), function="test_all_cases" + ("_in_worker" * worker))
    for i, case in enumerate(cases):
        number = _case_number(case, i)
        function = f"test_case_{number}" + ("_in_worker" if case["mode"] == "worker" else "")
        text += _CASE_TEST.format(points=0.0 if zero_points else _round(case["points"]), function=function, index=i)
    return text


def _case_number(case: dict, i: int) -> str:
    match = re.search(r"(\d+)\s*$", str(case.get("name", "")))
    return match.group(1) if match else str(i + 1)


def settings(otter: OtterAssignment, name: str, origin: str) -> str:
    """The ``assignment.toml`` of an imported assignment."""
    title = _title(otter.student or otter.solution) or name
    files = [f"{name}.ipynb"] + ([otter.notebook_name] if otter.notebook_name != f"{name}.ipynb" else [])
    total = _round(sum(q.points for q in otter.questions))
    lines = [
        f"# Imported from otter-grader ({origin}) by `grader import otter` on {date.today().isoformat()},",
        f"# with otter-grader {OTTER_VERSION}: the questions' cases are in tests/ (public) and",
        f"# reference/{name}/tests/ (hidden); the solution is reference/{name}/{name}.ipynb.",
        f"title = {json.dumps(title)}",
        f"files = {json.dumps(files)}",
        f"data = {json.dumps(sorted(otter.files))}",
        f"reference = {json.dumps(name + '.ipynb')}" if otter.solution is not None else "# no solution was imported",
        f"points = {total!r}",
    ]
    packages = [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in otter.requirements]
    packages = [p for p in packages if p and p.lower() not in {"otter-grader", "numpy", "scipy", "matplotlib",
                                                                 "torch", "pytest"}]
    if packages:
        lines += ["", "[environment]  # otter's requirements beyond the base (numpy, scipy, matplotlib, torch)",
                  f"packages = {json.dumps(packages)}"]
    return "\n".join(lines) + "\n"


def _round(x: float) -> float | int:
    r = round(float(x), 9)
    return int(r) if r == int(r) else r


def _title(nb: dict | None) -> str:
    for cell in (nb or {}).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()[:200]
    return ""


def _identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name, flags=re.ASCII).strip("_").lower()
    return ident or "question"


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def strip_otter_cells(nb: dict, check_hint: str | None = None) -> dict:
    """The notebook without otter's own code cells: ``import otter`` / ``grader = otter.Notebook(...)``
    and the ``grader.check(...)``, ``grader.check_all()`` and ``grader.export(...)`` calls (they
    need otter in the student's environment, and this grader checks answers with ``grader check``).
    With ``check_hint`` (the assignment's name), the first removed cell becomes a note saying how.
    Outputs are cleared. Other cells are kept as they are."""
    cells, hinted = [], False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and is_otter_cell(_source(cell)):
            if check_hint and not hinted:
                cells.append({"cell_type": "markdown", "metadata": {}, "source":
                              f"Check your answers with the public tests: `grader check {check_hint} "
                              f"{check_hint}.ipynb` (in a terminal, in this folder)."})
                hinted = True
            continue
        if cell.get("cell_type") == "code":
            cell = {**cell, "outputs": [], "execution_count": None}
        cells.append(cell)
    return {**nb, "cells": cells}


def modules_of(nb: dict, *, exclude_under: Path | None = None) -> dict[str, str]:
    """The module names the notebook's top-level imports bind: ``{"np": "numpy"}``,
    ``{"softmax": "scipy.special:softmax"}``; ``otter`` and modules this process cannot import
    (or that ``exclude_under``, the assignment's own folder, provides) are left out.

    Raises:
        grader.notebook.NotebookError: the notebook cannot be read.
    """
    import importlib.util

    out: dict[str, str] = {}
    for cell in read_notebook(json.dumps(nb)):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for stmt in _top_level(tree.body):
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
                for a in stmt.names:
                    if a.name != "*":
                        out[a.asname or a.name] = f"{stmt.module}:{a.name}"
    kept = {}
    for alias, spec in out.items():
        top = spec.split(":")[0].split(".")[0]
        if top == "otter":
            continue
        try:
            found = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        origin = getattr(found, "origin", None) if found else None
        if found is None or (exclude_under is not None and origin and
                             Path(origin).resolve().is_relative_to(exclude_under.resolve())):
            continue
        kept[alias] = spec
    return kept


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            out += _top_level(stmt.body)
            out += _top_level(getattr(stmt, "orelse", []))
            for h in getattr(stmt, "handlers", []):
                out += _top_level(h.body)
    return out


__all__ = ["write", "test_module", "settings", "strip_otter_cells", "modules_of", "NotebookError"]
