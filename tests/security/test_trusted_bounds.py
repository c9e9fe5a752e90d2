"""Bounded trusted processes: a hostile worker must not make the trusted
grading process use unbounded memory or time, nor raise in trusted code.

* ``test_forged_frames_only_raise_remote_errors`` (fast, no sandbox): a fake
  worker sends thousands of random and forged frames; only ``RemoteError``
  subclasses (or plain values) may come out of the trusted side.
* The batch tests (``sandbox``/``docker``, ``slow``) grade a small course
  (assignment ``bounds``, tests that cast, multiply and keep what the worker
  sends, like hw5's and hw3's) through ``grader.grade.main``: one honest
  submission and one per attack. A poller reads the grading process's
  ``VmRSS``/``VmHWM`` from ``/proc`` while the batch runs; its peak must stay
  under 2 GiB. ``tests/security/README.md`` ("Bounded trusted processes") has
  the measured numbers.
"""

from __future__ import annotations

import json
import os
import random
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from grader import grade as grade_mod
from grader.config import Limits
from grader.remote import RemoteError, RemoteSession
from grader.results import SubmissionResult
from grader.results import TestStatus as Status
from tests.conftest import write_tree

GIB = 2**30

# --------------------------------------------------------------------------- fuzz: a fake worker


def _frame(tree, buffers: bytes = b"", offsets: list | None = None) -> bytes:
    header = json.dumps({"m": tree, "b": offsets or []}).encode()
    body = struct.pack(">I", len(header)) + header + buffers
    return struct.pack(">Q", len(body)) + body


def _d(**items) -> dict:
    return {"$d": [[k, v] for k, v in items.items()]}


HELLO = _frame(_d(hello=1))


class _FakeBackend:
    def exit_note(self, proc) -> str:
        return ""


class FakeWorker:
    """A 'worker' that is two pipes: what it will say is written (and its end closed)
    before the trusted side reads, so a frame that leaves the trusted side waiting
    ends in EOF, not in a wait."""

    def __init__(self, data: bytes) -> None:
        self.to_worker_r, self.to_worker = os.pipe()
        self.from_worker, w = os.pipe()
        os.set_blocking(w, True)
        self._writer = threading.Thread(target=self._write, args=(w, data), daemon=True)
        self._writer.start()
        self.backend = _FakeBackend()
        self.output = type("Out", (), {"text": staticmethod(lambda: "")})()
        self.exit_status = None
        self.sandbox_cpu = None
        self.rusage_cpu = 0.0
        self.sandbox_peak_memory = None
        self._closed = False
        self._drain = threading.Thread(target=self._read_requests, daemon=True)
        self._drain.start()

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        try:
            os.write(fd, data) if len(data) < 65536 else [os.write(fd, data[i:i + 65536])
                                                          for i in range(0, len(data), 65536)]
        except OSError:
            pass
        finally:
            os.close(fd)

    def _read_requests(self) -> None:
        try:
            while os.read(self.to_worker_r, 65536):
                pass
        except OSError:
            pass

    def wait(self, timeout: float) -> None:
        return None

    def poll(self):
        return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for fd in (self.to_worker, self.from_worker):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._writer.join(2)
            try:
                os.close(self.to_worker_r)
            except OSError:
                pass


def _random_value(r: random.Random, depth: int = 0):
    kinds = ["int", "float", "str", "none", "bool", "list", "dict", "tagged", "bigint", "nested"]
    k = r.choice(kinds if depth < 3 else kinds[:5])
    if k == "int":
        return r.choice([0, 1, -1, 2, 7, 2**31, -(2**63)])
    if k == "bigint":
        return 10**r.randint(10, 400)
    if k == "float":
        return r.choice([0.5, -1e308, 1e-300])
    if k == "str":
        return r.choice(["", "id", "callback", "$a", "ok", "x" * r.randint(0, 50)])
    if k == "none":
        return None
    if k == "bool":
        return r.choice([True, False])
    if k == "list":
        return [_random_value(r, depth + 1) for _ in range(r.randint(0, 3))]
    if k == "dict":
        return {r.choice(["$d", "$t", "$a", "$k", "$h", "$c", "$f", "$s", "$y", "x"]): _random_value(r, depth + 1)
                for _ in range(r.randint(0, 2))}
    if k == "nested":
        return _d(**{r.choice(["id", "args", "kwargs", "ok", "error"]): _random_value(r, depth + 1)})
    tag = r.choice(["$a", "$s", "$y", "$h", "$k", "$c", "$f", "$t", "$d"])
    if tag == "$a":
        return {"$a": r.choice([0, 1, -1, "0", None]), "dt": r.choice(["<f8", "|b1", "|O", "<f4", 3, "<c16"]),
                "sh": r.choice([[1], [2, 3], [0, 2**63], [-1], "x", [2**40, 2**40], [1] * 40])}
    if tag == "$s":
        return {"$s": r.choice([0, 1, [0]]), "dt": r.choice(["<f8", "|u1", None])}
    if tag in ("$h", "$k"):
        return {tag: r.choice([1, 2, [1], "1", None, 2**70]), "ty": r.choice(["x", 3, None, "y" * 300])}
    if tag == "$c":
        return {"$c": r.choice([[1, 2], [1], ["a", 1], [{"$f": "nan"}, 1], None])}
    if tag == "$f":
        return {"$f": r.choice(["nan", "inf", "bad", 1])}
    if tag == "$t":
        return {"$t": r.choice([[1, 2], "x", None, [_random_value(r, depth + 1)]])}
    return {"$d": r.choice([[[1, 2]], [[[1], 2]], [[1]], "x", [[{"$d": []}, 1]], [[{"$t": [1]}, 2]]])}


def _random_frames(r: random.Random) -> bytes:
    """One to three frames: forged callbacks, malformed replies, random trees, mutated bytes."""
    out = b""
    buffers = bytes(r.randrange(256) for _ in range(r.choice([0, 8, 16, 64])))
    offsets = r.choice([[], [[0, len(buffers)]], [[0, 8]], [[8, 8]], [[-1, 2]], [["0", 1]], "x", [[0, 2**40]]])
    for _ in range(r.randint(1, 3)):
        kind = r.randrange(6)
        if kind == 0:  # a callback frame with random id/args/kwargs
            cb = {}
            for key in ("id", "args", "kwargs", "extra"):
                if r.random() < 0.7:
                    cb[key] = r.choice([1, 2, 3, 99, [1], "1", None, {"$t": [1]}, [], _d(a=1), _d(**{"b": 2}),
                                        {"$d": [[1, 2]]}, [{"$a": 0, "dt": "|b1", "sh": [len(buffers)]}],
                                        _random_value(r)])
            tree = _d(callback=_d(**cb)) if r.random() < 0.8 else _d(callback=_random_value(r))
        elif kind == 1:  # a reply with random ok/error/stats
            parts = {}
            for key in ("ok", "error", "stats"):
                if r.random() < 0.6:
                    parts[key] = _random_value(r)
            if r.random() < 0.3:
                parts["stats"] = _d(maxrss=_random_value(r), cpu=_random_value(r), device=_random_value(r))
            if r.random() < 0.3:
                parts["error"] = _d(type=_random_value(r), message=_random_value(r), where=_random_value(r))
            tree = _d(**parts)
        elif kind == 2:
            tree = _random_value(r)
        elif kind == 3:  # a large bool array (over the element limit) in a reply or a callback
            n = 64
            big = {"$a": 0, "dt": "|b1", "sh": [n]}
            tree = r.choice([_d(ok=big), _d(callback=_d(id=1, args=[big], kwargs=_d()))])
            out += _frame(tree, b"\1" * n, [[0, n]])
            continue
        else:
            tree = _d(ok=_random_value(r))
        data = _frame(tree, buffers, offsets)
        if kind == 5 and data:  # flip bytes
            data = bytearray(data)
            for _ in range(r.randint(1, 4)):
                data[r.randrange(len(data))] = r.randrange(256)
            data = bytes(data)
        out += data
    if r.random() < 0.2:
        out += bytes(r.randrange(256) for _ in range(r.randint(1, 40)))
    return out


def test_forged_frames_only_raise_remote_errors():
    """Any frame a worker can write ends as a value or a RemoteError, never as another
    exception in trusted code (the forged ``{"callback": {"id": [1]}}`` included)."""
    r = random.Random(20240607)
    limits = Limits(call_timeout=0.5, total_timeout=600.0, load_timeout=1.0, max_elements=32,
                    max_message_elements=48)
    forged = _frame(_d(callback=_d(id=[1])))
    cases = [forged] + [_random_frames(r) for _ in range(1500)]
    kinds: dict[str, int] = {}
    for data in cases:
        session = RemoteSession(lambda d=data: FakeWorker(HELLO + d), None, limits, what="fuzz")
        session.register_callback(lambda *a, **k: [a, k])
        session.register_callback(lambda x: 1 / 0)
        try:
            session.ensure()
            try:
                session.request({"op": "call", "obj": None, "args": [], "kwargs": {}}, what="f(...)")
                kinds["value"] = kinds.get("value", 0) + 1
            except RemoteError as exc:
                kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
        finally:
            session.close()
    assert kinds.get("ProtocolViolation", 0) > 100 and kinds.get("ValueTooLarge", 0) > 10, kinds

    session = RemoteSession(lambda: FakeWorker(HELLO + forged), None, limits, what="fuzz")
    session.ensure()
    with pytest.raises(RemoteError, match="broke the protocol: a malformed callback frame"):
        session.request({"op": "call"}, what="f(...)")
    session.close()


def test_stale_callback_ids_stay_unknown():
    """Callback ids are never reused: an id of a cleared callback names nothing."""
    session = RemoteSession(lambda: FakeWorker(HELLO), None, Limits(), what="x")
    first = session.register_callback(lambda: 1)
    session.clear_callbacks()
    second = session.register_callback(lambda: 2)
    assert second != first
    assert session._serve_callback({"id": first, "args": [], "kwargs": {}}) == {"callback_error": "unknown callback"}
    assert session._serve_callback({"id": second, "args": [], "kwargs": {}}) == {"callback_result": 2}


# --------------------------------------------------------------------------- the batch: a course and its attacks

TOTAL_TIMEOUT = 12

TESTS = '''\
import numpy as np
import pytest

X = np.random.default_rng(0).normal(size=(300, 2))  # the spiral's shape


def test_weights(submission):
    """hw5-style: cast what the worker returned to float64 and multiply."""
    W = np.asarray(submission.weights()).astype(np.float64)
    scores = np.maximum(0.0, X @ W)
    assert scores.shape == (300, 3)


@pytest.mark.max_elements(2_000_000)
def test_weights_declared_large(submission):
    """The same with a larger declared limit: the memory limit of the grading process must hold."""
    W = np.asarray(submission.weights()).astype(np.float64)  # (2, 700000): 11 MB
    scores = np.maximum(0.0, X @ W)  # (300, 700000) float64: 1.7 GB
    assert scores.shape == (300, 3)


class Recorder:
    """hw3-style: f(x) = sum(x**2), keeping a float64 copy of every x."""

    def __init__(self):
        self.points = []

    def __call__(self, x):
        x = np.array(x, dtype=float)
        self.points.append(x)
        return float(np.sum(x ** 2))


def test_callback(submission):
    x = np.array([1.0, -2.0, 3.0])
    grad = submission.numerical_gradient(Recorder(), x.copy())
    assert np.allclose(grad, 2 * x, rtol=1e-5)


KEPT = []


def test_register(submission):
    submission.register(lambda v: KEPT.append(v) or "trusted function ran")


def test_stale_callback(submission):
    assert submission.poke() == "ok"


def test_forged_frame(submission):
    assert submission.forge() == 1
'''

LOOP_TESTS = '''\
def test_loop(submission):
    """Trusted code whose running time the worker chooses."""
    total = 0
    for i in range(int(submission.count())):
        total += i
    assert total >= 0


def test_after_loop(submission):
    assert submission.count() == 10
'''

HONEST = '''\
import os
import sys

import numpy as np

_kept = []


def weights():
    return np.ones((2, 3))


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def register(f):
    return None


def poke():
    return "ok"


def forge():
    return 1


def count():
    return 10
'''

ATTACKS = {
    "weights_bomb": '''
def weights():
    return np.ones((2, 700000), dtype=bool)  # 1.4 MB that the test turns into 1.7 GB
''',
    "callback_flood": '''
def numerical_gradient(f, x, h=1e-5):
    for _ in range(12):
        try:
            f(np.ones(32 * 2**20, dtype=bool))  # 32 MB each; a float64 copy is 256 MB
        except Exception:
            pass
    return np.array(x, dtype=float) * 2
''',
    "stale_callback": '''
def register(f):
    _kept.append(f)


def poke():
    try:
        return "called: " + str(_kept[-1](1))
    except Exception as exc:
        return f"refused: {exc}"
''',
    "forged_callback_frame": '''
import json
import struct
import time


def forge():
    header = json.dumps({"m": {"$d": [["callback", {"$d": [["id", [1]]]}]]}, "b": []}).encode()
    body = struct.pack(">I", len(header)) + header
    import gc
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "fd_out"))
    os.write(worker.fd_out, struct.pack(">Q", len(body)) + body)  # the reply channel, on either backend
    time.sleep(30)
''',
    "trusted_loop": '''
def count():
    return 10**15
''',
}


def make_course(root: Path) -> Path:
    limits = (f'[limits]\nload_timeout = 20\ncall_timeout = 5\ntotal_timeout = {TOTAL_TIMEOUT}\n'
              'memory = "1GiB"\nrestarts = 1\nthreads = 1\n')
    files = {
        "assignments/bounds/assignment.toml": f'title = "bounds"\nfiles = ["bounds.py"]\n{limits}',
        "assignments/bounds/tests/test_bounds.py": TESTS,
        "assignments/bounds/tests/test_zz_loop.py": LOOP_TESTS,
        "submissions/bounds/honest/bounds.py": HONEST,
    }
    for name, extra in ATTACKS.items():
        files[f"submissions/bounds/{name}/bounds.py"] = HONEST + extra
    return write_tree(root, files)


class PeakPoller:
    """Reads VmRSS and VmHWM of this process's children (the grading processes) every
    ``interval`` seconds; ``per_student`` holds the largest VmRSS seen while each
    submission was in flight (jobs=1), ``hwm`` the largest VmHWM of any child."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.hwm = 0
        self.rss = 0
        self.current: str | None = None
        self.per_student: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _children() -> list[int]:
        pids = []
        for task in Path("/proc/self/task").iterdir():
            try:
                pids += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self._children():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                rss = int(values.get("VmRSS", "0 kB").split()[0]) * 1024
                hwm = int(values.get("VmHWM", "0 kB").split()[0]) * 1024
                self.hwm = max(self.hwm, hwm)
                self.rss = max(self.rss, rss)
                if self.current:
                    self.per_student[self.current] = max(self.per_student.get(self.current, 0), rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def on_event(self, kind: str, value) -> None:
        if kind == "started":
            self.current = value
        elif kind == "result":
            self.current = None


@dataclass
class Batch:
    results: dict[str, SubmissionResult]
    poller: PeakPoller
    wall_s: float
    backend: str
    messages: list[str] = field(default_factory=list)


def grade_batch(root: Path, backend: str) -> Batch:
    course = make_course(root)
    start = time.monotonic()
    with PeakPoller() as poller:
        report = grade_mod.main("bounds", course=course, jobs=1, backend=backend,
                                db=root / "grades.db", on_event=poller.on_event)
    batch = Batch({r.student: r for r in report.results}, poller, time.monotonic() - start, backend)
    print(f"\n[{backend}] grading process peak: VmHWM {poller.hwm / 2**20:.0f} MiB; VmRSS per submission: "
          + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in poller.per_student.items())
          + f"; batch {batch.wall_s:.1f} s")
    return batch


def _test(batch: Batch, student: str, name: str):
    result = batch.results[student]
    return next(t for t in result.tests if t.name.endswith(f"::{name}"))


def check_batch(batch: Batch) -> None:
    results = batch.results
    assert set(results) == {"honest", *ATTACKS}, sorted(results)
    honest = results["honest"]
    assert honest.status == "graded", honest.message
    for t in honest.tests:
        assert t.status is Status.PASSED or t.name.endswith("test_weights_declared_large"), (t.name, t.message)

    # 1. the bool weights: refused at decoding, with a message for the student
    t = _test(batch, "weights_bomb", "test_weights")
    assert t.status is Status.FAILED
    assert "weights() returned an array of 1,400,000 elements (shape (2, 700000)); the limit is 1,000,000" \
        in t.message, t.message
    # ... and with a larger declared limit, the grading process's memory limit: a failed test, not a dead batch
    t = _test(batch, "weights_bomb", "test_weights_declared_large")
    assert t.status is Status.FAILED and "ran out of memory" in t.message, t.message
    assert results["weights_bomb"].status == "graded"

    # 2. the callback flood: every 32 MB argument refused before a float64 copy exists
    t = _test(batch, "callback_flood", "test_callback")
    assert t.status is Status.FAILED
    assert "passed an array of 33,554,432 elements" in t.message and "to a function of the grader" in t.message

    # 3. a callback kept from an earlier test is unknown in a later one
    t = _test(batch, "stale_callback", "test_stale_callback")
    assert t.status is Status.FAILED and "refused: unknown callback" in t.message, t.message

    # 4. a forged callback frame is a protocol violation, not a TypeError in trusted code
    t = _test(batch, "forged_callback_frame", "test_forged_frame")
    assert t.status is Status.CRASHED and "broke the protocol: a malformed callback frame" in t.message, t.message
    assert results["forged_callback_frame"].status == "crashed"

    # 5. a trusted loop past total_timeout: interrupted, the session ends, the rest is not run
    loop = results["trusted_loop"]
    t = _test(batch, "trusted_loop", "test_loop")
    assert t.status is Status.TIMEOUT and "total time limit" in t.message, t.message
    after = _test(batch, "trusted_loop", "test_after_loop")
    assert after.status is Status.TIMEOUT and after.message.startswith("not run:"), after.message
    assert loop.status == "timeout" and f"used up its total time limit of {TOTAL_TIMEOUT} s" in loop.message
    assert loop.wall_time_s < TOTAL_TIMEOUT + 10, loop.wall_time_s

    # the grading process stayed bounded all along
    assert batch.poller.hwm < 2 * GIB, batch.poller.hwm
    assert batch.poller.hwm > 50 * 2**20  # the poller did see the grading process


@pytest.mark.slow
@pytest.mark.sandbox
def test_hostile_workers_cannot_unbound_the_grading_process_bwrap(tmp_path):
    check_batch(grade_batch(tmp_path, "bwrap"))


@pytest.mark.slow
@pytest.mark.docker
def test_hostile_workers_cannot_unbound_the_grading_process_docker(tmp_path):
    check_batch(grade_batch(tmp_path, "docker"))


# --------------------------------------------------------------------------- units: limits, decoder, watchdog


def test_limits_are_declarable_in_assignment_toml():
    limits = Limits.from_dict({"max_elements": 5_000_000, "max_message_elements": 1e7, "trusted_memory": "2GiB"})
    assert (limits.max_elements, limits.max_message_elements, limits.trusted_memory) == (5_000_000, 10**7, 2 * GIB)
    for bad in ({"max_elements": 0}, {"max_elements": True}, {"max_message_elements": "many"}):
        with pytest.raises(ValueError, match="positive number of elements"):
            Limits.from_dict(bad)


def test_decoder_counts_elements_not_bytes():
    from grader.worker import wire

    payload = bytearray(b"".join(wire.encode_message({"ok": np.zeros((2, 700000), dtype=bool)}))[8:])
    assert wire.decode_payload(payload)["ok"].shape == (2, 700000)  # no limit: the worker side
    with pytest.raises(wire.TooLarge, match=r"1,400,000 elements \(shape \(2, 700000\)\); the limit is 1,000,000"):
        wire.decode_payload(payload, max_elements=1_000_000)
    many = bytearray(b"".join(wire.encode_message({"ok": [np.zeros(600)] * 10}))[8:])
    with pytest.raises(wire.TooLarge, match="per message") as info:
        wire.decode_payload(many, max_elements=1000, max_total=5000)
    assert not info.value.callback


def test_watchdog_interrupts_and_always_disarms():
    from grader.harness.watchdog import TrustedTimeout, Watchdog

    dog = Watchdog()
    start = time.monotonic()
    with pytest.raises(TrustedTimeout):
        with dog.armed(0.0):
            while True:
                pass
    assert dog.fired and time.monotonic() - start < 3
    dog.disarm()
    with dog.armed(5.0):
        pass
    assert not dog.fired
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left to fire into the batch loop
