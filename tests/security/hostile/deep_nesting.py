"""Resource abuse: deeply nested and self-referencing return values.

Attack: the functions return a list nested 100,000 levels deep, a list that
contains itself, a dict with 2 million keys, and a tuple nested through
dicts; from the sixth call on, the module also bypasses the worker's encoder
and writes frames by hand whose JSON header is a 1,000,000-level nested array
or a 2,000,000-element flat one. A decoder that recursed without a limit
would crash the trusted process with RecursionError (or a C stack overflow);
one without a node limit would exhaust its memory.

Success would look like: the grader failing (internal_error), honest students
after it failing, or any points.
Backends: bwrap, docker, subprocess
"""

import os
import struct
import sys

W = 12345.678
_n = [0]
server = sys.modules.get("grader_worker.server")


def _raw_frame(header: bytes) -> bytes:
    payload = struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(payload)) + payload


def _deep():
    x = [W]
    for _ in range(100_000):
        x = [x]
    return x


def _nested(*args, **kwargs):
    _n[0] += 1
    kind = _n[0]
    if kind >= 6 and server is not None:
        fd = int(sys.argv[2])
        if kind % 2:
            os.write(fd, _raw_frame(b'{"m":' + b"[" * 1_000_000 + b"]" * 1_000_000 + b',"b":[]}'))
        else:
            os.write(fd, _raw_frame(b'{"m":{"$d":[["ok",[' + b"1," * 2_000_000 + b'1]]]},"b":[]}'))
        return W
    if kind % 4 == 0:
        return _deep()
    if kind % 4 == 1:
        loop = [W]
        loop.append(loop)
        return loop
    if kind % 4 == 2:
        return {i: W for i in range(2_000_000)}
    x = (W,)
    for _ in range(200):
        x = {"k": (x,)}
    return x


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _nested
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _nested
