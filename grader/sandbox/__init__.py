"""Sandbox backends that run the student's worker process.

``auto`` picks bubblewrap where it is installed (Linux) and otherwise the
unisolated subprocess fallback; callers that must not run unisolated
(``grader grade``) check :attr:`Backend.isolated`.
"""

from __future__ import annotations

from pathlib import Path

from .base import Backend, SandboxError, WorkerProcess, WorkerSpec
from .bwrap import BwrapBackend
from .docker import DockerBackend
from .plain import PlainBackend

BACKENDS = {"bwrap": BwrapBackend, "docker": DockerBackend, "subprocess": PlainBackend}

__all__ = ["Backend", "WorkerProcess", "WorkerSpec", "BACKENDS", "make_backend", "SandboxError"]


def make_backend(name: str = "auto", *, hide: list[Path] | tuple[Path, ...] = (), image: str | None = None,
                 gpus: str | None = None) -> Backend:
    """Build a backend by name: ``auto``, ``bwrap``, ``docker`` or ``subprocess``.

    ``auto`` is ``docker`` when GPUs are asked for, else ``bwrap`` where it is
    installed, else ``subprocess``.

    Args:
        hide: host paths a sandbox must never show (the course root). The Docker
            backend shows no host path but the submission's folder and the worker's code.
        image: the Docker backend's grading image (default ``$GRADER_DOCKER_IMAGE``,
            else ``grader-worker:latest``).
        gpus: GPUs for the Docker backend's workers: ``all``, ``N`` or ``device=0,1``.

    Raises:
        SandboxError: if the backend is unknown or not available on this machine, or
            GPUs are asked of a backend that cannot give them.
    """
    if name == "auto":
        name = "docker" if gpus else "bwrap" if BwrapBackend.available() else "subprocess"
    if name not in BACKENDS:
        raise SandboxError(f"unknown sandbox backend {name!r} (choose from auto, {', '.join(BACKENDS)})")
    if gpus and name != "docker":
        raise SandboxError(f"--gpus needs the Docker sandbox (--sandbox docker); the {name} sandbox cannot "
                           "give workers GPUs")
    cls = BACKENDS[name]
    if cls is DockerBackend:
        return DockerBackend(image=image, gpus=gpus)
    if not cls.available():
        raise SandboxError(
            "bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install -y bubblewrap) "
            "or pass --sandbox docker (see docs/docker.md) or --sandbox subprocess to run without isolation"
        )
    if cls is BwrapBackend:
        return BwrapBackend(hide=hide)
    return cls()
