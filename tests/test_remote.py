"""Tests for grader.remote against real workers, under both sandbox backends.

The student's code is a real module loaded by a real worker process (plain
subprocess, and bubblewrap for the cases marked ``sandbox``). Nothing of the
worker or the sandbox is mocked: calls, handles, operators, iteration,
callbacks into the trusted process, time limits, crashes and protocol
violations all happen for real.
"""

from __future__ import annotations

import gc
import json
import re
import struct
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader import remote
from grader.config import Limits
from grader.remote import (
    CallTimeout,
    MissingName,
    ProtocolViolation,
    RemoteError,
    RemoteObject,
    RemoteSession,
    StudentError,
    SubmissionProxy,
    WorkerCrashed,
)
from grader.sandbox import make_backend
from grader.sandbox.base import WorkerSpec

# Sandbox slots (uids 60000 + slot under bwrap as root) of their own: the clean-up after a worker
# kills every process of its slot's uid, so the shared worker must not share a slot with the others,
# and neither should the workers of other test files.
SHARED_SLOT, HARNESS_SLOT = 40, 41
LIMITS = Limits(call_timeout=2.0, load_timeout=20.0, total_timeout=60.0, restarts=2, memory=2 * 2**30)

STUDENT = '''\
import math
import os
import sys
import time
import weakref

import numpy as np

_refs = []


def add(a, b=0):
    return a + b


def stats(x):
    x = np.asarray(x)
    return {"mean": float(x.mean()), "shape": x.shape, "sum": x.sum(axis=0)}


def fail(message):
    helper = message.upper()
    raise ValueError(helper)


def gen(n):
    for i in range(n):
        yield i * i


def exit_now(code):
    os._exit(code)


def segfault():
    import ctypes
    ctypes.string_at(0)


def kill_self():
    import signal
    os.kill(os.getpid(), signal.SIGKILL)


def spin():
    while True:
        pass


def nap(seconds):
    time.sleep(seconds)
    return seconds


def sys_exit():
    sys.exit(4)


def allocate(n):
    return len(bytearray(n))


def huge_int():
    return 2 ** 5000


def chatter(text):
    print(text)
    print("to stderr", file=sys.stderr)
    return len(text)


def reply_fd():
    return int(sys.argv[2])


def write_raw(data):
    os.write(reply_fd(), data)
    return "written"


def numerical_gradient(f, x, h=1e-5):
    """Central differences, as the student wrote them: calls f (the grader's function) 2n times."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        plus = f(x)
        x.flat[i] = old - h
        minus = f(x)
        x.flat[i] = old
        grad.flat[i] = (plus - minus) / (2 * h)
    return grad


def apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def make_tracked():
    obj = Value(1.0)
    _refs.append(weakref.ref(obj))
    return obj


def tracked_alive():
    import gc
    gc.collect()
    return sum(r() is not None for r in _refs)


def draw():
    import random
    return random.random(), float(np.random.rand())


class Value:
    """A scalar with its gradient, as in micrograd."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


class Dataset:
    def __init__(self, n):
        self.items = [i * 10 for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __setitem__(self, i, value):
        self.items[i] = value

    def __iter__(self):
        return iter(self.items)


class BadLen:
    def __len__(self):
        return 2 ** 70


class Lying(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def lying_array():
    return np.zeros(3).view(Lying)


state = {"calls": 0}


def bump():
    state["calls"] += 1
    return state["calls"]
'''


class Harness:
    """Starts RemoteSessions on one backend and cleans up every worker it started."""

    def __init__(self, backend_name: str, root: Path, slot: int) -> None:
        self.backend = make_backend(backend_name)
        self.root = root
        self.slot = slot
        self.sessions: list[RemoteSession] = []
        self.count = 0

    def start(self, source: str = STUDENT, *, limits: Limits = LIMITS, load: bool = True,
              name: str = "student") -> RemoteSession:
        self.count += 1
        workdir = self.root / f"w{self.count}"
        workdir.mkdir(parents=True)
        (workdir / f"{name}.py").write_text(textwrap.dedent(source))
        spec = WorkerSpec(workdir=workdir, limits=limits, slot=self.slot)
        request = {"op": "load", "kind": "module", "path": f"{name}.py", "name": name, "cell_timeout": None}
        session = RemoteSession(lambda: self.backend.start(spec), request if load else None, limits,
                                what=f"{name}.py")
        self.sessions.append(session)
        return session

    def proxy(self, source: str = STUDENT, **kw) -> SubmissionProxy:
        session = self.start(source, **kw)
        session.ensure()
        return SubmissionProxy(session)

    def close(self) -> None:
        for s in self.sessions:
            s.close()
        self.backend.close()


@pytest.fixture
def harness(backend_name, tmp_path):
    h = Harness(backend_name, tmp_path, slot=HARNESS_SLOT)
    yield h
    h.close()


@pytest.fixture(scope="module", params=["subprocess", pytest.param("bwrap", marks=pytest.mark.sandbox)])
def shared(request, tmp_path_factory):
    """One loaded worker per backend, shared by the tests that leave it healthy."""
    if request.param == "bwrap":
        request.getfixturevalue("bwrap_required")
    h = Harness(request.param, tmp_path_factory.mktemp(f"shared-{request.param}"), slot=SHARED_SLOT)
    proxy = h.proxy()
    yield proxy
    h.close()


def session_of(proxy: SubmissionProxy) -> RemoteSession:
    return object.__getattribute__(proxy, "_session")


# --------------------------------------------------------------------------- calls and plain data


def test_calls_return_plain_data(shared):
    assert shared.add(2, 3) == 5
    assert shared.add("a", b="b") == "ab"
    assert shared.add([1], [2]) == [1, 2]
    out = shared.stats(np.arange(6.0).reshape(3, 2))
    assert out["mean"] == 2.5 and out["shape"] == (3, 2)
    assert type(out["sum"]) is np.ndarray
    np.testing.assert_array_equal(out["sum"], [6.0, 9.0])


def test_student_array_subclass_arrives_as_a_plain_array(shared):
    arr = shared.lying_array()
    assert type(arr) is np.ndarray
    assert not (arr == np.ones(3)).all()


def test_missing_name_is_an_assertion_error(shared):
    with pytest.raises(MissingName, match="student.py does not define `sigmoid`") as info:
        shared.sigmoid
    assert isinstance(info.value, AssertionError)


def test_student_error_carries_type_message_and_the_students_traceback(shared):
    with pytest.raises(StudentError) as info:
        shared.fail("bad input")
    err = info.value
    assert isinstance(err, AssertionError)
    assert err.exc_type == "ValueError" and err.exc_message == "BAD INPUT"
    line = STUDENT.splitlines().index("    raise ValueError(helper)") + 1
    assert err.where.endswith(f"student.py, line {line}, in fail")
    assert "raise ValueError(helper)" in err.student_traceback
    assert "grader_worker" not in err.student_traceback  # the worker's own frames are dropped
    assert str(err).startswith("fail(...) raised ValueError: BAD INPUT at ")


@pytest.mark.parametrize("call, exc_type", [
    (lambda s: s.sys_exit(), "SystemExit"),
    (lambda s: s.add(1, "x"), "TypeError"),
    (lambda s: s.allocate(2**40), "MemoryError"),
    (lambda s: s.huge_int(), "ResultNotSendable"),
    (lambda s: len(s.BadLen()), "OverflowError"),
], ids=["sys.exit", "type-error", "memory-limit", "result-not-sendable", "bad-len"])
def test_errors_that_leave_the_worker_usable(shared, call, exc_type):
    with pytest.raises(StudentError) as info:
        call(shared)
    assert info.value.exc_type == exc_type
    assert shared.add(1, 1) == 2


def test_local_objects_cannot_be_sent(shared):
    with pytest.raises(TypeError, match="cannot send a set"):
        shared.add({1}, {2})


# --------------------------------------------------------------------------- handles and operators


def test_value_objects_stay_in_the_worker(shared):
    a = shared.Value(2.0)
    assert isinstance(a, RemoteObject)
    assert remote.type_name(a) == "student.Value"
    assert a.data == 2.0 and a.grad == 0.0
    assert repr(a) == "<remote student.Value>"
    assert remote.remote_repr(a) == "Value(data=2.0, grad=0.0)"


@pytest.mark.parametrize("expr, expected", [
    (lambda a: a + 1, 3.0), (lambda a: 1 + a, 3.0), (lambda a: a * 3, 6.0), (lambda a: 3 * a, 6.0),
    (lambda a: a - 0.5, 1.5), (lambda a: 5 - a, 3.0), (lambda a: -a, -2.0), (lambda a: a ** 3, 8.0),
    (lambda a: a / 4, 0.5), (lambda a: 1 / a, 0.5), (lambda a: a * a + a, 6.0),
], ids=["add", "radd", "mul", "rmul", "sub", "rsub", "neg", "pow", "truediv", "rtruediv", "expr"])
def test_operators_run_in_the_worker(shared, expr, expected):
    out = expr(shared.Value(2.0))
    assert isinstance(out, RemoteObject) and remote.type_name(out) == "student.Value"
    assert out.data == pytest.approx(expected)


def test_backward_through_a_remote_graph(shared):
    x, w, b = shared.Value(0.5), shared.Value(-1.5), shared.Value(0.25)
    y = (x * w + b).tanh()
    y.backward()
    t = np.tanh(0.5 * -1.5 + 0.25)
    assert y.data == pytest.approx(t)
    assert x.grad == pytest.approx((1 - t * t) * -1.5)
    assert w.grad == pytest.approx((1 - t * t) * 0.5)
    assert b.grad == pytest.approx(1 - t * t)


def test_attribute_assignment_and_remote_arguments(shared):
    a, b = shared.Value(1.0), shared.Value(4.0)
    a.data = 3.0
    assert a.data == 3.0
    c = shared.add(a, b)  # two handles passed back as arguments
    assert c.data == 7.0
    with pytest.raises(AttributeError, match="read-only"):
        shared.add = None


def test_comparisons_are_never_forwarded(shared):
    a = shared.Value(1.0)
    assert (a == a) is True and (a == shared.Value(1.0)) is False
    with pytest.raises(TypeError):
        a < 2  # noqa: B015


def test_dunder_protocols_are_not_probed(shared):
    a = shared.Value(1.0)
    assert np.asarray(a, dtype=object).shape == ()  # no __array__ was fetched from the worker
    with pytest.raises(AttributeError):
        a.__array_interface__


def test_items_len_and_iteration(shared):
    ds = shared.Dataset(3)
    assert len(ds) == 3 and ds[1] == 10
    ds[1] = 11
    assert list(ds) == [0, 11, 20]
    assert list(shared.gen(4)) == [0, 1, 4, 9]
    assert list(shared.gen(0)) == []


def test_released_handles_are_dropped_in_the_worker(shared):
    obj = shared.make_tracked()
    assert shared.tracked_alive() == 1
    del obj
    gc.collect()
    assert shared.tracked_alive() == 0  # this request carried the release


def test_seed_makes_the_workers_randomness_repeatable(shared):
    remote.seed(shared, 123)
    first = shared.draw()
    remote.seed(shared, 123)
    assert shared.draw() == first
    remote.seed(shared, 124)
    assert shared.draw() != first


# --------------------------------------------------------------------------- callbacks into the trusted process


def test_student_numerical_gradient_calls_the_graders_function(shared):
    calls = []

    def loss(x):
        calls.append(np.array(x))
        return float(np.sum(x ** 2))

    x = np.array([1.0, -2.0, 0.5])
    grad = shared.numerical_gradient(loss, x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6)
    assert len(calls) == 6 and all(type(c) is np.ndarray for c in calls)


def test_callback_can_call_back_into_the_student(shared):
    def f(x):
        return shared.add(float(np.sum(x)), 1.0)  # a nested request while the worker waits for us

    grad = shared.numerical_gradient(f, np.zeros(2))
    np.testing.assert_allclose(grad, [1.0, 1.0], rtol=1e-6)


def test_callback_error_reaches_the_student_code_as_an_exception(shared):
    def broken(x):
        raise KeyError("no such layer")

    with pytest.raises(StudentError) as info:
        shared.apply(broken, 1)
    assert info.value.exc_type == "RuntimeError"
    assert "KeyError" in info.value.exc_message and "no such layer" in info.value.exc_message
    assert shared.apply(lambda a, b=0: a * b, 3, b=4) == 12  # and the channel is still in step


# --------------------------------------------------------------------------- stats and output


def test_stats_and_output_are_collected(harness):
    proxy = harness.proxy()
    session = session_of(proxy)
    assert proxy.chatter("hello from the student") == 22
    assert session.peak_memory_bytes > 10 * 2**20
    session.close()
    assert "hello from the student" in session.output and "to stderr" in session.output
    assert session.cpu_time_s > 0


# --------------------------------------------------------------------------- time limits and restarts


@pytest.mark.parametrize("call", ["spin", "nap"])
def test_call_timeout_kills_and_restarts_the_worker(harness, call):
    proxy = harness.proxy(limits=Limits(**{**LIMITS.__dict__, "call_timeout": 0.5}))
    session = session_of(proxy)
    assert proxy.bump() == 1
    start = time.monotonic()
    with pytest.raises(CallTimeout, match=r"did not finish within 0.5 s") as info:
        getattr(proxy, call)(*([] if call == "spin" else [30]))
    assert isinstance(info.value, AssertionError)
    assert time.monotonic() - start < 15  # cut at its limit: the nap alone would last 30 s
    assert [e.kind for e in session.events] == ["timeout"]
    assert proxy.bump() == 1  # a fresh worker: the module was loaded again
    assert session.generation == 2


def test_a_function_that_keeps_failing_is_given_up_but_the_others_still_run(harness):
    """Each function may fail restarts + 1 times; then it is not run again, and
    costs no more time or restarts: the other functions are still graded."""
    proxy = harness.proxy(limits=Limits(**{**LIMITS.__dict__, "call_timeout": 0.5, "restarts": 1}))
    session = session_of(proxy)
    for _ in range(2):
        with pytest.raises(CallTimeout, match="did not finish"):
            proxy.spin()
    generation = session.generation
    with pytest.raises(CallTimeout, match="`spin` failed 2 times already"):
        proxy.spin()
    assert session.generation == generation  # refused at once: no worker started for it
    assert proxy.add(1, 2) == 3  # another function: a fresh worker
    assert [e.kind for e in session.events] == ["timeout", "timeout"]


def test_the_session_gives_up_after_too_many_failures_overall(harness):
    proxy = harness.proxy(limits=Limits(**{**LIMITS.__dict__, "call_timeout": 0.3, "restarts": 0}))
    session = session_of(proxy)
    session.restarts_left = 1  # as if many functions had hung already
    with pytest.raises(CallTimeout):
        proxy.spin()
    with pytest.raises(CallTimeout):
        proxy.nap(30)
    with pytest.raises(WorkerCrashed, match="no restarts left"):
        proxy.add(1, 2)


def test_per_call_timeout_can_be_changed_between_calls(harness):
    proxy = harness.proxy()
    session = session_of(proxy)
    session.call_timeout = 0.3
    with pytest.raises(CallTimeout, match="within 0.3 s"):
        proxy.nap(5)
    session.call_timeout = 3.0
    assert proxy.nap(0.4) == 0.4


def test_total_time_limit_ends_the_session(harness):
    proxy = harness.proxy(limits=Limits(**{**LIMITS.__dict__, "call_timeout": 30.0, "total_timeout": 1.0}))
    start = time.monotonic()
    with pytest.raises(CallTimeout):
        proxy.spin()
    with pytest.raises(CallTimeout):
        proxy.add(1, 2)
    assert time.monotonic() - start < 15  # the 1 s total limit, not the 30 s call limit
    assert session_of(proxy).dead_reason


def test_load_that_hangs_kills_the_session(harness):
    session = harness.start("x = 1\nwhile True:\n    pass\n", limits=Limits(**{**LIMITS.__dict__, "load_timeout": 0.7}))
    with pytest.raises(CallTimeout, match="loading student.py did not finish within 0.7 s"):
        session.ensure()
    assert session.dead_kind == "timeout"
    with pytest.raises(CallTimeout, match="not run"):
        SubmissionProxy(session).x


# --------------------------------------------------------------------------- crashes


@pytest.mark.parametrize("call, message", [
    (lambda s: s.exit_now(3), "exited with status 3"),
    (lambda s: s.segfault(), "was killed by SIGSEGV (segmentation fault)"),
    (lambda s: s.kill_self(), "was killed by SIGKILL"),
], ids=["os._exit", "segfault", "sigkill"])
def test_crash_is_detected_and_the_next_call_gets_a_fresh_worker(harness, call, message):
    proxy = harness.proxy()
    session = session_of(proxy)
    add = proxy.add  # a top-level name: looked up again in the new worker
    value = proxy.Value(1.0)  # an object: gone with its worker
    with pytest.raises(WorkerCrashed) as info:
        call(proxy)
    assert message in str(info.value)
    assert not isinstance(info.value, ProtocolViolation)
    assert [e.kind for e in session.events] == ["crashed"]
    assert add(2, 2) == 4
    with pytest.raises(WorkerCrashed, match="belonged to a worker or run that is gone"):
        value.data
    with pytest.raises(WorkerCrashed, match="belonged to a worker or run that is gone"):
        proxy.add(value, 1)


# --------------------------------------------------------------------------- protocol violations


def frame(reply: dict, buffers: bytes = b"", offsets: list | None = None) -> bytes:
    """A frame holding ``reply`` (a dict of already-encoded values), as a worker could write it."""
    message = {"$d": [[key, value] for key, value in reply.items()]}
    header = json.dumps({"m": message, "b": offsets or []}).encode()
    body = struct.pack(">I", len(header)) + header + buffers
    return struct.pack(">Q", len(body)) + body


VIOLATIONS = {
    "garbage": (b"\xff" * 64, "exceeds|bytes"),
    "oversized frame": (struct.pack(">Q", 2**40), "message of 1099511627776 bytes"),
    "header not JSON": (struct.pack(">Q", 12) + struct.pack(">I", 8) + b"not json", "not valid JSON"),
    "forbidden dtype": (frame({"ok": {"$a": 0, "dt": "|O", "sh": [1]}}, b"\0" * 8, [[0, 8]]), "forbidden dtype"),
    "huge zero-size shape": (frame({"ok": {"$a": 0, "dt": "<f8", "sh": [0, 2**63]}}, b"", [[0, 0]]),
                             "bad array shape"),
    "reply without result": (frame({"surprise": 1}), "a reply without a result"),
    "trusted handle": (frame({"ok": {"$k": 1}}), "trusted-callable handle"),
}


@pytest.mark.parametrize("data, message", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_worker_writing_bad_frames_is_a_protocol_violation(harness, data, message):
    proxy = harness.proxy()
    session = session_of(proxy)
    with pytest.raises(ProtocolViolation) as info:
        proxy.write_raw(data)
    assert isinstance(info.value, WorkerCrashed)
    assert "broke the protocol" in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)
    assert [e.kind for e in session.events] == ["crashed"]
    assert proxy.add(1, 2) == 3  # the lying worker was killed; a fresh one serves the next call


def test_remote_error_hierarchy():
    for cls in (StudentError, MissingName, CallTimeout, WorkerCrashed, ProtocolViolation):
        assert issubclass(cls, RemoteError) and issubclass(cls, AssertionError)


# --------------------------------------------------------------------------- loading


def test_module_that_raises_while_loading_keeps_its_earlier_names(harness):
    session = harness.start("def early():\n    return 'ok'\n\nraise RuntimeError('plot failed')\n\ndef late():\n    pass\n")
    session.ensure()
    [cell] = session.load_report["cells"]
    assert cell["status"] == "error" and cell["error"]["type"] == "RuntimeError"
    proxy = SubmissionProxy(session)
    assert proxy.early() == "ok"
    with pytest.raises(MissingName):
        proxy.late


def test_module_with_a_syntax_error_reports_it(harness):
    session = harness.start("def f(:\n    pass\n")
    session.ensure()
    [cell] = session.load_report["cells"]
    assert cell["status"] == "syntax_error" and "line 1" in cell["error"]["message"]


def test_bare_worker_without_a_load_request(harness):
    session = harness.start(load=False)
    session.ensure()
    assert session.load_report is None
    assert session.request({"op": "seed", "seed": 1}) is None


# --------------------------------------------------------------------------- torch


@pytest.mark.slow
def test_torch_tensors_and_describe_module(harness):
    pytest.importorskip("torch")
    import torch

    proxy = harness.proxy("""\
        import torch
        net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))

        def kind(x):
            return type(x).__module__ + "." + type(x).__name__

        def double(x):
            return x * 2
        """)
    assert proxy.kind(torch.ones(2)) == "torch.Tensor"
    assert proxy.kind(np.ones(2)) == "numpy.ndarray"
    out = proxy.double(torch.arange(3.0))
    assert type(out) is np.ndarray and out.tolist() == [0.0, 2.0, 4.0]
    logits = proxy.net(torch.zeros(5, 4))
    assert type(logits) is np.ndarray and logits.shape == (5, 3)
    info = remote.describe_module(proxy.net)
    assert info["n_params"] == 4 * 8 + 8 + 8 * 3 + 3
    assert info["linear"] == [(4, 8), (8, 3)]
    assert info["type"] == "torch.nn.modules.container.Sequential"
    with pytest.raises(StudentError, match="expected a torch.nn.Module"):
        remote.describe_module(proxy.kind)
