"""All terminal output goes through here: results, tables, progress, errors.

Human output goes to stdout, except while ``--json`` is on: then stdout holds
only the JSON document and everything for humans goes to stderr. Commands
call :func:`abort` instead of ``sys.exit``; the CLI's one top-level handler
turns it (and any unexpected exception) into a readable message.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .results import SubmissionResult, SubmissionStatus, TestStatus, Visibility
from .visible import make_visible

if TYPE_CHECKING:
    import pandas as pd

# emoji=False: a student id such as ":skull:" is text, not an emoji code
out = Console(highlight=False, soft_wrap=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


class Abort(Exception):
    """Stop the command with a message and an exit code (2: bad input or setup)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def abort(message: str, code: int = 2) -> None:
    raise Abort(message, code)


def shown(text: Any, *, multiline: bool = False) -> str:
    """A string of student origin (id, message, hint, test name, error line) ready for
    rich markup: C0/C1 controls and ESC, format and bidi characters (U+200B, U+202E),
    fake spaces and other invisible characters become visible escapes (``\\x1b``,
    ``\\u202e``: :func:`grader.visible.make_visible`), and rich markup is escaped, so
    that no submission can move the cursor, set the window title or restyle the
    instructor's screen. With ``multiline``, newlines (and tabs) stay. The one escaping
    path to the terminal: every student string printed goes through it. Never raises."""
    return escape(make_visible(text, keep="\n\t" if multiline else ""))


def error(message: str) -> None:
    """Print ``error: message`` on stderr, the message shown with :func:`shown`."""
    err.print(f"[red]error:[/] {shown(message, multiline=True)}")


def human() -> Console:
    """The console for human-readable output (stderr while printing JSON)."""
    return err if _json_mode else out


_json_mode = False


def set_json_mode(on: bool) -> None:
    global _json_mode
    _json_mode = on


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=_jsonable) + "\n")
    sys.stdout.flush()


def _jsonable(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {shown(message, multiline=True)}")


def note(message: str) -> None:
    human().print(f"[dim]{shown(message, multiline=True)}[/]")


_STATUS_STYLE = {
    TestStatus.PASSED: "[green]PASS[/]", TestStatus.FAILED: "[red]FAIL[/]", TestStatus.ERROR: "[red]ERROR[/]",
    TestStatus.TIMEOUT: "[magenta]TIMEOUT[/]", TestStatus.CRASHED: "[magenta]CRASH[/]",
    TestStatus.SKIPPED: "[yellow]SKIP[/]",
}

_SUB_STYLE = {
    SubmissionStatus.GRADED: "green", SubmissionStatus.INVALID: "red", SubmissionStatus.TIMEOUT: "magenta",
    SubmissionStatus.CRASHED: "magenta", SubmissionStatus.INTERNAL_ERROR: "red",
}


def _points(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) < 1e-9 else f"{x:.2f}"


def print_check(result: SubmissionResult, *, hidden_points: float | None = None, note: str = "") -> None:
    """Each test with its points and message, then the total (``grader check``): the public
    tests' points, and the hidden tests' points (``hidden_points``) that grading adds."""
    c = human()
    c.print(f"[bold]{shown(result.assignment)}[/] — {shown(result.path or result.student)}")
    if note:
        c.print(f"[yellow]{shown(note, multiline=True)}[/]")
    if result.status is not SubmissionStatus.GRADED or result.message:
        style = _SUB_STYLE[result.status]
        c.print(f"[{style}]{result.status}[/]: {shown(result.message, multiline=True)}")
    question = None
    for t in result.tests:
        if t.question != question:
            question = t.question
            c.print(f"\n[bold]{shown(question)}[/]")
        c.print(f"  {_STATUS_STYLE[t.status]} {shown(t.name)}  [dim]{_points(t.score)}/{_points(t.max_score)}[/]")
        if t.message and not t.passed:
            for line in t.message.splitlines()[:12]:
                c.print(f"      {shown(line)}")
        if t.hint and not t.passed:
            c.print(f"      [cyan]hint:[/] {shown(t.hint)}")
    passed = sum(t.passed for t in result.tests)
    later = (f"; the hidden tests, {_points(hidden_points)} points, run when your instructor grades"
             if hidden_points else "")
    c.print(f"\n[bold]Total: {_points(result.score)} / {_points(result.max_score)} public points[/] "
            f"({passed} of {len(result.tests)} tests passed{later})")


def summary_table(results: Iterable[SubmissionResult], title: str) -> Table:
    """One row per submission: status, score, time, and what went wrong."""
    table = Table(title=title, show_lines=False)
    for col in ("student", "status", "score", "hidden", "time (s)", "message"):
        table.add_column(col, justify="right" if col in ("score", "hidden", "time (s)") else "left")
    for r in results:
        hidden = [t for t in r.tests if t.visibility is Visibility.HIDDEN]
        h = f"{_points(sum(t.score for t in hidden))}/{_points(sum(t.max_score for t in hidden))}" if hidden else "-"
        msg = r.message.splitlines()[0] if r.message else ""
        if r.days_late:
            msg = f"late {r.days_late} d (-{_points(r.late_penalty)}) " + msg
        if r.flags:
            msg = f"flagged: {r.flags.splitlines()[0]} " + msg
        table.add_row(shown(r.student), f"[{_SUB_STYLE[r.status]}]{r.status}[/]",
                      f"{_points(r.score)}/{_points(r.max_score)}", h, f"{r.wall_time_s:.2f}",
                      shown(msg[:90] + ("..." if len(msg) > 90 else "")))
    return table


class _CurrentColumn(ProgressColumn):
    """The task's ``current`` field (a student id) through :func:`shown`, whatever the caller passed."""

    def render(self, task: Task) -> Text:
        return Text.from_markup(shown(task.fields.get("current", "")), emoji=False)


def progress() -> Progress:
    """A progress bar on stderr (so that ``--json`` output stays clean); its ``current``
    field (the student being graded) is shown escaped, never as markup or controls."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), _CurrentColumn(), console=err, transient=False)


def gradebook_table(df: pd.DataFrame, title: str) -> Table:
    """The gradebook (:func:`grader.gradebook.gradebook`) as a rich Table: one row per
    student, numbers with ``:g``, NaN as an empty cell; ids, column names and text
    cells shown with :func:`shown`."""
    from rich import box

    table = Table(title=shown(title), box=box.SIMPLE_HEAD)  # no vertical rules: a column per question fits
    # ids are never cut short: a truncated name may read as someone else's
    longest = max((len(shown(str(s))) for s in df.index), default=7)
    table.add_column("student", min_width=min(max(longest, 7), 32), overflow="fold")
    for col in df.columns:
        table.add_column(shown(str(col)), justify="right")
    for student, row in df.iterrows():
        cells = ("" if isinstance(v, float) and v != v else f"{v:g}" if isinstance(v, float) else shown(str(v))
                 for v in row.tolist())
        table.add_row(shown(str(student)), *cells)
    return table
