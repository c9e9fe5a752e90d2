"""What every sandbox backend provides: start a worker process, kill it, clean up.

A backend turns a :class:`WorkerSpec` (a private working directory that
already holds the student's files, plus limits) into a running
:class:`WorkerProcess`: the worker from :mod:`grader.worker`, reading requests
on one pipe and writing replies on another, its stdout/stderr drained into a
capped buffer. The trusted side talks to it only through those pipes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Limits

if TYPE_CHECKING:
    import resource  # POSIX only: the type of os.wait4's usage

WORKER_PACKAGE = "grader_worker"

#: POSIX hands a worker its two pipes by descriptor number (``pass_fds``) and lets the
#: trusted side wait on pipes with ``select``. Windows does neither: there a worker reads
#: requests on its stdin and writes replies on its stdout (its prints go to stderr, see
#: :mod:`grader.sandbox.plain`), and the trusted side waits on the pipes from threads
#: (:class:`grader.remote.Channel`). The one switch between the two transports.
POSIX_PIPES = os.name == "posix"
WORKER_SOURCE = Path(__file__).resolve().parent.parent / "worker"


class SandboxError(Exception):
    """A sandbox backend that cannot be used here, with what to do about it."""


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker gets.

    Attributes:
        workdir: host directory holding the student's files; the worker's cwd
            and the only place it can write (besides a private /tmp).
        limits: resource limits (see :class:`grader.config.Limits`).
        preload: modules the worker imports before it greets (before any student
            code), so that a warm spare has paid for them (e.g. ``("torch",)``).
        slot: the sandbox slot; isolated backends give each slot its own
            unprivileged uid. Grading slot k uses sandbox slots 2k and 2k+1
            (the current worker and the next one, started early).
    """

    workdir: Path
    limits: Limits = field(default_factory=Limits)
    slot: int = 0
    preload: tuple[str, ...] = ()


class OutputBuffer:
    """Keeps the first and last ``cap`` bytes of a stream; drops the middle.

    Args:
        cap: bytes kept at each end.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self.lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        with self.lock:
            room = self.cap - len(self.head)
            if room > 0:
                self.head += data[:room]
                data = data[room:]
            if data:
                self.tail += data
                if len(self.tail) > self.cap:
                    cut = len(self.tail) - self.cap
                    self.dropped += cut
                    del self.tail[:cut]

    def cut(self, marker: bytes) -> str | None:
        """The text up to ``marker`` (which must end what was fed so far); the buffer
        then holds only what came after it. None if the marker is not at the end
        yet (the reader has not caught up). A warm sandbox's output is one stream
        for many submissions: the zygote writes a marker no child can forge
        between them (:func:`grader.worker.wire.end_marker`)."""
        with self.lock:
            if self.dropped:  # the tail is whole (cap bytes) and holds the end of the stream
                at = self.tail.rfind(marker)
                if at < 0:
                    return None
                before = bytes(self.head) + f"\n[... {self.dropped} bytes of output dropped ...]\n".encode() \
                    + bytes(self.tail[:at])
                after = bytes(self.tail[at + len(marker):])
            else:  # head and tail are one contiguous stream
                stream = bytes(self.head + self.tail)
                at = stream.rfind(marker)
                if at < 0:
                    return None
                before, after = stream[:at], stream[at + len(marker):]
            self.head, self.tail, self.dropped = bytearray(), bytearray(), 0
        self.feed(after)
        return before.decode("utf-8", "replace")

    def text(self) -> str:
        with self.lock:
            middle = f"\n[... {self.dropped} bytes of output dropped ...]\n" if self.dropped else ""
            return (bytes(self.head).decode("utf-8", "replace") + middle
                    + bytes(self.tail).decode("utf-8", "replace"))


def _drain(fd: int, sink: OutputBuffer) -> None:
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            sink.feed(data)
    except OSError:
        pass
    finally:
        os.close(fd)


class WorkerProcess:
    """A running worker: its pipes, its process, and its captured output.

    Attributes:
        to_worker, from_worker: file descriptors of the request and reply pipes.
        output: the captured stdout/stderr (:class:`OutputBuffer`).
        started: ``time.monotonic()`` when it was started.
        submissions: how many submissions it has graded (a warm sandbox grades several).
    """

    def __init__(self, popen: subprocess.Popen, to_worker: int, from_worker: int,
                 output: OutputBuffer, backend: Backend, spec: WorkerSpec, drain: threading.Thread) -> None:
        self.popen = popen
        self.to_worker = to_worker
        self.from_worker = from_worker
        self.output = output
        self.backend = backend
        self.spec = spec
        self.drain = drain
        self.started = time.monotonic()
        self.submissions = 0
        self.rusage_cpu = 0.0
        self.sandbox_cpu: float | None = None  # CPU seconds of the whole sandbox, where the backend knows
        self.sandbox_peak_memory: int | None = None  # bytes, idem
        self.exit_status: int | None = None
        self._closed = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        """The exit status (negative: killed by that signal), or None if it still runs.

        Where ``os.wait4`` is missing (Windows) the status comes from ``Popen.poll``
        and the worker's CPU time from its own statistics only."""
        if self.exit_status is None:
            if not hasattr(os, "wait4"):
                code = self.popen.poll()
                if code is not None:
                    self.exit_status = self.backend.exit_status(code)
                return self.exit_status
            try:
                pid, status, ru = os.wait4(self.popen.pid, os.WNOHANG)
            except ChildProcessError:
                return self.popen.returncode
            if pid:
                self._reaped(status, ru)
        return self.exit_status

    def _reaped(self, status: int, ru: resource.struct_rusage) -> None:
        self.exit_status = self.backend.exit_status(os.waitstatus_to_exitcode(status))
        self.popen.returncode = self.exit_status
        self.rusage_cpu = ru.ru_utime + ru.ru_stime

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.exit_status

    def reset_usage(self) -> None:
        """Start counting the sandbox's CPU time and peak memory afresh (a warm sandbox's
        next submission); where the backend cannot, :attr:`sandbox_cpu` stays None."""
        self.sandbox_cpu = self.sandbox_peak_memory = None
        self.backend.reset_usage(self)

    def read_usage(self) -> tuple[float | None, int | None]:
        """The sandbox's CPU seconds and peak memory (bytes) since it started or since
        :meth:`reset_usage`, while it runs; None for what the backend does not know."""
        return self.backend.read_usage(self)

    def kill(self) -> None:
        """Kill the worker and everything it started. Idempotent."""
        if self.poll() is None:
            self.backend.kill(self)
            if self.wait(5.0) is None:
                try:
                    self.popen.kill()
                except ProcessLookupError:
                    pass
                self.wait(5.0)

    def close(self) -> None:
        """Kill (if needed), release the pipes, and let the backend clean up."""
        if self._closed:
            return
        self._closed = True
        self.kill()
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        self.drain.join(timeout=2.0)
        self.backend.cleanup(self)


class Backend(ABC):
    """A way to run workers. Subclasses set ``name`` and ``isolated``."""

    name = "abstract"
    isolated = False
    #: the harness starts warm spares from a thread (a start that takes long, e.g. an engine's)
    start_in_background = False

    def __init__(self) -> None:
        self._lib: Path | None = None

    @classmethod
    def available(cls) -> bool:
        return True

    def worker_lib(self) -> Path:
        """A directory holding a copy of the worker package as ``grader_worker``
        (world-readable), made once per backend instance."""
        if self._lib is None:
            lib = Path(tempfile.mkdtemp(prefix="grader-lib-"))
            os.chmod(lib, 0o755)
            dest = lib / WORKER_PACKAGE
            shutil.copytree(WORKER_SOURCE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            for p in [dest, *dest.rglob("*")]:
                os.chmod(p, 0o755 if p.is_dir() else 0o644)
            self._lib = lib
        return self._lib

    def close(self) -> None:
        if self._lib is not None:
            shutil.rmtree(self._lib, ignore_errors=True)
            self._lib = None

    def prepare_workdir(self, spec: WorkerSpec) -> None:
        """Make ``spec.workdir`` usable by the worker (ownership, modes)."""

    def preflight(self) -> None:
        """Check, once before a batch, that workers can start here as configured.

        Raises:
            SandboxError: if they cannot, saying what to do about it.
        """

    @classmethod
    def sweep(cls) -> int:
        """Remove what graders of this kind that are no longer running left behind
        (a grading process killed before its clean-up); returns how many things."""
        return 0

    @abstractmethod
    def command(self, spec: WorkerSpec, fds: tuple[int, int]) -> tuple[list[str], dict[str, str] | None, Path | None]:
        """The command line, environment and cwd that start a worker."""

    def exit_status(self, code: int) -> int:
        """The worker's exit status from that of the process the backend started
        (negative: killed by that signal)."""
        return code

    def exit_note(self, proc: WorkerProcess) -> str:
        """Why the worker died, if the backend knows more than its exit status
        (e.g. the sandbox ran out of memory); else ""."""
        return ""

    def kill(self, proc: WorkerProcess) -> None:
        """Kill the worker's process group (it leads its own session), or, where there are
        no process groups to signal (Windows), the worker process alone."""
        if hasattr(os, "killpg") and hasattr(signal, "SIGKILL"):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            return
        try:
            proc.popen.kill()  # Windows: TerminateProcess; what the worker started lives on
        except OSError:
            pass

    def cleanup(self, proc: WorkerProcess) -> None:
        """Called after the worker is gone: remove anything it left behind."""

    def reset_usage(self, proc: WorkerProcess) -> None:
        """Reset the counters behind :meth:`read_usage` (see :meth:`WorkerProcess.reset_usage`)."""

    def read_usage(self, proc: WorkerProcess) -> tuple[float | None, int | None]:
        """A running sandbox's CPU seconds and peak memory in bytes, where known (cgroups)."""
        return None, None

    def start(self, spec: WorkerSpec) -> WorkerProcess:
        """Start a worker for ``spec``.

        Raises:
            OSError: if the process cannot be started.
        """
        self.prepare_workdir(spec)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        argv, env, cwd = self.command(spec, (req_r, rep_w))
        try:
            if POSIX_PIPES:
                popen = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, env=env, cwd=cwd,
                    pass_fds=(req_r, rep_w), start_new_session=True, close_fds=True,
                )
            else:  # the pipes as the worker's stdin and stdout (see POSIX_PIPES)
                popen = subprocess.Popen(argv, stdin=req_r, stdout=rep_w, stderr=out_w, env=env, cwd=cwd,
                                         close_fds=True, start_new_session=hasattr(os, "setsid"))
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
        output = OutputBuffer(spec.limits.output // 2)
        drain = threading.Thread(target=_drain, args=(out_r, output), daemon=True)
        drain.start()
        return WorkerProcess(popen, req_w, rep_r, output, self, spec, drain)


def thread_env(limits: Limits) -> dict[str, str]:
    """Environment variables that pin every numeric library to the slot's CPU share."""
    n = str(max(1, limits.threads))
    return {k: n for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                           "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


def worker_args(limits: dict, spec: WorkerSpec) -> str:
    """The worker's settings argument (JSON): its rlimits and what it preloads."""
    return json.dumps({**limits, "preload": list(spec.preload)} if spec.preload else limits)


def rlimits(limits: Limits) -> dict[str, int]:
    """The rlimits a worker applies to itself (bytes, seconds, counts)."""
    return {
        "as": limits.memory,
        # the grading process that starts the worker bounds its own data segment (soft
        # limit, inherited): the worker's limit is its own memory, whatever the grader's
        "data": limits.memory,
        "cpu": (int(limits.total_timeout) + 5) * max(1, limits.threads),  # CPU seconds over all threads
        "fsize": limits.disk,
        "nofile": limits.open_files,
        "nproc": limits.processes,
        "core": 0,
    }


# --------------------------------------------------------------------------- shared by every backend
#: The worker's pipes are the descriptors named by its first two arguments (POSIX, ``pass_fds``).
BOOTSTRAP = "import sys; sys.path[:0] = [{lib!r}]; from grader_worker.server import main; main()"

#: Where descriptors cannot be inherited by number (Windows, see :data:`grader.sandbox.base.POSIX_PIPES`):
#: requests arrive on stdin and replies leave on stdout, both kept aside as new descriptors before
#: any student code runs; the student's prints then go to stderr, and stdin reads the null device.
STDIO_BOOTSTRAP = (
    "import os, sys\n"
    "r, w = os.dup(0), os.dup(1)\n"
    "os.dup2(2, 1)\n"
    "n = os.open(os.devnull, os.O_RDONLY); os.dup2(n, 0); os.close(n)\n"
    "sys.path[:0] = [{lib!r}]\n"
    "from grader_worker.server import main\n"
    "main([str(r), str(w), sys.argv[1]])\n"
)


def worker_env(limits: Limits, home: str, tmp: str) -> dict[str, str]:
    """A clean environment: nothing of the grader's own environment leaks in."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "USER": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(thread_env(limits))
    if sys.platform == "win32":  # Python needs these to start on Windows
        for key in ("SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR"):
            if key in os.environ:
                env[key] = os.environ[key]
        # Windows reads the home from USERPROFILE (not HOME) and the temporary folder from TEMP;
        # a conda environment finds its DLLs on PATH
        env.update(USERPROFILE=home, TEMP=tmp, TMP=tmp, PATH=os.environ.get("PATH", ""))
    return env
