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

import ctypes
import ctypes.util
import gc
import importlib
import json
import os
import platform
import select
import shutil
import signal
import socket
import stat
import sys
import time
from typing import Any

from . import wire

try:
    import fcntl
    import resource
except ImportError:  # Windows (which has no fork either: see supported())
    fcntl = None  # type: ignore[assignment]
    resource = None  # type: ignore[assignment]

#: Writable places a run could use to leave something for the next one (when isolated).
SCRATCH_DIRS = ("/tmp", "/dev/shm")
_SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}
_KEYCTL_GET_KEYRING_ID = 0
_KEYCTL_CLEAR = 7
_KEYCTL_INVALIDATE = 21
_KEYS_GONE_S = 1.0  # how long the kernel's key collector may take to drop an invalidated key
_KEYRINGS = (-3, -4, -5)  # session, user, user-session keyrings
_PR_SET_DUMPABLE = 4


def _libc() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


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
        self.limits = {r: resource.getrlimit(r) for r in _rlimit_names()}
        self.libc = _libc()
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
        self.limits = {r: resource.getrlimit(r) for r in _rlimit_names()}
        self.snapshot = _snapshot(self.home)
        self.keep = {folder: _not_ours(folder) for folder in (self.home, *SCRATCH_DIRS)}
        self.stdio = {fd: state for fd in (0, 1, 2, self.fd_out) if (state := _fd_state(fd)) is not None}
        self.own_keys = self._own_keyrings()
        return {"zygote": os.getpid(), "preloaded": loaded, "shared_mappings": shared_mappings()}

    # ------------------------------------------------------------------ the loop
    def serve(self, spawn_child) -> None:
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

    def _spawn(self, request: Any, nonce: Any, spawn_child) -> None:
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
                _close_all_but(0, 1, 2, fd, reply_fd)
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
                _kill_others()  # its own children may hold its end of the socket open
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

    # ------------------------------------------------------------------ hygiene
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
            _kill_others()
        _reap()
        problems = []
        for folder in (self.home, *(SCRATCH_DIRS if self.isolated else ())):
            if os.path.isdir(folder) and not _empty_folder(folder, self.keep.get(folder, set())):
                problems.append(f"could not empty {folder}")
        if not problems and not _restore(self.home, self.snapshot):
            problems.append(f"could not restore the submission's files in {self.home}")
        if self.isolated:  # unisolated, these would be the user's own
            _remove_sysv_ipc(self.libc)
            if not self._clear_keyrings():
                problems.append("keys a run made are still listed")
        for which, (soft, hard) in self.limits.items():
            try:
                if resource.getrlimit(which) != (soft, hard):
                    resource.setrlimit(which, (soft, hard))
            except (ValueError, OSError):
                problems.append(f"could not restore rlimit {which}")
        for fd, state in self.stdio.items():  # the open file descriptions a child shared with us
            if _fd_state(fd) != state and not _set_fd_state(fd, state):
                problems.append(f"could not restore descriptor {fd}")
        self.cleaned = not problems
        return "; ".join(problems) or None

    def _own_keyrings(self) -> set[int]:
        """The ids of the zygote's session, user and user-session keyrings (made now if missing:
        clearing a missing session keyring would make one later, which would then look like a run's)."""
        number = _SYS_KEYCTL.get(platform.machine())
        if self.libc is None or number is None:
            return set()
        self.libc.syscall.restype = ctypes.c_long
        ids = {self.libc.syscall(number, _KEYCTL_GET_KEYRING_ID, ring, 1) for ring in _KEYRINGS}
        return {i for i in ids if i > 0}

    def _clear_keyrings(self) -> bool:
        """Invalidate every key of this uid a run made (its description alone, listed in
        ``/proc/keys``, would carry a message to the next run), empty the session and user
        keyrings, and wait for the kernel to collect the keys; False if some are still listed."""
        number = _SYS_KEYCTL.get(platform.machine())
        if self.libc is None or number is None:
            return True
        for key in set(_run_keys()) - self.own_keys:
            self.libc.syscall(number, _KEYCTL_INVALIDATE, key)
        for ring in _KEYRINGS:
            self.libc.syscall(number, _KEYCTL_CLEAR, ring)
        deadline = time.monotonic() + _KEYS_GONE_S
        while set(_run_keys()) - self.own_keys:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True


def _lines(path: str) -> list[str]:
    """The lines of a ``/proc`` file; none where it is missing."""
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def shared_mappings() -> list[str]:
    """The shared memory mappings of this process a forked child could write through to
    the next child (``/proc/self/maps`` lines): writable ones, anonymous or deleted ones,
    and those of a file this uid may write (``mprotect`` could make them writable). A
    read-only file's shared mapping (glibc's ``gconv-modules.cache``) is harmless. The
    zygote can vouch for a fresh state only without them. Empty where ``/proc`` is missing."""
    found = []
    for line in _lines("/proc/self/maps"):
        parts = line.split(maxsplit=5)
        if len(parts) < 2 or not parts[1].endswith("s"):
            continue
        path = parts[5] if len(parts) > 5 else ""
        if ("w" in parts[1] or not path.startswith("/") or path.endswith("(deleted)")
                or path.startswith(("/dev/", "/memfd:")) or os.access(path, os.W_OK)):
            found.append(line.strip())
    return found


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _close_all_but(*keep: int) -> None:
    """Close every descriptor of this process but ``keep``."""
    try:
        fds = [int(e) for e in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _fd_state(fd: int) -> tuple[int, int | None] | None:
    """A descriptor's status flags and, for a pipe, its size (None: not open)."""
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return None
    size = None
    if hasattr(fcntl, "F_GETPIPE_SZ"):
        try:
            size = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except OSError:
            size = None
    return flags, size


def _set_fd_state(fd: int, state: tuple[int, int | None]) -> bool:
    flags, size = state
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags)
        if size is not None:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except OSError:
        return False
    return _fd_state(fd) == state


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _run_keys() -> list[int]:
    """Ids of the keys of this uid listed in ``/proc/keys`` but the per-uid keyrings themselves
    (``_uid.N``, ``_uid_ses.N``: made on first use, emptied by the zygote, never removed)."""
    uid = os.getuid()
    keys = []
    for line in _lines("/proc/keys"):
        parts = line.split(None, 8)
        if len(parts) < 9 or parts[5] != str(uid):
            continue
        if parts[7] == "keyring" and parts[8].startswith(("_uid.", "_uid_ses.")):
            continue
        try:
            keys.append(int(parts[0], 16))
        except ValueError:
            continue
    return keys


def _rlimit_names() -> list[int]:
    names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE",
             "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
             "RLIMIT_SIGPENDING", "RLIMIT_LOCKS", "RLIMIT_RSS", "RLIMIT_RTTIME")
    return [getattr(resource, n) for n in names if hasattr(resource, n)]


def _kill_others() -> None:
    """SIGKILL every process this uid may signal in the sandbox's PID namespace, but
    ourselves (``kill(-1)`` skips the caller and the namespace's init), until none is left."""
    me = os.getpid()
    uid = os.getuid()
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap()
        alive = False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in (me, 1):
                try:
                    st = os.stat(f"/proc/{entry}")
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        state = f.read().rsplit(b")", 1)[-1].split()[0]
                except OSError:
                    continue
                if st.st_uid == uid and state != b"Z":
                    alive = True
        if not alive:
            return
        time.sleep(0.002)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _not_ours(folder: str) -> set[str]:
    """Names in ``folder`` that another user owns: what the sandbox itself put there before any
    student code ran (bwrap makes the parents of a bind mount, e.g. ``/tmp/ci`` for a
    virtual environment under ``/tmp``). The sandbox's uid cannot write them."""
    me = os.getuid()
    try:
        return {e.name for e in os.scandir(folder) if e.stat(follow_symlinks=False).st_uid != me}
    except OSError:
        return set()


def _empty_folder(folder: str, keep: set[str] | frozenset[str] = frozenset()) -> bool:
    """Remove everything inside ``folder`` (not the folder itself), whatever modes or depth
    the run left, but the top-level entries named in ``keep`` and any mount point (a bind
    mount the sandbox placed there, which no run can have made); True if nothing else is left."""
    try:
        os.chmod(folder, stat.S_IRWXU | (os.stat(folder).st_mode & 0o7077))
    except OSError:
        pass
    try:
        device = os.stat(folder).st_dev
    except OSError:
        return False
    stack = [folder]
    order = []
    mounts: list[str] = []
    while stack:  # iterative: a run may leave a tree deeper than the recursion limit
        current = stack.pop()
        order.append(current)
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if current == folder and entry.name in keep:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.stat(follow_symlinks=False).st_dev != device:
                        mounts.append(entry.path)
                        continue
                    os.chmod(entry.path, stat.S_IRWXU)
                    stack.append(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
    for path in reversed(order[1:]):
        try:
            os.rmdir(path)
        except OSError:
            if not any(m.startswith(path + os.sep) for m in mounts):
                shutil.rmtree(path, ignore_errors=True)
    try:
        left = set(os.listdir(folder)) - set(keep)
    except OSError:
        return False
    return all(any(m == os.path.join(folder, name) or m.startswith(os.path.join(folder, name) + os.sep)
                   for m in mounts) for name in left)


def _snapshot(home: str) -> list[tuple[str, bytes | None, int]]:
    """The home's files before any student code ran: (relative path, content or None for a
    folder, mode). Empty where the sandbox keeps the submission elsewhere (each child copies
    it from there); the submission's own files where the home is the submission's folder."""
    out: list[tuple[str, bytes | None, int]] = []
    for root, dirs, files in os.walk(home):
        dirs.sort()
        for d in dirs:
            path = os.path.join(root, d)
            out.append((os.path.relpath(path, home), None, os.lstat(path).st_mode & 0o777))
        for name in sorted(files):
            path = os.path.join(root, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    out.append((os.path.relpath(path, home), f.read(), st.st_mode & 0o777))
    return out


def _restore(home: str, snapshot: list[tuple[str, bytes | None, int]]) -> bool:
    try:
        for rel, content, mode in snapshot:
            path = os.path.join(home, rel)
            if content is None:
                os.makedirs(path, exist_ok=True)
            else:
                with open(path, "wb") as f:
                    f.write(content)
            os.chmod(path, mode)
    except OSError:
        return False
    return True


def _remove_sysv_ipc(libc: Any) -> None:
    """Remove the System V IPC objects of this uid (they outlive the processes that made them)."""
    if libc is None:
        return
    uid = os.getuid()
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("msg", lambda i: libc.msgctl(i, 0, None)),
                         ("sem", lambda i: libc.semctl(i, 0, 0))):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                header = f.readline().split()
                rows = [line.split() for line in f]
        except OSError:
            continue
        try:
            id_col, uid_col = header.index({"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]), header.index("uid")
        except ValueError:
            continue
        for row in rows:
            try:
                if int(row[uid_col]) == uid:
                    remove(int(row[id_col]))
            except (IndexError, ValueError):
                continue
