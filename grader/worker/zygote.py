"""Fresh interpreter state per run: the worker as a zygote that forks one child per run.

A competition lab trains the submission many times (a public run, every
cross-validation fold, every permutation run). Nothing the submission learns
or remembers in one run may reach the next: not a module-level dict, not a
file, not a daemon, not a shared-memory segment. Starting a new sandbox per
run would cost a ``torch`` import each time (1.5-3 s), so instead:

1. The worker starts clean, imports the heavy modules the assignment names
   (``preload``: numpy, torch), makes itself undumpable (so that no process of
   the sandbox can read or write its memory), and becomes the *zygote*. It
   never runs student code.
2. ``spawn`` forks a child from the zygote. The child closes the zygote's
   channel to the trusted side, loads the submission (copying its files
   afresh) and serves requests over a socket pair that the zygote relays.
3. ``end`` (or the next ``spawn``) kills the child, then the zygote removes
   everything a run could leave for the next one (see :meth:`Zygote.clean`)
   before it forks again.

The same zygote also serves one *submission* after another (a warm sandbox,
see :class:`grader.harness.workers.WorkerSupply`): between two students the
trusted side refills the read-only submission folder and the next ``spawn``
copies the new files in. What keeps one student's child from the next is what
keeps two runs apart, plus three things that only matter between students:

* a child keeps no descriptor of the zygote's but its stdio and the reply
  channel (closed at fork), and the zygote restores their status flags and
  pipe sizes after each run (a child may set ``O_NONBLOCK`` or ``O_ASYNC`` on
  the pipes it shares with the zygote);
* the zygote reports any shared memory mapping it holds (``shared_mappings``
  in its ``prepare`` reply): a child could write through one into the next
  child, so the trusted side then starts a new sandbox per submission;
* ``end`` with ``mark`` writes the nonce to the zygote's stdout once every
  process of the run is dead, so the trusted side can cut each student's
  output from the shared stream at a point no child can forge.

The zygote relays whole frames from the trusted side to the child, so a child
can never read a control request. In a sandbox (``isolated``) the child writes
its replies straight to the trusted side; unisolated, where a ``setsid``
grandchild could outlive its run, the zygote relays them too. The zygote
answers ``spawn`` and ``end`` with the trusted side's one-time ``nonce``, which
no child ever sees, so a child cannot fake the end of its run and stay alive.

Student code can only reach the zygote by signals (it may kill it: the
trusted side then sees the worker die, as with any crash).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import time
from typing import Any, Callable

from . import hygiene, wire

try:
    import resource
except ImportError:  # Windows (which has no fork either: see supported())
    resource = None  # type: ignore[assignment]

_PR_SET_DUMPABLE = 4  # prctl's option: 0 makes the zygote undumpable (no ptrace, no /proc/PID/mem)


def supported() -> bool:
    """Whether this platform can run a zygote: ``fork``, process groups to kill a run's
    child with, ``resource`` to restore rlimits, and Unix socket pairs. Where it cannot
    (Windows), the worker refuses the ``zygote`` request and the trusted side starts a
    new worker per run instead."""
    return (hasattr(os, "fork") and hasattr(os, "killpg") and hasattr(os, "setpgid")
            and hasattr(signal, "SIGKILL") and resource is not None and hasattr(socket, "AF_UNIX"))


def preload_modules(names: Any) -> list[str]:
    """Import ``names`` (a list of module names) before any student code runs; returns those
    imported. A module missing here is reported on stderr: the student's code imports it or fails."""
    loaded = []
    for name in names if isinstance(names, list) else []:
        try:
            importlib.import_module(str(name))
            loaded.append(str(name))
        except Exception as exc:
            print(f"grader: could not preload {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return loaded


def _op_of(payload: bytearray) -> Any:
    """The ``op`` of a request frame (None if it has none), read from its JSON header only."""
    if len(payload) < 4:
        return None
    hlen = int.from_bytes(payload[:4], "big")
    head = bytes(payload[4:4 + hlen])
    if b'"spawn"' not in head and b'"end"' not in head:  # every relayed call: no JSON to parse
        return None
    try:
        header = json.loads(head)
    except ValueError:
        return None
    m = header.get("m") if isinstance(header, dict) else None
    pairs = m.get("$d") if isinstance(m, dict) else None
    if not isinstance(pairs, list):
        return None
    for pair in pairs:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] == "op":
            return pair[1]
    return None


class Zygote:
    """The clean parent of every run's child (see the module docstring).

    Args:
        fd_in, fd_out: the channel to the trusted side.
        isolated: the sandbox gives the worker its own PID and IPC namespaces and
            private scratch folders, so the zygote may kill every other process of
            its uid and empty ``/tmp`` and ``/dev/shm``. False for the unisolated
            subprocess backend, where that would reach the user's own processes
            and files: only the child's process group and home are cleaned there.
    """

    def __init__(self, fd_in: int, fd_out: int, isolated: bool) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.isolated = isolated
        self.home = os.getcwd()
        self.child: int | None = None
        self.sock: int | None = None
        self.limits = {r: resource.getrlimit(r) for r in hygiene.rlimit_names()}
        self.libc = hygiene.libc()
        self.snapshot: list[tuple[str, bytes | None, int]] = []
        self.cleaned = False  # nothing has run since the last successful clean
        self.keep: dict[str, set[str]] = {}  # per folder: what the sandbox made there (not ours to remove)
        self.stdio: dict[int, tuple[int, int | None]] = {}  # fd: (status flags, pipe size) at prepare (shared)
        self.own_keys: set[int] = set()  # the zygote's own keyrings (listed in /proc/keys, emptied after runs)
        self.children_cpu = 0.0  # CPU seconds of reaped children when the current run began

    # ------------------------------------------------------------------ set-up
    def prepare(self, preload: list[str]) -> dict:
        """Import ``preload``, seal the zygote's memory, and bar POSIX message queues.

        Returns:
            ``{"zygote": pid, "preloaded": [...]}`` for the trusted side.
        """
        loaded = preload_modules(preload)
        prctl = getattr(self.libc, "prctl", None) if self.libc is not None else None  # Linux only (not macOS)
        if prctl is not None:
            prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/PID/mem by the same uid
        if hasattr(resource, "RLIMIT_MSGQUEUE"):  # POSIX queues live on in the IPC namespace
            try:
                resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
            except (ValueError, OSError):
                pass
        self.limits = {r: resource.getrlimit(r) for r in hygiene.rlimit_names()}
        self.snapshot = hygiene.snapshot(self.home)
        self.keep = {folder: hygiene.not_ours(folder) for folder in (self.home, *hygiene.SCRATCH_DIRS)}
        self.stdio = {fd: state for fd in (0, 1, 2, self.fd_out) if (state := hygiene.fd_state(fd)) is not None}
        self.own_keys = hygiene.own_keyrings(self.libc)
        return {"zygote": os.getpid(), "preloaded": loaded, "shared_mappings": hygiene.shared_mappings()}

    # ------------------------------------------------------------------ the loop
    def serve(self, spawn_child: Callable[[int, int, Any], None]) -> None:
        """Relay between the trusted side and the current child until the channel closes.

        Args:
            spawn_child: called in a new child with (the socket it reads requests
                from, the descriptor it writes replies to, the spawn request); it
                serves that run and never returns.
        """
        while True:
            fds = [self.fd_in] + ([self.sock] if self.sock is not None else [])
            ready, _, _ = select.select(fds, [], [])
            if self.sock is not None and self.sock in ready:
                if not self._pump_child():
                    self._child_gone()  # never returns
            if self.fd_in in ready:
                try:
                    payload = wire.read_frame(self.fd_in)
                except EOFError:
                    self._kill_child()
                    return
                op = _op_of(payload)
                if op in ("spawn", "end"):
                    request = wire.decode_payload(payload, lambda *a: None)
                    nonce = request.get("nonce") if isinstance(request, dict) else None
                    if op == "spawn":
                        self._spawn(request, nonce, spawn_child)
                    else:
                        self._end(nonce, mark=isinstance(request, dict) and request.get("mark") is True)
                elif self.sock is not None:
                    wire.write_frame(self.sock, [len(payload).to_bytes(wire.PREFIX_SIZE, "big"), payload])
                else:
                    self._reply({"error": {"type": "NoRun", "message": "no run is active: send spawn first",
                                           "traceback": "", "where": ""}})

    def _reply(self, message: dict) -> None:
        wire.write_frame(self.fd_out, wire.encode_message(message))

    def _spawn(self, request: Any, nonce: Any, spawn_child: Callable[[int, int, Any], None]) -> None:
        problem = None
        if self.child is not None or not self.cleaned:  # (end already cleaned after the last child)
            self._kill_child()
            problem = self.clean()
        if problem:
            self._reply({"spawned": nonce, "refused": problem})
            return
        self._reply({"spawned": nonce})
        parent_sock, child_sock = socket.socketpair()
        gc.freeze()  # the child's garbage collector leaves the zygote's objects alone: no copy-on-write storm
        pid = os.fork()
        if pid == 0:  # the child: no descriptor of the zygote's stays open in it but stdio and its replies'
            try:
                parent_sock.close()
                fd = child_sock.detach()
                # isolated, the child writes its replies straight to the trusted side (no relay: a hop
                # less per call); the zygote kills every process of the sandbox before it answers
                # anything itself, so nothing of a run can write into its answers. Unisolated, a
                # setsid grandchild could outlive the run: replies then go through the zygote.
                reply_fd = self.fd_out if self.isolated else fd
                hygiene.close_all_but(0, 1, 2, fd, reply_fd)
                if not self.isolated:
                    os.setpgid(0, 0)
                spawn_child(fd, reply_fd, request)
            finally:
                os._exit(0)
        child_sock.close()
        self.children_cpu = _children_cpu()
        self.cleaned = False
        self.child = pid
        self.sock = parent_sock.detach()

    def _end(self, nonce: Any, mark: bool = False) -> None:
        """Kill the run, clean up, and answer with the CPU seconds of the run's reaped
        processes (``cpu``) and of the zygote itself (``zygote_cpu``). With ``mark``, first
        write ``wire.end_marker(nonce)`` to stdout: no process of the run is left to write after it."""
        self._kill_child()
        problem = self.clean()
        if mark and not problem and isinstance(nonce, str):
            try:
                _write_all(1, wire.end_marker(nonce))
            except OSError:
                problem = "could not write the end of the run's output"
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self._reply({"ended": nonce, "cpu": round(_children_cpu() - self.children_cpu, 6),
                     "zygote_cpu": round(usage.ru_utime + usage.ru_stime, 6),
                     **({"refused": problem} if problem else {})})

    def _pump_child(self) -> bool:
        """Copy what the child wrote to the trusted side; False once the child's end is closed."""
        assert self.sock is not None  # called only while a child's channel is open
        try:
            data = os.read(self.sock, 1 << 20)
        except OSError:
            data = b""
        if not data:
            return False
        _write_all(self.fd_out, data)
        return True

    def _child_gone(self) -> None:
        """The child closed its channel in mid-run (it exited or was killed): the
        zygote leaves with the child's status, so that the trusted side sees the crash
        of the code it was running."""
        pid, self.child = self.child, None
        assert self.sock is not None
        os.close(self.sock)
        self.sock = None
        status = 0
        if pid is not None:
            for _ in range(200):
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                    break
                time.sleep(0.01)
            else:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status) if status else 0
        if code < 0:
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(code if code > 0 else 70)

    def _kill_child(self) -> None:
        if self.child is None:
            return
        pid, self.child = self.child, None
        try:
            if self.isolated:
                os.kill(pid, signal.SIGKILL)
                hygiene.kill_others()  # its own children may hold its end of the socket open
            else:
                os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        # forward what the child wrote before it died (a well-behaved child wrote nothing more)
        deadline = time.monotonic() + 1.0
        while self.sock is not None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))
            if not ready or not self._pump_child():
                break
        if self.sock is not None:
            os.close(self.sock)
            self.sock = None
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    # ------------------------------------------------------------------ hygiene (see .hygiene)
    def clean(self) -> str | None:
        """Remove everything a run could leave for the next one.

        * every other process of the sandbox's uid (daemons, ``setsid``
          grandchildren): killed, when isolated;
        * the home (the worker's working folder) and, when isolated, ``/tmp``
          and ``/dev/shm``: emptied (the next child copies the submission again),
          but for what the sandbox put there before any student code ran (the
          root-owned parents of a bind mount, the mount points themselves);
        * System V shared memory, message queues and semaphores of the uid: removed;
        * the session and user keyrings: cleared;
        * the zygote's own rlimits (a same-uid process may change them with
          ``prlimit``): restored.

        Returns:
            None when clean, else why the zygote cannot vouch for a fresh state
            (the trusted side then starts a new sandbox).
        """
        if self.isolated:
            hygiene.kill_others()
        hygiene.reap()
        problems = []
        for folder in (self.home, *(hygiene.SCRATCH_DIRS if self.isolated else ())):
            if os.path.isdir(folder) and not hygiene.empty_folder(folder, self.keep.get(folder, set())):
                problems.append(f"could not empty {folder}")
        if not problems and not hygiene.restore(self.home, self.snapshot):
            problems.append(f"could not restore the submission's files in {self.home}")
        if self.isolated:  # unisolated, these would be the user's own
            hygiene.remove_sysv_ipc(self.libc)
            if not hygiene.clear_keyrings(self.libc, self.own_keys):
                problems.append("keys a run made are still listed")
        for which, (soft, hard) in self.limits.items():
            try:
                if resource.getrlimit(which) != (soft, hard):
                    resource.setrlimit(which, (soft, hard))
            except (ValueError, OSError):
                problems.append(f"could not restore rlimit {which}")
        for fd, state in self.stdio.items():  # the open file descriptions a child shared with us
            if hygiene.fd_state(fd) != state and not hygiene.set_fd_state(fd, state):
                problems.append(f"could not restore descriptor {fd}")
        self.cleaned = not problems
        return "; ".join(problems) or None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


