"""The Docker backend: each worker in its own container (``grader grade --sandbox docker``).

A worker container is created from the grading image (``grader-worker:latest``,
see ``Dockerfile``) through the Docker SDK with everything closed that the
worker does not need (:func:`container_config` lists it): no network; a
read-only root; size-limited tmpfs mounts for its home (its working
directory), ``/tmp`` and ``/dev/shm``; memory without swap, processes, CPU
share and rlimits from :class:`~grader.config.Limits`; no capabilities, no new
privileges; the unprivileged user ``student`` (uid 10001); an init process as
PID 1 so that a kill takes the whole tree; no container log. It sees only two
host folders, both read-only: the submission's private folder (copied into the
home before any student code runs) and the worker library, which covers the
image's copy so that the worker always matches this grader.

The trusted side speaks the same wire protocol as with the other backends:
requests go to the container's stdin and replies come from its stdout, both
over the attached socket (:mod:`.attach`); the student's prints go to its
stderr. The wall-clock limits stay with the trusted side (:mod:`grader.remote`):
on a timeout the container is killed, then removed.

No container is left behind: each is killed and removed when its worker is
closed (in a background thread, off the critical path: the engine takes about
60 ms to kill and as long to remove), :meth:`DockerBackend.close` removes
any container with the backend's run label, and every new backend (and
``grader grade`` when a batch ends) removes containers of graders that no
longer run (``grader=worker`` containers whose owner process is gone).

Connecting, the image check and the sweep of stale containers: :mod:`.docker_engine`.
GPUs (``--gpus``): see :mod:`.gpus`. Measurements behind the choices here:
``docs/sandbox-facts.md``.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import uuid
from pathlib import Path

from ..config import Limits
from . import cgroups
from . import gpus as gpus_mod
from .attach import AttachedStreams
from .base import (
    STDIO_BOOTSTRAP,
    Backend,
    OutputBuffer,
    SandboxError,
    WorkerProcess,
    WorkerSpec,
    rlimits,
    worker_args,
    worker_env,
)
from .docker_engine import (
    DEFAULT_IMAGE,
    DEFAULT_PATH,
    IMAGE_ENV,
    LABEL,
    LABEL_VALUE,
    check_image,
    connect,
    default_image,
    engine_problem,
    owner_label,
    remove_container,
    remove_stale,
)
from .layout import SANDBOX_HOME, SANDBOX_LIB, SANDBOX_SUBMISSION, home_size

__all__ = ["DockerBackend", "DockerWorkerProcess", "container_config", "worker_limits", "SANDBOX_UID",
           "DEFAULT_IMAGE", "IMAGE_ENV", "connect", "default_image", "engine_problem"]

SANDBOX_UID = 10001

# Replies go out on the container's stdout (kept as fd W), requests come in on its stdin
# (kept as fd R); the student's stdout joins stderr and stdin reads /dev/null.
BOOTSTRAP = STDIO_BOOTSTRAP.format(lib=SANDBOX_LIB)


def worker_limits(limits: Limits) -> dict:
    """The limits the worker applies to itself: the rlimits, without ``as`` and ``data`` (memory is
    bounded for the whole container by its cgroup, and CUDA reserves far more address
    space than it uses) and ``nproc`` (uid 10001 is shared by every container on the
    host; the container's pids limit bounds processes), plus the GPU memory cap."""
    out: dict = rlimits(limits)
    out.pop("as")
    out.pop("data")  # a container's processes inherit nothing from the grading process
    out.pop("nproc")
    if limits.gpu_memory_fraction > 0:
        out["gpu_memory_fraction"] = limits.gpu_memory_fraction
    return out


def container_config(spec: WorkerSpec, *, image: str, lib: Path, labels: dict[str, str],
                     path: str = DEFAULT_PATH, device_request=None, cpus: int | None = None) -> dict:
    """The keyword arguments of ``client.containers.create`` for one worker.

    Args:
        spec: the worker's folder (mounted read-only) and limits.
        image: the grading image.
        lib: the host folder with the worker package (mounted read-only over ``/opt/grader``).
        labels: the container's labels (``grader=worker`` and the run's).
        path: ``PATH`` inside the container (the image's own).
        device_request: a :class:`docker.types.DeviceRequest` for GPUs, or None.
        cpus: CPUs of the engine's machine (caps the CPU quota; default this machine's).
    """
    from docker.types import LogConfig, Mount, Ulimit

    limits = spec.limits
    threads = max(1, limits.threads)
    cpus = max(1, min(threads, cpus or os.cpu_count() or 1))
    env = worker_env(limits, SANDBOX_HOME, "/tmp")
    env["PATH"] = path
    env["GRADER_SUBMISSION_DIR"] = SANDBOX_SUBMISSION
    rl = rlimits(limits)
    kwargs = dict(
        image=image,
        entrypoint=["python3"],
        command=["-I", "-c", BOOTSTRAP, worker_args(worker_limits(limits), spec)],
        user=f"{SANDBOX_UID}:{SANDBOX_UID}",
        working_dir=SANDBOX_HOME,
        hostname="sandbox",
        environment=env,
        labels=dict(labels),
        stdin_open=True,  # the request stream (StdinOnce: closed when the grader detaches)
        tty=False,  # frames keep stdout (replies) and stderr (prints) apart
        network_mode="none",
        mem_limit=limits.memory,
        memswap_limit=limits.memory,  # no swap
        pids_limit=limits.processes,
        nano_cpus=cpus * 10**9,
        read_only=True,
        tmpfs={
            SANDBOX_HOME: f"rw,nosuid,nodev,size={home_size(limits)},uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700",
            "/tmp": f"rw,nosuid,nodev,size={limits.disk},mode=1777",
        },
        shm_size=limits.disk,
        mounts=[Mount(SANDBOX_SUBMISSION, str(spec.workdir), type="bind", read_only=True),
                Mount(SANDBOX_LIB, str(lib), type="bind", read_only=True)],
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        init=True,
        ulimits=[Ulimit(name="fsize", soft=rl["fsize"], hard=rl["fsize"]),
                 Ulimit(name="nofile", soft=rl["nofile"], hard=rl["nofile"]),
                 Ulimit(name="core", soft=0, hard=0)],
        log_config=LogConfig(type=LogConfig.types.NONE),  # output must never fill the engine's disk
    )
    if device_request is not None:
        kwargs["device_requests"] = [device_request]
    return kwargs


def _cgroup_dirs(container_id: str, pid: int | None) -> dict[str, Path]:
    """The container's cgroup v1 ``memory`` and ``cpuacct`` folders on this host, where visible."""
    root = Path("/sys/fs/cgroup")
    rel: dict[str, str] = {}
    if pid:
        try:
            for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
                _, ctrls, path = line.split(":", 2)
                for c in ctrls.split(","):
                    rel[c] = path
        except (OSError, ValueError):
            pass
    out = {}
    for ctrl in ("memory", "cpuacct"):
        for cand in ([root / ctrl / rel[ctrl].lstrip("/")] if ctrl in rel else []) + [root / ctrl / "docker" / container_id]:
            if cand.is_dir():
                out[ctrl] = cand
                break
    return out


class DockerWorkerProcess(WorkerProcess):
    """A worker running in a container: exit status, kill and statistics come from the engine.

    Attributes:
        container: the SDK's container object.
        streams: the attached stdio (:class:`.attach.AttachedStreams`).
        state: the container's ``State`` once it has exited on its own (``ExitCode``,
            ``OOMKilled``...), else ``{}``.
    """

    def __init__(self, container, streams: AttachedStreams, output: OutputBuffer, backend: DockerBackend,
                 spec: WorkerSpec, cgroups: dict[str, Path], host_pid: int) -> None:
        # no host process of its own: pid, poll, kill and the usage come from the container
        super().__init__(None, streams.to_worker,  # type: ignore[arg-type]
                         streams.from_worker, output, backend, spec, streams.reader)
        self.container = container
        self.streams = streams
        self.cgroups = cgroups
        self.host_pid = host_pid
        self.state: dict = {}
        self.removal_queued = False

    @property
    def pid(self) -> int:
        return self.host_pid

    def poll(self) -> int | None:
        """The exit status (negative: killed by that signal), or None while it runs.
        Asks the engine only once the attached stream has ended."""
        if self.exit_status is None and self.streams.exited.is_set():
            self._collect(timeout=2.0)
        return self.exit_status

    def _collect(self, timeout: float) -> None:
        import requests
        from docker.errors import DockerException

        try:
            code = self.container.wait(timeout=timeout)["StatusCode"]
            self.container.reload()
            self.state = dict(self.container.attrs.get("State") or {})
        except (requests.exceptions.RequestException, DockerException, KeyError, TypeError):
            return  # still running (wait timed out: a ConnectionError), or gone
        self.exit_status = self.backend.exit_status(int(code))

    def wait(self, timeout: float) -> int | None:
        self.streams.exited.wait(timeout)
        return self.poll()

    def kill(self) -> None:
        """Kill the container (its init takes every process with it). Idempotent."""
        if self.poll() is None:
            self.backend.kill(self)

    def close(self) -> None:
        """Kill, stop the pumps without waiting for the engine to end the stream (the student's
        output was flushed before its last reply), release the pipes, and queue the removal."""
        if self._closed:
            return
        self.kill()
        self.streams.close()
        super().close()

    def read_stats(self) -> None:
        """Record the container's peak memory (bytes) and CPU time (s) from its cgroups,
        while they exist (until the container stops)."""
        seconds, peak = self.read_usage()
        if peak is not None:
            self.sandbox_peak_memory = peak
        if seconds is not None:
            self.sandbox_cpu = seconds


class DockerBackend(Backend):
    """Runs each worker in a Docker container.

    Args:
        image: the grading image (default :func:`default_image`).
        gpus: a ``--gpus`` value (``all``, ``N``, ``device=0,1``) or None for none.
        client: a ``docker.DockerClient`` (default ``docker.from_env()``).

    Raises:
        SandboxError: if the SDK cannot reach an engine, the image is missing, or
            ``gpus`` is not understood; the message says how to fix it.
    """

    name = "docker"
    isolated = True
    start_in_background = True  # the engine takes about 0.2 s to start a container

    def __init__(self, image: str | None = None, gpus: str | None = None, client=None) -> None:
        super().__init__()
        self.image = image or default_image()
        try:
            self.gpus = gpus_mod.parse_gpus(gpus) if gpus else None
            self._gpu_ids = gpus_mod.spread_ids(self.gpus, gpus_mod.list_gpus()) if self.gpus else None
        except ValueError as exc:
            raise SandboxError(str(exc)) from None
        self.client = client or connect()
        if str(getattr(getattr(self.client, "api", None), "base_url", "")).startswith("https"):
            raise SandboxError("the Docker sandbox needs an engine on a unix socket or plain TCP (the workers' "
                               "requests are written straight onto the attached socket), not TLS")
        self.path = check_image(self.client, self.image)
        self.run_id = uuid.uuid4().hex
        self.owner = owner_label()
        self.labels = {LABEL: LABEL_VALUE, "grader.run": self.run_id, "grader.owner": self.owner}
        self._live: dict[str, DockerWorkerProcess] = {}
        self._removals: queue.Queue = queue.Queue()
        self._remover = threading.Thread(target=self._remove_loop, daemon=True, name="docker-remover")
        self._remover.start()
        remove_stale(self.client)

    @classmethod
    def available(cls) -> bool:
        try:
            import docker  # noqa: F401
        except ImportError:
            return False
        return True

    @classmethod
    def sweep(cls) -> int:
        try:
            return remove_stale(connect())
        except SandboxError:
            return 0

    def preflight(self) -> None:
        """With GPUs: start one throwaway container with the GPU request, so that an engine
        without the NVIDIA container toolkit fails the batch at once, not each submission.

        Raises:
            SandboxError: if that container cannot start, with the engine's reason.
        """
        if self.gpus is None:
            return
        from docker.errors import DockerException

        request = gpus_mod.device_request(self.gpus, self._gpu_ids, 0)
        try:
            self.client.containers.run(self.image, entrypoint=["python3"], command=["-c", "pass"],
                                       network_mode="none", device_requests=[request], remove=True,
                                       labels=self.labels)
        except DockerException as exc:
            raise SandboxError(f"the Docker engine cannot give containers GPUs (--gpus {self.gpus}): {exc}. "
                               "Install the NVIDIA container toolkit and configure the engine for it "
                               "(nvidia-ctk runtime configure --runtime=docker), then restart dockerd") from None

    # ------------------------------------------------------------------ workers
    def prepare_workdir(self, spec: WorkerSpec) -> None:
        """Let uid 10001 read the submission's folder (it is mounted read-only)."""
        for p in [spec.workdir, *spec.workdir.rglob("*")]:
            try:
                if os.geteuid() == 0:
                    os.lchown(p, SANDBOX_UID, SANDBOX_UID)
                elif not p.is_symlink():
                    os.chmod(p, 0o755 if p.is_dir() else 0o644)  # the grader's work folder is private
            except OSError:
                pass
        if os.geteuid() == 0:
            os.chmod(spec.workdir, 0o700)

    def command(self, spec: WorkerSpec, fds: tuple[int, int]):
        """The command, environment and working folder inside the container."""
        cfg = self.container_kwargs(spec)
        return [*cfg["entrypoint"], *cfg["command"]], cfg["environment"], Path(cfg["working_dir"])

    def container_kwargs(self, spec: WorkerSpec) -> dict:
        """:func:`container_config` for ``spec`` with this backend's image, labels and GPU."""
        device = None
        if self.gpus is not None:
            device = gpus_mod.device_request(self.gpus, self._gpu_ids, spec.slot // 2)
        labels = {**self.labels, "grader.slot": str(spec.slot)}
        return container_config(spec, image=self.image, lib=self.worker_lib(), labels=labels, path=self.path,
                                device_request=device)

    def start(self, spec: WorkerSpec) -> WorkerProcess:
        """Create, attach and start a worker container.

        Raises:
            OSError: if the engine refuses (the container, if made, is removed).
        """
        import requests
        from docker.errors import DockerException

        self.prepare_workdir(spec)
        container = sock = None
        try:
            container = self.client.containers.create(**self.container_kwargs(spec))
            sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            container.start()
        except (DockerException, requests.exceptions.RequestException) as exc:
            if sock is not None:
                sock.close()
            if container is not None:
                self._removals.put(container.id)
            raise OSError(f"the Docker engine could not start a worker: {exc}") from None
        output = OutputBuffer(spec.limits.output // 2)
        streams = AttachedStreams(sock, output)
        cgroups = _cgroup_dirs(container.id, None)
        pid = 0
        if len(cgroups) < 2:  # not where the cgroupfs driver puts them: ask the engine for its pid
            try:
                container.reload()
                pid = int(container.attrs["State"]["Pid"])
            except (DockerException, requests.exceptions.RequestException, KeyError, TypeError, ValueError):
                pass
            cgroups = _cgroup_dirs(container.id, pid)
        proc = DockerWorkerProcess(container, streams, output, self, spec, cgroups, pid)
        self._live[container.id] = proc
        return proc

    def exit_status(self, code: int) -> int:
        # the init process exits with 128 + N when the worker was killed by signal N
        if 128 < code < 128 + signal.NSIG:
            return -(code - 128)
        return code

    def exit_note(self, proc: WorkerProcess) -> str:
        state = getattr(proc, "state", {})
        if state.get("OOMKilled"):
            return (f"ran out of memory (it was killed for using more than its memory limit of "
                    f"{proc.spec.limits.memory / 2**20:.0f} MiB)")
        return ""

    def reset_usage(self, proc: WorkerProcess) -> None:
        assert isinstance(proc, DockerWorkerProcess)
        cgroups.reset_usage(proc.cgroups)

    def read_usage(self, proc: WorkerProcess) -> tuple[float | None, int | None]:
        assert isinstance(proc, DockerWorkerProcess)
        return cgroups.cpu_time(proc.cgroups), cgroups.peak_memory(proc.cgroups)

    def kill(self, proc: WorkerProcess) -> None:
        assert isinstance(proc, DockerWorkerProcess)
        proc.read_stats()  # the cgroup goes with the container
        proc.exit_status = -signal.SIGKILL
        self._remove_later(proc)  # the engine's kill waits for the exit (~60 ms): off the critical path

    def cleanup(self, proc: WorkerProcess) -> None:
        assert isinstance(proc, DockerWorkerProcess)
        proc.streams.close()
        self._live.pop(proc.container.id, None)
        self._remove_later(proc)

    def _remove_later(self, proc: DockerWorkerProcess) -> None:
        """Kill and remove the container in the background (see :meth:`close`)."""
        if not proc.removal_queued:
            proc.removal_queued = True
            self._removals.put(proc.container.id)

    # ------------------------------------------------------------------ removal
    def _remove_loop(self) -> None:
        api = None
        while True:
            cid = self._removals.get()
            try:
                if cid is None:
                    return
                if api is None:
                    api = connect().api  # its own connection: the SDK's client is not shared across threads
                remove_container(api, cid)
            except SandboxError:
                pass
            finally:
                self._removals.task_done()

    def close(self) -> None:
        """Close every worker, remove every container of this run, and wait until they are gone."""
        for proc in list(self._live.values()):
            proc.close()
        if self._remover.is_alive():
            self._removals.put(None)
            self._remover.join(timeout=60)
        try:
            for c in self.client.containers.list(all=True, filters={"label": f"grader.run={self.run_id}"}):
                remove_container(self.client.api, c.id)
        except Exception:  # noqa: BLE001 - the engine is gone; the next grader's sweep removes them
            pass
        super().close()
