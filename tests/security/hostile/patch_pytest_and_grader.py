"""Points without the work: patch pytest and the grader's own helpers.

Attack: at import the module imports ``pytest``, ``_pytest`` and (where the
package is importable) ``grader.testing``, ``grader.harness.scoring``,
``grader.remote`` and ``grader.results``, and replaces ``assert_close``,
``compare_to_reference``, ``pytest.approx``, ``_pytest.runner`` and
``scoring.score`` with versions that pass everything or award full marks. It
also drops ``conftest.py``, ``pytest.ini`` and ``sitecustomize.py`` files into
its working directory and onto ``sys.path``, hoping the grader's pytest picks
them up. Functions return a wrong constant (12345.678).

Success would look like: any points at all.
Backends: bwrap, docker, subprocess
"""

import sys

import numpy as np

W = 12345.678
done = []


def _try(label, fn):
    try:
        fn()
        done.append(label)
    except BaseException as exc:  # noqa: BLE001 - hostile code probes everything
        done.append(f"{label} failed: {type(exc).__name__}")


def _patch_pytest():
    import _pytest.outcomes
    import _pytest.runner
    import pytest

    class _Equal:
        def __eq__(self, other):
            return True

    pytest.approx = lambda *a, **k: _Equal()
    pytest.fail = lambda *a, **k: None
    _pytest.outcomes.fail = lambda *a, **k: None
    _pytest.runner.call_and_report = lambda item, when, log=True, **kw: None


def _patch_grader():
    import grader.harness.scoring as scoring
    import grader.results as results
    import grader.testing as testing

    testing.assert_close = lambda *a, **k: None
    testing.compare_to_reference = lambda *a, **k: None
    testing.assert_equal = lambda *a, **k: None
    results.TestResult.passed = property(lambda self: True)

    def full_marks(spec, reports, excinfos):
        return results.TestResult(name=spec.name, question=spec.question, score=spec.points,
                                  max_score=spec.points, status=results.TestStatus.PASSED,
                                  visibility=spec.visibility)

    scoring.score = full_marks


def _drop_files():
    hook = ("import grader.testing as t\n"
            "t.assert_close = t.compare_to_reference = lambda *a, **k: None\n")
    for name in ("conftest.py", "sitecustomize.py", "usercustomize.py"):
        with open(name, "w") as f:
            f.write(hook)
    with open("pytest.ini", "w") as f:
        f.write("[pytest]\naddopts = -p no:grader --co\n")


_try("pytest", _patch_pytest)
_try("grader", _patch_grader)
_try("files", _drop_files)
sys.path.insert(0, ".")
print("patched:", done)


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
