"""The Docker engine as the Docker sandbox uses it: connecting, the grading image,
and removing worker containers, including those that graders which no longer run
left behind.

Worker containers carry the label ``grader=worker`` and ``grader.owner=<host>:<pid>:<start>``,
the grading process that made them (its start time tells a reused pid apart).
A container whose owner no longer runs on this host is stale: :func:`remove_stale`
removes it. See :mod:`grader.sandbox.docker` for the containers themselves.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from .base import SandboxError

IMAGE_ENV = "GRADER_DOCKER_IMAGE"
DEFAULT_IMAGE = "grader-worker:latest"
LABEL = "grader"
LABEL_VALUE = "worker"
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
SETUP_HINT = "run scripts/docker-setup.sh (as root) to install and start the engine and build the image"


def default_image() -> str:
    """The grading image: ``$GRADER_DOCKER_IMAGE``, else ``grader-worker:latest``."""
    return os.environ.get(IMAGE_ENV) or DEFAULT_IMAGE


def owner_label() -> str:
    """This process, as ``host:pid:start-time`` (the start time tells a reused pid apart)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_alive(owner: str) -> bool:
    """Is the grader that labelled a container ``owner`` still running? (Unknown: yes.)"""
    try:
        host, pid, start = owner.rsplit(":", 2)
        pid_n = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname() or start == "?":
        return True  # another machine's grader, or one we cannot tell: not ours to judge
    return _start_time(pid_n) == start


def remove_container(api, container_id: str) -> None:
    """Kill and remove a container and its anonymous volumes; one already gone is fine."""
    import requests
    from docker.errors import DockerException, NotFound

    for _ in range(3):
        try:
            api.remove_container(container_id, force=True, v=True)
            return
        except NotFound:
            return
        except (DockerException, requests.exceptions.RequestException):
            continue  # 409 "removal already in progress" and the like


def connect():
    """A Docker client for the engine of the environment (``DOCKER_HOST``, else the local socket).

    Raises:
        SandboxError: if the SDK is missing or no engine answers, saying how to fix it.
    """
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        raise SandboxError("the Docker SDK is not installed: pip install 'docker>=7'") from None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        raise SandboxError(f"cannot reach a Docker engine ({exc}): {SETUP_HINT}, or start dockerd "
                           "and point DOCKER_HOST at it") from None
    return client


def check_image(client, image: str) -> str:
    """The ``PATH`` of ``image``'s environment (where its ``python3`` is).

    Raises:
        SandboxError: if the engine does not have the image, saying how to build it.
    """
    from docker.errors import DockerException, ImageNotFound

    try:
        attrs = client.images.get(image).attrs
    except ImageNotFound:
        raise SandboxError(f"the grading image {image} is not in the Docker engine: {SETUP_HINT} "
                           f"(or build it: docker build -t {image} .), or pass --image / set {IMAGE_ENV}") from None
    except DockerException as exc:
        raise SandboxError(f"cannot inspect the grading image {image}: {exc}") from None
    for item in (attrs.get("Config") or {}).get("Env") or []:
        if item.startswith("PATH="):
            return item[5:]
    return DEFAULT_PATH


def remove_stale(client) -> int:
    """Remove ``grader=worker`` containers whose grader no longer runs on this host.

    Returns:
        how many were removed.
    """
    removed = 0
    try:
        found = client.containers.list(all=True, filters={"label": f"{LABEL}={LABEL_VALUE}"})
    except Exception:  # noqa: BLE001 - no engine, nothing to sweep
        return 0
    for c in found:
        if not owner_alive((c.labels or {}).get("grader.owner", "")):
            remove_container(client.api, c.id)
            removed += 1
    return removed


def engine_problem(image: str | None = None) -> str | None:
    """Why the Docker backend cannot run here (no SDK, no engine, no image), or None if it can."""
    try:
        client = connect()
        try:
            check_image(client, image or default_image())
        finally:
            client.close()
    except SandboxError as exc:
        return str(exc)
    return None
