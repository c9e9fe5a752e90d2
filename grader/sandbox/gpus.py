"""GPUs for Docker workers: what ``--gpus`` asks for, and which GPU each worker gets.

``--gpus`` takes Docker's spellings:

* ``all``: every GPU of the machine;
* ``N`` (a positive integer): the first N GPUs (ids ``0`` .. ``N-1``);
* ``device=0,1`` (or ``device=GPU-<uuid>,...``): exactly these GPUs.

Each worker container gets **one** GPU, and submissions are spread over the
GPUs by grading slot: grading slot ``k`` (sandbox slots ``2k`` and ``2k+1``)
uses GPU ``ids[k % len(ids)]``. With ``all`` the ids come from ``nvidia-smi -L``
on the grading machine; where that is missing every container asks the engine
for all GPUs (``count=-1``) and nothing is spread.

Nothing here needs a GPU or a Docker engine: the engine is asked only when a
container is created, with the :class:`docker.types.DeviceRequest` built here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

GPU_CAPABILITIES = [["gpu"]]


@dataclass(frozen=True)
class GpuRequest:
    """What ``--gpus`` asked for.

    Attributes:
        count: ``-1`` for all GPUs, ``N`` for the first N, or None when
            ``device_ids`` names them.
        device_ids: the GPUs named by ``device=...`` (indices or UUIDs), in order.
    """

    count: int | None = None
    device_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.device_ids:
            return "device=" + ",".join(self.device_ids)
        return "all" if self.count == -1 else str(self.count)


def parse_gpus(value: str) -> GpuRequest:
    """Parse a ``--gpus`` value: ``all``, ``N`` or ``device=ID[,ID...]``.

    Raises:
        ValueError: on anything else (zero or a negative count, an empty or
            repeated device id, an unknown form), with the accepted forms.
    """
    text = str(value).strip().strip("'\"").strip()
    usage = "use 'all', a number of GPUs such as '2', or 'device=0,1'"
    if text == "all":
        return GpuRequest(count=-1)
    if re.fullmatch(r"[0-9]+", text):
        count = int(text)
        if count < 1:
            raise ValueError(f"--gpus {value!r}: ask for at least one GPU ({usage})")
        return GpuRequest(count=count)
    m = re.fullmatch(r"device=(.*)", text)
    if m:
        ids = tuple(part.strip() for part in m.group(1).split(","))
        if not ids or any(not re.fullmatch(r"[0-9]+|[A-Za-z0-9][A-Za-z0-9_.:-]*", i) for i in ids):
            raise ValueError(f"--gpus {value!r}: device ids are indices or UUIDs separated by commas ({usage})")
        if len(set(ids)) != len(ids):
            raise ValueError(f"--gpus {value!r}: a device is named twice")
        return GpuRequest(device_ids=ids)
    raise ValueError(f"--gpus {value!r} is not understood: {usage}")


def list_gpus(timeout: float = 20.0) -> list[str] | None:
    """The indices of this machine's NVIDIA GPUs (``["0", "1"]``) from ``nvidia-smi -L``,
    or None where ``nvidia-smi`` is missing or fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return re.findall(r"^GPU (\d+):", proc.stdout, re.M)


def spread_ids(request: GpuRequest, known: list[str] | None) -> list[str] | None:
    """The GPU ids that grading slots take turns on, or None (every worker asks the engine
    for ``request`` as it is: ``all`` where the machine's GPUs are not known).

    Args:
        known: the machine's GPU indices (:func:`list_gpus`), or None if unknown.

    Raises:
        ValueError: if more GPUs are asked for than ``known`` lists.
    """
    if request.device_ids:
        return list(request.device_ids)
    if request.count == -1:
        return list(known) if known else None
    assert request.count is not None and request.count > 0
    if known is not None and request.count > len(known):
        raise ValueError(f"--gpus {request.count}: this machine has {len(known)} GPU(s)")
    return [str(i) for i in range(request.count)]


def device_request(request: GpuRequest, ids: list[str] | None, grading_slot: int) -> Any:
    """The device request for one worker container of ``grading_slot``.

    With ``ids`` (see :func:`spread_ids`) the worker gets the one GPU
    ``ids[grading_slot % len(ids)]``; without, it gets what ``request`` names.

    Returns:
        a :class:`docker.types.DeviceRequest`.
    """
    from docker.types import DeviceRequest

    if ids:
        return DeviceRequest(device_ids=[ids[grading_slot % len(ids)]], capabilities=GPU_CAPABILITIES)
    if request.device_ids:
        return DeviceRequest(device_ids=list(request.device_ids), capabilities=GPU_CAPABILITIES)
    return DeviceRequest(count=request.count, capabilities=GPU_CAPABILITIES)
