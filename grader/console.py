"""All terminal output goes through here: results, tables, progress, errors.

Human output goes to stdout, except while ``--json`` is on: then stdout holds
only the JSON document and everything for humans goes to stderr. Commands
call :func:`abort` instead of ``sys.exit``; the CLI's one top-level handler
turns it (and any unexpected exception) into a readable message.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .results import SubmissionResult, SubmissionStatus, TestStatus, Visibility

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


class Abort(Exception):
    """Stop the command with a message and an exit code (2: bad input or setup)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def abort(message: str, code: int = 2) -> None:
    raise Abort(message, code)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    """``text`` ready to print: rich markup escaped, and control characters (ESC, CR,
    backspace...: messages carry text from student code) shown as ``\\x1b`` instead of
    obeyed, so that no submission can move the cursor or restyle the instructor's screen."""
    return escape(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


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
    err.print(f"[yellow]warning:[/] {_shown(message)}")


def note(message: str) -> None:
    human().print(f"[dim]{_shown(message)}[/]")


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


def print_check(result: SubmissionResult) -> None:
    """Each test with its points and message, then the total (``grader check``)."""
    c = human()
    c.print(f"[bold]{_shown(result.assignment)}[/] — {_shown(result.path or result.student)}")
    if result.status is not SubmissionStatus.GRADED or result.message:
        style = _SUB_STYLE[result.status]
        c.print(f"[{style}]{result.status}[/]: {_shown(result.message)}")
    question = None
    for t in result.tests:
        if t.question != question:
            question = t.question
            c.print(f"\n[bold]{_shown(question)}[/]")
        c.print(f"  {_STATUS_STYLE[t.status]} {_shown(t.name)}  [dim]{_points(t.score)}/{_points(t.max_score)}[/]")
        if t.message and not t.passed:
            for line in t.message.splitlines()[:12]:
                c.print(f"      {_shown(line)}")
        if t.hint and not t.passed:
            c.print(f"      [cyan]hint:[/] {_shown(t.hint)}")
    passed = sum(t.passed for t in result.tests)
    c.print(f"\n[bold]Total: {_points(result.score)} / {_points(result.max_score)}[/] "
            f"({passed} of {len(result.tests)} tests passed)")


def summary_table(results: Iterable[SubmissionResult], title: str) -> Table:
    """One row per submission: status, score, time, and what went wrong."""
    table = Table(title=title, show_lines=False)
    for col, kw in (("student", {}), ("status", {}), ("score", {"justify": "right"}),
                    ("hidden", {"justify": "right"}), ("time (s)", {"justify": "right"}), ("message", {})):
        table.add_column(col, **kw)
    for r in results:
        hidden = [t for t in r.tests if t.visibility is Visibility.HIDDEN]
        h = f"{_points(sum(t.score for t in hidden))}/{_points(sum(t.max_score for t in hidden))}" if hidden else "-"
        msg = r.message.splitlines()[0] if r.message else ""
        table.add_row(_shown(r.student), f"[{_SUB_STYLE[r.status]}]{r.status}[/]",
                      f"{_points(r.score)}/{_points(r.max_score)}", h, f"{r.wall_time_s:.2f}",
                      _shown(msg[:90] + ("..." if len(msg) > 90 else "")))
    return table


def progress() -> Progress:
    """A progress bar on stderr (so that ``--json`` output stays clean)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.fields[current]}"), console=err, transient=False)
