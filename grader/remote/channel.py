"""Framed, deadline-bounded request/reply I/O with one worker process (:class:`Channel`),
and the thread-based variant for platforms without ``select`` on pipes (:class:`_ThreadedPipes`)."""

from __future__ import annotations

import os
import select
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..sandbox import base as sandbox_base
from ..sandbox.base import WorkerProcess
from ..worker import wire
from .errors import _GONE, WorkerCrashed
from .proxies import RemoteObject

if TYPE_CHECKING:
    from .session import RemoteSession


@dataclass
class Event:
    """Something that happened to the worker: ``kind`` is ``timeout`` or ``crashed``."""

    kind: str
    message: str


class Channel:
    """Framed, deadline-bounded request/reply I/O with one worker process."""

    def __init__(self, proc: WorkerProcess, session: RemoteSession, generation: int) -> None:
        self.proc = proc
        self.session = session
        self.generation = generation
        # POSIX: non-blocking writes and select(); elsewhere (Windows, whose select() takes
        # sockets only) one thread reads the replies and each request is written from a thread
        self._pipes = None if sandbox_base.POSIX_PIPES else _ThreadedPipes(proc.to_worker, proc.from_worker)
        if self._pipes is None:
            os.set_blocking(proc.to_worker, False)

    def close(self) -> None:
        """Release what the channel itself holds (the worker's descriptors are the process's)."""
        if self._pipes is not None:
            self._pipes.close()

    # -- raw I/O with a deadline ------------------------------------------------
    def _write(self, pieces: list, deadline: float) -> None:
        if self._pipes is not None:
            self._pipes.write(pieces, deadline)
            return
        views = [memoryview(p).cast("B") for p in pieces]
        while views:
            try:
                n = os.writev(self.proc.to_worker, views)  # one syscall: one wake-up of the worker
            except BlockingIOError:
                n = 0
            except BrokenPipeError:
                raise EOFError from None
            while views and n >= views[0].nbytes:
                n -= views[0].nbytes
                views.pop(0)
            if views:
                views[0] = views[0][n:]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                select.select([], [self.proc.to_worker], [], left)

    def _read_exact(self, n: int, deadline: float) -> bytearray:
        if self._pipes is not None:
            return self._pipes.read_exact(n, deadline)
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.proc.from_worker], [], [], min(left, 1.0))
            if not ready:
                continue
            k = os.readv(self.proc.from_worker, [view[got:]])
            if k == 0:
                raise EOFError
            got += k
        return buf

    def read_message(self, deadline: float) -> Any:
        n = wire.frame_length(bytes(self._read_exact(wire.PREFIX_SIZE, deadline)))
        if n > self.session.max_message_bytes:
            raise wire.WireError(f"the worker sent a message of {n} bytes (limit {self.session.max_message_bytes})")
        payload = self._read_exact(n, deadline)
        session = self.session
        return wire.decode_payload(payload, self._from_handle, max_elements=session.max_elements,
                                   max_total=max(session.max_message_elements, session.max_elements))

    def send(self, message: Any, deadline: float) -> None:
        pieces = wire.encode_message(message, self._to_handle, self.session.max_message_bytes)
        self._write(pieces, deadline)

    # -- handles ----------------------------------------------------------------
    def _to_handle(self, value: Any) -> dict:
        if isinstance(value, RemoteObject):
            if value._generation != self.generation:
                raise WorkerCrashed(f"{value!r} {_GONE}")
            return {"$h": value._id}
        if callable(value):
            return {"$k": self.session.register_callback(value)}
        raise TypeError(f"cannot send a {type(value).__qualname__} to the student's worker "
                        "(only plain data, numpy arrays, torch tensors and remote objects cross)")

    def _from_handle(self, tag: str, hid: int, type_name: str) -> Any:
        if tag != "$h":
            raise wire.WireError("the worker sent a trusted-callable handle")
        return RemoteObject(self.session, self.generation, hid, type_name)


class _ThreadedPipes:
    """Deadline-bounded I/O on a worker's pipes without ``select`` (Windows).

    A reader thread moves replies into a buffer of at most :data:`READ_AHEAD` bytes
    (it waits while the buffer is full, so a worker that floods the pipe costs no more
    memory than with ``select``); each write runs in a thread of its own, which the
    caller waits for until the deadline. Both use duplicates of the worker's
    descriptors and close them themselves, so closing the worker's descriptors never
    races a thread still blocked on them. Killing the worker ends both: end-of-file
    for the reader, a broken pipe for a write.
    """

    def __init__(self, to_worker: int, from_worker: int) -> None:
        self._to = os.dup(to_worker)
        self._from = os.dup(from_worker)
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self._lock = threading.Lock()  # guards _to's ownership between close() and a write thread
        self._writing = False
        self._closed = False
        self._broken = False
        threading.Thread(target=self._read_loop, daemon=True, name="worker-replies").start()

    def _read_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while len(self._buf) >= READ_AHEAD:
                        self._cond.wait()
                data = os.read(self._from, 1 << 16)
                if not data:
                    break
                with self._cond:
                    self._buf += data
                    self._cond.notify_all()
        except OSError:
            pass
        finally:
            os.close(self._from)
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def read_exact(self, n: int, deadline: float) -> bytearray:
        """The next ``n`` bytes of replies.

        Raises:
            TimeoutError: not there by ``deadline``.
            EOFError: the worker closed its end first.
        """
        out = bytearray()
        with self._cond:
            while len(out) < n:
                if self._buf:
                    take = min(n - len(out), len(self._buf))
                    out += self._buf[:take]
                    del self._buf[:take]
                    self._cond.notify_all()  # the reader may go on
                    continue
                if self._eof:
                    raise EOFError
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self._cond.wait(left)
        return out

    def write(self, pieces: list, deadline: float) -> None:
        """Write ``pieces`` (one frame) to the worker.

        Raises:
            TimeoutError: not written by ``deadline`` (the caller then kills the worker,
                which ends the write), or an earlier write is still stuck.
            EOFError: the worker closed its end.
        """
        with self._lock:
            if self._writing:
                raise TimeoutError
            if self._broken or self._closed:
                raise EOFError
            self._writing = True
        data = b"".join(memoryview(p).cast("B") for p in pieces)
        done = threading.Event()
        threading.Thread(target=self._write_all, args=(data, done), daemon=True, name="worker-requests").start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError
        if self._broken:
            raise EOFError

    def _write_all(self, data: bytes, done: threading.Event) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._to, view):]
        except OSError:  # a broken pipe: the worker is gone
            self._broken = True
        finally:
            with self._lock:
                self._writing = False
                if self._closed:
                    os.close(self._to)
            done.set()

    def close(self) -> None:
        """Release the request pipe (now, or when a stuck write ends). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._writing:
                os.close(self._to)


#: Bytes of replies :class:`_ThreadedPipes` reads ahead of the caller.
READ_AHEAD = 1 << 20
