"""The grading environment's versions: what students' code runs with.

The worker environments student code runs in (:mod:`grader.workerenv`) are built from
the grader's own interpreter, with numpy and torch pinned to the grader's versions (the
Docker image is built to match: tests/docker/test_image.py), so the versions are read from
this environment rather than written down twice. The
template notebooks state them to students, and tests/test_templates.py checks that
what they state is what is read here.

``PYTHON`` and ``NUMPY`` are ``"major.minor"`` (a patch release changes no API);
``TORCH`` is the full release, as pinned in pyproject.toml (``torch==2.13.0``), or
None where torch is not installed.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

__all__ = ["NUMPY", "PYTHON", "TORCH", "release"]


def release(version: str, parts: int | None = None) -> str:
    """``version``'s release numbers, without a local or pre-release suffix, cut to ``parts``
    numbers: ``release("2.13.0+cpu") == "2.13.0"``, ``release("2.4.1", 2) == "2.4"``."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    return ".".join(match.group(0).split(".")[:parts])


def _installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
NUMPY = release(_installed("numpy") or "0", 2)
TORCH = release(v) if (v := _installed("torch")) else None
