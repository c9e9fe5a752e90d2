"""A deadline for trusted code: the test's own computation counts against the
submission's total time limit.

The worker's calls are bounded by the channel's deadlines, but what a test does
with the values it received (casting, multiplying, looping) runs in the
trusted process, outside every call. :class:`Watchdog` arms ``ITIMER_REAL``
around one test item; if the item is still running when the submission's
deadline (plus a small grace, so that a call blocked on the worker times out
by itself first) has passed, the ``SIGALRM`` handler raises
:class:`TrustedTimeout` in the main thread, wherever the test is.

The exception is a ``BaseException``: a test's ``except Exception`` (or
``pytest.raises(AssertionError)``) cannot swallow it. Only pure Python is
interrupted at once; one long C call (a huge matrix product) ends first, which
the grading process's memory limit bounds.

The alarm is armed only inside :meth:`Watchdog.armed` and always disarmed
when it exits; a signal that arrives after that is ignored, so it never fires
into the batch loop.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

GRACE_S = 0.5


class TrustedTimeout(BaseException):
    """Trusted test code ran past the submission's total time limit."""


class Watchdog:
    """Interrupts the main thread's trusted code at a deadline (see the module docstring).

    Usable only from the main thread (``signal`` rules); elsewhere :meth:`armed`
    does nothing (``available`` is False).
    """

    def __init__(self) -> None:
        self.available = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        self._active = False
        self.fired = False
        self._previous: Any = None  # signal.getsignal's value: a handler, SIG_DFL or SIG_IGN
        self._installed = False

    def _handler(self, signum: int, frame: object) -> None:
        if self._active:
            self._active = False
            self.fired = True
            raise TrustedTimeout("the test ran past the submission's total time limit")

    @contextlib.contextmanager
    def armed(self, seconds: float) -> Iterator[None]:
        """Run the ``with`` body with an alarm ``seconds`` (+ grace) from now.

        Raises:
            TrustedTimeout: (from inside the body, or as it exits) if the alarm fired.
                ``fired`` is then True until the next :meth:`armed`.
        """
        self.fired = False
        if not self.available:
            yield
            return
        previous = signal.signal(signal.SIGALRM, self._handler)
        self._previous = signal.SIG_DFL if previous is None else previous
        self._installed = True
        try:
            self._active = True
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.0) + GRACE_S)
            yield
        finally:
            self.disarm()

    def disarm(self) -> None:
        """Stop the alarm and restore the previous handler (idempotent). Callers that
        catch :class:`TrustedTimeout` call it again: the signal may have arrived
        while :meth:`armed` was exiting, cutting its own clean-up short."""
        self._active = False
        if self.available:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self._installed:
                signal.signal(signal.SIGALRM, self._previous)
                self._installed = False
