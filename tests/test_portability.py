"""``grader check`` on a platform without Linux's process tools (a student's Mac or Windows laptop).

No Mac or Windows machine is at hand, so these tests run ``grader check`` on Linux
with the POSIX pieces that Windows lacks taken away. The trusted process and the
student's worker both run under the simulation, in subprocesses, so this test
process is untouched.

How the simulation is applied: a throw-away virtual environment (``python -m venv
--without-pip``) whose ``site-packages`` holds a ``sitecustomize.py`` (:data:`PRELUDE`)
and a ``.pth`` file that adds this project and the packages of the interpreter that
runs the tests. ``site`` imports ``sitecustomize`` at every start of that interpreter,
*including* the worker's, which the plain backend starts as ``sys.executable -I -c
...``: ``-I`` ignores ``PYTHONPATH`` and the user's site folder, so a ``sitecustomize``
on ``PYTHONPATH`` would reach only the trusted process, while an environment's own
``site-packages`` is read even under ``-I``. The worker is thus started with exactly
the command line a student's laptop gets.

What the prelude takes away, before anything else is imported:

* the modules ``resource``, ``fcntl``, ``termios``, ``tty``, ``pty``, ``grp``, ``pwd``
  and ``_posixshmem`` (an import raises ``ImportError``);
* ``os.fork``, ``forkpty``, ``register_at_fork``, ``killpg``, ``setsid``, ``getsid``,
  ``setpgid``, ``getpgid``, ``wait3``, ``wait4``, ``readv``, ``writev`` and ``WNOHANG``
  (not ``getuid``: libraries that choose their POSIX code by ``sys.platform``, such as
  platformdirs, call it unguarded, and Windows never runs that code);
* ``signal.SIGKILL``, ``SIGALRM`` and the other signals Windows has not, ``alarm``,
  ``setitimer``, ``getitimer``, ``pause``, ``pthread_kill``, ``pthread_sigmask``,
  ``siginterrupt`` and ``sigwait``;
* ``/proc`` (``open`` of a path under it raises ``FileNotFoundError``).

It also gives three things Windows' behaviour: ``subprocess.Popen`` refuses
``pass_fds`` (Windows' ``Popen`` asserts it is empty), ``select.select`` refuses
anything but a socket (WinError 10038), and ``Popen.kill`` kills the one process
(``TerminateProcess``), because the POSIX ``Popen.kill`` needs ``signal.SIGKILL``.
Finally it sets :data:`grader.sandbox.base.POSIX_PIPES` to False as that module is
imported: that switch is ``os.name == "posix"``, and ``os.name`` itself cannot be
faked (the standard library picks its Windows implementations by it), so the
simulation sets what ``os.name`` feeds. With it, the worker talks over its stdin
and stdout, as it does on Windows.

:func:`test_the_simulation_takes_the_pieces_away` is the control: under the
prelude those imports fail and those names are gone, in the trusted process and
in the worker, whose view the student's code reports. The other tests compare
each ``grader check`` under the simulation with the same check run natively (the
plain backend, on this Linux): the same tests pass, with the same points.

What this does not cover: Windows and macOS themselves. Their pipes, paths,
``TerminateProcess`` and consoles, Windows' ``_thread.interrupt_main`` waking a
sleeping worker, and whether numpy, pytest and rich work there are not tested.
macOS has ``fork``, ``resource`` and ``select`` on pipes, so it takes the POSIX
path that the rest of the suite tests on Linux, less ``/proc``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import site
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.config import Limits
from grader.remote import CallTimeout, RemoteSession, SubmissionProxy, WorkerCrashed, _ThreadedPipes
from grader.sandbox import base as sandbox_base
from grader.sandbox import make_backend
from grader.sandbox.base import WorkerSpec

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 180

PRELUDE = r'''
"""Simulates a platform without Linux's process tools: see tests/test_portability.py."""
import builtins, errno, importlib.abc, importlib.machinery, io, os, select, selectors, signal, socket, stat
import subprocess, sys

BLOCKED = {"resource", "fcntl", "termios", "tty", "pty", "grp", "pwd", "_posixshmem"}


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED:
            raise ImportError(f"No module named {name!r} (simulated: not on this platform)", name=name)
        if name == "grader.sandbox.base":
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None:
                run = spec.loader.exec_module

                def exec_module(module):
                    run(module)
                    module.POSIX_PIPES = False  # what os.name != "posix" sets

                spec.loader.exec_module = exec_module
            return spec
        return None


for name in BLOCKED:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, _Blocker())

for name in ("fork", "forkpty", "register_at_fork", "killpg", "setsid", "getsid", "setpgid", "getpgid",
             "wait3", "wait4", "readv", "writev", "WNOHANG"):
    if hasattr(os, name):
        delattr(os, name)

_SIGKILL = signal.SIGKILL
for name in ("SIGKILL", "SIGALRM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGPIPE", "SIGXCPU",
             "SIGXFSZ", "SIGBUS", "SIGSTOP", "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGVTALRM", "SIGPROF",
             "SIGWINCH", "SIGIO", "SIGURG", "SIGSYS", "SIGTRAP", "alarm", "setitimer", "getitimer",
             "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF", "pause", "pthread_kill", "pthread_sigmask",
             "siginterrupt", "sigwait"):
    if hasattr(signal, name):
        delattr(signal, name)

_popen_init = subprocess.Popen.__init__


def _popen(self, *args, pass_fds=(), **kwargs):
    assert not pass_fds, "pass_fds not supported on Windows."
    _popen_init(self, *args, **kwargs)


def _kill(self):  # Windows: TerminateProcess of this one process
    if self.returncode is None:
        os.kill(self.pid, _SIGKILL)


subprocess.Popen.__init__ = _popen
subprocess.Popen.kill = _kill

_select = select.select


def _sockets_only(rlist, wlist, xlist, *timeout):
    for obj in (*rlist, *wlist, *xlist):
        fd = obj if isinstance(obj, int) else obj.fileno()
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise OSError(errno.ENOTSOCK, "select() takes sockets only (simulated WinError 10038)")
    return _select(rlist, wlist, xlist, *timeout)


select.select = _sockets_only

_open = builtins.open


def _no_proc(file, *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and os.fsdecode(file).startswith("/proc"):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory (simulated: no /proc)", file)
    return _open(file, *args, **kwargs)


builtins.open = io.open = _no_proc
'''

PROBE = '''

import os as _os, signal as _signal


def _probe(name):
    try:
        __import__(name)
    except ImportError:
        return "missing"
    return "present"


print("PLATFORM", sorted({
    "resource": _probe("resource"), "fcntl": _probe("fcntl"), "pwd": _probe("pwd"),
    "fork": "present" if hasattr(_os, "fork") else "missing",
    "killpg": "present" if hasattr(_os, "killpg") else "missing",
    "SIGKILL": "present" if hasattr(_signal, "SIGKILL") else "missing",
    "setitimer": "present" if hasattr(_signal, "setitimer") else "missing",
}.items()))
'''


@pytest.fixture(scope="module")
def simulated_python(tmp_path_factory) -> Path:
    """An interpreter (a throw-away virtual environment) that starts under :data:`PRELUDE`."""
    env_dir = tmp_path_factory.mktemp("no-posix") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    out = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                         capture_output=True, text=True, check=True, timeout=60)
    packages = Path(out.stdout.strip())
    paths = [str(ROOT), *site.getsitepackages()]
    (packages / "grader-tests-paths.pth").write_text("\n".join(paths) + "\n")
    (packages / "sitecustomize.py").write_text(PRELUDE)
    return python


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """hw2's public part with short time limits, so that a hanging submission ends quickly."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "assignments" / "hw2", root / "assignments" / "hw2")
    toml = root / "assignments" / "hw2" / "assignment.toml"
    text = toml.read_text()
    for key, value in (("load_timeout", 30), ("cell_timeout", 2), ("call_timeout", 2), ("total_timeout", 120)):
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert n == 1, key
    toml.write_text(text)
    return root


def _check(python: Path | str, course: Path, submission: Path, *sandbox: str) -> dict:
    """``grader check hw2 SUBMISSION --json`` with ``python``; its result."""
    proc = subprocess.run([str(python), "-m", "grader.cli", "check", "hw2", str(submission), "--course", str(course),
                           "--json", *sandbox],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=submission.parent)
    assert proc.returncode in (0, 1), f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def _outcomes(result: dict) -> list[tuple[str, str, float]]:
    return [(t["name"], t["status"], t["score"]) for t in result["tests"]]


def _both(simulated_python: Path, course: Path, submission: Path) -> tuple[dict, dict]:
    """The check under the simulation (``auto`` sandbox) and natively (the plain backend)."""
    simulated = _check(simulated_python, course, submission)
    native = _check(sys.executable, course, submission, "--sandbox", "subprocess")
    assert simulated["backend"] == native["backend"] == "subprocess"
    return simulated, native


def _reference() -> str:
    return (ROOT / "reference" / "hw2" / "hw2.py").read_text()


def test_the_simulation_takes_the_pieces_away(simulated_python, tmp_path):
    code = textwrap.dedent("""
        import os, signal, subprocess, select, sys
        problems = []
        for name in ("resource", "fcntl", "pwd"):
            try:
                __import__(name)
                problems.append(name + " imports")
            except ImportError:
                pass
        problems += [n for n in ("fork", "killpg", "setsid", "wait4", "readv") if hasattr(os, n)]
        problems += [n for n in ("SIGKILL", "SIGALRM", "setitimer") if hasattr(signal, n)]
        try:
            subprocess.Popen([sys.executable, "-c", "pass"], pass_fds=(0,))
            problems.append("pass_fds accepted")
        except AssertionError:
            pass
        r, w = os.pipe()
        try:
            select.select([r], [], [], 0)
            problems.append("select on a pipe")
        except OSError:
            pass
        try:
            open("/proc/self/status")
            problems.append("/proc readable")
        except FileNotFoundError:
            pass
        import grader.sandbox.base as base
        if base.POSIX_PIPES:
            problems.append("POSIX_PIPES")
        print(problems)
    """)
    simulated = subprocess.run([str(simulated_python), "-c", code], capture_output=True, text=True, timeout=60)
    assert simulated.returncode == 0, simulated.stderr
    assert simulated.stdout.strip() == "[]"
    native = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert native.returncode == 0, native.stderr
    assert "resource imports" in native.stdout and "SIGKILL" in native.stdout  # the control's control

    # the worker runs under it too: the student's code reports what it sees
    submission = tmp_path / "hw2.py"
    submission.write_text(_reference() + PROBE)
    result = _check(simulated_python, ROOT, submission)
    assert result["backend"] == "subprocess"  # auto: bubblewrap's module needs fcntl
    seen = re.search(r"PLATFORM (\[.*\])", result["output"])
    assert seen, result["output"]
    assert all(state == "missing" for _, state in ast.literal_eval(seen.group(1))), seen.group(1)


def test_the_reference_gets_every_public_point(simulated_python, tmp_path):
    submission = tmp_path / "hw2.py"
    submission.write_text(_reference())
    simulated = _check(simulated_python, ROOT, submission)
    assert simulated["backend"] == "subprocess"
    assert simulated["status"] == "graded", simulated["message"]
    assert (simulated["score"], simulated["max_score"]) == (20, 20)
    assert all(t["status"] == "passed" for t in simulated["tests"]) and len(simulated["tests"]) == 14
    assert simulated["cpu_time_s"] > 0  # from the worker's own statistics: there is no wait4 or resource


def test_the_text_report_is_the_usual_one(simulated_python, tmp_path):
    submission = tmp_path / "hw2.py"
    submission.write_text(_reference())
    proc = subprocess.run([str(simulated_python), "-m", "grader.cli", "check", "hw2", "--course", str(ROOT)],
                          capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, cwd=tmp_path, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "PASS test_q1_softmax.py::test_slide_example" in proc.stdout
    assert "Total: 20 / 20 public points (14 of 14 tests passed" in proc.stdout


def test_the_template_scores_as_natively(simulated_python, course, tmp_path):
    submission = tmp_path / "hw2.ipynb"
    shutil.copy(ROOT / "assignments" / "hw2" / "hw2.ipynb", submission)
    simulated, native = _both(simulated_python, course, submission)
    assert simulated["score"] == native["score"] == 0
    assert _outcomes(simulated) == _outcomes(native)


@pytest.mark.slow
def test_a_function_that_never_returns_times_out(simulated_python, course, tmp_path):
    """The call's deadline is kept by the trusted side, which kills the worker (no killpg, no
    SIGKILL: ``Popen.kill``) and starts another for the next test."""
    source = _reference().replace("def softmax(z: Any) -> np.ndarray:\n",
                                   "def softmax(z: Any) -> np.ndarray:\n    while True:\n        pass\n", 1)
    assert "while True" in source
    submission = tmp_path / "hw2.py"
    submission.write_text(source)
    simulated, native = _both(simulated_python, course, submission)
    assert _outcomes(simulated) == _outcomes(native)
    statuses = {t["name"].split("::")[1]: t["status"] for t in simulated["tests"]}
    assert statuses["test_slide_example"] == "timeout"
    assert statuses["test_mse_example"] == "passed"  # the other functions ran in a fresh worker
    assert 0 < simulated["score"] < 20


@pytest.mark.slow
def test_a_notebook_cell_that_never_ends_is_timed_out(simulated_python, course, tmp_path):
    """No ``SIGALRM``: the worker's cell limit comes from a timer thread (``_thread.interrupt_main``);
    the cells after the endless one still run."""
    nb = nbformat.read(ROOT / "assignments" / "hw2" / "hw2.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell("while True:\n    pass"), nbformat.v4.new_code_cell(_reference())]
    submission = tmp_path / "hw2.ipynb"
    nbformat.write(nb, submission)
    simulated, native = _both(simulated_python, course, submission)
    assert _outcomes(simulated) == _outcomes(native)
    assert simulated["score"] == 20
    assert "ran longer than 2 s" in simulated["message"], simulated["message"]
    assert simulated["message"] == native["message"]


# --------------------------------------------------------------------------- the stdio transport, in this process
#
# The transport Windows gets (the worker's stdin and stdout as its pipes, threads instead of
# select) is chosen by grader.sandbox.base.POSIX_PIPES alone, so here it runs with that switch
# off and everything else native: large frames both ways, prints beside the replies, time limits.

STUDENT = '''\
import os
import sys


def double(x):
    return x * 2


def chatter(text):
    print(text)
    os.write(1, b"straight to descriptor 1\\n")
    print("to stderr", file=sys.stderr)
    return len(text)


def spin():
    while True:
        pass


def exit_now(code):
    os._exit(code)


calls = []


def bump():
    calls.append(1)
    return len(calls)
'''

LIMITS = Limits(call_timeout=1.0, load_timeout=20.0, total_timeout=60.0, restarts=2)


@pytest.fixture
def stdio_session(monkeypatch, tmp_path):
    """A factory of sessions with a worker on the stdio transport (POSIX_PIPES off)."""
    monkeypatch.setattr(sandbox_base, "POSIX_PIPES", False)
    backend = make_backend("subprocess")
    sessions: list[RemoteSession] = []

    def start(*, fork: bool = False) -> RemoteSession:
        workdir = tmp_path / f"w{len(sessions)}"
        workdir.mkdir()
        (workdir / "student.py").write_text(STUDENT)
        spec = WorkerSpec(workdir=workdir, limits=LIMITS)
        request = {"op": "load", "kind": "module", "path": "student.py", "name": "student", "cell_timeout": None}
        session = RemoteSession(lambda: backend.start(spec), request, LIMITS, what="student.py", fork=fork,
                                isolated=False)
        sessions.append(session)
        session.ensure()
        return session

    yield start
    for session in sessions:
        session.close()
    backend.close()


def test_stdio_transport_carries_frames_larger_than_the_pipe_and_the_read_ahead(stdio_session):
    proxy = SubmissionProxy(stdio_session())
    x = np.arange(1_000_000, dtype=np.float64)  # 8 MB each way (the default limit of elements)
    np.testing.assert_array_equal(proxy.double(x), 2 * x)


def test_stdio_transport_keeps_the_students_output_apart(stdio_session):
    session = stdio_session()
    proxy = SubmissionProxy(session)
    assert proxy.chatter("hello from the student") == 22
    assert proxy.bump() == 1
    session.close()
    for text in ("hello from the student", "straight to descriptor 1", "to stderr"):
        assert text in session.output


def test_stdio_transport_times_out_and_replaces_the_worker(stdio_session):
    session = stdio_session()
    proxy = SubmissionProxy(session)
    assert proxy.bump() == 1
    start = time.monotonic()
    with pytest.raises(CallTimeout, match="did not finish within 1 s"):
        proxy.spin()
    assert time.monotonic() - start < 5
    assert proxy.bump() == 1  # a fresh worker
    with pytest.raises(WorkerCrashed, match="exited with status 3"):
        proxy.exit_now(3)
    assert proxy.bump() == 1


def test_pipes_without_select_keep_their_deadlines():
    """A write the worker never reads, and a reply that never comes, end at the deadline;
    the end of the pipe is an EOFError; closing while a write is stuck frees it later."""
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pipes = _ThreadedPipes(req_w, rep_r)
    os.close(req_w)
    os.close(rep_r)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        pipes.write([b"x" * (8 << 20)], time.monotonic() + 0.3)  # far more than a pipe holds
    with pytest.raises(TimeoutError):
        pipes.write([b"more"], time.monotonic() + 5)  # the stuck write is not interleaved with
    with pytest.raises(TimeoutError):
        pipes.read_exact(8, time.monotonic() + 0.3)
    assert time.monotonic() - start < 3
    pipes.close()
    os.close(req_r)  # the "worker" dies: the stuck write ends with a broken pipe
    reply = b"12345678" * 300_000  # more than the read-ahead: the "worker" writes it from a thread
    writer = threading.Thread(target=lambda: (os.write(rep_w, reply), os.close(rep_w)))
    writer.start()
    assert pipes.read_exact(len(reply), time.monotonic() + 5) == reply
    writer.join()
    with pytest.raises(EOFError):
        pipes.read_exact(1, time.monotonic() + 5)


FRESH = textwrap.dedent("""
    import sys
    sys.path[:0] = [{tests!r}]
    from pathlib import Path
    from grader.config import Limits
    from grader.remote import RemoteSession, SubmissionProxy
    from grader.sandbox import make_backend
    from grader.sandbox.base import WorkerSpec

    work = Path({work!r})
    (work / "student.py").write_text("calls = []\\ndef bump():\\n    calls.append(1)\\n    return len(calls)\\n")
    limits = Limits(call_timeout=5.0, load_timeout=20.0, total_timeout=60.0, restarts=2)
    backend = make_backend("auto")
    request = {{"op": "load", "kind": "module", "path": "student.py", "name": "student", "cell_timeout": None}}
    session = RemoteSession(lambda: backend.start(WorkerSpec(workdir=work, limits=limits)), request, limits,
                            fork=True, isolated=backend.isolated)
    proxy = SubmissionProxy(session)
    seen = []
    for _ in range(3):
        session.new_run()
        seen.append((proxy.bump(), proxy.bump()))
    session.close()
    backend.close()
    print(backend.name, session.fork, seen)
""")


def test_fresh_runs_without_fork_get_a_new_worker_each(simulated_python, tmp_path):
    """A lab with ``fresh_runs``: the worker cannot become a zygote (no fork), so the trusted
    side starts a new worker per run instead, and no run sees the one before."""
    code = FRESH.format(tests=str(ROOT / "tests"), work=str(tmp_path))
    proc = subprocess.run([str(simulated_python), "-c", code], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["subprocess", "False", "[(1,", "2),", "(1,", "2),", "(1,", "2)]"]
