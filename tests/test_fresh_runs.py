"""Fresh runs (grader.testing.fresh_run): every run starts from a newly loaded
submission that shares nothing with earlier runs, on both sandbox backends and
with and without the forking zygote (``fork``).

Each student module below tries to carry something from one run to the next;
the second run must not see it. Real workers, nothing mocked.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.config import Limits
from grader.remote import RemoteSession, SubmissionProxy, WorkerCrashed
from grader.sandbox import make_backend
from grader.sandbox.base import WorkerSpec
from grader.testing import fresh_run

SLOT = 44
LIMITS = Limits(call_timeout=5.0, load_timeout=20.0, total_timeout=120.0, restarts=1, memory=2 * 2**30)

MEMORY = '''
import glob, mmap, os, signal, subprocess, sys, time

COUNTER = {"n": 0}


def bump():
    COUNTER["n"] += 1
    return COUNTER["n"]


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    return True


def read_file(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def listing():
    out = []
    for folder in (".", "/tmp", "/dev/shm"):
        try:
            out += [f"{folder}/{n}" for n in sorted(os.listdir(folder))]
        except OSError:
            pass
    return out


def start_daemon():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork():
            os._exit(0)
        with open("/tmp/daemon.tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename("/tmp/daemon.tmp", "/tmp/daemon.pid")  # never seen half-written
        while True:
            time.sleep(0.05)
    os.waitpid(pid, 0)
    for _ in range(100):
        if os.path.exists("/tmp/daemon.pid"):
            return int(open("/tmp/daemon.pid").read())
        time.sleep(0.02)
    return -1


def processes():
    """Processes of my uid in my PID namespace, other than me and my parent."""
    me, parent = os.getpid(), os.getppid()
    uid = os.getuid()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (me, parent, 1):
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def sysv_shm_write(data):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.restype = ctypes.c_int
    libc.shmat.restype = ctypes.c_void_p
    shmid = libc.shmget(0x5eed, 4096, 0o1666)
    if shmid < 0:
        return -1
    addr = libc.shmat(shmid, None, 0)
    ctypes.memmove(addr, data, len(data))
    return shmid


def sysv_shm_read():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.restype = ctypes.c_int
    libc.shmat.restype = ctypes.c_void_p
    shmid = libc.shmget(0x5eed, 4096, 0o666)
    if shmid < 0:
        return None
    addr = libc.shmat(shmid, None, 0)
    return ctypes.string_at(addr, 5)


class Box:
    value = 7


def make_box():
    return Box()


def zygote_memory():
    """Try to read the zygote's memory (it is undumpable: this must fail)."""
    try:
        with open(f"/proc/{os.getppid()}/mem", "rb") as f:
            return "read"
    except OSError as exc:
        return type(exc).__name__
'''


class Runs:
    """RemoteSessions over one backend, closed at the end."""

    def __init__(self, backend_name: str, root: Path) -> None:
        self.backend = make_backend(backend_name)
        self.root = root
        self.sessions: list[RemoteSession] = []

    def proxy(self, *, fork: bool, source: str = MEMORY) -> SubmissionProxy:
        workdir = self.root / f"w{len(self.sessions)}"
        workdir.mkdir()
        (workdir / "student.py").write_text(textwrap.dedent(source))
        spec = WorkerSpec(workdir=workdir, limits=LIMITS, slot=SLOT)
        load = {"op": "load", "kind": "module", "path": "student.py", "name": "student", "cell_timeout": None}
        session = RemoteSession(lambda: self.backend.start(spec), load, LIMITS, what="student.py", fork=fork,
                                isolated=self.backend.isolated)
        self.sessions.append(session)
        session.ensure()
        return SubmissionProxy(session)

    def close(self) -> None:
        for s in self.sessions:
            s.close()
        self.backend.close()


@pytest.fixture(params=[True, False], ids=["fork", "restart"])
def fork(request):
    return request.param


@pytest.fixture(params=["subprocess", pytest.param("bwrap", marks=pytest.mark.sandbox),
                        pytest.param("docker", marks=[pytest.mark.docker, pytest.mark.slow])])
def backend_name(request) -> str:
    """The three backends; the sandboxes (bwrap, docker) promise more than the subprocess."""
    if request.param == "bwrap":
        request.getfixturevalue("bwrap_required")
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    return request.param


@pytest.fixture
def runs(backend_name, tmp_path):
    r = Runs(backend_name, tmp_path)
    yield r
    r.close()


def test_module_state_does_not_survive_a_run(runs, fork):
    sub = runs.proxy(fork=fork)
    assert sub.bump() == 1 and sub.bump() == 2  # the same run keeps its state
    for _ in range(3):
        with fresh_run(sub):
            assert sub.bump() == 1
            assert sub.bump() == 2
    assert sub.bump() == 1  # after the runs: a fresh copy again, not the one from before them


def test_objects_of_an_ended_run_cannot_be_used(runs, fork):
    sub = runs.proxy(fork=fork)
    with fresh_run(sub):
        box = sub.make_box()
        assert box.value == 7
    with pytest.raises(WorkerCrashed, match="run that is gone"):
        box.value
    assert sub.bump() == 1  # top-level names are looked up again in the new copy


@pytest.mark.parametrize("folder", [".", "/tmp", "/dev/shm"])
def test_files_do_not_survive_a_run(runs, fork, folder, backend_name):
    if backend_name == "subprocess" and folder != ".":
        pytest.skip("the unisolated backend shares the host's /tmp: not promised")
    if backend_name == "subprocess" and not fork:
        pytest.skip("the unisolated backend without fork starts each worker in the same folder: not promised")
    sub = runs.proxy(fork=fork)
    path = f"{folder}/memory-{fork}.txt"
    with fresh_run(sub):
        assert sub.write_file(path, "fold 0 labels")
        assert sub.read_file(path) == "fold 0 labels"
    with fresh_run(sub):
        assert sub.read_file(path) is None
        assert sub.read_file("student.py") is not None  # the submission's own files are back


def test_daemons_do_not_survive_a_run(runs, fork, backend_name):
    if backend_name == "subprocess":
        pytest.skip("only a sandbox with its own PID namespace promises this")
    sub = runs.proxy(fork=fork)
    with fresh_run(sub):
        pid = sub.start_daemon()
        assert pid > 0 and pid in sub.processes()
    with fresh_run(sub):
        assert sub.processes() == []
        assert sub.read_file("/tmp/daemon.pid") is None


def test_sysv_shared_memory_does_not_survive_a_run(runs, fork, backend_name):
    if backend_name == "subprocess":
        pytest.skip("only a sandbox with its own IPC namespace promises this")
    sub = runs.proxy(fork=fork)
    with fresh_run(sub):
        assert sub.sysv_shm_write(b"fold0") >= 0
        assert sub.sysv_shm_read() == b"fold0"
    with fresh_run(sub):
        assert sub.sysv_shm_read() is None


def test_the_zygote_memory_cannot_be_read(runs, backend_name):
    if backend_name == "subprocess":
        pytest.skip("the unisolated backend runs as the user, who may read their own processes")
    sub = runs.proxy(fork=True)
    with fresh_run(sub):
        assert sub.zygote_memory() in ("PermissionError", "FileNotFoundError")


def test_a_crash_in_a_run_is_a_crash_and_the_next_run_works(runs, fork):
    source = MEMORY + "\n\ndef die():\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    sub = runs.proxy(fork=fork, source=source)
    with fresh_run(sub):
        with pytest.raises(WorkerCrashed, match="SIGSEGV"):
            sub.die()
    with fresh_run(sub):
        assert sub.bump() == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_the_zygote_leaves_what_the_sandbox_made_and_removes_the_rest(tmp_path):
    """bwrap makes the parents of a bind mount inside /tmp (root's, e.g. /tmp/ci for a virtual
    environment under /tmp): they are not a run's leftovers and cannot be removed."""
    from grader.worker import hygiene

    (tmp_path / "sandbox-made").mkdir()
    os.chown(tmp_path / "sandbox-made", 12345, 12345)
    keep = hygiene.not_ours(str(tmp_path))
    assert keep == {"sandbox-made"}
    (tmp_path / "left-by-a-run").write_text("fold 0 labels")
    deep = tmp_path / "deep"
    for i in range(50):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "f").write_text("x")
    os.chmod(tmp_path / "locked", 0)
    assert hygiene.empty_folder(str(tmp_path), keep) is True
    assert sorted(os.listdir(tmp_path)) == ["sandbox-made"]
