"""The worker: the process, inside the sandbox, that runs the student's code.

It reads requests from one pipe and writes replies to another (file
descriptors given on the command line); stdout and stderr belong to the
student's prints. Every reply is plain data (see :mod:`.wire`); objects that
are not plain data stay here in a handle table and are named by id.

Started as::

    python -I -c "import sys; sys.path[:0]=[LIB]; from grader_worker.server import main; main()" IN_FD OUT_FD LIMITS_JSON

(or, where a child cannot inherit descriptors by number, with its stdin and
stdout set aside as the two pipes first: ``grader.sandbox.base.STDIO_BOOTSTRAP``).

Nothing here is trusted by the grader: student code runs in this process and
could change any of it. The trusted side relies only on the sandbox and on
decoding plain data.
"""

from __future__ import annotations

import io
import json
import operator
import os
import random
import shutil
import sys
import time
import traceback
from typing import Any, Callable

import numpy as np

from . import loader, netexport, wire, zygote

try:
    import resource
except ImportError:  # Windows: no rlimits, no rusage (the trusted side's time limits still hold)
    resource = None  # type: ignore[assignment]

MAX_REPR = 2000
_MAX_EXAMPLE_OUTPUT = 64 * 1024  # characters of an otter case's printed output (run_example)

_BINOPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "matmul": operator.matmul,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}
_UNOPS: dict[str, Callable[[Any], Any]] = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs}

_RLIMITS = {key: getattr(resource, name, None) for key, name in (
    ("as", "RLIMIT_AS"), ("data", "RLIMIT_DATA"), ("cpu", "RLIMIT_CPU"), ("fsize", "RLIMIT_FSIZE"),
    ("nofile", "RLIMIT_NOFILE"), ("nproc", "RLIMIT_NPROC"), ("core", "RLIMIT_CORE"))}


class _Stop(Exception):
    pass


class Worker:
    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.objects: dict[int, Any] = {}
        self.next_id = 1
        self.root: Any = None

    # ----------------------------------------------------------------- handles
    def _to_handle(self, value: Any) -> dict:
        hid = self.next_id
        self.next_id += 1
        self.objects[hid] = value
        return {"$h": hid, "ty": wire._type_name(value)}

    def _from_handle(self, tag: str, hid: int, ty: str) -> Any:
        if tag == "$k":
            return _TrustedCallable(self, hid)
        try:
            return self.objects[hid]
        except KeyError:
            raise wire.WireError(f"unknown handle {hid}") from None

    def _obj(self, ref: Any) -> Any:
        return self.root if ref is None else ref

    # ----------------------------------------------------------------- I/O
    def send(self, message: Any) -> None:
        try:
            pieces = wire.encode_message(message, self._to_handle)
        except Exception as exc:  # a WireError, or a student object that raised while being read
            text = str(exc) if isinstance(exc, wire.WireError) else f"reading the result raised {type(exc).__name__}"
            pieces = wire.encode_message({"error": {"type": "ResultNotSendable", "message": text,
                                                    "traceback": "", "where": ""}})
        wire.write_frame(self.fd_out, pieces)

    def receive(self) -> Any:
        payload = wire.read_frame(self.fd_in)
        return wire.decode_payload(payload, self._from_handle, torch_arrays=True)

    def serve(self) -> None:
        self.send({"hello": {"pid": os.getpid(), "python": sys.version.split()[0], "numpy": np.__version__}})
        self.serve_requests()

    def serve_requests(self, first: Any = None) -> None:
        """Answer requests until the channel closes (``first``: one already received)."""
        while True:
            if first is not None:
                request, first = first, None
            else:
                try:
                    request = self.receive()
                except EOFError:
                    return
            if isinstance(request, dict):
                for hid in request.pop("rel", ()):
                    self.objects.pop(hid, None)
                if request.get("op") == "zygote" and self.root is None and zygote.supported():
                    self._become_zygote(request)
                    return
            try:
                reply = {"ok": self.dispatch(request)}
            except _Stop:
                return
            except BaseException as exc:  # student code may raise anything, SystemExit included
                reply = {"error": loader.format_exception(exc)}
            reply["stats"] = _stats()
            _flush_output()
            self.send(reply)

    def _become_zygote(self, request: dict) -> None:
        """Serve as the clean parent of one child per run (see :mod:`.zygote`); never runs student code."""
        z = zygote.Zygote(self.fd_in, self.fd_out, isolated=bool(request.get("isolated")))
        preload = request.get("preload") or []
        info = z.prepare([str(p) for p in preload] if isinstance(preload, list) else [])
        self.send({"ok": info, "stats": _stats()})
        z.serve(_serve_child)

    # ----------------------------------------------------------------- operations
    def dispatch(self, req: dict) -> Any:
        """Run one request: ``OPERATIONS[req["op"]]`` (the table below, one docstring each).

        Raises:
            ValueError: an operation that is not in the table.
        """
        operation = OPERATIONS.get(req["op"])
        if operation is None:
            raise ValueError(f"unknown operation {req['op']!r}")
        return operation(self, req)

    def _load(self, req: dict) -> dict:
        _copy_submission()
        _apply_gpu_cap(_GPU_CAP)  # here, in the process that runs the student's code (a zygote must not touch CUDA)
        sys.path.insert(0, os.getcwd())
        start = time.perf_counter()
        if req["kind"] == "notebook":
            skip = req.get("skip") or []
            module, cells = loader.run_notebook(req["cells"], req.get("cell_timeout"),
                                                frozenset(i for i in skip if type(i) is int))
        else:
            module, cells = loader.run_module(req["path"], req["name"], req.get("cell_timeout"))
        self.root = module
        _apply_threads()
        return {"cells": cells, "seconds": time.perf_counter() - start}


# --------------------------------------------------------------------------- the operations
# Each takes the worker and the request (plain data; ``obj`` fields are handles already
# resolved by the wire decoder into ids, looked up with ``worker._obj``) and returns plain
# data or an object that goes back as a handle. ``zygote`` is not here: it changes what
# the process is (Worker.serve_requests handles it before any other request).


def _op_call(w: Worker, req: dict) -> Any:
    """``obj(*args, **kwargs)``; with ``echo_args``, also the arguments as the call left them
    (to see in-place changes): ``{"result", "args", "kwargs"}``."""
    args, kwargs = req.get("args", []), req.get("kwargs", {})
    result = w._obj(req["obj"])(*args, **kwargs)
    if req.get("echo_args"):
        return {"result": result, "args": args, "kwargs": kwargs}
    return result


def _op_callmethod(w: Worker, req: dict) -> Any:
    """``obj.name(*args, **kwargs)``."""
    return getattr(w._obj(req["obj"]), req["name"])(*req.get("args", ()), **req.get("kwargs", {}))


def _op_getattr(w: Worker, req: dict) -> Any:
    """``obj.name``."""
    return getattr(w._obj(req["obj"]), req["name"])


def _op_hasattr(w: Worker, req: dict) -> bool:
    """``hasattr(obj, name)``."""
    return hasattr(w._obj(req["obj"]), req["name"])


def _op_setattr(w: Worker, req: dict) -> None:
    """``obj.name = value``."""
    setattr(w._obj(req["obj"]), req["name"], req["value"])


def _op_getitem(w: Worker, req: dict) -> Any:
    """``obj[key]``."""
    return w._obj(req["obj"])[req["key"]]


def _op_setitem(w: Worker, req: dict) -> None:
    """``obj[key] = value``."""
    w._obj(req["obj"])[req["key"]] = req["value"]


def _op_binop(w: Worker, req: dict) -> Any:
    """``a <name> b`` for an arithmetic operator name (``add``, ``matmul``, ...)."""
    return _BINOPS[req["name"]](req["a"], req["b"])


def _op_unop(w: Worker, req: dict) -> Any:
    """``-a``, ``+a`` or ``abs(a)``."""
    return _UNOPS[req["name"]](req["a"])


def _op_len(w: Worker, req: dict) -> int:
    """``len(obj)``."""
    return len(w._obj(req["obj"]))


def _op_iter(w: Worker, req: dict) -> Any:
    """An iterator over ``obj``, kept here behind a handle."""
    return _Iterator(iter(w._obj(req["obj"])))


def _op_next(w: Worker, req: dict) -> dict:
    """The iterator's next item, ``{"value": ...}``, or ``{"stop": True}``."""
    try:
        return {"value": next(w._obj(req["obj"]).it)}
    except StopIteration:
        return {"stop": True}


def _op_repr(w: Worker, req: dict) -> str:
    """``repr(obj)``, shortened, never raising."""
    return _safe_repr(w._obj(req["obj"]))


def _op_identity(w: Worker, req: dict) -> int:
    """``id(obj)``: two handles name one object when their ids agree."""
    return id(w._obj(req["obj"]))


def _op_type_name(w: Worker, req: dict) -> str:
    """The object's ``module.QualName``."""
    return wire._type_name(w._obj(req["obj"]))


def _op_dir(w: Worker, req: dict) -> list:
    """The object's non-dunder attribute names (at most 500)."""
    return sorted(n for n in dir(w._obj(req["obj"])) if not n.startswith("__"))[:500]


def _op_release(w: Worker, req: dict) -> None:
    """Forget the handles in ``ids`` (the trusted side dropped its proxies)."""
    for hid in req["ids"]:
        w.objects.pop(hid, None)


def _op_load(w: Worker, req: dict) -> dict:
    """Copy the submission in and run the notebook's cells or import the module (``spawn``:
    the same, as the first request of a zygote's child); the per-cell report."""
    return w._load(req)


def _op_seed(w: Worker, req: dict) -> None:
    """Seed ``random``, ``numpy.random`` and (if imported) ``torch``."""
    return _seed(int(req["seed"]))


def _op_describe_module(w: Worker, req: dict) -> dict:
    """A torch module's structure as plain data (:func:`describe_module`)."""
    return describe_module(w._obj(req["obj"]))


def _op_export_module(w: Worker, req: dict) -> dict:
    """A torch module as a network description the trusted side rebuilds (:mod:`.netexport`)."""
    return netexport.export_module(w._obj(req["obj"]))


def _op_run_example(w: Worker, req: dict) -> dict:
    """Run one doctest example's ``source`` in the submission's namespace as doctest would
    (compiled in "single" mode: an expression statement prints its repr), for an imported
    otter-grader case the trusted side cannot evaluate (:mod:`grader.otter.cases`):
    ``{"output": the text it printed (at most 64 KiB), "exception": traceback's last line or None}``.
    The expected output stays on the trusted side, which compares."""
    out = io.StringIO()
    hook, stdout = sys.displayhook, sys.stdout
    exception = None
    try:
        sys.stdout, sys.displayhook = out, sys.__displayhook__
        exec(compile(str(req["source"]), str(req.get("filename", "<doctest>")), "single", 0, True), w.root.__dict__)
    except BaseException as exc:  # SystemExit too: a case cannot stop the worker
        exception = _exception_line(exc)
    finally:
        sys.stdout, sys.displayhook = stdout, hook
    text = out.getvalue()
    return {"output": text[:_MAX_EXAMPLE_OUTPUT], "exception": exception}


def _exception_line(exc: BaseException) -> str:
    try:
        return traceback.format_exception_only(type(exc), exc)[-1][:MAX_REPR]
    except BaseException:  # a student exception whose __str__ raises
        return f"{type(exc).__name__}: <unprintable message>\n"


def _op_shutdown(w: Worker, req: dict) -> None:
    """End the serving loop."""
    raise _Stop()


#: Every request a worker answers, by ``op``.
OPERATIONS = {
    "call": _op_call, "callmethod": _op_callmethod, "getattr": _op_getattr, "hasattr": _op_hasattr,
    "setattr": _op_setattr, "getitem": _op_getitem, "setitem": _op_setitem, "binop": _op_binop,
    "unop": _op_unop, "len": _op_len, "iter": _op_iter, "next": _op_next, "repr": _op_repr,
    "identity": _op_identity, "type_name": _op_type_name, "dir": _op_dir, "release": _op_release,
    "load": _op_load, "spawn": _op_load, "seed": _op_seed, "describe_module": _op_describe_module,
    "export_module": _op_export_module, "run_example": _op_run_example, "shutdown": _op_shutdown,
}


def _serve_child(fd_in: int, fd_out: int, request: dict) -> None:
    """A zygote's child: load the submission afresh (the spawn request) and serve the run,
    reading requests on ``fd_in`` and writing replies to ``fd_out`` (see :mod:`.zygote`)."""
    os.set_inheritable(fd_in, False)
    Worker(fd_in, fd_out).serve_requests(first=request)


class _Iterator:
    """Wraps a student iterator so it always travels as a handle."""

    def __init__(self, it: Any) -> None:
        self.it = it


class _TrustedCallable:
    """A callable the trusted side passed in: calling it asks the trusted side.

    Arguments and the result cross as plain data, like everything else.
    """

    def __init__(self, worker: Worker, hid: int) -> None:
        self.worker = worker
        self.hid = hid

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.worker.send({"callback": {"id": self.hid, "args": list(args), "kwargs": kwargs}})
        while True:
            msg = self.worker.receive()
            if "callback_result" in msg:
                return msg["callback_result"]
            if "callback_error" in msg:
                raise RuntimeError(msg["callback_error"])
            # a nested request from the trusted side while it serves the callback
            try:
                reply = {"ok": self.worker.dispatch(msg)}
            except BaseException as exc:
                reply = {"error": loader.format_exception(exc)}
            self.worker.send(reply)


def _copy_submission() -> None:
    """Copy the submission's files into the working directory, where a backend
    keeps them in a separate read-only folder (``GRADER_SUBMISSION_DIR``; bwrap:
    the home is a size-limited tmpfs). Runs before any student code."""
    source = os.environ.get("GRADER_SUBMISSION_DIR")
    if not source or not os.path.isdir(source):
        return
    for entry in os.scandir(source):  # entry by entry: the home itself is not ours to chmod
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, entry.name, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(entry.path, entry.name, follow_symlinks=False)


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the student may have replaced or closed them
            pass


def _safe_repr(obj: Any) -> str:
    try:
        r = repr(obj)
    except BaseException as exc:
        r = f"<repr raised {type(exc).__name__}>"
    return r if len(r) <= MAX_REPR else r[:MAX_REPR] + "..."


def _peak_rss() -> int:
    """Peak resident memory of this process in bytes (VmHWM; ru_maxrss on Linux
    would include the memory of the process that forked us before exec); 0 where
    neither ``/proc`` nor ``resource`` exists (Windows)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if resource is None:
        return 0
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _stats() -> dict:
    if resource is None:  # this process's CPU time only: its children's is not known here
        cpu = time.process_time()
    else:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return {"maxrss": _peak_rss(), "cpu": cpu, "device": _device()}


_DEVICE_NAMES: dict[int, str] = {}


def _device() -> str:
    """Where the student's code computes: ``"cuda:0 (NVIDIA H200)"`` once it has used CUDA
    through torch, else ``"cpu"``. Never imports torch or starts CUDA itself."""
    torch = sys.modules.get("torch")
    try:
        if torch is None or not torch.cuda.is_initialized():
            return "cpu"
        index = torch.cuda.current_device()
        if index not in _DEVICE_NAMES:
            _DEVICE_NAMES[index] = f"cuda:{index} ({torch.cuda.get_device_name(index)})"
        return _DEVICE_NAMES[index]
    except Exception:  # the student may have broken torch
        return "cpu"


#: the share of each GPU's memory a worker may allocate through torch (``gpu_memory_fraction``; 0: no cap)
_GPU_CAP: Any = 0


def _apply_gpu_cap(fraction: Any) -> None:
    """Cap the share of each GPU's memory torch may allocate in this process
    (``torch.cuda.set_per_process_memory_fraction``), where torch and CUDA are
    available. Imports torch only when a cap is set. A cooperative limit: the
    student's code could lift it; the GPU's own size is the hard bound.

    Called when the submission is loaded, never before a worker becomes a zygote:
    CUDA initialised in a process is unusable in the children it forks."""
    if not fraction:
        return
    try:
        import torch

        if torch.cuda.is_available():
            for index in range(torch.cuda.device_count()):
                torch.cuda.set_per_process_memory_fraction(float(fraction), index)
    except Exception as exc:  # no torch, no CUDA: nothing to cap
        print(f"grader: GPU memory cap not applied: {type(exc).__name__}: {exc}", file=sys.stderr)


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    return None


def _apply_threads() -> None:
    """Keep torch at the slot's CPU share even if the student changed it."""
    torch = sys.modules.get("torch")
    threads = int(os.environ.get("OMP_NUM_THREADS", "1") or 1)
    if torch is not None:
        try:
            torch.set_num_threads(threads)
        except Exception:
            pass


def describe_module(obj: Any) -> dict:
    """Facts about a ``torch.nn.Module``: its type, parameter count and Linear layers.

    Returns:
        ``{"type": str, "n_params": int, "linear": [[in, out], ...], "modules": [str, ...]}``
        (``linear`` in registration order).

    Raises:
        TypeError: if ``obj`` is not a torch module.
    """
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(obj, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {wire._type_name(obj)}")
    linear = [[m.in_features, m.out_features] for m in obj.modules() if isinstance(m, torch.nn.Linear)]
    return {
        "type": wire._type_name(obj),
        "n_params": int(sum(p.numel() for p in obj.parameters())),
        "linear": linear,
        "modules": [wire._type_name(m) for m in obj.modules()][:500],
    }


def _apply_limits(limits: dict) -> None:
    """Set the rlimits the trusted side asked for (as soft and hard limits, never above
    the hard limit already in force). Nothing where the platform has no ``resource``."""
    if resource is None:
        return
    for key, value in limits.items():
        which = _RLIMITS.get(key)
        if which is None or value is None:
            continue
        try:
            soft, hard = resource.getrlimit(which)
            value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    fd_in, fd_out = int(argv[0]), int(argv[1])
    limits = json.loads(argv[2]) if len(argv) > 2 else {}
    _apply_limits(limits)
    global _GPU_CAP
    _GPU_CAP = limits.get("gpu_memory_fraction")
    zygote.preload_modules(limits.get("preload"))  # before the hello: a warm spare has paid for them
    sys.dont_write_bytecode = True
    for stream in (sys.stdout, sys.stderr):  # the worker is killed, not shut down: never hold output back
        try:
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a TextIOWrapper, or replaced
        except (AttributeError, ValueError):
            pass
    os.set_inheritable(fd_in, False)
    os.set_inheritable(fd_out, False)
    Worker(fd_in, fd_out).serve()
