"""The red-team suite's toolkit: hostile submissions, a throwaway course full of
canaries, and the probes that show damage.

Every hostile submission in ``hostile/`` is a module or notebook for hw1 whose
docstring (the first cell's, for a notebook) says what it attacks and what
success would look like, and carries two machine-read lines:

* ``Backends: bwrap, docker, subprocess``: the backends whose promises it tests
  (every attack on ``bwrap`` also names ``docker``);
* ``Unisolated: <reason>``: required when ``subprocess`` is missing, saying
  why the unisolated backend does not promise to stop it.

Hostile files may hold placeholders (``@@COURSE@@``, ``@@PORT@@``...) that are
filled in with what a strong attacker would know: the host paths of the course
copy, the canary folder and the grader's repository, and the port of a local
service that hands out answers. Canary *tokens* (secrets planted in the hidden
tests, the reference, the store, other students' files and the grader's
environment) are never given to the attacks: if one shows up in a result, the
attack read it.
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_DIR = Path(__file__).resolve().parent / "hostile"
FIXTURES = ROOT / "reference" / "hw1" / "variants"
ENV_SECRET = "GRADER_REDTEAM_SECRET"

# Small limits so that the hostile batch stays quick on a 2-core machine. Loading gets 12 s:
# the memory attacks fill 1 GiB at import, and on a VM that hands out fresh pages slowly
# (0.04-2.8 s per 400 MiB measured here) the kernel's OOM kill came after 6 s under a loaded CI.
LIMITS = {"load_timeout": "12", "cell_timeout": "5", "call_timeout": "3", "total_timeout": "60",
          "memory": '"1GiB"', "max_file_size": '"10MiB"', "output": '"64KiB"', "disk": '"32MiB"',
          "threads": "1", "restarts": "1"}
#: Text only the course's secret files hold (besides the tokens): the reference and the hidden tests.
FINGERPRINTS = ("def _as_float_array", "Hidden tests, question")


@dataclass(frozen=True)
class Attack:
    """One hostile submission and what it declares about itself."""

    path: Path
    doc: str
    backends: frozenset[str]
    unisolated: str | None

    @property
    def name(self) -> str:
        return self.path.stem


def _docstring(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
        text = "".join(cells[0]["source"]) if cells else ""
    return ast.get_docstring(ast.parse(text)) or ""


def load_attacks() -> list[Attack]:
    attacks = []
    for path in sorted([*HOSTILE_DIR.glob("*.py"), *HOSTILE_DIR.glob("*.ipynb")]):
        doc = _docstring(path)
        backends = re.search(r"^Backends: ([\w, ]+)$", doc, re.M)
        unisolated = re.search(r"^Unisolated: (.+)$", doc, re.M)
        attacks.append(Attack(path, doc, frozenset(b.strip() for b in backends.group(1).split(","))
                              if backends else frozenset(), unisolated.group(1) if unisolated else None))
    return attacks


ATTACKS = load_attacks()
HONEST = [ROOT / "reference" / "hw1" / "hw1.py", *(FIXTURES / f"{n}.py" for n in
                                                   ("einsum", "loops_math", "where_stable", "scipy_expit"))]


def render(attack: Attack, values: dict[str, str], backend: str) -> str:
    """The attack's source with its placeholders filled in, for grading on ``backend``.

    Raises:
        AssertionError: if the attack is not meant for ``backend``. Some attacks
            (``kill(-1, SIGKILL)``, SIGSTOP to every process, overwriting files
            in every process's working folder) would damage the machine if
            they ran without the sandbox.
    """
    assert backend in attack.backends, f"{attack.name} must never run on the {backend} backend"
    path = attack.path
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    assert "@@" not in text, f"{path.name}: an unfilled placeholder"
    return text


# --------------------------------------------------------------------------- the throwaway course


@dataclass
class Course:
    """A copy of hw1 (public part, reference, hidden tests) in a temporary folder, full of canaries."""

    root: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def submissions(self) -> Path:
        return self.root / "submissions" / "hw1"

    @property
    def db(self) -> Path:
        return self.root / "grades.db"


def token(kind: str) -> str:
    return f"REDTEAM-CANARY-{kind}-{secrets.token_hex(8)}"


def build_course(where: Path) -> Course:
    """Copy assignments/hw1 and reference/hw1, with small limits and a canary token in
    every secret file (the reference solution and each hidden test file)."""
    course = Course(where / "course")
    shutil.copytree(ROOT / "assignments" / "hw1", course.root / "assignments" / "hw1")
    shutil.copytree(ROOT / "reference" / "hw1", course.root / "reference" / "hw1",
                    ignore=shutil.ignore_patterns("__pycache__"))
    toml = course.root / "assignments" / "hw1" / "assignment.toml"
    text = toml.read_text()
    for key, value in LIMITS.items():
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
        if n == 0:
            text = text.replace("[limits]\n", f"[limits]\n{key} = {value}\n")
    toml.write_text(text)
    for i, path in enumerate(sorted((course.root / "reference").rglob("*.py"))):
        course.tokens[f"secret-{i}"] = tok = token("SECRET")
        path.write_text(path.read_text() + f"\n# {tok}\n")
    course.submissions.mkdir(parents=True)
    return course


def add_honest(course: Course, student: str, source: Path) -> None:
    course.tokens[f"student-{student}"] = tok = token("STUDENT")
    (course.submissions / f"{student}.py").write_text(source.read_text() + f"\n# {tok}\n")


def leaks(text: str, secret_values: list[str]) -> list[str]:
    """The secrets (tokens, fingerprints of secret files) that appear in ``text``."""
    return [s for s in [*secret_values, *FINGERPRINTS] if s in text]


def result_text(result) -> str:
    return "\n".join([result.output, result.message, *(f"{t.message}\n{t.hint}" for t in result.tests)])


# --------------------------------------------------------------------------- snapshots of things that must not change


def snapshot(paths: list[Path]) -> dict[str, tuple]:
    """Content hash, mode, owner and mtime of every file and folder under ``paths``."""
    out: dict[str, tuple] = {}
    for base in paths:
        for p in [base, *sorted(base.rglob("*"))] if base.is_dir() else [base]:
            if "__pycache__" in p.parts:
                continue
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
            out[str(p)] = (digest, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime_ns)
    return out


def make_canary_dir(where: Path) -> Path:
    """A world-writable folder with world-writable files: anything that can see it can change it."""
    d = where / f"redteam-canary-{secrets.token_hex(4)}"
    d.mkdir()
    os.chmod(d, 0o777)
    for name in ("canary.txt", "notes.md"):
        (d / name).write_text(f"untouched {name}\n")
        os.chmod(d / name, 0o666)
    return d


# --------------------------------------------------------------------------- a service that hands out answers


class AnswerServer:
    """TCP (all interfaces), UDP and abstract-unix listeners that send the reference's source
    to any client and record every contact."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.contacts: list[str] = []
        self.unix_name = f"redteam-{secrets.token_hex(6)}"
        self.tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.tcp.bind(("::", 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("0.0.0.0", self.port))
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.unix_name)
        self.unix.listen(16)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.tcp, self.unix)]
        self._threads.append(threading.Thread(target=self._datagrams, daemon=True))
        for t in self._threads:
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            self.contacts.append(f"{'tcp' if sock is self.tcp else 'unix'} from {peer!r}")
            try:
                conn.sendall(self.answer)
            except OSError:
                pass
            conn.close()

    def _datagrams(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65536)
            except OSError:
                return
            if not self._stop.is_set():
                self.contacts.append(f"udp from {peer!r}: {data[:40]!r}")

    def close(self) -> None:
        self._stop.set()
        for sock in (self.tcp, self.unix, self.udp):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def host_ip() -> str:
    """An address of this host other than loopback (or 127.0.0.1 if there is none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


# --------------------------------------------------------------------------- processes


def stray_sandbox_processes() -> list[str]:
    """Processes running under a sandbox uid that no live grader holds a lease on.

    A uid leased by a running grader (this machine may run several) is that
    grader's business; a process under a uid nobody leases is a leftover.
    """
    from grader.sandbox import bwrap

    strays = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
        except OSError:
            continue
        if not bwrap.BASE_UID <= uid < bwrap.BASE_UID + bwrap.UID_RANGE:
            continue
        lease = Path(bwrap.LEASE_DIR) / str(uid)
        if lease.exists():
            fd = os.open(lease, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # leased: a live grader owns it
            finally:
                os.close(fd)
        strays.append(f"pid {entry} uid {uid}: {cmd.decode(errors='replace')}")
    return strays


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


class Watchdog:
    """Once ``seconds`` have passed, kills this process's children (the grading processes)
    every second until cancelled, so that an attack that freezes the grader fails the suite
    instead of hanging it (the batch respawns a killed process a few times, then gives up)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self._thread.start()

    def _run(self, seconds: float) -> None:
        if self._cancelled.wait(seconds):
            return
        self.fired = True
        while not self._cancelled.is_set():
            for pid in children_of(os.getpid()):
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass
            self._cancelled.wait(1.0)

    def cancel(self) -> None:
        self._cancelled.set()


def slot_dying_after_its_sentinel(*args) -> None:
    """Stands in for ``grader.grade._slot_main``: the first grading process takes its stop
    sentinel and dies without saying goodbye, as one that crashes in its clean-up does; the
    processes started after it are the real thing."""
    from grader import grade

    course_root, tasks = args[0], args[-2]
    marker = Path(course_root) / ".first-slot-died"
    if not marker.exists():
        marker.touch()
        sub = tasks.get()
        assert tasks.get() is None  # its stop sentinel
        tasks.put(sub)  # the submission goes back in line for the next process
        tasks.close()
        tasks.join_thread()
        os._exit(1)
    grade._slot_main(*args)


# --------------------------------------------------------------------------- what the attacks print about themselves


def reported_number(output: str, label: str) -> int | None:
    """The largest ``<label> <n>`` an attack printed (its own measurement), or None."""
    found = [int(n) for n in re.findall(rf"^{label} (\d+)$", output, re.M)]
    return max(found) if found else None


def reported_successes(output: str) -> list[str]:
    """What a tampering attack says it managed: the bare labels in its ``tampering: [...]`` lines."""
    wins = []
    for line in re.findall(r"^tampering: (\[.*\])$", output, re.M):
        try:
            items = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            continue
        wins += [i for i in items if ": " not in i]
    return wins


def control_characters(text: str) -> list[str]:
    """Terminal control characters (ESC and other C0/C1 codes but newline and tab) in ``text``."""
    return sorted({repr(c) for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0})
