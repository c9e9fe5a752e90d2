"""The trusted side of the worker channel: calls into the student's code.

One job per module:

* :mod:`.errors`: what a call can raise (:class:`RemoteError` and its kinds, all
  ``AssertionError``, so pytest reports a failed test, not an error in the test);
* :mod:`.channel`: framed, deadline-bounded request/reply I/O with one worker;
* :mod:`.session`: :class:`RemoteSession`, one submission's worker across restarts,
  with the time limits;
* :mod:`.proxies`: :class:`SubmissionProxy` (the ``submission`` fixture) and
  :class:`RemoteObject`, which turn attribute access, calls and operators into requests.

Replies are decoded by :mod:`grader.worker.wire`, which builds only plain data; anything
else stays in the worker behind a handle. The helpers for test authors (``seed``,
``describe_module``, ``call_with_args``, ...) live in :mod:`grader.testing` and are
importable from here too, under the names the assignments' tests use.
"""

from __future__ import annotations

from typing import Any

from .channel import READ_AHEAD, Channel, Event, _ThreadedPipes
from .errors import (
    MAX_TEXT,
    CallTimeout,
    MissingName,
    ProtocolViolation,
    RemoteError,
    StudentError,
    ValueTooLarge,
    WorkerCrashed,
    describe_exit,
)
from .proxies import RemoteObject, SubmissionProxy
from .session import HELLO_TIMEOUT, RemoteSession

#: Helpers for test authors, defined in grader.testing (which imports this package: loaded on first use).
_TESTING_HELPERS = ("seed", "describe_module", "CallRecord", "call_with_args", "identity", "bind_name",
                    "type_name", "remote_repr")

__all__ = ["READ_AHEAD", "Channel", "Event", "MAX_TEXT", "CallTimeout", "MissingName", "ProtocolViolation",
           "RemoteError", "StudentError", "ValueTooLarge", "WorkerCrashed", "describe_exit", "RemoteObject",
           "SubmissionProxy", "HELLO_TIMEOUT", "RemoteSession", "_ThreadedPipes", *_TESTING_HELPERS]


def __getattr__(name: str) -> Any:
    if name in _TESTING_HELPERS:
        from .. import testing

        return getattr(testing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
