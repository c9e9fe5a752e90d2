"""The unisolated fallback: the worker is a plain subprocess.

For machines without bubblewrap (a student's Mac or Windows laptop). The
split between the trusted process and the worker still holds, and every call
still has a timeout, but the worker can read and write anything the user can.
``grader grade`` refuses it unless it is asked for by name.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .base import Backend, WorkerSpec, rlimits, thread_env, worker_args

BOOTSTRAP = "import sys; sys.path[:0] = [{lib!r}]; from grader_worker.server import main; main()"


def worker_env(limits, home: str, tmp: str) -> dict[str, str]:
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
    return env


class PlainBackend(Backend):
    """Runs the worker as an ordinary child process (no isolation)."""

    name = "subprocess"
    isolated = False

    def command(self, spec: WorkerSpec, fds: tuple[int, int]):
        lib = str(self.worker_lib())
        tmp = spec.workdir.parent / (spec.workdir.name + "-tmp")
        tmp.mkdir(exist_ok=True)
        limits = rlimits(spec.limits)
        limits.pop("nproc")  # RLIMIT_NPROC would count all of the user's own processes
        argv = [sys.executable, "-I", "-c", BOOTSTRAP.format(lib=lib), str(fds[0]), str(fds[1]),
                worker_args(limits, spec)]
        return argv, worker_env(spec.limits, str(spec.workdir), str(tmp)), spec.workdir
