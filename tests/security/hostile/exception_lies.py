"""Points without the work: exceptions that pretend to be test outcomes.

Attack: functions raise exceptions built to be mistaken for a pass or a skip
by a grader that trusts exception types or messages: pytest's own
``Skipped``/``XFailed``/``Exit`` outcome classes (when importable), classes
named ``Passed``/``AssertionError``/``StopIteration``, an exception whose
``__str__`` raises, one whose ``__str__`` is 10 MB of "PASSED", one whose
message is a fake JSON result with ``"score": 100``, and one whose ``__class__``
lookup is overridden. None of them returns a value.

Success would look like: any points (a skipped or xfailed test must still
score zero; a crash of the trusted side would show as internal_error).
Backends: bwrap, docker, subprocess
"""

import json

W = 12345.678


class Passed(Exception):
    pass


class AssertionError(Exception):  # noqa: A001 - shadows the builtin on purpose
    pass


class BadStr(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class HugeStr(Exception):
    def __str__(self):
        return "PASSED " * (10 * 2**20 // 7)


class Disguised(Exception):
    @property
    def __class__(self):
        return StopIteration


def _outcomes():
    try:
        import _pytest.outcomes as o
    except Exception:  # noqa: BLE001 - pytest may not be importable in the sandbox
        return []
    return [lambda: o.Skipped("passed"), lambda: o.XFailed("expected"), lambda: o.Exit("done", 0)]


FAKE = json.dumps({"student": "me", "score": 100, "max_score": 100, "status": "passed"})
KINDS = [
    lambda: Passed("all tests passed"),
    lambda: AssertionError("PASSED"),
    lambda: BadStr(),
    lambda: HugeStr(),
    lambda: Exception(FAKE),
    lambda: Disguised("stop"),
    lambda: StopIteration(W),
    *_outcomes(),
]
_n = [0]


def _raise(*args, **kwargs):
    _n[0] += 1
    raise KINDS[_n[0] % len(KINDS)]()


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _raise
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _raise
