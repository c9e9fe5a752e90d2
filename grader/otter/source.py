"""Reading an otter-grader assignment, with otter-grader's own library: a master notebook (run
through ``otter assign``'s Python API), the folder ``otter assign`` wrote, or an autograder zip.

What comes out is an :class:`OtterAssignment`: the student notebook, the solution notebook, and
each question's OK-format test cases with their points resolved by otter
(``OKTestFile.from_spec``: a question's ``points`` divided among the cases that name none).
otter-grader is needed here only, on the instructor's machine; the tests ``grader import otter``
writes run without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OTTER_VERSION = "7.0.0"


class OtterImportError(ValueError):
    """The source is not an otter assignment this importer reads; the message says why."""


@dataclass
class Question:
    """One OK-format test file: ``cases`` are dicts with ``name``, ``code`` (doctest text),
    ``points`` (float), ``hidden``, ``success_message``, ``failure_message``."""

    name: str
    cases: list[dict]
    all_or_nothing: bool = False
    path: str = ""

    @property
    def points(self) -> float:
        return float(sum(c["points"] for c in self.cases))


@dataclass
class OtterAssignment:
    """What ``grader import otter`` turns into ``assignments/<name>/`` and ``reference/<name>/``.

    Attributes:
        notebook_name: the file name otter gave the notebooks (``hw2.ipynb``).
        student: the student notebook's JSON (None: a zip alone has none).
        solution: the solution notebook's JSON (None: likewise).
        questions: in the notebook's order.
        files: other files otter gave the students (data), name -> bytes.
        requirements: otter's ``requirements.txt`` lines (packages beyond otter's base).
    """

    notebook_name: str
    student: dict | None
    solution: dict | None
    questions: list[Question]
    files: dict[str, bytes] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)


def read(source: Path, *, student: Path | None = None, solution: Path | None = None) -> OtterAssignment:
    """Read ``source``: a master notebook, an ``otter assign`` output folder or an autograder zip.

    Args:
        student, solution: notebooks that complete a zip (which holds tests only), or replace
            the ones found.

    Raises:
        OtterImportError: not an otter assignment; exception-format (non-OK) tests; otter assign failed.
        FileNotFoundError: ``source`` does not exist.
    """
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    if source.is_dir():
        out = _read_output_folder(source)
    elif source.suffix == ".zip":
        out = _read_zip(source)
    elif source.suffix == ".ipynb":
        with tempfile.TemporaryDirectory(prefix="grader-otter-") as tmp:
            run_assign(source, Path(tmp) / "dist")
            out = _read_output_folder(Path(tmp) / "dist")
    else:
        raise OtterImportError(f"{source}: expected a master notebook (.ipynb), the folder otter assign wrote, "
                               f"or an otter autograder zip")
    if student is not None:
        out.student = _read_json(student)
    if solution is not None:
        out.solution = _read_json(solution)
    return out


def run_assign(master: Path, result: Path) -> None:
    """Run ``otter assign`` (its Python API, ``otter.assign.main``) on ``master`` into ``result``,
    without PDFs and without running the tests in a Jupyter kernel (the import grades the
    solution itself, in the sandbox).

    Raises:
        OtterImportError: otter-grader is not installed, or otter assign rejected the notebook
            (its message).
    """
    nb = _read_json(master)
    _require_python(nb, master)
    if not any(_is_question_cell(c) for c in nb.get("cells", [])):
        raise OtterImportError(f"{master} is not an otter master notebook: it has no `# BEGIN QUESTION` raw cell "
                               f"(for the output of otter assign, give its folder)")
    assign = _otter_assign()
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            assign(str(master), str(result), no_pdfs=True, no_run_tests=True)
    except Exception as exc:
        raise OtterImportError(f"otter assign failed on {master}: {type(exc).__name__}: {exc}\n"
                               f"{log.getvalue()[-2000:]}") from None


def _otter_assign() -> Any:
    try:
        from otter.assign import main
    except ImportError as exc:
        raise OtterImportError(f"grader import otter needs otter-grader=={OTTER_VERSION} "
                               f"(pip install 'grader[instructor]'): {exc}") from None
    return main


def _require_python(nb: dict, path: Path) -> None:
    """Raises OtterImportError for a notebook in another language (otter's R assignments)."""
    meta = nb.get("metadata", {})
    language = str(meta.get("kernelspec", {}).get("language") or meta.get("language_info", {}).get("name")
                   or "python").lower()
    if language != "python":
        raise OtterImportError(f"{path}: a {language} notebook; only Python assignments can be imported "
                               f"(otter's R and RMarkdown assignments are not supported)")


def _is_question_cell(cell: dict) -> bool:
    source = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
    return cell.get("cell_type") == "raw" and source.lstrip().upper().startswith("# BEGIN QUESTION")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OtterImportError(f"{path}: not a readable notebook: {exc}") from None
    if not isinstance(data, dict) or "cells" not in data:
        raise OtterImportError(f"{path}: not a notebook")
    return data


def _one_notebook(folder: Path) -> Path | None:
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if len(notebooks) > 1:
        raise OtterImportError(f"{folder} holds several notebooks ({', '.join(p.name for p in notebooks)}); "
                               f"otter assign writes one")
    return notebooks[0] if notebooks else None


def _read_output_folder(dist: Path) -> OtterAssignment:
    ag, st = dist / "autograder", dist / "student"
    if not ag.is_dir():
        raise OtterImportError(f"{dist} is not an otter assign output folder (no autograder/ in it)")
    solution_path, student_path = _one_notebook(ag), _one_notebook(st) if st.is_dir() else None
    solution = None
    if solution_path is not None:
        solution = _read_json(solution_path)
        _require_python(solution, solution_path)
    zips = sorted(ag.glob("*.zip"))
    if (ag / "tests").is_dir():
        questions = [_question_from_file(p) for p in sorted((ag / "tests").glob("*.py"))]
    elif zips:
        questions = _read_zip(zips[-1]).questions
    elif solution is not None:
        questions = _questions_from_metadata(solution)
    else:
        raise OtterImportError(f"{dist}: no tests (no autograder/tests/, autograder zip or notebook metadata)")
    if solution is not None:
        questions = _in_notebook_order(questions, solution)
    files = {}
    if st.is_dir():
        for p in sorted(st.rglob("*")):
            rel = p.relative_to(st)
            if p.is_file() and p.suffix != ".ipynb" and rel.parts[0] != "tests":
                files[rel.as_posix()] = p.read_bytes()
    requirements: list[str] = []
    if zips:
        with zipfile.ZipFile(zips[-1]) as z:
            requirements = _requirements(z)
    name = (solution_path or student_path or Path("notebook.ipynb")).name
    return OtterAssignment(name, _read_json(student_path) if student_path else None, solution, questions, files,
                           requirements)


def _read_zip(path: Path) -> OtterAssignment:
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise OtterImportError(f"{path}: not a zip file: {exc}") from None
    with z, tempfile.TemporaryDirectory(prefix="grader-otter-zip-") as tmp:
        names = [n for n in z.namelist() if n.startswith("tests/") and n.endswith(".py") and "/" not in n[6:]]
        if not names:
            raise OtterImportError(f"{path}: not an otter autograder zip (no tests/*.py in it)")
        questions = []
        for n in sorted(names):
            target = Path(tmp) / Path(n).name
            target.write_bytes(z.read(n))
            questions.append(_question_from_file(target))
        requirements = _requirements(z)
    return OtterAssignment(f"{path.stem.split('-autograder')[0]}.ipynb", None, None, questions, {}, requirements)


def _requirements(z: zipfile.ZipFile) -> list[str]:
    if "requirements.txt" not in z.namelist():
        return []
    lines = z.read("requirements.txt").decode("utf-8", "replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith(("#", "-"))]


def _question_from_file(path: Path) -> Question:
    text = path.read_text(encoding="utf-8")
    if "OK_FORMAT = False" in text or "@test_case" in text:
        raise OtterImportError(f"{path.name}: otter's exception-format tests are not supported; "
                               f"only OK-format (doctest) tests can be imported")
    from otter.test_files.ok_test import OKTestFile

    try:
        return _question(OKTestFile.from_file(str(path)))
    except (AssertionError, KeyError, ValueError, TypeError, SyntaxError) as exc:
        raise OtterImportError(f"{path.name}: not an OK-format test file otter reads: "
                               f"{type(exc).__name__}: {exc}") from None


def _questions_from_metadata(nb: dict) -> list[Question]:
    from otter.test_files.ok_test import OKTestFile

    otter_meta = nb.get("metadata", {}).get("otter", {})
    if not otter_meta.get("OK_FORMAT", True):
        raise OtterImportError("the notebook's tests are in otter's exception format: not supported")
    return [_question(OKTestFile.from_metadata(spec, "")) for spec in otter_meta.get("tests", {}).values()]


def _question(test_file: Any) -> Question:
    cases = [{"name": tc.name, "code": tc.body, "points": float(tc.points), "hidden": bool(tc.hidden),
              "success_message": tc.success_message, "failure_message": tc.failure_message}
             for tc in test_file.test_cases]
    return Question(test_file.name, cases, bool(test_file.all_or_nothing), test_file.path)


def _in_notebook_order(questions: list[Question], nb: dict) -> list[Question]:
    """The questions in the order the notebook checks them (``grader.check("q1")`` cells)."""
    text = json.dumps([c.get("source") for c in nb.get("cells", [])])
    position = {q.name: text.find(f'check(\\"{q.name}\\")') for q in questions}
    return sorted(questions, key=lambda q: (position[q.name] < 0, position[q.name], q.name))
