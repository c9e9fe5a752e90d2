"""The errors a call into the student's worker can raise, as the tests see them.

Every failure in the worker surfaces in the test as a subclass of
:class:`RemoteError` (an ``AssertionError``, so pytest reports it as a failed
test, not an error in the test).
"""

from __future__ import annotations

from typing import Any

_GONE = "belonged to a worker or run that is gone (the worker was restarted, or the run ended)"
MAX_TEXT = 4000


class RemoteError(AssertionError):
    """Something went wrong in the student's worker; the message says what."""


class StudentError(RemoteError):
    """The student's code raised an exception.

    Attributes:
        exc_type: the exception's class name, e.g. ``"ValueError"``.
        exc_message: its message.
        student_traceback: the traceback lines in the student's code.
    """

    def __init__(self, what: str, info: dict) -> None:
        self.exc_type = _text(info.get("type"), 200)
        self.exc_message = _text(info.get("message"))
        self.student_traceback = _text(info.get("traceback"))
        self.where = _text(info.get("where"), 500)
        where = f" at {self.where}" if self.where else ""
        super().__init__(f"{what} raised {self.exc_type}: {self.exc_message}{where}")


class _NoLength(StudentError, TypeError):
    """``len()`` of a remote object that has no length. Also a ``TypeError``, because
    ``list(remote_iterator)`` asks for a length hint first and ignores only a TypeError."""


class MissingName(RemoteError):
    """The submission does not define a name a test needs."""


class CallTimeout(RemoteError):
    """The student's code did not return within its time limit."""


class WorkerCrashed(RemoteError):
    """The worker process died, or cannot be used any more."""


class ProtocolViolation(WorkerCrashed):
    """The worker sent data that breaks the protocol (garbage, too large)."""


class ValueTooLarge(RemoteError):
    """The student's code returned (or passed to a trusted callback) an array with
    more elements than the test accepts (``RemoteSession.max_elements``,
    ``max_message_elements``). The worker stays usable; the call fails."""


def _text(value: Any, cap: int = MAX_TEXT) -> str:
    s = value if isinstance(value, str) else ("" if value is None else repr(value))
    return s if len(s) <= cap else s[:cap] + "..."


def describe_exit(status: int | None) -> str:
    """A human description of a worker's exit status."""
    if status is None:
        return "stopped responding"
    if status < 0:
        import signal

        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        hint = {"SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed: memory or CPU limit?)",
                "SIGXCPU": " (CPU time limit)", "SIGABRT": " (aborted)", "SIGBUS": " (bus error)",
                "SIGXFSZ": " (file size limit)"}.get(name, "")
        return f"was killed by {name}{hint}"
    return f"exited with status {status}"
