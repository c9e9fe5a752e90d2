"""The bubblewrap backend: the default on Linux.

Each worker runs in its own PID, network, IPC and UTS namespaces, sees a
read-only view of the system (``/usr`` and the Python installation only; no
``/home``, no ``/root``, nothing of the course), writes only to size-limited
tmpfs mounts (its home, which is its working directory, ``/tmp`` and
``/dev/shm``; never to the host's disk), and is killed with its whole
process tree when the grader kills bwrap (``--die-with-parent`` and the PID
namespace make that hold even for ``setsid`` daemons).

Started as root (the instructor's grading machine, CI), bwrap keeps only
CAP_SETUID/CAP_SETGID for ``setpriv`` to drop to an unprivileged uid leased
for the worker's slot (see :meth:`BwrapBackend.uid`), with every capability and
``no-new-privs`` dropped; ``prlimit`` then sets the rlimits, which the worker
also re-applies. Each slot having its own uid makes ``RLIMIT_NPROC`` and the
clean-up of leftover processes per slot. Started as an ordinary user (a
student's ``grader check``), bwrap uses a user namespace instead.

See ``docs/sandbox-facts.md`` for the measurements behind this.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sys
import sysconfig
from pathlib import Path

from . import cgroups
from .base import BOOTSTRAP, Backend, WorkerProcess, WorkerSpec, rlimits, worker_args, worker_env
from .layout import SANDBOX_HOME, SANDBOX_LIB, SANDBOX_SUBMISSION, home_size

BASE_UID = 60000
UID_RANGE = 4096
LEASE_DIR = "/run/grader-uids"
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/alternatives", "/etc/fonts", "/etc/mime.types")


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


class BwrapBackend(Backend):
    """Runs each worker under bubblewrap.

    Args:
        hide: host paths that must stay invisible even if they lie inside a
            directory the sandbox needs (e.g. a course folder inside the
            Python prefix). The course root is always passed here.
        python: the interpreter the worker runs with (a worker environment,
            :mod:`grader.workerenv`); only its own directories are bound. Default:
            the grader's own (``sys.executable``), whose packages student code then sees.
    """

    name = "bwrap"
    isolated = True

    def __init__(self, hide: list[Path] | tuple[Path, ...] = (), python: str | Path | None = None) -> None:
        super().__init__()
        self.hide = [Path(p).resolve() for p in hide]
        self.python = str(python) if python else None
        self.as_root = os.geteuid() == 0
        self._uids: dict[int, tuple[int, int]] = {}
        self._cgroups: dict[int, cgroups.SlotCgroup] = {}
        self.use_cgroups = cgroups.available()

    @classmethod
    def available(cls) -> bool:
        return sys.platform.startswith("linux") and shutil.which("bwrap") is not None

    def uid(self, slot: int) -> int:
        """The unprivileged uid of a sandbox slot, leased for this backend's lifetime.

        Uids come from ``BASE_UID .. BASE_UID + UID_RANGE - 1``; a uid is held
        with an exclusive ``flock`` on ``LEASE_DIR/<uid>``, so two graders on one
        machine never share one (the clean-up kills every process of a uid).
        The lock dies with the process that holds it; a newly leased uid is
        first cleared of any process an earlier holder left behind.

        Raises:
            OSError: if every uid in the range is leased.
        """
        if slot not in self._uids:
            os.makedirs(LEASE_DIR, mode=0o700, exist_ok=True)
            for uid in range(BASE_UID, BASE_UID + UID_RANGE):
                fd = os.open(os.path.join(LEASE_DIR, str(uid)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._uids[slot] = (uid, fd)
                self._kill_uid(slot)
                if self.use_cgroups:
                    cg = cgroups.SlotCgroup(str(uid))
                    if cg.usable:
                        self._cgroups[slot] = cg
                break
            else:
                raise OSError(f"all {UID_RANGE} sandbox uids from {BASE_UID} are in use by other graders")
        return self._uids[slot][0]

    def close(self) -> None:
        for slot in list(self._uids):
            self._kill_uid(slot)
            if slot in self._cgroups:
                self._cgroups.pop(slot).remove()
            os.close(self._uids.pop(slot)[1])
        super().close()

    def prepare_workdir(self, spec: WorkerSpec) -> None:
        if self.as_root:
            uid = self.uid(spec.slot)
            for p in [spec.workdir, *spec.workdir.rglob("*")]:
                os.lchown(p, uid, uid)
            os.chmod(spec.workdir, 0o700)

    def python_dirs(self) -> list[Path]:
        """Host directories the worker's Python needs, read-only."""
        if self.python:
            from ..workerenv import interpreter_paths

            return list(interpreter_paths(self.python))
        dirs = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix),
                Path(os.path.realpath(sys.executable)).parent.parent}
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            path = sysconfig.get_paths().get(key)
            if path:
                dirs.add(Path(path))
        return sorted({d.resolve() for d in dirs if d.exists()}, key=lambda p: len(p.parts))

    def mount_args(self, spec: WorkerSpec) -> list[str]:
        """bwrap's filesystem arguments, in order (later mounts cover earlier ones).

        1. the system, read-only: ``/usr`` and its links, a few ``/etc`` files;
           a private ``/proc``, ``/dev``, ``/tmp`` and ``/dev/shm``;
        2. the Python installation(s), read-only, with 0755 parents;
        3. every ``hide`` path that step 1 or 2 made visible, covered by an
           empty tmpfs (a course folder under ``/usr/local``, say);
        4. Python directories that lie inside a hidden path (a virtual
           environment inside the course folder) bound again on top;
        5. the worker's code, read-only, and its working directory.
        """
        args = ["--ro-bind", "/usr", "/usr"]
        for system_dir in SYSTEM_DIRS:
            if os.path.islink(system_dir):
                args += ["--symlink", os.readlink(system_dir), system_dir]
            elif os.path.isdir(system_dir):
                args += ["--ro-bind", system_dir, system_dir]
        for f in ETC_FILES:
            args += ["--ro-bind-try", f, f]
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(spec.limits.disk), "--tmpfs", "/tmp",
                 "--perms", "1777", "--size", str(spec.limits.disk), "--tmpfs", "/dev/shm"]
        bound: list[Path] = [Path("/usr")]
        masked: list[Path] = []
        made: set[Path] = set()

        def visible(path: Path) -> bool:
            return any(_inside(path, b) for b in bound) and not any(_inside(path, m) for m in masked)

        def bind(d: Path) -> None:
            for parent in reversed(d.parents):
                if parent != Path("/") and parent not in made and not visible(parent):
                    args.extend(["--perms", "0755", "--dir", str(parent)])
                    made.add(parent)
            args.extend(["--ro-bind", str(d), str(d)])
            bound.append(d)

        python = self.python_dirs()
        for d in python:
            if not visible(d):
                bind(d)
        for h in self.hide:
            if h.exists() and visible(h) and not _inside(Path("/usr"), h):
                args += ["--tmpfs", str(h)]
                masked.append(h)
                made = {m for m in made if not _inside(m, h)}
        for d in python:
            if not visible(d):
                bind(d)
        # bwrap creates missing parents as 0700: make them reachable for the worker's uid
        args += ["--perms", "0755", "--dir", str(Path(SANDBOX_LIB).parent),
                 "--perms", "0755", "--dir", str(Path(SANDBOX_HOME).parent)]
        # The host folder with the submission's files is only read (the worker copies them into
        # its home when it loads the submission): a bind that the worker could write would let it
        # fill the host's disk file by file, each within RLIMIT_FSIZE, or plant trees of any depth
        # for the grader's clean-up to walk.
        args += ["--ro-bind", str(self.worker_lib()), SANDBOX_LIB,
                 "--ro-bind", str(spec.workdir), SANDBOX_SUBMISSION,
                 "--perms", "0777", "--size", str(home_size(spec.limits)), "--tmpfs", SANDBOX_HOME,
                 "--chdir", SANDBOX_HOME]
        return args

    def command(self, spec: WorkerSpec, fds: tuple[int, int]) -> tuple[list[str], dict[str, str] | None, Path | None]:
        env = worker_env(spec.limits, SANDBOX_HOME, "/tmp")
        env["GRADER_SUBMISSION_DIR"] = SANDBOX_SUBMISSION
        limits = rlimits(spec.limits)
        if not self.as_root:
            limits.pop("nproc")  # would count all of the user's own processes
        argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
                *self.mount_args(spec), "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        inner: list[str] = []
        if self.as_root:
            uid = str(self.uid(spec.slot))
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            inner += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                      "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        else:
            argv += ["--unshare-user"]
        prlimit = shutil.which("prlimit")
        if prlimit:
            names = {"as": "--as", "data": "--data", "cpu": "--cpu", "fsize": "--fsize", "nofile": "--nofile",
                     "nproc": "--nproc", "core": "--core"}
            inner += [prlimit] + [f"{names[k]}={v}" for k, v in limits.items()] + ["--"]
        python = self.python or sys.executable
        inner += [python, "-I", "-c", BOOTSTRAP.format(lib=SANDBOX_LIB), str(fds[0]), str(fds[1]),
                  worker_args(limits, spec)]
        argv = argv + ["--", *inner]
        cg = self._cgroups.get(spec.slot)
        if cg is not None:  # the whole sandbox, not each process, gets the memory and process limits
            cg.prepare(spec.limits.memory, spec.limits.processes)
            argv = cg.wrap(argv)
        return argv, None, None

    def exit_status(self, code: int) -> int:
        # bwrap exits with 128 + N when the worker was killed by signal N (a shell's
        # convention); report the signal, so that a segfault reads as one.
        if 128 < code < 128 + signal.NSIG:
            return -(code - 128)
        return code

    def kill(self, proc: WorkerProcess) -> None:
        # bwrap runs as the grader's own user: killing it takes down the PID
        # namespace, and with it every process the submission started.
        super().kill(proc)
        self._kill_uid(proc.spec.slot)

    def cleanup(self, proc: WorkerProcess) -> None:
        self._kill_uid(proc.spec.slot)
        if proc.spec.slot in self._cgroups:
            proc.sandbox_cpu, proc.sandbox_peak_memory = self.read_usage(proc)

    def reset_usage(self, proc: WorkerProcess) -> None:
        cg = self._cgroups.get(proc.spec.slot)
        if cg is not None:
            cg.reset_usage()

    def read_usage(self, proc: WorkerProcess) -> tuple[float | None, int | None]:
        cg = self._cgroups.get(proc.spec.slot)
        return (cg.cpu_time(), cg.peak_memory()) if cg is not None else (None, None)

    def exit_note(self, proc: WorkerProcess) -> str:
        cg = self._cgroups.get(proc.spec.slot)
        if cg is not None and cg.out_of_memory():
            return f"was killed for using more than its memory limit of {proc.spec.limits.memory / 2**20:.0f} MiB"
        return ""

    def _kill_uid(self, slot: int) -> None:
        """Kill any process left running under the slot's uid (root only)."""
        if not self.as_root or slot not in self._uids:
            return
        uid = self._uids[slot][0]
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
