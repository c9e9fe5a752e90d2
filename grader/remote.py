"""The trusted side of the worker channel: calls into the student's code.

:class:`RemoteSession` owns one submission's worker: it starts it, loads the
notebook or module, restarts it after a timeout or crash (a few times), and
enforces the time limits. :class:`SubmissionProxy` (the ``submission`` test
fixture) and :class:`RemoteObject` turn attribute access, calls and operators
into requests. Replies are decoded by :mod:`grader.worker.wire`, which builds
only plain data; anything else stays in the worker behind a handle.

Every failure in the worker surfaces in the test as a subclass of
:class:`RemoteError` (an ``AssertionError``, so pytest reports it as a failed
test, not an error in the test).
"""

from __future__ import annotations

import os
import secrets
import select
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .config import Limits
from .sandbox import base as sandbox_base
from .sandbox.base import WorkerProcess
from .worker import wire

HELLO_TIMEOUT = 60.0
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


@dataclass
class Event:
    """Something that happened to the worker: ``kind`` is ``timeout`` or ``crashed``."""

    kind: str
    message: str


class Channel:
    """Framed, deadline-bounded request/reply I/O with one worker process."""

    def __init__(self, proc: WorkerProcess, session: RemoteSession, generation: int) -> None:
        self.proc = proc
        self.session = session
        self.generation = generation
        # POSIX: non-blocking writes and select(); elsewhere (Windows, whose select() takes
        # sockets only) one thread reads the replies and each request is written from a thread
        self._pipes = None if sandbox_base.POSIX_PIPES else _ThreadedPipes(proc.to_worker, proc.from_worker)
        if self._pipes is None:
            os.set_blocking(proc.to_worker, False)

    def close(self) -> None:
        """Release what the channel itself holds (the worker's descriptors are the process's)."""
        if self._pipes is not None:
            self._pipes.close()

    # -- raw I/O with a deadline ------------------------------------------------
    def _write(self, pieces: list, deadline: float) -> None:
        if self._pipes is not None:
            self._pipes.write(pieces, deadline)
            return
        views = [memoryview(p).cast("B") for p in pieces]
        while views:
            try:
                n = os.writev(self.proc.to_worker, views)  # one syscall: one wake-up of the worker
            except BlockingIOError:
                n = 0
            except BrokenPipeError:
                raise EOFError from None
            while views and n >= views[0].nbytes:
                n -= views[0].nbytes
                views.pop(0)
            if views:
                views[0] = views[0][n:]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                select.select([], [self.proc.to_worker], [], left)

    def _read_exact(self, n: int, deadline: float) -> bytearray:
        if self._pipes is not None:
            return self._pipes.read_exact(n, deadline)
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.proc.from_worker], [], [], min(left, 1.0))
            if not ready:
                continue
            k = os.readv(self.proc.from_worker, [view[got:]])
            if k == 0:
                raise EOFError
            got += k
        return buf

    def read_message(self, deadline: float) -> Any:
        n = wire.frame_length(bytes(self._read_exact(wire.PREFIX_SIZE, deadline)))
        if n > self.session.max_message_bytes:
            raise wire.WireError(f"the worker sent a message of {n} bytes (limit {self.session.max_message_bytes})")
        payload = self._read_exact(n, deadline)
        session = self.session
        return wire.decode_payload(payload, self._from_handle, max_elements=session.max_elements,
                                   max_total=max(session.max_message_elements, session.max_elements))

    def send(self, message: Any, deadline: float) -> None:
        pieces = wire.encode_message(message, self._to_handle, self.session.max_message_bytes)
        self._write(pieces, deadline)

    # -- handles ----------------------------------------------------------------
    def _to_handle(self, value: Any) -> dict:
        if isinstance(value, RemoteObject):
            if value._generation != self.generation:
                raise WorkerCrashed(f"{value!r} {_GONE}")
            return {"$h": value._id}
        if callable(value):
            return {"$k": self.session.register_callback(value)}
        raise TypeError(f"cannot send a {type(value).__qualname__} to the student's worker "
                        "(only plain data, numpy arrays, torch tensors and remote objects cross)")

    def _from_handle(self, tag: str, hid: int, type_name: str) -> Any:
        if tag != "$h":
            raise wire.WireError("the worker sent a trusted-callable handle")
        return RemoteObject(self.session, self.generation, hid, type_name)


class _ThreadedPipes:
    """Deadline-bounded I/O on a worker's pipes without ``select`` (Windows).

    A reader thread moves replies into a buffer of at most :data:`READ_AHEAD` bytes
    (it waits while the buffer is full, so a worker that floods the pipe costs no more
    memory than with ``select``); each write runs in a thread of its own, which the
    caller waits for until the deadline. Both use duplicates of the worker's
    descriptors and close them themselves, so closing the worker's descriptors never
    races a thread still blocked on them. Killing the worker ends both: end-of-file
    for the reader, a broken pipe for a write.
    """

    def __init__(self, to_worker: int, from_worker: int) -> None:
        self._to = os.dup(to_worker)
        self._from = os.dup(from_worker)
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self._lock = threading.Lock()  # guards _to's ownership between close() and a write thread
        self._writing = False
        self._closed = False
        self._broken = False
        threading.Thread(target=self._read_loop, daemon=True, name="worker-replies").start()

    def _read_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while len(self._buf) >= READ_AHEAD:
                        self._cond.wait()
                data = os.read(self._from, 1 << 16)
                if not data:
                    break
                with self._cond:
                    self._buf += data
                    self._cond.notify_all()
        except OSError:
            pass
        finally:
            os.close(self._from)
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def read_exact(self, n: int, deadline: float) -> bytearray:
        """The next ``n`` bytes of replies.

        Raises:
            TimeoutError: not there by ``deadline``.
            EOFError: the worker closed its end first.
        """
        out = bytearray()
        with self._cond:
            while len(out) < n:
                if self._buf:
                    take = min(n - len(out), len(self._buf))
                    out += self._buf[:take]
                    del self._buf[:take]
                    self._cond.notify_all()  # the reader may go on
                    continue
                if self._eof:
                    raise EOFError
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self._cond.wait(left)
        return out

    def write(self, pieces: list, deadline: float) -> None:
        """Write ``pieces`` (one frame) to the worker.

        Raises:
            TimeoutError: not written by ``deadline`` (the caller then kills the worker,
                which ends the write), or an earlier write is still stuck.
            EOFError: the worker closed its end.
        """
        with self._lock:
            if self._writing:
                raise TimeoutError
            if self._broken or self._closed:
                raise EOFError
            self._writing = True
        data = b"".join(memoryview(p).cast("B") for p in pieces)
        done = threading.Event()
        threading.Thread(target=self._write_all, args=(data, done), daemon=True, name="worker-requests").start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError
        if self._broken:
            raise EOFError

    def _write_all(self, data: bytes, done: threading.Event) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._to, view):]
        except OSError:  # a broken pipe: the worker is gone
            self._broken = True
        finally:
            with self._lock:
                self._writing = False
                if self._closed:
                    os.close(self._to)
            done.set()

    def close(self) -> None:
        """Release the request pipe (now, or when a stuck write ends). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._writing:
                os.close(self._to)


#: Bytes of replies :class:`_ThreadedPipes` reads ahead of the caller.
READ_AHEAD = 1 << 20


class RemoteSession:
    """One submission's worker, across restarts.

    Args:
        start_worker: starts a fresh worker process (the backend and the
            submission's working directory are bound in by the caller).
        load_request: the ``load`` message for the notebook or module, or
            None to skip loading (a bare worker, used in tests).
        limits: time limits (seconds) and the restart budget.
        what: how to name the submission in messages.
        fork: give every run a fresh interpreter state cheaply: the worker
            imports ``preload`` and becomes a zygote that never runs student code;
            each run (see :meth:`new_run`) is a child forked from it that loads
            the submission afresh. Without it, a new run is a new worker.
        preload: modules the zygote imports (e.g. ``("torch",)``).
        isolated: the backend is a real sandbox (its own PID and IPC namespaces and
            scratch folders), so the zygote may kill leftover processes and empty
            ``/tmp`` between runs; False for the unisolated subprocess backend.

    Attributes:
        events: timeouts and crashes so far, in order.
        load_report: the first load's reply (``{"cells": [...]}``), or None.
        dead_reason: why no further calls can run, or None.
        peak_memory_bytes, cpu_time_s: worker statistics summed over restarts (cpu)
            or maximised (memory).
        device: where the worker computed, as it reported (``"cpu"``, or
            ``"cuda:0 (NVIDIA H200)"`` once the student's code used CUDA); "" if it never replied.
    """

    max_message_bytes = wire.MAX_MESSAGE_BYTES

    def __init__(self, start_worker: Callable[[], WorkerProcess], load_request: dict | None,
                 limits: Limits, what: str = "the submission", *, fork: bool = False,
                 preload: tuple[str, ...] | list[str] = (), isolated: bool = True) -> None:
        self.start_worker = start_worker
        self.load_request = load_request
        self.limits = limits
        self.what = what
        # fork: the worker is a clean zygote that forks one child per run (see grader.worker.zygote);
        # preload: modules it imports first; isolated: the sandbox lets it clean up after a run
        self.fork = fork and load_request is not None
        self.preload = tuple(preload)
        self.isolated = isolated
        self._child_active = False
        self._fresh_start = False
        #: notebook cells later loads leave out (slow cells that define nothing the graded code reads;
        #: see grader.notebook.cells_to_skip); the first load always runs every cell
        self.run_skip: list[int] = []
        self.deadline = time.monotonic() + limits.total_timeout
        self.events: list[Event] = []
        self.load_report: dict | None = None
        self.dead_reason: str | None = None
        self.dead_kind = "crashed"
        self.channel: Channel | None = None
        self.generation = 0
        # each function may fail (time out, crash) restarts + 1 times before it is not run again,
        # so one hanging function does not cost the questions of the others
        self.restarts_left = 4 * limits.restarts + 2
        self.failures: dict[str, list[Event]] = {}
        self.call_timeout = limits.call_timeout
        self.peak_memory_bytes = 0
        self.cpu_time_s = 0.0
        self._worker_cpu = 0.0
        self.device = ""
        self.outputs: list[str] = []
        self._callbacks: dict[int, Callable] = {}
        self._callback_count = 0  # ids are never reused: a stale id stays unknown
        # element limits of what the worker sends (per array, per message); the plugin sets them per test
        self.max_elements = limits.max_elements
        self.max_message_elements = limits.max_message_elements
        self._release: list[int] = []
        self._root_cache: dict[str, Any] = {}

    # -- lifecycle --------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def register_callback(self, fn: Callable) -> int:
        """Make a trusted function callable by the worker; returns its id (never reused)."""
        self._callback_count += 1
        self._callbacks[self._callback_count] = fn
        return self._callback_count

    def clear_callbacks(self) -> None:
        """Forget every trusted callback: the worker calling one of their ids later
        gets an "unknown callback" error. The plugin calls this after each test."""
        self._callbacks.clear()

    def release(self, generation: int, hid: int) -> None:
        if generation == self.generation:
            self._release.append(hid)

    def start(self) -> None:
        """Start (or restart) the worker and load the submission.

        Raises:
            CallTimeout, WorkerCrashed: if that fails; the session is then dead.
        """
        if self.dead_reason:
            raise self._dead_error()
        first = self.generation == 0
        self.generation += 1
        self._root_cache.clear()
        self._release.clear()
        proc = self.start_worker()
        self.channel = Channel(proc, self, self.generation)
        try:
            hello = self._exchange(None, min(HELLO_TIMEOUT, max(self.remaining(), 0.1)), "starting the worker")
            if not isinstance(hello, dict) or "hello" not in hello:
                raise self._violation("the worker did not greet")
            if self.fork:
                timeout = min(self.limits.load_timeout, max(self.remaining(), 0.1))
                try:
                    self.request({"op": "zygote", "preload": list(self.preload), "isolated": self.isolated},
                                 timeout=timeout, what="preparing the worker", _starting=True)
                except StudentError:  # a worker that cannot fork (Windows): a new worker per run instead
                    self.fork = False
            if self.fork:
                report = self._spawn()
                if first:
                    self.load_report = report
            elif self.load_request is not None:
                timeout = min(self.limits.load_timeout, self.remaining())
                report = self.request(self.load_request, timeout=timeout, what=f"loading {self.what}",
                                      _starting=True)
                if first:
                    self.load_report = report
        except (CallTimeout, WorkerCrashed) as exc:
            self.dead_reason = str(exc)
            self.dead_kind = "timeout" if isinstance(exc, CallTimeout) else "crashed"
            raise
        except StudentError as exc:  # the loader itself failed: nothing can run
            self._fail("crashed", f"loading {self.what} failed: {exc.exc_type}: {exc.exc_message}")
            self.dead_reason = self.events[-1].message
            raise WorkerCrashed(self.dead_reason) from None

    def ensure(self) -> None:
        """Make sure a worker is running: start it, or restart it if the budget allows.

        Raises:
            CallTimeout, WorkerCrashed: if no worker can run any more.
        """
        if self.dead_reason:
            raise self._dead_error()
        if self.channel is None:
            if self.generation > 0 and not self._fresh_start:
                if self.restarts_left <= 0:
                    self.dead_reason = f"{self.what}'s worker failed too often (no restarts left)"
                    raise self._dead_error()
                self.restarts_left -= 1
            self._fresh_start = False
            self.start()
        elif self.fork and not self._child_active:
            self._spawn()

    # -- runs -------------------------------------------------------------------
    def new_run(self) -> None:
        """Give the next requests a fresh copy of the submission: newly loaded, in a
        process that shares nothing with any earlier run (no memory, files, processes,
        IPC objects). Objects of the previous run become unusable.

        With ``fork``, the zygote ends the current child, cleans up and forks a new
        one (milliseconds plus the submission's own load time); otherwise the worker
        is replaced by a new one (a full start, imports included).

        Raises:
            CallTimeout, WorkerCrashed: if the fresh copy cannot be started or loaded.
        """
        if self.dead_reason:
            raise self._dead_error()
        if self.fork and self.channel is not None:
            self.end_run()
            self._spawn()
            return
        self._stop_worker()
        self._fresh_start = True
        self.ensure()

    def end_run(self) -> None:
        """End the current run: its process is killed and everything it left is
        removed before any further request (which loads the submission afresh).
        A worker that cannot be reached any more is simply gone; never raises."""
        if self.channel is None:
            return
        if not self.fork:
            self._stop_worker()
            self._fresh_start = True
            return
        if not self._child_active:
            return
        self._child_active = False
        self._next_generation()
        try:
            self._control({"op": "end"}, "ended", min(10.0, max(self.remaining(), 0.1)), "ending the run")
        except RemoteError:
            pass

    def _next_generation(self) -> None:
        self.generation += 1
        if self.channel is not None:
            self.channel.generation = self.generation
        self._root_cache.clear()
        self._release.clear()

    def _control(self, message: dict, key: str, timeout: float, what: str) -> dict:
        """A request to the zygote itself; its answer must echo the request's one-time
        nonce under ``key``, which the run's child never sees and so cannot forge."""
        nonce = secrets.token_hex(16)
        reply = self._exchange({**message, "nonce": nonce}, timeout, what)
        if not isinstance(reply, dict) or reply.get(key) != nonce:
            raise self._violation(f"an answer out of turn while {what} (the run's process wrote more than "
                                  "its replies)")
        refused = reply.get("refused")
        if refused:
            self._fail("crashed", f"the worker could not clean up after a run ({_text(refused, 300)}): "
                                  "it was replaced")
            raise WorkerCrashed(self.events[-1].message)
        return reply

    def _spawn(self) -> Any:
        """Fork a fresh child from the zygote and load the submission in it; returns its load report."""
        assert self.load_request is not None
        self._next_generation()
        timeout = min(self.limits.load_timeout, max(self.remaining(), 0.1))
        what = f"loading {self.what}"
        message = {**self.load_request, "op": "spawn"}
        if self.load_report is not None and self.run_skip:
            message["skip"] = list(self.run_skip)
        self._control(message, "spawned", timeout, what)
        report = self._result(self._exchange(None, timeout, what), what)
        self._child_active = True
        return report

    def check_culprit(self, culprit: str | None) -> None:
        """Refuse to run ``culprit`` (a function's name) again once it has failed
        ``restarts + 1`` times: that costs its own tests, not a restart the
        other functions need.

        Raises:
            CallTimeout, WorkerCrashed: if ``culprit`` is given up.
        """
        failed = self.failures.get(culprit or "", [])
        if len(failed) > self.limits.restarts:
            cls = CallTimeout if failed[-1].kind == "timeout" else WorkerCrashed
            raise cls(f"not run: `{culprit}` failed {len(failed)} times already (last: {failed[-1].message})")

    def expire(self) -> None:
        """End the session because its total time is used up (the grading process's
        watchdog calls this when trusted code ran past the deadline): the worker is
        killed, and every later request raises :class:`CallTimeout` ("not run: ...")."""
        if not self.dead_reason:
            self.dead_reason = f"{self.what} used up its total time limit of {self.limits.total_timeout:g} s"
            self.dead_kind = "timeout"
            self._fail("timeout", self.dead_reason)
        else:
            self._stop_worker()

    def _dead_error(self) -> RemoteError:
        cls = CallTimeout if self.dead_kind == "timeout" else WorkerCrashed
        return cls(f"not run: {self.dead_reason}")

    def _stop_worker(self) -> None:
        if self.channel is not None:
            proc = self.channel.proc
            proc.close()
            self.outputs.append(proc.output.text())
            self.cpu_time_s += proc.sandbox_cpu if proc.sandbox_cpu is not None else \
                max(self._worker_cpu, proc.rusage_cpu)
            self.peak_memory_bytes = max(self.peak_memory_bytes, proc.sandbox_peak_memory or 0)
            self._worker_cpu = 0.0
            self.channel.close()
            self.channel = None
            self._child_active = False

    def close(self) -> None:
        """Kill the worker and collect its statistics. (Killing is faster than a
        polite shutdown, and the worker holds nothing that needs flushing.)"""
        self._stop_worker()

    @property
    def output(self) -> str:
        return "\n".join(o for o in self.outputs if o)

    # -- requests ---------------------------------------------------------------
    def _violation(self, message: str) -> ProtocolViolation:
        self._fail("crashed", f"{self.what}'s worker broke the protocol: {message}")
        return ProtocolViolation(self.events[-1].message)

    def _fail(self, kind: str, message: str) -> None:
        self.events.append(Event(kind, message))
        self._stop_worker()

    def _exchange(self, message: Any, timeout: float, what: str) -> Any:
        """Send ``message`` (None: send nothing) and return the next reply, serving callbacks."""
        assert self.channel is not None
        channel = self.channel
        deadline = time.monotonic() + timeout
        too_large: wire.TooLarge | None = None
        try:
            if message is not None:
                channel.send(message, deadline)
            while True:
                try:
                    reply = channel.read_message(deadline)
                except wire.TooLarge as exc:
                    if not exc.callback:
                        raise ValueTooLarge(f"{what} returned {exc.describe()}") from None
                    too_large = too_large or exc  # the call fails once it returns
                    channel.send({"callback_error": f"ValueError: the grader's function refused {exc.describe()}"},
                                 deadline)
                    continue
                except (TimeoutError, EOFError, OSError, wire.WireError):
                    raise
                except Exception as exc:  # noqa: BLE001 - whatever the worker's bytes provoke is its fault
                    raise wire.WireError(f"an undecodable message ({type(exc).__name__})") from None
                if isinstance(reply, dict) and "callback" in reply:
                    channel.send(self._serve_callback(reply["callback"]), deadline)
                    continue
                if too_large is not None:
                    raise ValueTooLarge(f"{what} passed {too_large.describe()} to a function of the grader")
                return reply
        except TimeoutError:
            self._fail("timeout", f"{what} did not finish within {timeout:.3g} s")
            raise CallTimeout(self.events[-1].message) from None
        except (EOFError, OSError):
            proc = channel.proc
            proc.wait(2.0)
            note = proc.backend.exit_note(proc)
            self._fail("crashed", f"the worker {note or describe_exit(proc.exit_status)} during {what}")
            raise WorkerCrashed(self.events[-1].message) from None
        except wire.WireError as exc:
            raise self._violation(str(exc)) from None

    def _serve_callback(self, cb: Any) -> dict:
        """Run the trusted callback a ``{"callback": cb}`` frame asks for; returns the reply frame.

        Raises:
            wire.WireError: the frame is malformed (``id`` not an int, ``args`` not a
                list, ``kwargs`` not a dict with str keys): a protocol violation.
        """
        if type(cb) is not dict or not set(cb) <= {"id", "args", "kwargs"} or type(cb.get("id")) is not int:
            raise wire.WireError("a malformed callback frame")
        args, kwargs = cb.get("args", []), cb.get("kwargs", {})
        if type(args) is not list or type(kwargs) is not dict or any(type(k) is not str for k in kwargs):
            raise wire.WireError("a malformed callback frame")
        fn = self._callbacks.get(cb["id"])
        if fn is None:
            return {"callback_error": "unknown callback"}
        try:
            result = fn(*args, **kwargs)
            return {"callback_result": result}
        except Exception as exc:  # the trusted function failed on the student's input
            return {"callback_error": f"{type(exc).__name__}: {exc}"[:MAX_TEXT]}

    def request(self, message: dict, *, timeout: float | None = None, what: str = "the call",
                culprit: str | None = None, _starting: bool = False) -> Any:
        """Send one request and return the decoded result.

        Args:
            message: ``{"op": ..., ...}`` (see :mod:`grader.worker.server`).
            timeout: seconds; default the per-call limit, never past the total limit.
            what: how to name the call in messages, e.g. ``"sigmoid(...)"``.
            culprit: the student function this request runs (for the per-function
                failure budget, see :meth:`check_culprit`).

        Raises:
            StudentError: the student's code raised.
            CallTimeout: the call ran out of time (the worker is killed).
            WorkerCrashed: the worker died, broke the protocol, or cannot restart.
        """
        left = self.remaining()
        if left <= 0 and not self.dead_reason:
            self.expire()
        self.check_culprit(culprit)
        if not _starting:
            self.ensure()  # raises once the session is dead, before starting any worker
        timeout = min(timeout if timeout is not None else self.call_timeout, left)
        if self._release:
            message = {**message, "rel": self._release}
            self._release = []
        try:
            reply = self._exchange(message, timeout, what)
        except (CallTimeout, WorkerCrashed):
            if culprit and self.events:
                self.failures.setdefault(culprit, []).append(self.events[-1])
            raise
        return self._result(reply, what)

    def _result(self, reply: Any, what: str) -> Any:
        """The value of a reply, after recording its statistics.

        Raises:
            StudentError: the reply is the student's exception.
            ProtocolViolation: it is not a reply.
        """
        if not isinstance(reply, dict) or not ({"ok", "error"} & set(reply)):
            raise self._violation("a reply without a result")
        stats = reply.get("stats")
        if stats is not None and type(stats) is not dict:
            raise self._violation("malformed statistics")
        if "error" in reply and type(reply["error"]) not in (dict, str):
            raise self._violation("a malformed error")
        if isinstance(stats, dict):
            rss, cpu = stats.get("maxrss"), stats.get("cpu")
            if type(rss) is int:
                self.peak_memory_bytes = max(self.peak_memory_bytes, rss)
            if type(cpu) is float:
                self._worker_cpu = cpu
            device = stats.get("device")
            if type(device) is str and (device != "cpu" or not self.device):  # a GPU, once seen, stays
                self.device = _device_text(device)
        if "error" in reply:
            info = reply["error"] if isinstance(reply["error"], dict) else {"message": _text(reply["error"])}
            raise StudentError(what, info)
        return reply["ok"]

    # -- root names -------------------------------------------------------------
    def root_attr(self, name: str) -> Any:
        if name in self._root_cache and self._root_cache[name][0] == self.generation:
            return self._root_cache[name][1]
        try:
            value = self.request({"op": "getattr", "obj": None, "name": name}, what=f"looking up `{name}`",
                                 culprit=name)
        except StudentError as exc:
            if exc.exc_type == "AttributeError":
                raise MissingName(f"{self.what} does not define `{name}`") from None
            raise
        self._root_cache[name] = (self.generation, value)
        return value


def _device_text(device: str) -> str:
    """The worker's device name as plain printable text (it is the worker's word, nothing more)."""
    return "".join(c for c in device[:120] if " " <= c <= "~")


def _args_text(args: tuple, kwargs: dict) -> str:
    return "..." if args or kwargs else ""


class RemoteObject:
    """A student object that stays in the worker (a function, a ``Value``, a model).

    Attribute access, calls, item access, ``len``, iteration and arithmetic
    run in the worker and return plain data or further remote objects.
    Comparisons and ``repr`` are local: a remote object never decides a test.
    """

    __slots__ = ("_session", "_generation", "_id", "_type_name", "_label", "__weakref__")

    def __init__(self, session: RemoteSession, generation: int, hid: int, type_name: str, label: str = "") -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_id", hid)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_label", label)

    def __repr__(self) -> str:
        return f"<remote {self._type_name}{' ' + self._label if self._label else ''}>"

    def _req(self, message: dict, what: str) -> Any:
        culprit = self._label if self._label and "." not in self._label else self._type_name
        self._session.check_culprit(culprit)
        self._session.ensure()
        if self._generation != self._session.generation:
            if self._label and self._session.generation > 0 and "." not in self._label:
                fresh = self._session.root_attr(self._label)  # a top-level name: look it up again
                if isinstance(fresh, RemoteObject):
                    message = {**message, "obj": fresh}
                    return self._session.request(message, what=what, culprit=culprit)
            raise WorkerCrashed(f"{self!r} {_GONE}")
        return self._session.request(message, what=what, culprit=culprit)

    def _name(self) -> str:
        return self._label or self._type_name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # never probe the worker for protocols (__array__, ...)
        return self._req({"op": "getattr", "obj": self, "name": name}, f"{self._name()}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._req({"op": "setattr", "obj": self, "name": name, "value": value}, f"setting {self._name()}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._req({"op": "call", "obj": self, "args": list(args), "kwargs": kwargs},
                         f"{self._name()}({_args_text(args, kwargs)})")

    def __getitem__(self, key: Any) -> Any:
        return self._req({"op": "getitem", "obj": self, "key": key}, f"{self._name()}[...]")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._req({"op": "setitem", "obj": self, "key": key, "value": value}, f"{self._name()}[...] = ...")

    def __len__(self) -> int:
        try:
            n = self._req({"op": "len", "obj": self}, f"len({self._name()})")
        except StudentError as exc:
            if exc.exc_type != "TypeError":
                raise
            raise _NoLength(f"len({self._name()})", {"type": exc.exc_type, "message": exc.exc_message,
                                                      "traceback": exc.student_traceback, "where": exc.where}) from None
        if type(n) is not int or n < 0:
            raise StudentError(f"len({self._name()})", {"type": "TypeError", "message": "len() is not an int"})
        return n

    def __iter__(self):
        it = self._req({"op": "iter", "obj": self}, f"iter({self._name()})")
        while True:
            step = it._req({"op": "next", "obj": it}, f"next(iter({self._name()}))")
            if not isinstance(step, dict) or "stop" in step:
                return
            yield step.get("value")

    def __del__(self) -> None:
        try:
            self._session.release(self._generation, self._id)
        except Exception:
            pass

    def _binop(self, name: str, a: Any, b: Any) -> Any:
        return self._req({"op": "binop", "name": name, "a": a, "b": b}, f"{self._name()} {name}")

    def __add__(self, o): return self._binop("add", self, o)
    def __radd__(self, o): return self._binop("add", o, self)
    def __sub__(self, o): return self._binop("sub", self, o)
    def __rsub__(self, o): return self._binop("sub", o, self)
    def __mul__(self, o): return self._binop("mul", self, o)
    def __rmul__(self, o): return self._binop("mul", o, self)
    def __truediv__(self, o): return self._binop("truediv", self, o)
    def __rtruediv__(self, o): return self._binop("truediv", o, self)
    def __floordiv__(self, o): return self._binop("floordiv", self, o)
    def __rfloordiv__(self, o): return self._binop("floordiv", o, self)
    def __mod__(self, o): return self._binop("mod", self, o)
    def __rmod__(self, o): return self._binop("mod", o, self)
    def __pow__(self, o): return self._binop("pow", self, o)
    def __rpow__(self, o): return self._binop("pow", o, self)
    def __matmul__(self, o): return self._binop("matmul", self, o)
    def __rmatmul__(self, o): return self._binop("matmul", o, self)

    def __neg__(self): return self._req({"op": "unop", "name": "neg", "a": self}, f"-{self._name()}")
    def __pos__(self): return self._req({"op": "unop", "name": "pos", "a": self}, f"+{self._name()}")
    def __abs__(self): return self._req({"op": "unop", "name": "abs", "a": self}, f"abs({self._name()})")


class SubmissionProxy:
    """The ``submission`` fixture: the student's namespace, seen through the worker.

    ``submission.sigmoid`` looks up ``sigmoid`` in the student's notebook or
    module; calling it runs it in the worker. A name the submission does not
    define raises :class:`MissingName`.
    """

    def __init__(self, session: RemoteSession) -> None:
        object.__setattr__(self, "_session", session)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._session.root_attr(name)
        if isinstance(value, RemoteObject):
            object.__setattr__(value, "_label", name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the submission proxy is read-only")

    def __repr__(self) -> str:
        return f"<submission {self._session.what}>"


def _session_of(obj: Any) -> RemoteSession:
    if isinstance(obj, SubmissionProxy):
        return object.__getattribute__(obj, "_session")
    if isinstance(obj, RemoteObject):
        return obj._session
    raise TypeError(f"expected the submission proxy or a remote object, got {type(obj).__qualname__}")


def seed(submission: SubmissionProxy | RemoteObject, value: int) -> None:
    """Seed ``random``, ``numpy.random`` and (if imported) ``torch`` in the worker."""
    _session_of(submission).request({"op": "seed", "seed": int(value)}, what="seeding the worker")


def describe_module(obj: RemoteObject) -> dict:
    """Facts about a remote ``torch.nn.Module``.

    Returns:
        ``{"type": str, "n_params": int, "linear": [(in, out), ...], "modules": [str, ...]}``.
        The facts are reported by the worker, so a hostile submission could
        misreport them; they decide architecture rules, never accuracy.

    Raises:
        StudentError: if the object is not a torch module.
    """
    if not isinstance(obj, RemoteObject):
        raise StudentError("describe_module", {"type": "TypeError",
                                               "message": f"expected a torch.nn.Module, got {type(obj).__name__}"})
    info = obj._req({"op": "describe_module", "obj": obj}, f"inspecting {obj._name()}")
    if not isinstance(info, dict):
        raise ProtocolViolation("describe_module returned no dict")
    linear = info.get("linear", [])
    info["linear"] = [tuple(x) for x in linear] if isinstance(linear, list) else []
    return info


@dataclass
class CallRecord:
    """What :func:`call_with_args` returns: the result, and the arguments as
    the student's function left them (after any in-place changes)."""

    result: Any
    args: list
    kwargs: dict


def call_with_args(fn: RemoteObject, *args: Any, **kwargs: Any) -> CallRecord:
    """Call a remote function and also fetch its arguments back after the call,
    so a test can check that the function did not change its inputs in place
    (arrays reach the worker as copies: the test's own arrays never change).

    Raises:
        TypeError: if ``fn`` is not a remote object; the errors of a call otherwise.
    """
    if not isinstance(fn, RemoteObject):
        raise TypeError(f"expected a remote function, got {type(fn).__qualname__}")
    reply = fn._req({"op": "call", "obj": fn, "args": list(args), "kwargs": kwargs, "echo_args": True},
                    f"{fn._name()}({_args_text(args, kwargs)})")
    if not isinstance(reply, dict) or not {"result", "args", "kwargs"} <= set(reply):
        raise ProtocolViolation("a call with its arguments echoed returned no record")
    got_args = reply["args"] if isinstance(reply["args"], list) else []
    got_kwargs = reply["kwargs"] if isinstance(reply["kwargs"], dict) else {}
    return CallRecord(reply["result"], got_args, got_kwargs)


def identity(obj: RemoteObject) -> int:
    """A number that tells one worker object from another (its ``id()`` in the worker):
    two remote handles to the same object give the same number while it lives.
    Handles are made per reply, so comparing handles themselves never works.

    Raises:
        TypeError: if ``obj`` is not a remote object.
    """
    if not isinstance(obj, RemoteObject):
        raise TypeError(f"expected a remote object, got {type(obj).__qualname__}")
    n = obj._req({"op": "identity", "obj": obj}, f"id({obj._name()})")
    if type(n) is not int:
        raise ProtocolViolation("identity returned no int")
    return n


def bind_name(submission: SubmissionProxy, name: str, value: Any) -> None:
    """Bind a top-level name of the student's namespace to ``value`` (plain data, a
    remote object, or a trusted function, which the student's code then calls back
    into). Used to put the reference in place of a helper another question grades;
    see :func:`grader.testing.reference_in_place`.

    Raises:
        MissingName: the submission does not define ``name`` (nothing is bound).
    """
    session = _session_of(submission)
    session.root_attr(name)  # MissingName when it is not there
    session.request({"op": "setattr", "obj": None, "name": name, "value": value}, what=f"binding `{name}`")
    session._root_cache.pop(name, None)


def type_name(obj: Any) -> str:
    """The qualified type name of a remote object (or of a local value)."""
    if isinstance(obj, RemoteObject):
        return obj._type_name
    return type(obj).__qualname__


def remote_repr(obj: RemoteObject) -> str:
    """The student object's own ``repr`` (capped), fetched from the worker."""
    text = obj._req({"op": "repr", "obj": obj}, f"repr({obj._name()})")
    return _text(text, 2000)
