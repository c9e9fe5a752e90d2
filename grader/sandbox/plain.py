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

import os
import sys

from . import base
from .base import Backend, WorkerSpec, rlimits, thread_env, worker_args

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
        # Windows reads the home from USERPROFILE (not HOME) and the temporary folder from TEMP;
        # a conda environment finds its DLLs on PATH
        env.update(USERPROFILE=home, TEMP=tmp, TMP=tmp, PATH=os.environ.get("PATH", ""))
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
        if base.POSIX_PIPES:
            argv = [sys.executable, "-I", "-c", BOOTSTRAP.format(lib=lib), str(fds[0]), str(fds[1]),
                    worker_args(limits, spec)]
        else:
            argv = [sys.executable, "-I", "-c", STDIO_BOOTSTRAP.format(lib=lib), worker_args(limits, spec)]
        return argv, worker_env(spec.limits, str(spec.workdir), str(tmp)), spec.workdir
