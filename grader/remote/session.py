"""One submission's worker across restarts: :class:`RemoteSession` starts it, loads the
notebook or module, restarts it after a timeout or crash (a few times), enforces the time
limits, and turns requests into replies through a :class:`~grader.remote.channel.Channel`."""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable

from ..config import Limits
from ..sandbox.base import WorkerProcess
from ..worker import wire
from .channel import Channel, Event
from .errors import (
    MAX_TEXT,
    CallTimeout,
    MissingName,
    ProtocolViolation,
    RemoteError,
    StudentError,
    ValueTooLarge,
    WorkerCrashed,
    _text,
    describe_exit,
)

HELLO_TIMEOUT = 60.0


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
        warm: a worker that is already an idle, clean zygote (a warm sandbox that
            graded an earlier submission, see :meth:`detach`): it is used first, with
            neither greeting nor preparation, and ``fork`` is implied.
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
                 preload: tuple[str, ...] | list[str] = (), isolated: bool = True,
                 warm: WorkerProcess | None = None) -> None:
        self.start_worker = start_worker
        self.load_request = load_request
        self.limits = limits
        self.what = what
        # fork: the worker is a clean zygote that forks one child per run (see grader.worker.zygote);
        # preload: modules it imports first; isolated: the sandbox lets it clean up after a run
        self.fork = (fork or warm is not None) and load_request is not None
        self._warm = warm if self.fork else None
        #: what the zygote said of itself when prepared (None: not a zygote, or a warm one)
        self.zygote_info: dict | None = None
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
        try:
            if self._warm is not None:  # an idle zygote from the previous submission: straight to the spawn
                proc, self._warm = self._warm, None
                proc.reset_usage()
                self.channel = Channel(proc, self, self.generation)
                report = self._spawn()
                if first:
                    self.load_report = report
                return
            proc = self.start_worker()
            self.channel = Channel(proc, self, self.generation)
            hello = self._exchange(None, min(HELLO_TIMEOUT, max(self.remaining(), 0.1)), "starting the worker")
            if not isinstance(hello, dict) or "hello" not in hello:
                raise self._violation("the worker did not greet")
            if self.fork:
                timeout = min(self.limits.load_timeout, max(self.remaining(), 0.1))
                try:
                    info = self.request({"op": "zygote", "preload": list(self.preload), "isolated": self.isolated},
                                        timeout=timeout, what="preparing the worker", _starting=True)
                    self.zygote_info = info if isinstance(info, dict) else {}
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

    def _control(self, message: dict, key: str, timeout: float, what: str, nonce: str | None = None) -> dict:
        """A request to the zygote itself; its answer must echo the request's one-time
        nonce under ``key``, which the run's child never sees and so cannot forge."""
        nonce = nonce or secrets.token_hex(16)
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
            self._add_usage(proc.sandbox_cpu, proc.rusage_cpu, proc.sandbox_peak_memory)
            self.channel.close()
            self.channel = None
            self._child_active = False

    def close(self) -> None:
        """Kill the worker and collect its statistics. (Killing is faster than a
        polite shutdown, and the worker holds nothing that needs flushing.)"""
        if self._warm is not None:
            self._warm.close()
            self._warm = None
        self._stop_worker()

    def detach(self, cpu_budget: float = 0.0) -> WorkerProcess | None:
        """End the submission and hand back its worker, still running, for the next
        submission (a warm sandbox), if it can vouch for a fresh state; else close it.

        The worker must be a zygote whose last run ended without a timeout or crash
        of the zygote itself. The zygote kills the run's processes and cleans up (see
        :meth:`grader.worker.zygote.Zygote.clean`); it must not refuse, must mark the
        end of the run's output, and must have used less than ``cpu_budget`` CPU
        seconds itself (its own ``RLIMIT_CPU`` spans every submission it serves).
        This submission's output, CPU time and peak memory are collected either way;
        a sandbox given up here adds no event to the submission (its tests are over).

        Returns:
            the worker, idle and clean, or None (it was closed).
        """
        if self._warm is not None:  # never used: still idle and clean
            proc, self._warm = self._warm, None
            return proc
        if (not self.fork or self.channel is None or self.dead_reason
                or (self.zygote_info is not None and self.zygote_info.get("shared_mappings"))):
            self._stop_worker()
            return None
        proc = self.channel.proc
        self._child_active = False
        self._next_generation()
        nonce = secrets.token_hex(16)
        graded = len(self.events)
        try:
            reply = self._control({"op": "end", "mark": True}, "ended", min(10.0, max(self.remaining(), 0.1)),
                                  "ending the run", nonce=nonce)
        except RemoteError:  # (its worker is stopped) the tests are over: not the submission's failure, the
            del self.events[graded:]  # sandbox is only given up
            return None
        output = None
        deadline = time.monotonic() + 2.0
        while output is None and time.monotonic() < deadline and proc.poll() is None:
            output = proc.output.cut(wire.end_marker(nonce))
            if output is None:
                time.sleep(0.002)
        zygote_cpu = reply.get("zygote_cpu")
        if output is None or type(zygote_cpu) is not float or not zygote_cpu < cpu_budget:
            self._stop_worker()
            return None
        self.outputs.append(output)
        cpu, peak = proc.read_usage()
        child_cpu = reply.get("cpu")
        self._add_usage(cpu, child_cpu if type(child_cpu) is float else 0.0, peak)
        self.channel.close()
        self.channel = None
        return proc

    def _add_usage(self, sandbox_cpu: float | None, process_cpu: float, peak: int | None) -> None:
        """Count a finished worker's (or run's) CPU seconds and peak memory (bytes): the sandbox's
        where the backend measures it, else the larger of the worker's own report and
        ``process_cpu`` (what its parent saw it use)."""
        self.cpu_time_s += sandbox_cpu if sandbox_cpu is not None else max(self._worker_cpu, process_cpu)
        self.peak_memory_bytes = max(self.peak_memory_bytes, peak or 0)
        self._worker_cpu = 0.0

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
