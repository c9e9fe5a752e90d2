"""A grading process driven over a socket: what each Dask worker of ``grader grade --cluster``
keeps (:mod:`grader.cluster`), without Dask itself.

The grading process runs :func:`grader.grade._slot_main`, the body of a local ``grader grade``
grading process (a :class:`~grader.harness.session.GradingSession` and its sandbox backend), in a
subprocess started as ``python -m grader.slot_process FD``. Its parent sends it plain data over a
private socket pair (:mod:`multiprocessing.connection`): first ``_slot_main``'s arguments, then one
submission at a time (:func:`submission_data`), then None to stop; the process answers with
``_slot_main``'s events (``started``, ``result`` with a plain dict, ``fatal``, ``done``).

Why not :mod:`multiprocessing`: Dask's worker processes are daemons, which may not have
``multiprocessing`` children. Why not grade in the Dask worker itself: the tests' watchdog
(``SIGALRM``) works only in a main thread, and the trusted memory limit (``RLIMIT_DATA``) would
bound the Dask worker too. The process stops when its parent dies (:func:`_watch_parent`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .submissions import Submission

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

#: how long a grading process may take to finish its submission and clean up when it is closed
CLOSE_TIMEOUT_S = 30.0


def submission_data(sub: Submission) -> dict[str, Any]:
    """What a task carries of ``sub``: its files' bytes and what reading them found, as plain data
    (str, bytes, int, lists and dicts). The client applies the commit, time and flags itself."""
    return {"student": sub.student, "path": str(sub.path) if sub.path else None, "files": dict(sub.files),
            "kind": sub.kind, "cells": [[c.index, c.source] for c in sub.cells], "problem": sub.problem,
            "sha256": sub.sha256}


def submission_from_data(data: dict[str, Any]) -> Submission:
    """The :class:`Submission` that :func:`submission_data` described."""
    from .notebook import Cell

    return Submission(student=data["student"], path=Path(data["path"]) if data["path"] else None,
                      files=dict(data["files"]), kind=data["kind"],
                      cells=[Cell(index=i, source=s) for i, s in data["cells"]], problem=data["problem"],
                      sha256=data["sha256"])


class GradingProcess:
    """One grading process (:func:`grader.grade._slot_main` in a subprocess of this one) and the
    socket to it. Use :meth:`start`."""

    def __init__(self, proc: subprocess.Popen, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn
        self.dead = False

    @classmethod
    def start(cls, args: list[Any]) -> GradingProcess:
        """Start ``python -m grader.slot_process`` and send it ``args``, :func:`grader.grade._slot_main`'s
        arguments before its queues (course root, assignment, backend, hide, options, slot, jobs).

        Raises:
            OSError: the process cannot be started.
        """
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        with theirs:
            proc = subprocess.Popen([sys.executable, "-m", "grader.slot_process", str(theirs.fileno())],
                                    pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        conn = Connection(ours.detach())
        conn.send(args)
        return cls(proc, conn)

    def alive(self) -> bool:
        """True while the process runs and can take another submission."""
        return not self.dead and self.proc.poll() is None

    def grade(self, data: dict[str, Any], on_started: Callable[[str], None]) -> dict[str, Any]:
        """Grade one submission (:func:`submission_data`). Returns ``{"result": dict}`` (a
        :meth:`SubmissionResult.to_dict`), ``{"died": message}`` (the process died while grading
        it) or ``{"fatal": message}`` (it cannot grade at all: its set-up or the tests' collection
        failed). Never raises for what the grading process does."""
        try:
            self.conn.send(data)
        except OSError:
            return self._died()
        while True:
            try:
                kind, _, value = self.conn.recv()
            except (EOFError, OSError):
                return self._died()
            if kind == "started":
                on_started(value)
            elif kind == "result":
                return {"result": value}
            elif kind in ("fatal", "done"):
                self.dead = True
                return {"fatal": value if kind == "fatal" else "the grading process stopped"}

    def _died(self) -> dict[str, Any]:
        self.dead = True
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return {"died": f"the grading process died (exit code {code})"}

    def close(self) -> None:
        """Ask the process to stop (it finishes its submission and cleans up), kill it after
        :data:`CLOSE_TIMEOUT_S`. Closing twice is harmless."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.conn.close()
        self.dead = True


class _Inbox:
    """``tasks`` for :func:`grader.grade._slot_main`: submissions from the parent."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self) -> Submission | None:
        try:
            data = self.conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return None
        return None if data is None else submission_from_data(data)


class _Outbox:
    """``events`` for :func:`grader.grade._slot_main`: replies to the parent."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, event: tuple[str, int, Any]) -> None:
        try:
            self.conn.send(event)
        except OSError:  # the parent is gone: nobody to tell, and the watcher stops us
            pass


def _watch_parent(parent: int) -> None:
    """Stop this grading process when the process that started it (a Dask worker) dies: interrupt
    the grading in progress (its clean-up removes the submission's files and the sandbox), and exit
    outright if that takes too long."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(CLOSE_TIMEOUT_S)
    os._exit(3)


def _grading_process_main(fd: int) -> None:
    """``python -m grader.slot_process FD``: the grading process's body (see :class:`GradingProcess`)."""
    from multiprocessing.connection import Connection

    from .grade import _slot_main

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    conn = Connection(fd)
    try:
        course_root, assignment, backend_name, hide, options, slot, jobs = conn.recv()
        _slot_main(course_root, assignment, backend_name, hide, options, slot, jobs, _Inbox(conn), _Outbox(conn))
    except (EOFError, OSError, KeyboardInterrupt):  # the parent is gone (KeyboardInterrupt: the watcher's)
        pass


if __name__ == "__main__":
    _grading_process_main(int(sys.argv[1]))
