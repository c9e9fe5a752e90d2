"""Shared fixtures and the rule for sandbox tests.

Tests that start bubblewrap carry ``@pytest.mark.sandbox`` (or use the
``bwrap_required`` fixture). They never skip silently: where bubblewrap is
missing or cannot start, they *fail* with a message that says how to install
it, unless ``GRADER_ALLOW_NO_SANDBOX=1`` is set, in which case they skip
(a developer's laptop without bubblewrap).

The ``backend_name`` fixture parametrizes a test over both sandbox backends;
its ``bwrap`` case carries the ``sandbox`` marker, so the rule above applies.

Tests that need a Docker engine and the grading image carry ``@pytest.mark.docker``
(or use the ``docker_required`` fixture). Where either is missing they *skip*,
saying what is missing and how to fix it, unless ``GRADER_REQUIRE_DOCKER=1``
(CI), in which case they fail.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.patches import materialize_course

# The mutants kept as patches become files before any test module lists them (at
# import, so that module-level globs see them); a patch that no longer applies stops the run.
materialize_course(Path(__file__).resolve().parent.parent)

ALLOW_NO_SANDBOX_ENV = "GRADER_ALLOW_NO_SANDBOX"
REQUIRE_DOCKER_ENV = "GRADER_REQUIRE_DOCKER"


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot run sandboxes here, or None if it can (probed once)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap"
    argv = [exe, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--die-with-parent", "--", "/bin/true"]
    if os.geteuid() != 0:
        argv[1:1] = ["--unshare-user"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap is installed but cannot start: {exc}"
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace").strip()[:300]
        return f"bubblewrap is installed but cannot create a sandbox (exit {proc.returncode}): {stderr}"
    return None


def require_bwrap() -> None:
    """Fail (or, with GRADER_ALLOW_NO_SANDBOX=1, skip) unless bubblewrap works here."""
    problem = bwrap_problem()
    if problem is None:
        return
    if os.environ.get(ALLOW_NO_SANDBOX_ENV) == "1":
        pytest.skip(f"{problem} ({ALLOW_NO_SANDBOX_ENV}=1)")
    pytest.fail(f"this test needs a working bubblewrap sandbox: {problem}. "
                f"Set {ALLOW_NO_SANDBOX_ENV}=1 to skip sandbox tests instead.", pytrace=False)


@functools.lru_cache(maxsize=1)
def docker_problem() -> str | None:
    """Why the Docker sandbox cannot run here (no engine, no image), or None if it can (probed once)."""
    from grader.sandbox.docker import engine_problem

    return engine_problem()


def require_docker() -> None:
    """Skip (or, with GRADER_REQUIRE_DOCKER=1, fail) unless the Docker engine and the image are there."""
    problem = docker_problem()
    if problem is None:
        return
    if os.environ.get(REQUIRE_DOCKER_ENV) == "1":
        pytest.fail(f"this test needs the Docker sandbox ({REQUIRE_DOCKER_ENV}=1): {problem}", pytrace=False)
    pytest.skip(f"no Docker sandbox here: {problem}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("sandbox") is not None:
        require_bwrap()
    if item.get_closest_marker("docker") is not None:
        require_docker()


@pytest.fixture(scope="session")
def docker_required() -> None:
    """Use in a test or fixture (of any scope) that starts Docker workers: see the module docs."""
    require_docker()


@pytest.fixture(scope="session")
def bwrap_required() -> None:
    """Use in a test or fixture (of any scope) that starts bubblewrap: see the module docs."""
    require_bwrap()


@pytest.fixture(params=["subprocess", pytest.param("bwrap", marks=pytest.mark.sandbox)])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each sandbox backend in turn: ``subprocess`` and ``bwrap`` (marked ``sandbox``)."""
    if request.param == "bwrap":
        require_bwrap()
    return request.param


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root`` (folders made as needed); returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def write_files(tmp_path: Path):
    """``write_files({"assignments/hw/assignment.toml": "...", ...})``: a file tree in ``tmp_path``
    (text is dedented); returns the root. Pass ``root=`` to write elsewhere."""

    def write(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        return write_tree(root or tmp_path, files)

    return write
