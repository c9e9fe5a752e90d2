"""Sandbox backends that run the student's worker process.

``auto`` picks bubblewrap where it is installed (Linux) and otherwise the
unisolated subprocess fallback; callers that must not run unisolated
(``grader grade``) check :attr:`Backend.isolated`.

A backend's module is imported only when that backend is asked for: the
bubblewrap backend needs Linux-only modules (``fcntl``), and ``grader check``
on a student's Mac or Windows machine must import without them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .base import Backend, SandboxError, WorkerProcess, WorkerSpec

#: backend name -> (module, class), imported on first use (see :func:`backend_class`)
BACKENDS = {"bwrap": ("bwrap", "BwrapBackend"), "docker": ("docker", "DockerBackend"),
            "subprocess": ("plain", "PlainBackend")}

__all__ = ["Backend", "WorkerProcess", "WorkerSpec", "BACKENDS", "backend_class", "make_backend", "SandboxError"]


def backend_class(name: str) -> type[Backend]:
    """The class of the backend called ``name`` (``bwrap``, ``docker`` or ``subprocess``),
    importing its module.

    Raises:
        KeyError: if there is no such backend.
        ImportError: if its module cannot be imported on this platform (bubblewrap's on Windows).
    """
    module, cls = BACKENDS[name]
    backend: type[Backend] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return backend


def __getattr__(attr: str) -> Any:
    """``BwrapBackend``, ``DockerBackend`` and ``PlainBackend``, imported when first named."""
    for name, (_, cls) in BACKENDS.items():
        if cls == attr:
            return backend_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def _bwrap_available() -> bool:
    try:
        cls = backend_class("bwrap")
    except ImportError:  # a platform without fcntl (Windows) has no bubblewrap either
        return False
    return cls.available()


def make_backend(name: str = "auto", *, hide: list[Path] | tuple[Path, ...] = (), image: str | None = None,
                 gpus: str | None = None, python: str | Path | None = None) -> Backend:
    """Build a backend by name: ``auto``, ``bwrap``, ``docker`` or ``subprocess``.

    ``auto`` is ``docker`` when GPUs are asked for, else ``bwrap`` where it is
    installed, else ``subprocess``.

    Args:
        hide: host paths a sandbox must never show (the course root). The Docker
            backend shows no host path but the submission's folder and the worker's code.
        image: the Docker backend's grading image (default ``$GRADER_DOCKER_IMAGE``,
            else ``grader-worker:latest``).
        gpus: GPUs for the Docker backend's workers: ``all``, ``N`` or ``device=0,1``.
        python: the bubblewrap backend's worker interpreter (a worker environment, see
            :mod:`grader.workerenv`; default: the grader's own). The Docker image has its own.

    Raises:
        SandboxError: if the backend is unknown or not available on this machine, or
            GPUs are asked of a backend that cannot give them.
    """
    if name == "auto":
        name = "docker" if gpus else "bwrap" if _bwrap_available() else "subprocess"
    if name not in BACKENDS:
        raise SandboxError(f"unknown sandbox backend {name!r} (choose from auto, {', '.join(BACKENDS)})")
    if gpus and name != "docker":
        raise SandboxError(f"--gpus needs the Docker sandbox (--sandbox docker); the {name} sandbox cannot "
                           "give workers GPUs")
    try:
        cls: Any = backend_class(name)  # each backend's constructor takes its own options
    except ImportError as exc:
        raise SandboxError(f"the {name} sandbox cannot run on this platform ({exc}); "
                           "pass --sandbox subprocess to run without isolation") from None
    if name == "docker":
        backend: Backend = cls(image=image, gpus=gpus)
        return backend
    if not cls.available():
        raise SandboxError(
            "bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install -y bubblewrap) "
            "or pass --sandbox docker (see docs/docker.md) or --sandbox subprocess to run without isolation"
        )
    backend = cls(hide=hide, python=python) if name == "bwrap" else cls()
    return backend
