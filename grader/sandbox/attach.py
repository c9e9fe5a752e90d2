"""The worker's pipes, carried over a container's attached stdio.

A Docker worker reads requests on its stdin and writes replies on its stdout;
the student's prints go to its stderr (the bootstrap in
:mod:`grader.sandbox.docker` arranges that). The engine carries all three over
one attached socket: what we send is the container's stdin, and what comes
back is a sequence of frames, each an 8-byte header (stream type: 1 stdout,
2 stderr; 3 zero bytes; the payload's length, 4 bytes big-endian) and its
payload (Docker's "stream format", used when the container has no TTY).

:class:`AttachedStreams` turns that socket back into what the trusted side
expects of any worker (see :class:`grader.sandbox.base.WorkerProcess`): a
request descriptor and a reply pipe carrying the wire protocol unchanged, plus
the student's output in an :class:`~grader.sandbox.base.OutputBuffer`. Requests
need no translation: the request descriptor is the socket itself (a duplicate
of its descriptor). One thread pumps the other way: socket -> reply pipe or
output buffer.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from typing import Any

from .base import OutputBuffer

HEADER = 8
STDOUT, STDERR = 1, 2
CHUNK = 1 << 18
POLL_S = 0.25


class AttachedStreams:
    """A worker container's attached socket as a request descriptor, a reply pipe and an output buffer.

    Args:
        sock: the attached socket (``container.attach_socket(...)``, attached with
            stdin, stdout, stderr and stream before the container starts).
        output: where the container's stderr (the student's prints) goes.

    Attributes:
        to_worker: a descriptor of the socket itself (the trusted side writes requests
            here, and may make it non-blocking: the reader copes).
        from_worker: read end of the reply pipe (the container's stdout frames).
        exited: set once the engine closed the stream: the container has exited
            (or the engine dropped the connection).
        reader: the thread that reads the socket (joined when the worker is closed).
    """

    def __init__(self, sock: Any, output: OutputBuffer) -> None:
        self._keep = sock  # the SDK's wrapper keeps the HTTP response (and so the connection) alive
        self.sock: socket.socket = getattr(sock, "_sock", sock)
        self.output = output
        self.to_worker = os.dup(self.sock.fileno())
        self.from_worker, self._rep_w = os.pipe()
        self.exited = threading.Event()
        self._closed = False
        self.reader = threading.Thread(target=self._read_frames, daemon=True, name="docker-replies")
        self.reader.start()

    def _recv(self) -> bytes:
        while not self._closed:
            try:
                return self.sock.recv(CHUNK)
            except BlockingIOError:  # the trusted side made the shared descriptor non-blocking
                select.select([self.sock], [], [], POLL_S)  # bounded: never wait on a descriptor closed meanwhile
        return b""

    def _read_frames(self) -> None:
        buf = bytearray()
        replies_open = True
        try:
            while True:
                chunk = self._recv()
                if not chunk:
                    return
                buf += chunk
                while len(buf) >= HEADER:
                    size = int.from_bytes(buf[4:HEADER], "big")
                    if len(buf) < HEADER + size:
                        break
                    kind = buf[0]
                    payload = bytes(buf[HEADER:HEADER + size])
                    del buf[:HEADER + size]
                    if kind == STDOUT and replies_open:
                        replies_open = self._reply(payload)
                    elif kind == STDERR:
                        self.output.feed(payload)
        except (OSError, ValueError):  # ValueError: the socket was closed under select()
            pass
        finally:
            self.exited.set()
            os.close(self._rep_w)

    def _reply(self, data: bytes) -> bool:
        """Write ``data`` into the reply pipe; False once the trusted side has closed it."""
        view = memoryview(data)
        try:
            while view:
                n = os.write(self._rep_w, view)
                view = view[n:]
        except OSError:  # BrokenPipeError: the worker is being closed
            return False
        return True

    def close(self) -> None:
        """Shut the socket: the reader stops (the container is killed separately). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if threading.current_thread() is not self.reader:
            self.reader.join(timeout=2 * POLL_S)  # let it leave the socket before its descriptor is freed
        try:
            self._keep.close()
        except Exception:  # noqa: BLE001 - the SDK's wrapper may already be closed
            pass
        try:
            self.sock.close()
        except OSError:
            pass
