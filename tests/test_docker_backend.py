"""The Docker backend with a real engine and the grading image (``scripts/docker-setup.sh``).

Every test here is marked ``docker``: without an engine or the image it skips,
saying which, unless ``GRADER_REQUIRE_DOCKER=1`` (CI), where it fails. The
request-building code is checked without an engine in ``test_docker_config.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader import grade as grade_mod
from grader.config import Limits
from grader.remote import CallTimeout, RemoteSession, SubmissionProxy, WorkerCrashed
from grader.results import SubmissionStatus
from grader.sandbox import SandboxError, WorkerSpec, make_backend
from grader.sandbox.docker import DockerBackend, connect

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(call_timeout=3, load_timeout=30, total_timeout=60, memory=512 * 2**20, threads=1, restarts=0)


@pytest.fixture
def backend():
    b = make_backend("docker")
    yield b
    b.close()


def _containers(**labels: str) -> list:
    filters = {"label": [f"{k}={v}" for k, v in {"grader": "worker", **labels}.items()]}
    client = connect()
    try:
        return client.containers.list(all=True, filters=filters)
    finally:
        client.close()


def _session(backend, tmp_path: Path, source: str, limits: Limits = LIMITS, slot: int = 0) -> RemoteSession:
    workdir = tmp_path / f"work{slot}"
    workdir.mkdir()
    (workdir / "m.py").write_text(textwrap.dedent(source))
    spec = WorkerSpec(workdir=workdir, limits=limits, slot=slot)
    load = {"op": "load", "kind": "module", "path": "m.py", "name": "m", "cell_timeout": None}
    return RemoteSession(lambda: backend.start(spec), load, limits, what="m.py")


def test_a_worker_round_trip(backend, tmp_path):
    session = _session(backend, tmp_path, """
        import numpy as np
        print("loaded")
        def double(x):
            print("doubling")
            return np.asarray(x) * 2
    """)
    try:
        session.ensure()
        [proc] = [p for p in backend._live.values()]
        assert _containers(**{"grader.run": backend.run_id}), "the worker is not in a labelled container"
        out = SubmissionProxy(session).double(np.arange(4.0))
        np.testing.assert_array_equal(out, [0.0, 2.0, 4.0, 6.0])
    finally:
        session.close()
    assert session.output == "loaded\ndoubling\n"
    assert proc.sandbox_peak_memory and proc.sandbox_peak_memory > 10 * 2**20
    assert proc.sandbox_cpu and proc.sandbox_cpu > 0.01
    assert session.device == "cpu"
    backend.close()
    assert not _containers(**{"grader.run": backend.run_id}), "a container was left behind"


def test_what_the_worker_can_see_and_do(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cret-env")
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-file")
    session = _session(backend, tmp_path, f"""
        import os, socket
        def facts():
            out = {{"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(), "net": sorted(os.listdir("/sys/class/net")),
                    "env": dict(os.environ), "files": sorted(os.listdir("."))}}
            for name, path in (("root", "/x"), ("usr", "/usr/x"), ("submission", "/opt/submission/x"),
                               ("lib", "/opt/grader/x"), ("home", "x"), ("tmp", "/tmp/x")):
                try:
                    open(path, "w").write("x")
                    out[name] = "written"
                except OSError as exc:
                    out[name] = type(exc).__name__
            out["secret"] = os.path.exists({str(secret)!r})
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=2)
                out["internet"] = True
            except OSError:
                out["internet"] = False
            return out
    """)
    try:
        facts = SubmissionProxy(session).facts()
    finally:
        session.close()
    assert (facts["uid"], facts["gid"]) == (10001, 10001)
    assert facts["cwd"] == "/home/student" and facts["files"] == ["m.py"]
    assert facts["net"] == ["lo"] and facts["internet"] is False
    assert (facts["home"], facts["tmp"]) == ("written", "written")
    assert facts["root"] == facts["usr"] == facts["submission"] == facts["lib"] == "OSError"
    assert facts["secret"] is False
    assert "GRADER_TEST_SECRET" not in facts["env"] and "s3cret" not in str(facts["env"])


@pytest.mark.parametrize("body", ["while True: pass", "import time; time.sleep(600)"], ids=["busy", "sleeping"])
def test_a_hang_is_killed_at_the_time_limit_and_its_container_removed(backend, tmp_path, body):
    session = _session(backend, tmp_path, f"""
        def hang():
            {body}
    """)
    try:
        session.ensure()
        started = time.monotonic()
        with pytest.raises(CallTimeout, match="did not finish within 3 s"):
            SubmissionProxy(session).hang()
        assert time.monotonic() - started < LIMITS.call_timeout + 3
    finally:
        session.close()
    backend.close()
    assert not _containers(**{"grader.run": backend.run_id})


def test_a_memory_bomb_is_killed_with_a_clear_note(backend, tmp_path):
    limits = Limits(call_timeout=20, load_timeout=30, total_timeout=60, memory=256 * 2**20, threads=1, restarts=0)
    session = _session(backend, tmp_path, """
        import numpy as np
        def bomb():
            return np.ones(2**30 // 8).sum()  # 1 GiB, touched
    """, limits)
    try:
        with pytest.raises(WorkerCrashed) as info:
            SubmissionProxy(session).bomb()
    finally:
        session.close()
    assert "ran out of memory" in str(info.value) and "256 MiB" in str(info.value)


def test_two_workers_of_one_slot_pair_run_side_by_side(backend, tmp_path):
    """The warm spare: sandbox slots 2k and 2k+1 hold two containers at once."""
    a = _session(backend, tmp_path, "def f():\n    return 'a'\n", slot=0)
    b = _session(backend, tmp_path, "def f():\n    return 'b'\n", slot=1)
    try:
        assert (SubmissionProxy(a).f(), SubmissionProxy(b).f()) == ("a", "b")
        assert len(_containers(**{"grader.run": backend.run_id})) == 2
    finally:
        a.close()
        b.close()


def test_containers_of_a_grader_that_died_are_swept(tmp_path):
    """A grading process killed before its clean-up leaves its container; the next
    grader (or the end of the batch) removes it."""
    (tmp_path / "w").mkdir()
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from grader.sandbox import make_backend, WorkerSpec
        from grader.config import Limits
        backend = make_backend("docker")
        proc = backend.start(WorkerSpec(Path({str(tmp_path / "w")!r}), Limits(threads=1)))
        print(backend.worker_lib(), proc.container.id, flush=True)
        os._exit(0)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lib, left = proc.stdout.split()[-2:]
    shutil.rmtree(lib, ignore_errors=True)  # the dead grader's copy of the worker library
    assert left in {c.id for c in _containers()}
    DockerBackend.sweep()
    assert left not in {c.id for c in _containers()}


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine may have the NVIDIA toolkit")
def test_gpus_without_the_nvidia_toolkit_stop_before_grading():
    backend = make_backend("docker", gpus="all")
    try:
        with pytest.raises(SandboxError, match="cannot give containers GPUs.*NVIDIA container toolkit"):
            backend.preflight()
    finally:
        backend.close()
    assert not _containers(**{"grader.run": backend.run_id}), "the probe container was left behind"


# --------------------------------------------------------------------------- a batch through grader grade


def _course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for part in ("assignments/hw1", "reference/hw1", "submissions/hw1"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.slow
@pytest.mark.sandbox
def test_docker_and_bwrap_give_the_same_scores_and_leave_nothing(tmp_path):
    """``grader grade hw1 --sandbox docker`` and ``--sandbox bwrap`` on the shipped submissions."""
    course = _course(tmp_path)
    before = {c.id for c in _containers()}
    docker = grade_mod.main("hw1", course=course, db=tmp_path / "docker.db", jobs=2, backend="docker")
    left = [c.id[:12] for c in _containers() if c.id not in before]
    bwrap = grade_mod.main("hw1", course=course, db=tmp_path / "bwrap.db", jobs=2, backend="bwrap")
    assert not left, f"containers left after the batch: {left}"
    by_docker = {r.student: r for r in docker.all}
    by_bwrap = {r.student: r for r in bwrap.all}
    assert set(by_docker) == set(by_bwrap) and len(by_docker) >= 15
    differ = {s: (by_bwrap[s].score, by_docker[s].score, by_docker[s].message[:200])
              for s in by_bwrap if (by_bwrap[s].score, by_bwrap[s].status) != (by_docker[s].score, by_docker[s].status)}
    assert not differ, f"(bwrap, docker, docker's message) per student: {differ}"
    assert all(r.backend == "docker" and r.device == "cpu" for r in docker.all
               if r.status is not SubmissionStatus.INVALID)
    assert not [r for r in docker.all if r.status is SubmissionStatus.INTERNAL_ERROR]
