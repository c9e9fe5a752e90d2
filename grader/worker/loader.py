"""Runs a student's notebook cells or module inside the worker.

A notebook's code cells run in order in one namespace (like a Jupyter kernel,
with ``__name__ == "__main__"``). A cell that raises, or runs past its time
limit, is recorded and execution goes on with the next cell, so one broken
plotting cell does not zero the notebook. A module is imported under its own
name (its ``if __name__ == "__main__":`` block does not run); if it raises
part-way, the names it defined before the error stay usable.
"""

from __future__ import annotations

import _thread
import linecache
import signal
import sys
import threading
import time
import traceback
import types
from pathlib import Path
from typing import Any

WORKER_DIR = str(Path(__file__).resolve().parent)
MAX_TRACEBACK_CHARS = 4000


class CellTimeout(BaseException):
    """Raised inside a cell that ran past its time limit."""


class _Shell:
    """Stands in for ``get_ipython()``: magics and shell commands do nothing."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def run_line_magic(self, name: str, line: str = "", *args: Any, **kwargs: Any) -> None:
        self.skipped.append(f"%{name} {line}".strip())

    def run_cell_magic(self, name: str, line: str = "", cell: str = "", *args: Any, **kwargs: Any) -> None:
        self.skipped.append(f"%%{name} {line}".strip())

    def system(self, cmd: str = "", *args: Any, **kwargs: Any) -> None:
        self.skipped.append(f"!{cmd}")

    getoutput = system

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def format_exception(exc: BaseException) -> dict:
    """The student-facing description of an exception: type, message, and the
    traceback frames that are in the student's code (worker frames are dropped)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(WORKER_DIR)]
    lines = traceback.format_list(frames[-8:])
    try:
        message = str(exc)
    except BaseException:  # a student exception whose __str__ raises
        message = "<unprintable message>"
    text = "".join(lines)
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "..." + text[-MAX_TRACEBACK_CHARS:]
    where = ""
    if frames:
        f = frames[-1]
        where = f"{f.filename}, line {f.lineno}" + (f", in {f.name}" if f.name != "<module>" else "")
    return {"type": type(exc).__name__, "message": message[:MAX_TRACEBACK_CHARS], "traceback": text, "where": where}


def _on_alarm(signum: int, frame: Any) -> None:
    raise CellTimeout()


class _TimerAlarm:
    """A cell's time limit where there is no ``SIGALRM`` (Windows).

    A timer thread interrupts the main thread with :func:`_thread.interrupt_main`,
    which runs the ``SIGINT`` handler there (Windows has SIGINT); the handler raises
    :class:`CellTimeout` only for the alarm of the cell still running. A late alarm
    (the cell ended as it fired) is dropped, and an interrupt no timer sent (Ctrl-C)
    stays a ``KeyboardInterrupt``. Like ``SIGALRM``, it stops Python code, not one
    long C call: the trusted side's load deadline bounds those.
    """

    def __init__(self) -> None:
        self.armed = 0  # the token of the running cell's alarm; 0: none
        self.count = 0
        self.fired: list[int] = []  # tokens of alarms sent (list.append and pop are atomic)
        self.timer: threading.Timer | None = None
        self.installed = False

    def arm(self, timeout: float) -> None:
        """Interrupt the code that runs next after ``timeout`` seconds (until :meth:`disarm`)."""
        if not self.installed:
            signal.signal(signal.SIGINT, self._on_interrupt)
            self.installed = True
        self.count += 1
        self.armed = self.count
        self.timer = threading.Timer(timeout, self._fire, (self.count,))
        self.timer.daemon = True
        self.timer.start()

    def disarm(self) -> None:
        self.armed = 0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _fire(self, token: int) -> None:
        if self.armed == token:
            self.fired.append(token)
            _thread.interrupt_main(signal.SIGINT)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if not self.fired:
            signal.default_int_handler(signum, frame)  # a real Ctrl-C
        while self.fired:
            if self.fired.pop() == self.armed:
                self.armed = 0
                raise CellTimeout()


_TIMER_ALARM = _TimerAlarm()


def _arm(timeout: float) -> None:
    if hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    else:
        _TIMER_ALARM.arm(timeout)


def _disarm() -> None:
    if hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM"):
        signal.setitimer(signal.ITIMER_REAL, 0)
    else:
        _TIMER_ALARM.disarm()


def _run_code(code: types.CodeType, namespace: dict, timeout: float | None) -> dict:
    if timeout:
        _arm(timeout)
    try:
        exec(code, namespace)
        return {"status": "ok"}
    except CellTimeout:
        return {"status": "timeout", "error": {"type": "Timeout", "message": f"ran longer than {timeout:g} s",
                                               "traceback": "", "where": ""}}
    except BaseException as exc:  # SystemExit, KeyboardInterrupt too: a cell cannot stop the worker
        return {"status": "error", "error": format_exception(exc)}
    finally:
        if timeout:
            _disarm()


def _compile(source: str, filename: str) -> types.CodeType | dict:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
        info = format_exception(exc)
        if isinstance(exc, SyntaxError):
            info["where"] = f"{filename}, line {exc.lineno}"
            info["message"] = f"{exc.msg} (line {exc.lineno})"
        return info


def run_notebook(cells: list[dict], cell_timeout: float | None,
                 skip: frozenset[int] | set[int] = frozenset()) -> tuple[types.ModuleType, list[dict]]:
    """Run notebook code cells in order in a fresh ``__main__`` module.

    Args:
        cells: ``[{"index": int, "source": str}, ...]`` in notebook order.
        cell_timeout: seconds per cell (None: no limit).
        skip: indices of cells not to run (a fresh run leaves out slow cells that
            define nothing the graded functions use; see :mod:`grader.notebook`).

    Returns:
        The namespace module and one report per cell:
        ``{"index", "status": "ok"|"error"|"timeout"|"skipped", "error"?, "seconds"}``.
    """
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = __builtins__
    shell = _Shell()
    module.__dict__["get_ipython"] = lambda: shell
    module.__dict__["display"] = lambda *a, **k: None
    sys.modules["__main__"] = module
    reports = []
    for cell in cells:
        index = cell["index"]
        if index in skip:
            reports.append({"index": index, "status": "skipped", "seconds": 0.0})
            continue
        code = _compile(cell["source"], f"<cell {index}>")
        if isinstance(code, dict):
            reports.append({"index": index, "status": "error", "error": code, "seconds": 0.0})
            continue
        start = time.perf_counter()
        report = _run_code(code, module.__dict__, cell_timeout)
        report["index"] = index
        report["seconds"] = time.perf_counter() - start
        reports.append(report)
    return module, reports


def run_module(path: str, name: str, timeout: float | None) -> tuple[types.ModuleType, list[dict]]:
    """Import a ``.py`` submission as module ``name``.

    Returns:
        The module (possibly partly initialised) and a one-element report list
        (index 0) like :func:`run_notebook`'s.
    """
    source = Path(path).read_text(encoding="utf-8-sig")
    module = types.ModuleType(name)
    module.__file__ = str(Path(path).resolve())
    module.__dict__["__builtins__"] = __builtins__
    sys.modules[name] = module
    code = _compile(source, module.__file__)
    if isinstance(code, dict):
        return module, [{"index": 0, "status": "syntax_error", "error": code}]
    report = _run_code(code, module.__dict__, timeout)
    report["index"] = 0
    return module, [report]
