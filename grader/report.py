"""Per-student feedback pages (``grader report``): one self-contained HTML page per student, and an index.

A page shows what the assignment lets the student see of their grading (:class:`grader.config.Feedback`):

* every public test: its name, status, points, message and, for a known mistake, its hint;
* hidden tests as ``[feedback] hidden`` says: ``"after_published"`` lists each hidden test's name,
  status and points; ``"hidden"`` lists none of them, and the page shows only the hidden tests'
  total (the points per question then count the public tests only). A hidden test's message and
  hint appear only with ``hidden_messages = true``: they may name the test's inputs;
* the captured output of the student's code only when hidden messages may be shown, or when the
  result has no hidden test (the hidden tests' inputs reach the student's functions, whose prints
  could show them);
* the score before and after the late penalty (days late, the penalty and the deadline);
* the submission's status and message when it is not a clean run (crashed, timed out, invalid; a grader
  error's message, the grader's own traceback, is not shown);
* for a competition lab (an assignment whose results recorded ``accuracy_mean``: the Iris lab),
  the student's place on the leaderboard (:mod:`grader.leaderboard`), their pseudonym on the
  public board, and their per-run accuracies (``accuracy_run_NN``) as an inline SVG bar chart.

With ``notebook=True`` the student's own notebook (or module, cut into one cell per top-level
function or class) is rendered with nbconvert, and each test's feedback is placed right after
the cell that defines the function it grades. Which function: the names a test uses, read from
its source with ``ast`` (attributes it reads, such as ``submission.cross_entropy``, and string
constants naming one, such as ``getattr(submission, "softmax")``, in the test function and the
module's helpers it calls; for a parametrized case, the identifiers in its id, such as
``test_inputs_unchanged[cross_entropy]``), kept when the student's code defines them at top level
(a ``def``, a ``class``, an assignment or an import). The feedback goes after the last cell that
defines any of them, in notebook order (as in Jupyter, the last definition is the one graded); a
test that names none of them is listed after the notebook.

Every page works offline and runs nothing: inline CSS only, no JavaScript, and a
Content-Security-Policy that forbids loading anything or running any script. Every string of
student origin (id, messages, hints, output, the notebook's code, markdown and outputs) is
escaped: the templates autoescape; the notebook's markdown is rendered with its HTML escaped
(mistune) and cleaned to an allowlist of tags (bleach); its outputs are rebuilt keeping only
text and base64 PNG/JPEG images (re-encoded), without metadata; raw cells are left out.
"""

from __future__ import annotations

import ast
import base64
import binascii
import functools
import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import AssignmentConfig
from .notebook import NotebookError, defined_names, read_document
from .results import SubmissionResult, SubmissionStatus, TestResult, TestStatus, Visibility
from .spreadsheet import write_atomic
from .visible import make_visible

if TYPE_CHECKING:
    import jinja2

    from .store import ResultStore

__all__ = ["ReportError", "Written", "page_names", "student_view", "templates", "names_used_by_tests", "write_reports"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MAX_OUTPUT_CHARS = 20_000  # of the captured output shown on a page
MAX_NOTEBOOK_BYTES = 20 * 2**20
_STATUS_WORDS = {
    TestStatus.PASSED: "passed", TestStatus.FAILED: "failed", TestStatus.ERROR: "error",
    TestStatus.TIMEOUT: "timed out", TestStatus.CRASHED: "crashed", TestStatus.SKIPPED: "did not run",
}  # fmt: skip
_SUBMISSION_WORDS = {
    SubmissionStatus.GRADED: "graded", SubmissionStatus.INVALID: "invalid: the submission could not be graded",
    SubmissionStatus.TIMEOUT: "timed out: your code did not finish in time",
    SubmissionStatus.CRASHED: "crashed: your code stopped its process",
    SubmissionStatus.INTERNAL_ERROR: "grader error: the grader failed (not your fault); your instructor will re-grade",
}  # fmt: skip


class ReportError(Exception):
    """The reports cannot be written as asked (an unknown student, no results); the message says why."""


@functools.cache
def templates() -> jinja2.Environment:
    """The Jinja2 environment of the grader's pages (``grader/templates``): autoescaping on for
    every template, undefined names an error, and the filters ``points`` (``19.67``, ``20``) and
    ``visible`` (:func:`grader.visible.make_visible`, newlines kept)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["points"] = _points
    env.filters["visible"] = lambda text: make_visible(text, keep="\n\t")
    return env


def _points(x: float) -> str:
    """Points as a student reads them: ``20``, ``9.5``, ``19.67``."""
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- what a student may see


@dataclass
class TestView:
    """One test as the page shows it. ``message``/``hint`` are "" when not shown."""

    name: str
    question: str
    status: str
    passed: bool
    score: float
    max_score: float
    hidden: bool
    message: str = ""
    hint: str = ""
    details_withheld: bool = False  # a hidden test's message or hint exists but is not shown


@dataclass
class QuestionView:
    """One question: the points of the tests the page counts in it, and the tests it lists."""

    name: str
    score: float = 0.0
    max_score: float = 0.0
    tests: list[TestView] = field(default_factory=list)


@dataclass
class StudentView:
    """Everything one student's page shows (see the module docstring), already filtered by the
    assignment's ``[feedback]`` settings. Points are floats; ``hidden_total`` is (earned, max) of
    the hidden tests when the page shows only their total, else None."""

    student: str
    title: str
    status: str
    status_words: str
    message: str
    score: float
    raw_score: float
    max_score: float
    late_penalty: float
    days_late: int
    submitted_at: str
    due: str
    graded_at: str
    questions: list[QuestionView]
    hidden_total: tuple[float, float] | None
    hidden_policy: str
    hidden_messages: bool
    output: str | None
    output_withheld: bool


def _test_view(t: TestResult, show_details: bool) -> TestView:
    hidden = t.visibility is Visibility.HIDDEN
    shows = not hidden or show_details
    return TestView(
        name=t.name, question=t.question, status=_STATUS_WORDS.get(t.status, str(t.status)), passed=t.passed,
        score=t.score, max_score=t.max_score, hidden=hidden,
        message=t.message if shows else "", hint=t.hint if shows and not t.passed else "",
        details_withheld=not shows and bool(t.message or t.hint),
    )  # fmt: skip


def student_view(result: SubmissionResult, config: AssignmentConfig) -> StudentView:
    """What ``result``'s student may see, by ``config.feedback`` (see the module docstring).

    Returns:
        A :class:`StudentView`; its questions are in the order their first test ran.
    """
    policy = config.feedback
    questions: dict[str, QuestionView] = {}
    hidden_score = hidden_max = 0.0
    any_hidden = False
    for t in result.tests:
        q = questions.setdefault(t.question, QuestionView(t.question))
        if t.visibility is Visibility.HIDDEN:
            any_hidden = True
            if policy.hidden == "hidden":
                hidden_score += t.score
                hidden_max += t.max_score
                continue
        q.score += t.score
        q.max_score += t.max_score
        q.tests.append(_test_view(t, policy.hidden_messages))
    show_output = policy.hidden_messages or not any_hidden
    output = result.output if show_output and result.output else None
    if output is not None and len(output) > MAX_OUTPUT_CHARS:
        output = output[:MAX_OUTPUT_CHARS] + f"\n... ({len(result.output) - MAX_OUTPUT_CHARS:,} more characters)"
    deadline = config.deadline
    return StudentView(
        student=result.student, title=config.title, status=str(result.status),
        status_words=_SUBMISSION_WORDS.get(result.status, str(result.status)),
        message="" if result.status is SubmissionStatus.INTERNAL_ERROR else result.message,  # the grader's own trace
        score=result.score, raw_score=result.raw_score, max_score=result.max_score,
        late_penalty=result.late_penalty, days_late=result.days_late, submitted_at=_when(result.submitted_at),
        due=deadline.due.isoformat(sep=" ", timespec="minutes") if deadline else "",
        graded_at=_when(result.graded_at),
        questions=[q for q in questions.values() if q.tests or q.max_score],
        hidden_total=(round(hidden_score, 6), round(hidden_max, 6)) if policy.hidden == "hidden" and any_hidden
        else None,
        hidden_policy=policy.hidden, hidden_messages=policy.hidden_messages,
        output=None if output is None else make_visible(output, keep="\n\t"),
        output_withheld=not show_output and bool(result.output),
    )  # fmt: skip


def _when(iso: str) -> str:
    """An ISO 8601 time as ``2026-12-06 05:30 UTC``; the text itself if it does not parse; "" if empty."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- the leaderboard part


@dataclass
class BoardView:
    """The student's place on a competition lab's board. Fractions are 0..1."""

    rank: int | None
    n_ranked: int
    n_submissions: int
    accuracy: float | None
    accuracy_std: float | None
    n_params: int | None
    train_time_s: float | None
    note: str
    pseudonym: str
    runs: list[tuple[int, float | None]]
    chart: dict[str, Any] | None
    method: str


def _board_view(df: Any, result: SubmissionResult, pseudonym: str, method: str) -> BoardView | None:
    import pandas as pd

    from .leaderboard import run_accuracies

    rows = df[df["student"] == result.student]
    if rows.empty:
        return None
    row = rows.iloc[0]

    def num(value: Any) -> float | None:
        return None if pd.isna(value) else float(value)

    runs = run_accuracies(result)
    return BoardView(
        rank=None if pd.isna(row["rank"]) else int(row["rank"]), n_ranked=int(df["rank"].notna().sum()),
        n_submissions=len(df), accuracy=num(row["accuracy"]), accuracy_std=num(row["accuracy_std"]),
        n_params=None if pd.isna(row["n_params"]) else int(row["n_params"]),
        train_time_s=num(row["train_time_s"]), pseudonym=pseudonym,
        note=make_visible(str(row["public_note"]).removeprefix("not ranked: ")),
        runs=runs, chart=_run_chart(runs, num(row["accuracy"])), method=method,
    )  # fmt: skip


def _run_chart(runs: Sequence[tuple[int, float | None]], mean: float | None) -> dict[str, Any] | None:
    """Geometry of the per-run accuracy bar chart (an inline SVG drawn by the template), in SVG
    user units: plot area 60..(70 + 44 * n) wide, 20..220 high; 0% at y = 220, 100% at y = 20; the
    mean's label right of the plot area."""
    if not runs:
        return None
    top, height, left, step = 20.0, 200.0, 60.0, 44.0
    bars = []
    for i, (run, acc) in enumerate(runs):
        x = left + i * step + 8
        if acc is None:
            bars.append({"run": run, "x": x, "y": top + height, "h": 0.0, "label": "invalid", "valid": False})
            continue
        h = height * acc
        bars.append({"run": run, "x": x, "y": top + height - h, "h": h, "label": f"{acc:.0%}", "valid": True})
    right = left + step * len(runs) + 10
    width = right + 90  # room for the mean's label, right of the plot
    valid = [a for _, a in runs if a is not None]
    mean_value = mean if mean is not None else (sum(valid) / len(valid) if valid else None)
    return {
        "width": width, "height": top + height + 50, "left": left, "right": right, "top": top,
        "bottom": top + height, "bar_width": step - 16, "bars": bars,
        "grid": [{"y": top + height * (1 - f), "label": f"{f:.0%}"} for f in (0.0, 0.25, 0.5, 0.75, 1.0)],
        "mean_y": None if mean_value is None else top + height * (1 - mean_value),
        "mean_label": "" if mean_value is None else f"mean {mean_value:.1%}",
    }


# --------------------------------------------------------------------------- tests -> graded functions


def _identifiers(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


@dataclass
class _Uses:
    """What a test function's source names: attributes read, identifier-like string constants, functions called."""

    attributes: set[str] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)


def _names_in(nodes: Iterable[ast.AST]) -> _Uses:
    uses = _Uses()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Attribute):
                uses.attributes.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                uses.strings.add(node.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                uses.calls.add(node.func.id)
    return uses


def _module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of a test module by pytest's name for it (``test_x``, ``TestK::test_x``)."""
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"{node.name}::{item.name}"] = item
    return out


def names_used_by_tests(config: AssignmentConfig) -> dict[tuple[str, str], _Uses]:
    """The names each test function of the assignment uses (see the module docstring).

    Returns:
        ``(visibility, "file.py::function")`` -> the attribute names, identifier-like string
        constants and called functions of the function's body and of the module-level helpers
        it calls (transitively). Decorators are left out (a parametrize list names every case's
        function; the case's id names its own). Files that do not parse are skipped. Never raises
        for a test folder that is missing.
    """
    out: dict[tuple[str, str], _Uses] = {}
    folders = (("public", config.public_tests_dir), ("hidden", config.hidden_tests_dir))
    for visibility, folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted({*folder.rglob("test_*.py"), *folder.rglob("*_test.py")}):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                continue
            functions = _module_functions(tree)
            direct = {name: _names_in(fn.body) for name, fn in functions.items()}
            rel = path.relative_to(folder).as_posix()
            for name in functions:
                if "test" not in name.rsplit("::", 1)[-1]:
                    continue
                used = _Uses()
                seen: set[str] = set()
                todo = [name]
                while todo:
                    current = todo.pop()
                    if current in seen or current not in direct:
                        continue
                    seen.add(current)
                    found = direct[current]
                    used.attributes |= found.attributes
                    used.strings |= found.strings
                    used.calls |= found.calls
                    todo.extend(found.calls)
                out[(visibility, f"{rel}::{name}")] = used
    return out


def _graded_names(test: TestResult, functions: dict[tuple[str, str], _Uses], defined: set[str]) -> set[str]:
    """The names of the student's code that ``test`` grades: the attributes its function reads, and the
    functions its case id names (``[cross_entropy]``) or, when the id names none, the string constants
    of its source that name one (``getattr(submission, "softmax")``)."""
    base, _, params = test.name.partition("[")
    uses = functions.get((str(test.visibility), base), _Uses())
    from_id = _identifiers(params) & defined
    return (uses.attributes & defined) | (from_id or (uses.strings & defined))


# --------------------------------------------------------------------------- the student's notebook


@dataclass
class _Cell:
    kind: str  # code, markdown
    source: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    execution_count: int | None = None


_B64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def _image(data: Any) -> str | None:
    """A notebook image output's base64 text, decoded and re-encoded (so only base64 reaches the page)."""
    if isinstance(data, list):
        data = "".join(str(d) for d in data)
    if not isinstance(data, str) or not _B64.fullmatch(data):
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(raw).decode("ascii") if raw else None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _safe_outputs(outputs: Any) -> list[dict[str, Any]]:
    """A code cell's outputs rebuilt from scratch: streams, errors, and display data / results with
    only ``text/plain``, ``image/png`` and ``image/jpeg`` (images re-encoded); no metadata, no HTML,
    SVG, JavaScript, Markdown, LaTeX or widgets (they would be the student's markup)."""
    out: list[dict[str, Any]] = []
    if not isinstance(outputs, list):
        return out
    for o in outputs:
        if not isinstance(o, dict):
            continue
        kind = o.get("output_type")
        if kind == "stream":
            name = "stderr" if o.get("name") == "stderr" else "stdout"
            out.append({"output_type": "stream", "name": name, "text": _text(o.get("text"))})
        elif kind == "error":
            traceback = o.get("traceback")
            lines = [str(line) for line in traceback] if isinstance(traceback, list) else []
            out.append({"output_type": "error", "ename": _text(o.get("ename")), "evalue": _text(o.get("evalue")),
                        "traceback": lines})
        elif kind in ("display_data", "execute_result"):
            given = o.get("data")
            raw: dict[str, Any] = given if isinstance(given, dict) else {}
            data: dict[str, str] = {}
            for mime in ("image/png", "image/jpeg"):
                image = _image(raw.get(mime))
                if image:
                    data[mime] = image
            if not data and "text/plain" in raw:
                data["text/plain"] = _text(raw.get("text/plain"))
            if data:
                entry: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
                if kind == "execute_result":
                    count = o.get("execution_count")
                    entry["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
                out.append(entry)
    return out


def _read_cells(path: Path) -> list[_Cell]:
    """The submission's cells: a notebook's markdown and code cells (raw cells left out), or a
    module cut before each top-level ``def``/``class`` (with its decorators and the comments
    just above it).

    Raises:
        ReportError: the file cannot be read, or is not a notebook nbformat can read.
    """
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ReportError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path.name} cannot be read: {exc}") from None
    if path.suffix != ".ipynb":
        return _module_cells(text)
    try:
        nb = read_document(text)
    except NotebookError as exc:
        raise ReportError(f"{make_visible(path.name)} is not a notebook that can be read: {exc}") from None
    cells = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        source = _text(cell.get("source"))
        if kind == "markdown":
            cells.append(_Cell("markdown", source))
        elif kind == "code":
            count = cell.get("execution_count")
            cells.append(_Cell("code", source, _safe_outputs(cell.get("outputs")),
                               count if isinstance(count, int) and not isinstance(count, bool) else None))
    return cells


def _module_cells(text: str) -> list[_Cell]:
    lines = text.splitlines(keepends=True)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return [_Cell("code", text)]
    starts = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            starts.append(first)
    cuts = sorted({0, *starts, len(lines)})
    cells = ["".join(lines[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    return [_Cell("code", c.strip("\n") + "\n") for c in cells if c.strip()]


_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$", re.DOTALL)


def _markdown_html(text: str) -> str:
    """A markdown cell as HTML: raw HTML in it escaped (mistune), then cleaned to an allowlist of
    tags and attributes (bleach; links only to http, https and mailto). TeX between ``$`` or ``$$``
    is kept as written (escaped, in ``<span class="math">``): the page loads no MathJax. An image
    becomes ``[image: its alt text]``."""
    import html
    import secrets

    import bleach
    import mistune

    nonce = secrets.token_hex(8)
    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        maths.append(match.group(0))
        return f"GRADERMATH{nonce}N{len(maths) - 1}X"

    rendered = mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])(_MATH.sub(hold, text))
    # an image is named, never loaded (attachments are not kept, and the page loads nothing)
    rendered = re.sub(r'<img src="[^"]*" alt="([^"]*)"[^>]*>', r"[image: \1]", str(rendered))
    tags = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
            "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
    cleaned: str = bleach.clean(str(rendered), tags=tags, attributes={"a": ["href", "title"]},
                                protocols={"http", "https", "mailto"}, strip=False)
    return re.sub(f"GRADERMATH{nonce}N([0-9]+)X",
                  lambda m: f'<span class="math">{html.escape(maths[int(m.group(1))])}</span>', cleaned)


@dataclass
class _Placement:
    """Where the feedback goes: cell index -> tests anchored after it, and the unplaced tests."""

    after: dict[int, list[TestView]]
    unplaced: list[TestView]


def _place(cells: Sequence[_Cell], tests: Sequence[tuple[TestResult, TestView]],
           functions: dict[tuple[str, str], _Uses]) -> _Placement:
    from .notebook import transform_ipython

    last_definition: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if cell.kind == "code":
            try:
                source = transform_ipython(cell.source)
            except Exception:  # a cell the grader cannot rewrite defines nothing it can see
                continue
            for name in defined_names(source):
                last_definition[name] = i
    placement = _Placement({}, [])
    for result, view in tests:
        names = _graded_names(result, functions, set(last_definition))
        if names:
            placement.after.setdefault(max(last_definition[n] for n in names), []).append(view)
        else:
            placement.unplaced.append(view)
    return placement


@functools.cache
def _exporter() -> Any:
    """nbconvert's HTML exporter with the grader's template (``templates/nbconvert/grader_notebook``),
    made once: loading its templates is a good part of rendering one notebook."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="grader_notebook", extra_template_basedirs=[str(TEMPLATES_DIR / "nbconvert")]
    )
    exporter.register_filter("grader_markdown", _markdown_html)  # type: ignore[no-untyped-call]
    return exporter


def _render_notebook(cells: Sequence[_Cell], blocks: dict[int, str]) -> tuple[str, str]:
    """(the cells as HTML by nbconvert with ``blocks[i]`` after cell ``i``, the code highlighting CSS)."""
    import nbformat
    from pygments.formatters import HtmlFormatter

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.metadata = {"language_info": {"name": "python"}}
    feedback: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)  # type: ignore[no-untyped-call]
        else:
            node = nbformat.v4.new_code_cell(cell.source, execution_count=cell.execution_count)  # type: ignore[no-untyped-call]
            node.outputs = [nbformat.from_dict(o) for o in cell.outputs]  # type: ignore[no-untyped-call]
        node.id = f"c{i}"
        nb.cells.append(node)
        if i in blocks:
            key = f"grader-feedback-{i}"
            feedback[key] = blocks[i]
            raw = nbformat.v4.new_raw_cell("")  # type: ignore[no-untyped-call]
            raw.id = f"f{i}"
            raw.metadata = {"grader_feedback": key}
            nb.cells.append(raw)
    body, _ = _exporter().from_notebook_node(nb, resources={"grader_feedback": feedback})
    css = HtmlFormatter(style="default").get_style_defs(".highlight")
    return str(body), str(css)


# --------------------------------------------------------------------------- pages


def page_names(students: Iterable[str]) -> dict[str, str]:
    """A file name for each student's page: the id when it is a plain name (letters, digits, ``.``,
    ``_``, ``-``; not starting with a dot; not ``index``), else a slug of it with a short hash of the
    id; a hash is added as well when two names differ only in case. Every name ends in ``.html``."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for student in sorted(set(students)):
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", student).lstrip(".")[:80] or "student"
        if slug != student or slug.lower() in seen or slug.lower() == "index":
            digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
            slug = f"{slug}-{digest}"
        seen.add(slug.lower())
        out[student] = slug + ".html"
    return out


@dataclass
class Written:
    """What :func:`write_reports` wrote: the index, and each student's page by student id."""

    index: Path
    pages: dict[str, Path]
    problems: list[str] = field(default_factory=list)  # notebooks that could not be rendered, by student


def write_reports(
    store: ResultStore,
    config: AssignmentConfig,
    out_dir: str | Path,
    *,
    students: Sequence[str] = (),
    notebook: bool = False,
    submissions_dir: str | Path | None = None,
    salt: bytes | None = None,
    generated: datetime | None = None,
) -> Written:
    """Write one feedback page per student of ``config``'s assignment, and ``index.html``, into ``out_dir``.

    Args:
        store: the results store.
        config: the assignment (its title, ``[feedback]`` and deadline; its tests for ``notebook``).
        out_dir: the folder to write into (created; existing pages of the same students are replaced).
        students: only these students (default: every student with a result).
        notebook: also render each student's notebook or module with the feedback beside its cells
            (needs ``submissions_dir``, where each result's ``path`` is found).
        submissions_dir: the assignment's submissions folder (default: the course's ``submissions/<name>``).
        salt: the leaderboard's pseudonym salt (:func:`grader.leaderboard.load_salt`): the page of a
            competition lab then tells each student their name on the public board.
        generated: the pages' date (default: now, UTC).

    Returns:
        A :class:`Written`. A notebook that cannot be rendered (missing, corrupt) is noted on that
        student's page and in ``problems``; the other pages are written as usual.

    Raises:
        LookupError: the store holds no results for the assignment.
        ReportError: a student in ``students`` has no result.
        OSError: a page cannot be written.
    """
    from . import leaderboard as lb

    results = store.require_results(config.name)
    by_student = {r.student: r for r in results}
    unknown = [s for s in students if s not in by_student]
    if unknown:
        known = ", ".join(make_visible(s) for s in sorted(by_student)[:10])
        raise ReportError(f"no result of {config.name} for {', '.join(make_visible(s) for s in unknown)} "
                          f"(students with results: {known}{', ...' if len(by_student) > 10 else ''})")
    chosen = [by_student[s] for s in dict.fromkeys(students)] if students else results
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    when = (generated or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    names = page_names(by_student)

    files = lb.submission_files(submissions_dir, config) if submissions_dir is not None else {}
    board = None
    board_names: dict[str, str] = {}
    method = ""
    if any("accuracy_mean" in r.metrics for r in results):
        board = lb.leaderboard(store, config.name)
        method = lb.measurement(results)
        if salt is not None:
            board_names = lb.pseudonyms(by_student, salt, lb.picked_pseudonyms(results, files))

    functions = names_used_by_tests(config) if notebook else {}
    env = templates()
    written = Written(out / "index.html", {})
    for result in chosen:
        view = student_view(result, config)
        board_view = None
        if board is not None:
            board_view = _board_view(board, result, board_names.get(result.student, ""), method)
        nb_html = css = ""
        placed: _Placement | None = None
        problem = ""
        if notebook:
            try:
                nb_html, css, placed = _notebook_part(result, view, functions, files.get(result.student),
                                                      submissions_dir)
            except ReportError as exc:
                problem = str(exc)
                written.problems.append(f"{make_visible(result.student)}: {problem}")
        page = env.get_template("report_student.html.j2").render(
            v=view, board=board_view, generated=when, notebook=notebook, notebook_html=nb_html,
            notebook_css=css, placed=placed, notebook_problem=problem, isfinite=math.isfinite,
        )
        path = out / names[result.student]
        _write_page(path, page)
        written.pages[result.student] = path
    rows = [{"student": make_visible(r.student), "file": names[r.student], "score": r.score, "max_score": r.max_score,
             "status": str(r.status), "late_penalty": r.late_penalty, "written": r.student in written.pages}
            for r in results]
    index = env.get_template("report_index.html.j2").render(title=config.title, assignment=config.name, rows=rows,
                                                            generated=when)
    _write_page(written.index, index)
    return written


def _write_page(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))  # never a half-written page


def _notebook_part(result: SubmissionResult, view: StudentView, functions: dict[tuple[str, str], _Uses],
                   path: Path | None, submissions_dir: str | Path | None) -> tuple[str, str, _Placement]:
    """(notebook HTML, highlighting CSS, where each shown test went) for one student, whose graded
    file is ``path`` (None: not found in ``submissions_dir``).

    Raises:
        ReportError: no submissions folder, no file found, or a file that cannot be read.
    """
    if submissions_dir is None:
        raise ReportError("no submissions folder given: the notebook cannot be shown")
    if path is None or not path.is_file():
        from .repos import is_repos_folder

        if Path(submissions_dir).is_dir() and is_repos_folder(Path(submissions_dir)):
            raise ReportError("notebooks in student repositories are not shown (the graded commit is not the "
                              "working tree)")
        raise ReportError(f"no submitted file of {make_visible(result.student)} is in "
                          f"{make_visible(str(submissions_dir))} any more")
    cells = _read_cells(path)
    shown = {(t.name, t.question, t.hidden): t for q in view.questions for t in q.tests}
    pairs = [(t, shown[(t.name, t.question, t.visibility is Visibility.HIDDEN)]) for t in result.tests
             if (t.name, t.question, t.visibility is Visibility.HIDDEN) in shown]
    placed = _place(cells, pairs, functions)
    points = {q.name: q for q in view.questions}
    env = templates()
    blocks = {}
    for index, tests in placed.after.items():
        groups: dict[str, list[TestView]] = {}
        for t in tests:
            groups.setdefault(t.question, []).append(t)
        blocks[index] = env.get_template("_feedback_block.html.j2").render(groups=groups, points=points,
                                                                          v=view)
    html, css = _render_notebook(cells, blocks)
    return html, css, placed
