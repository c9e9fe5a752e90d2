"""The unisolated fallback: the worker is a plain subprocess.

For machines without bubblewrap (a student's Mac or Windows laptop). The
split between the trusted process and the worker still holds, and every call
still has a timeout (the trusted side kills a worker that overruns it), but the
worker can read and write anything the user can. ``grader grade`` refuses it
unless it is asked for by name.

What the platform lacks is left out, never faked: the worker sets its rlimits
only where ``resource`` exists (not on Windows), times notebook cells out with
``SIGALRM`` or else a timer thread (:mod:`grader.worker.loader`), and where
descriptors cannot be inherited by number (Windows) talks over its stdin and
stdout (:data:`STDIO_BOOTSTRAP`). ``tests/test_portability.py`` runs
``grader check`` with those POSIX pieces taken away.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import base
from .base import BOOTSTRAP, STDIO_BOOTSTRAP, Backend, WorkerSpec, rlimits, worker_args, worker_env


class PlainBackend(Backend):
    """Runs the worker as an ordinary child process (no isolation)."""

    name = "subprocess"
    isolated = False

    def command(self, spec: WorkerSpec, fds: tuple[int, int]) -> tuple[list[str], dict[str, str] | None, Path | None]:
        lib = str(self.worker_lib())
        tmp = spec.workdir.parent / (spec.workdir.name + "-tmp")
        tmp.mkdir(exist_ok=True)
        limits = rlimits(spec.limits)
        limits.pop("nproc")  # RLIMIT_NPROC would count all of the user's own processes
        if base.POSIX_PIPES:
            argv = [sys.executable, "-I", "-c", BOOTSTRAP.format(lib=lib), str(fds[0]), str(fds[1]),
                    worker_args(limits, spec)]
        else:
            argv = [sys.executable, "-I", "-c", STDIO_BOOTSTRAP.format(lib=lib), worker_args(limits, spec)]
        return argv, worker_env(spec.limits, str(spec.workdir), str(tmp)), spec.workdir
