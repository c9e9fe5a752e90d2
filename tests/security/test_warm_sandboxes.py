"""Warm sandboxes: one zygote per grading slot forks a child per submission, on both
sandbox backends (bubblewrap and Docker). Nothing of one student's child may reach the
next student's: not a file, a process, an IPC object, a key, a limit, a descriptor's
state, a shared page, nor a line of output.

The hostile student (``POISON``) tries each of those, and more, against its sandbox
and its zygote; the next student (``PROBE``) then describes everything it can see.
That description must equal the one the same probe gives in a brand-new sandbox.
Where the zygote cannot undo what a child did (a lowered hard limit), it must say so,
and the next student must get a new sandbox instead. Real workers, nothing mocked.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.config import Limits
from grader.harness.workers import empty_folder
from grader.remote import RemoteSession, SubmissionProxy, WorkerCrashed
from grader.sandbox import make_backend
from grader.sandbox.base import WorkerSpec

SLOT = 46
LIMITS = Limits(call_timeout=10.0, load_timeout=20.0, total_timeout=60.0, restarts=0, memory=2 * 2**30)
CPU_BUDGET = 30.0

POISON = r'''
import ctypes, fcntl, mmap, os, resource, signal, subprocess, sys, time

print("POISON-OUTPUT: the first student's line")
sys.stdout.flush()


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.restype = ctypes.c_int
    libc.shmat.restype = ctypes.c_void_p
    libc.syscall.restype = ctypes.c_long
    return libc


def leave_files():
    for folder in (".", "/tmp", "/dev/shm"):
        with open(f"{folder}/left-behind.txt", "w") as f:
            f.write("answers of the first student")
    os.makedirs("/tmp/nested/deeper", exist_ok=True)
    with open("sitecustomize.py", "w") as f:  # picked up if a later Python started here
        f.write("raise SystemExit('poisoned')\n")
    os.chmod("/tmp/nested", 0)
    return sorted(os.listdir("."))


def leave_daemon():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork():
            os._exit(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with open("/tmp/daemon.tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename("/tmp/daemon.tmp", "/tmp/daemon.pid")
        while True:
            time.sleep(0.05)
    os.waitpid(pid, 0)
    for _ in range(200):
        if os.path.exists("/tmp/daemon.pid"):
            return int(open("/tmp/daemon.pid").read())
        time.sleep(0.01)
    return -1


def leave_ipc():
    libc = _libc()
    shmid = libc.shmget(0x5eed, 4096, 0o1666)
    if shmid >= 0:
        addr = libc.shmat(shmid, None, 0)
        ctypes.memmove(addr, b"first", 5)
    # a key in the session keyring (add_key), where the platform has the syscall
    nr = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine)
    key = libc.syscall(nr, b"user", b"grader-poison", b"secret", 6, -3) if nr else -1
    return shmid, key


def poison_descriptors():
    """The zygote's stdio and reply pipe are shared with this child: make its writes fail or stall."""
    done = []
    for fd in sorted(int(e) for e in os.listdir("/proc/self/fd")):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:") or fd == 0:
                continue
        except OSError:
            continue
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK | os.O_APPEND)
        done.append(fd)
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 4096)
        except OSError:
            pass
    return done


def poison_parent():
    """Lower the zygote's soft limits, try its memory, and look for writable shared pages."""
    parent = os.getppid()
    lowered = []
    for which in (resource.RLIMIT_NOFILE, resource.RLIMIT_FSIZE, resource.RLIMIT_STACK):
        soft, hard = resource.prlimit(parent, which)
        try:
            resource.prlimit(parent, which, (min(soft if soft >= 0 else 1 << 30, 16), hard))
            lowered.append(which)
        except OSError:
            pass
    try:
        with open(f"/proc/{parent}/mem", "r+b") as f:
            f.write(b"x")
        memory = "written"
    except OSError as exc:
        memory = type(exc).__name__
    shared = []
    with open("/proc/self/maps") as f:
        for line in f:
            perms = line.split()[1]
            if perms.endswith("s"):
                shared.append(line.strip())
    return lowered, memory, shared


def poison_environment():
    os.environ["GRADER_POISON"] = "1"
    os.umask(0o000)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    return True


def lower_a_hard_limit():
    parent = os.getppid()
    soft, hard = resource.prlimit(parent, resource.RLIMIT_NOFILE)
    resource.prlimit(parent, resource.RLIMIT_NOFILE, (min(soft, 64), 64))
    return resource.prlimit(parent, resource.RLIMIT_NOFILE)


def shout(n):
    sys.stdout.write("POISON-OUTPUT " * n + "\n")
    sys.stdout.flush()
    return n
'''

PROBE = r'''
import fcntl, os, resource, stat, sys

print("PROBE-OUTPUT: the second student's line")


def _tree(folder):
    out = []
    for root, dirs, files in os.walk(folder, onerror=lambda e: out.append(f"unreadable {e.filename}")):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                out.append(f"{path} {oct(os.lstat(path).st_mode)}")
            except OSError:
                out.append(f"{path} ?")
    return sorted(out)


def describe():
    """Everything a submission can see of what came before it (no pids, no times)."""
    me, parent = os.getpid(), os.getppid()
    uid = os.getuid()
    others = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (me, parent, 1):
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    others.append(open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace"))
            except OSError:
                pass
    fds = {}
    for fd in sorted(int(e) for e in os.listdir("/proc/self/fd")):
        try:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        size = None
        try:
            size = fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except OSError:
            pass
        fds[str(fd)] = [flags, size, os.readlink(f"/proc/self/fd/{fd}").split(":")[0]]
    limits = {}
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            limits[name] = list(resource.getrlimit(getattr(resource, name)))
            limits["parent " + name] = list(resource.prlimit(parent, getattr(resource, name)))
    sysv = {}
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                sysv[kind] = len(f.readlines()) - 1
        except OSError:
            sysv[kind] = None
    try:
        with open("/proc/keys") as f:
            keys = sorted(line.split()[-1] for line in f if "grader-poison" in line)
    except OSError:
        keys = None
    umask = os.umask(0o022)
    os.umask(umask)
    return {
        "files": {folder: _tree(folder) for folder in (".", "/tmp", "/dev/shm")},
        "processes": sorted(others),
        "descriptors": fds,
        "limits": limits,
        "sysv": sysv,
        "keys": keys,
        "environment": sorted(os.environ),
        "umask": umask,
        "cwd": os.getcwd(),
        "uid": [os.getuid(), os.getgid()],
        "modules": sorted(m for m in sys.modules if "poison" in m.lower()),
        "parent memory": _parent_memory(parent),
    }


def _parent_memory(parent):
    try:
        with open(f"/proc/{parent}/mem", "rb"):
            return "opened"
    except OSError as exc:
        return type(exc).__name__
'''


class Slot:
    """One grading slot's folder and warm sandbox, as :class:`grader.harness.workers.WorkerSupply` keeps
    them, driven by hand so that each step can be checked."""

    def __init__(self, backend_name: str, root: Path) -> None:
        self.backend = make_backend(backend_name)
        self.workdir = root / "slot"
        self.workdir.mkdir()
        self.spec = WorkerSpec(workdir=self.workdir, limits=LIMITS, slot=SLOT)
        self.warm = None
        self.sessions: list[RemoteSession] = []

    def grade(self, source: str) -> tuple[RemoteSession, SubmissionProxy]:
        """Place ``source`` as the submission and start it: in the warm sandbox if one is kept."""
        assert empty_folder(self.workdir)
        (self.workdir / "student.py").write_text(textwrap.dedent(source))
        self.backend.prepare_workdir(self.spec)
        load = {"op": "load", "kind": "module", "path": "student.py", "name": "student", "cell_timeout": None}
        warm, self.warm = self.warm, None
        session = RemoteSession(lambda: self.backend.start(self.spec), load, LIMITS, what="student.py",
                                fork=True, isolated=True, warm=warm)
        self.sessions.append(session)
        session.ensure()
        return session, SubmissionProxy(session)

    def finish(self, session: RemoteSession) -> bool:
        """End the submission; True if its sandbox came back warm."""
        self.warm = session.detach(cpu_budget=CPU_BUDGET)
        return self.warm is not None

    def close(self) -> None:
        for s in self.sessions:
            s.close()
        if self.warm is not None:
            self.warm.close()
        self.backend.close()


@pytest.fixture(params=[pytest.param("bwrap", marks=pytest.mark.sandbox),
                        pytest.param("docker", marks=pytest.mark.docker)])
def slot(request, tmp_path):
    if request.param == "bwrap":
        request.getfixturevalue("bwrap_required")
    else:
        request.getfixturevalue("docker_required")
    s = Slot(request.param, tmp_path)
    yield s
    s.close()


def _baseline(slot: Slot) -> dict:
    """What the probe sees in a brand-new sandbox (then handed back warm, untouched by any poison)."""
    session, probe = slot.grade(PROBE)
    seen = probe.describe()
    assert slot.finish(session), "a clean submission's sandbox did not come back warm"
    return seen


def test_nothing_of_a_hostile_submission_reaches_the_next(slot):
    cold = _baseline(slot)
    session, poison = slot.grade(POISON)
    # every attack took effect in its own run, so that its absence later means something
    assert "left-behind.txt" in poison.leave_files()
    assert poison.leave_daemon() > 0
    lowered, memory, shared = poison.poison_parent()  # (before leave_ipc maps a segment of its own)
    assert lowered, "the hostile child could not even lower its zygote's soft limits"
    assert memory in ("PermissionError", "FileNotFoundError"), f"the zygote's memory was {memory}"
    assert not any("w" in line.split()[1] for line in shared), f"writable shared pages: {shared}"
    shmid, _key = poison.leave_ipc()
    assert shmid >= 0
    assert {1, 2} <= set(poison.poison_descriptors())
    assert poison.poison_environment() is True
    assert slot.finish(session), "the zygote could not clean up after the hostile submission"
    assert "POISON-OUTPUT" in session.output

    session, probe = slot.grade(PROBE)
    warm = probe.describe()
    assert slot.finish(session)
    assert warm == cold, {k: (cold[k], warm[k]) for k in cold if cold[k] != warm[k]}
    assert "PROBE-OUTPUT" in session.output and "POISON-OUTPUT" not in session.output
    assert slot.sessions[-1].events == []


def test_a_zygote_that_cannot_undo_a_run_is_not_reused(slot):
    """A lowered *hard* limit cannot be raised again without privilege: the zygote must refuse to
    vouch for a fresh state, and the next student gets a new sandbox with the default limit."""
    cold = _baseline(slot)
    session, poison = slot.grade(POISON)
    assert poison.lower_a_hard_limit()[1] == 64
    assert not slot.finish(session)
    assert session.events == []  # its tests were over: giving up the sandbox is not the submission's failure
    session, probe = slot.grade(PROBE)
    assert probe.describe()["limits"] == cold["limits"]
    assert slot.finish(session)


def test_each_submission_gets_only_its_own_output(slot):
    _baseline(slot)
    session, poison = slot.grade(POISON)
    assert poison.shout(20000) == 20000  # more than the output cap: the middle is dropped
    assert slot.finish(session)
    first = session.output
    assert "POISON-OUTPUT" in first and "bytes of output dropped" in first
    assert len(first) <= LIMITS.output + 200
    session, probe = slot.grade(PROBE)
    probe.describe()
    assert slot.finish(session)
    assert "POISON" not in session.output and "PROBE-OUTPUT" in session.output


def test_a_crashed_or_timed_out_submission_gives_no_sandbox_back(slot):
    _baseline(slot)
    session, poison = slot.grade(POISON + "\ndef die():\n    os.kill(os.getppid(), signal.SIGKILL)\n")
    try:  # its reply goes straight to the trusted side: it may arrive before the sandbox falls
        poison.die()
    except WorkerCrashed:
        pass
    assert not slot.finish(session)
    session, probe = slot.grade(PROBE)
    assert probe.describe()["processes"] == []
    assert slot.finish(session)
