"""Early exit: ``os._exit(0)`` inside every function, after a forged reply.

Attack: each function first writes a forged, well-formed reply frame
(``{"ok": 0.5}``) to every file descriptor, flushes, and then ends the worker
with ``os._exit(0)``: exit status 0, no exception, no traceback. A grader that
treated a clean exit as success, or took the forged frame as the result,
would award points; one that did not restart the worker would lose the rest
of the submission's tests.

Success would look like: any points, or the grader failing (internal_error).
Backends: bwrap, docker, subprocess
"""

import json
import os
import struct

W = 12345.678


def _frame(obj):
    header = json.dumps({"m": obj, "b": []}).encode()
    payload = struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(payload)) + payload


def _leave(*args, **kwargs):
    for fd in range(256):
        try:
            os.write(fd, _frame({"$d": [["ok", 0.5]]}))
        except OSError:
            pass
    os._exit(0)


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _leave
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _leave
