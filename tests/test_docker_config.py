"""The Docker backend's requests, checked without an engine or a GPU.

What each worker container is created with (:func:`grader.sandbox.docker.container_config`
and :meth:`DockerBackend.container_kwargs` with a stand-in client), how ``--gpus``
is parsed and spread over the GPUs (:mod:`grader.sandbox.gpus`), the attached
stream's demultiplexing (:mod:`grader.sandbox.attach`), and the worker's GPU
memory cap and device report. The tests with a real engine are in
``test_docker_backend.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.config import Limits
from grader.sandbox import SandboxError, WorkerSpec, docker_engine, make_backend
from grader.sandbox import docker as docker_mod
from grader.sandbox import gpus as gpus_mod
from grader.sandbox.attach import AttachedStreams
from grader.sandbox.base import OutputBuffer
from grader.sandbox.docker import DockerBackend, container_config, worker_limits

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(memory=512 * 2**20, processes=64, disk=16 * 2**20, threads=1, open_files=128)


# --------------------------------------------------------------------------- --gpus


@pytest.mark.parametrize("value, expected", [
    ("all", gpus_mod.GpuRequest(count=-1)),
    ("2", gpus_mod.GpuRequest(count=2)),
    (" 1 ", gpus_mod.GpuRequest(count=1)),
    ("device=0,1", gpus_mod.GpuRequest(device_ids=("0", "1"))),
    ('"device=2"', gpus_mod.GpuRequest(device_ids=("2",))),
    ("device=GPU-3a2b-77c1", gpus_mod.GpuRequest(device_ids=("GPU-3a2b-77c1",))),
])
def test_parse_gpus(value, expected):
    assert gpus_mod.parse_gpus(value) == expected


@pytest.mark.parametrize("value", ["", "0", "-1", "1.5", "none", "device=", "device=0,", "device=0,0",
                                   "device=0;rm", "gpu=0", "all,1"])
def test_parse_gpus_refuses(value):
    with pytest.raises(ValueError, match="--gpus"):
        gpus_mod.parse_gpus(value)


def test_device_request_for_all_gpus_when_they_are_not_known():
    request = gpus_mod.parse_gpus("all")
    ids = gpus_mod.spread_ids(request, None)
    assert ids is None
    dr = gpus_mod.device_request(request, ids, 5)
    assert dr["Count"] == -1 and dr["Capabilities"] == [["gpu"]] and not dr["DeviceIDs"]


@pytest.mark.parametrize("value, known, expected", [
    ("all", ["0", "1", "2"], ["0", "1", "2"]),
    ("2", None, ["0", "1"]),
    ("2", ["0", "1", "2", "3"], ["0", "1"]),
    ("device=3,1", ["0", "1", "2", "3"], ["3", "1"]),
])
def test_spread_ids(value, known, expected):
    assert gpus_mod.spread_ids(gpus_mod.parse_gpus(value), known) == expected


def test_more_gpus_than_the_machine_has_is_an_error():
    with pytest.raises(ValueError, match="has 2 GPU"):
        gpus_mod.spread_ids(gpus_mod.parse_gpus("3"), ["0", "1"])


@pytest.mark.parametrize("grading_slot, device", [(0, "3"), (1, "1"), (2, "3"), (3, "1"), (10, "3")])
def test_grading_slots_take_turns_on_the_gpus(grading_slot, device):
    request = gpus_mod.parse_gpus("device=3,1")
    dr = gpus_mod.device_request(request, gpus_mod.spread_ids(request, None), grading_slot)
    assert dr["DeviceIDs"] == [device] and dr["Capabilities"] == [["gpu"]]
    assert dr["Count"] in (None, 0)


def test_list_gpus_reads_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-aa)'\necho 'GPU 1: NVIDIA H200 (UUID: GPU-bb)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert gpus_mod.list_gpus() == ["0", "1"]


# --------------------------------------------------------------------------- the container


@pytest.fixture
def config(tmp_path) -> dict:
    spec = WorkerSpec(workdir=tmp_path / "work", limits=LIMITS, slot=3)
    return container_config(spec, image="grader-worker:latest", lib=tmp_path / "lib",
                            labels={"grader": "worker", "grader.run": "r1"}, path="/opt/venv/bin:/usr/bin:/bin",
                            cpus=2)


def test_container_is_closed_down(config):
    assert config["network_mode"] == "none"
    assert config["mem_limit"] == config["memswap_limit"] == LIMITS.memory  # no swap
    assert config["pids_limit"] == LIMITS.processes
    assert config["read_only"] is True
    assert config["cap_drop"] == ["ALL"]
    assert config["security_opt"] == ["no-new-privileges"]
    assert config["user"] == "10001:10001"
    assert config["init"] is True
    assert config["nano_cpus"] == 10**9
    assert config["log_config"]["Type"] == "none"  # output never reaches the engine's disk
    assert config["stdin_open"] is True and config["tty"] is False
    assert "privileged" not in config and "cap_add" not in config and "device_requests" not in config


def test_container_writes_only_to_small_tmpfs(config):
    tmpfs = config["tmpfs"]
    assert set(tmpfs) == {"/home/student", "/tmp"}
    assert f"size={LIMITS.disk}" in tmpfs["/tmp"]
    assert f"size={LIMITS.disk + 5 * LIMITS.max_file_size}" in tmpfs["/home/student"]
    assert config["shm_size"] == LIMITS.disk
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in config["ulimits"]}
    assert ulimits == {"fsize": (LIMITS.disk, LIMITS.disk), "nofile": (128, 128), "core": (0, 0)}


def test_container_mounts_nothing_secret(config, tmp_path):
    mounts = {m["Target"]: m for m in config["mounts"]}
    assert set(mounts) == {"/opt/submission", "/opt/grader"}
    assert all(m["ReadOnly"] and m["Type"] == "bind" for m in mounts.values())
    assert mounts["/opt/submission"]["Source"] == str(tmp_path / "work")
    assert mounts["/opt/grader"]["Source"] == str(tmp_path / "lib")
    assert "volumes" not in config and "volumes_from" not in config


def test_container_environment_is_clean(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cret")
    spec = WorkerSpec(workdir=tmp_path, limits=LIMITS)
    env = container_config(spec, image="i", lib=tmp_path, labels={}, path="/opt/venv/bin:/usr/bin:/bin")["environment"]
    threads = {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS"}
    assert set(env) == {"PATH", "HOME", "TMPDIR", "USER", "LANG", "LC_ALL", "MPLBACKEND", "MPLCONFIGDIR",
                        "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "GRADER_SUBMISSION_DIR", *threads}
    assert env["PATH"] == "/opt/venv/bin:/usr/bin:/bin"
    assert env["HOME"] == "/home/student" and env["TMPDIR"] == "/tmp"
    assert env["GRADER_SUBMISSION_DIR"] == "/opt/submission"
    assert all(env[k] == "1" for k in threads)
    assert "s3cret" not in json.dumps(env)


def test_container_command_runs_the_worker(config):
    assert config["entrypoint"] == ["python3"]
    flag, c, bootstrap, limits = config["command"]
    assert (flag, c) == ("-I", "-c")
    assert "grader_worker.server" in bootstrap and "'/opt/grader'" in bootstrap
    # the container bounds memory and processes itself: no address-space, data or nproc rlimit;
    # CPU seconds = (total_timeout 300 + 5) * 1 thread, files up to disk, no core dumps
    assert json.loads(limits) == {"cpu": 305, "fsize": 16 * 2**20, "nofile": 128, "core": 0}


def test_cpu_quota_follows_threads_and_the_machine(tmp_path):
    def nano(threads, cpus):
        spec = WorkerSpec(tmp_path, Limits(threads=threads))
        return container_config(spec, image="i", lib=tmp_path, labels={}, cpus=cpus)["nano_cpus"]

    assert nano(0, 2) == 10**9  # at least one CPU
    assert nano(2, 4) == 2 * 10**9
    assert nano(8, 2) == 2 * 10**9  # never more than the machine has


def test_worker_limits_leave_memory_and_processes_to_the_cgroup():
    out = worker_limits(LIMITS)
    assert "as" not in out and "nproc" not in out
    assert out["fsize"] == LIMITS.disk and out["core"] == 0
    assert "gpu_memory_fraction" not in out
    assert worker_limits(Limits(gpu_memory_fraction=0.25))["gpu_memory_fraction"] == 0.25


class _FakeImages:
    def get(self, image):
        return type("Image", (), {"attrs": {"Config": {"Env": ["PATH=/opt/venv/bin:/usr/bin", "X=1"]}}})()


class _FakeContainers:
    def __init__(self):
        self.listed = []

    def list(self, **kwargs):
        self.listed.append(kwargs)
        return []


class _FakeClient:
    def __init__(self):
        self.images = _FakeImages()
        self.containers = _FakeContainers()


@pytest.fixture
def fake_backend(monkeypatch):
    monkeypatch.setattr(gpus_mod, "list_gpus", lambda: ["0", "1", "2"])
    made = []

    def make(**kwargs):
        backend = DockerBackend(client=_FakeClient(), **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def test_backend_labels_its_containers_and_uses_the_image_path(fake_backend, tmp_path):
    backend = fake_backend(image="img:1")
    kwargs = backend.container_kwargs(WorkerSpec(tmp_path, LIMITS, slot=5))
    assert kwargs["image"] == "img:1"
    assert kwargs["labels"]["grader"] == "worker" and kwargs["labels"]["grader.slot"] == "5"
    assert kwargs["labels"]["grader.run"] == backend.run_id
    assert kwargs["labels"]["grader.owner"].split(":")[1] == str(os.getpid())
    assert kwargs["environment"]["PATH"] == "/opt/venv/bin:/usr/bin"
    assert "device_requests" not in kwargs
    # the sweep of stale containers looked for grader=worker
    assert {"all": True, "filters": {"label": "grader=worker"}} in backend.client.containers.listed


@pytest.mark.parametrize("gpus, by_slot", [
    ("all", {0: ["0"], 1: ["0"], 2: ["1"], 3: ["1"], 4: ["2"], 6: ["0"]}),
    ("2", {0: ["0"], 2: ["1"], 4: ["0"]}),
    ("device=2,0", {1: ["2"], 3: ["0"], 5: ["2"]}),
])
def test_backend_spreads_grading_slots_over_the_gpus(fake_backend, tmp_path, gpus, by_slot):
    backend = fake_backend(gpus=gpus)
    for slot, ids in by_slot.items():  # sandbox slots 2k and 2k+1 belong to grading slot k
        [request] = backend.container_kwargs(WorkerSpec(tmp_path, LIMITS, slot=slot))["device_requests"]
        assert request["DeviceIDs"] == ids and request["Capabilities"] == [["gpu"]]


def test_backend_refuses_bad_gpus(fake_backend):
    with pytest.raises(SandboxError, match="has 3 GPU"):
        fake_backend(gpus="4")
    with pytest.raises(SandboxError, match="not understood"):
        fake_backend(gpus="many")


def test_stale_containers_are_those_of_graders_that_are_gone():
    assert docker_engine.owner_alive(docker_engine.owner_label())
    host = socket.gethostname()
    assert not docker_engine.owner_alive(f"{host}:{os.getpid()}:1")  # a reused pid: another start time
    assert not docker_engine.owner_alive(f"{host}:999999999:1")
    assert not docker_engine.owner_alive("")
    assert docker_engine.owner_alive("another-host:1:1")  # not ours to judge


def test_docker_exit_status_and_memory_note(fake_backend, tmp_path):
    backend = fake_backend()
    assert backend.exit_status(137) == -9 and backend.exit_status(139) == -11 and backend.exit_status(3) == 3
    proc = type("P", (), {"state": {"OOMKilled": True}, "spec": WorkerSpec(tmp_path, LIMITS)})()
    assert "ran out of memory" in backend.exit_note(proc) and "512 MiB" in backend.exit_note(proc)
    proc.state = {"OOMKilled": False}
    assert backend.exit_note(proc) == ""


# --------------------------------------------------------------------------- choosing the backend


def test_gpus_need_the_docker_sandbox():
    for name in ("bwrap", "subprocess"):
        with pytest.raises(SandboxError, match="--gpus needs the Docker sandbox"):
            make_backend(name, gpus="all")


def test_docker_without_an_engine_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxError, match="scripts/docker-setup.sh"):
        make_backend("docker")


@pytest.mark.parametrize("args, message", [
    (["grade", "hw", "--sandbox", "bwrap", "--gpus", "all"], "--gpus needs --sandbox docker"),
    (["grade", "hw", "--backend", "subprocess", "--gpus", "1"], "--gpus needs --sandbox docker"),
    (["grade", "hw", "--sandbox", "docker", "--gpus", "0"], "at least one GPU"),
    (["grade", "hw", "--gpus", "device="], "device ids"),
    (["validate", "hw", "--gpus", "lots"], "not understood"),
    (["grade", "hw", "--sandbox", "podman"], "Invalid value for '--sandbox'"),
])
def test_cli_refuses_bad_sandbox_options(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_image_default_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADER_DOCKER_IMAGE", "course/worker:7")
    result = CliRunner().invoke(cli, ["grade", "--help"])
    assert "--sandbox, --backend" in result.output and "--image" in result.output
    assert docker_mod.default_image() == "course/worker:7"


# --------------------------------------------------------------------------- the attached stream


def _frame(kind: int, data: bytes) -> bytes:
    return bytes([kind, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def _read_all(fd: int, deadline: float) -> bytes:
    out = b""
    while time.monotonic() < deadline:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
    return out


def test_attached_stream_splits_replies_from_prints():
    ours, engine = socket.socketpair()
    output = OutputBuffer(1024)
    streams = AttachedStreams(ours, output)
    try:
        os.write(streams.to_worker, b"request bytes")
        assert engine.recv(100) == b"request bytes"
        big = os.urandom(300_000)
        stream = _frame(2, b"student print\n") + _frame(1, b"reply-1") + _frame(1, big) + _frame(2, b"more\n")
        for i in range(0, len(stream), 7001):  # frames cut at arbitrary places
            engine.sendall(stream[i:i + 7001])
        engine.close()
        assert _read_all(streams.from_worker, time.monotonic() + 10) == b"reply-1" + big
        assert streams.exited.wait(5)
        assert output.text() == "student print\nmore\n"
    finally:
        streams.close()
        os.close(streams.to_worker)
        os.close(streams.from_worker)


# --------------------------------------------------------------------------- the worker's side


def test_worker_imports_torch_only_for_a_gpu_cap():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from grader.worker import server\n"
            "server._apply_gpu_cap(0); server._apply_gpu_cap(None)\n"
            "assert 'torch' not in sys.modules\n"
            "assert server._device() == 'cpu' and server._stats()['device'] == 'cpu'\n"
            "server._apply_gpu_cap(0.5)\n"
            "print('torch' in sys.modules)\n") % str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    torch_installed = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    assert proc.stdout.strip() == str(torch_installed)


def test_gpu_memory_fraction_limits():
    assert Limits.from_dict({"gpu_memory_fraction": 0.5}).gpu_memory_fraction == 0.5
    assert Limits.from_dict({}).gpu_memory_fraction == 0
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="between 0 and 1"):
            Limits.from_dict({"gpu_memory_fraction": bad})
