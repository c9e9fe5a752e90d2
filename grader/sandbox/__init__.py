"""Sandbox backends that run the student's worker process.

``auto`` picks bubblewrap where it is installed (Linux) and otherwise the
unisolated subprocess fallback; callers that must not run unisolated
(``grader grade``) check :attr:`Backend.isolated`.
"""

from __future__ import annotations

from pathlib import Path

from .base import Backend, WorkerProcess, WorkerSpec
from .bwrap import BwrapBackend
from .plain import PlainBackend

BACKENDS = {"bwrap": BwrapBackend, "subprocess": PlainBackend}

__all__ = ["Backend", "WorkerProcess", "WorkerSpec", "BACKENDS", "make_backend", "SandboxError"]


class SandboxError(Exception):
    """A sandbox backend that cannot be used here, with what to do about it."""


def make_backend(name: str = "auto", *, hide: list[Path] | tuple[Path, ...] = ()) -> Backend:
    """Build a backend by name: ``auto``, ``bwrap`` or ``subprocess``.

    Args:
        hide: host paths a sandbox must never show (the course root).

    Raises:
        SandboxError: if the backend is unknown or not available on this machine.
    """
    if name == "auto":
        name = "bwrap" if BwrapBackend.available() else "subprocess"
    if name not in BACKENDS:
        raise SandboxError(f"unknown sandbox backend {name!r} (choose from auto, {', '.join(BACKENDS)})")
    cls = BACKENDS[name]
    if not cls.available():
        raise SandboxError(
            "bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install -y bubblewrap) "
            "or pass --backend subprocess to run without isolation"
        )
    if cls is BwrapBackend:
        return BwrapBackend(hide=hide)
    return cls()
