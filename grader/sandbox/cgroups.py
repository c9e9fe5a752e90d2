"""Per-sandbox memory, process and CPU accounting with cgroup v1 controllers.

RLIMIT_AS bounds each process, not the sandbox: a submission that forks
could hold ``processes x memory`` at once. Where the grader runs as root and
the cgroup v1 ``memory`` controller is mounted (these machines: cgroup v2 is
not usable, v1 is), each sandbox slot gets its own cgroup in the ``memory``,
``pids`` and ``cpuacct`` hierarchies, and the worker's whole process tree is
started inside it:

* ``memory.limit_in_bytes`` = ``memory.memsw.limit_in_bytes`` = the memory
  limit: the sandbox as a whole, tmpfs files included, without swap; past it
  the kernel's OOM killer kills inside the sandbox only;
* ``pids.max`` = the process limit of the whole sandbox;
* ``memory.max_usage_in_bytes`` and ``cpuacct.usage`` give the peak memory
  and the CPU time of the sandbox, killed processes included.

Where none of this is available (not root, no v1 hierarchy) the sandbox keeps
its rlimits and :func:`open_slot` returns None.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpuacct")
GROUP = "grader"


def available() -> bool:
    """True if this process can create memory cgroups (root, cgroup v1 memory mounted)."""
    return os.geteuid() == 0 and os.access(ROOT / "memory" / "cgroup.procs", os.W_OK)


def _write(path: Path, value: str | int) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def peak_memory(dirs: dict[str, Path]) -> int | None:
    """Peak memory of a cgroup, in bytes (``memory.max_usage_in_bytes``), from its
    controller folders (``{"memory": ..., "cpuacct": ...}``); None where unknown."""
    mem = dirs.get("memory")
    return _read_int(mem / "memory.max_usage_in_bytes") if mem else None


def cpu_time(dirs: dict[str, Path]) -> float | None:
    """CPU seconds used in a cgroup (``cpuacct.usage``), from its controller folders; None where unknown."""
    cpu = dirs.get("cpuacct")
    ns = _read_int(cpu / "cpuacct.usage") if cpu else None
    return None if ns is None else ns / 1e9


def reset_usage(dirs: dict[str, Path]) -> None:
    """Reset a cgroup's peak memory (to its current use) and CPU time (to 0)."""
    if "memory" in dirs:
        _write(dirs["memory"] / "memory.max_usage_in_bytes", 0)
    if "cpuacct" in dirs:
        _write(dirs["cpuacct"] / "cpuacct.usage", 0)


class SlotCgroup:
    """The cgroups of one sandbox slot (one per controller that is mounted).

    Args:
        name: a name unique on this machine (the slot's leased uid).
    """

    def __init__(self, name: str) -> None:
        self.dirs = {}
        for ctrl in CONTROLLERS:
            base = ROOT / ctrl
            if not (base / "cgroup.procs").exists():
                continue
            d = base / GROUP / name
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
            self.dirs[ctrl] = d
        self._oom_kills = 0

    @property
    def usable(self) -> bool:
        return "memory" in self.dirs

    def prepare(self, memory: int, processes: int) -> None:
        """Set the limits and reset the counters before a worker starts."""
        mem = self.dirs.get("memory")
        if mem is not None:
            # memsw must stay >= limit at every step: try both orders
            for first, second in (("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"),
                                  ("memory.memsw.limit_in_bytes", "memory.limit_in_bytes")):
                if _write(mem / first, memory) and (not (mem / second).exists() or _write(mem / second, memory)):
                    break
        if "pids" in self.dirs:
            _write(self.dirs["pids"] / "pids.max", processes)
        self.reset_usage()

    def reset_usage(self) -> None:
        """Count CPU time, peak memory and OOM kills from now (a warm sandbox's next submission)."""
        reset_usage(self.dirs)
        if "memory" in self.dirs:
            self._oom_kills = self._oom_kill_count()

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` preceded by a shell that moves itself into the cgroups, then execs it:
        every process of the sandbox starts inside them."""
        procs = [str(d / "cgroup.procs") for d in self.dirs.values()]
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *procs, "--", *argv]

    def _oom_kill_count(self) -> int:
        mem = self.dirs.get("memory")
        if mem is None:
            return 0
        try:
            for line in (mem / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, ValueError, TypeError, IndexError):
            pass
        return 0

    def out_of_memory(self) -> bool:
        """Did the OOM killer act in this sandbox since :meth:`prepare`?"""
        return "memory" in self.dirs and self._oom_kill_count() > self._oom_kills

    def peak_memory(self) -> int | None:
        """Peak memory of the sandbox since :meth:`prepare`, in bytes."""
        return peak_memory(self.dirs)

    def cpu_time(self) -> float | None:
        """CPU seconds used in the sandbox since :meth:`prepare`."""
        return cpu_time(self.dirs)

    def remove(self) -> None:
        for d in self.dirs.values():
            try:
                d.rmdir()
            except OSError:
                pass
