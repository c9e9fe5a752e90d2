"""Builds the otter-grader corpus of tests/test_otter_agreement.py. Run it again after editing it.

1. ``master/softmax-losses.ipynb`` (only with ``--master``): an otter master notebook in otter 7's
   format (raw ``# ASSIGNMENT CONFIG`` / ``# BEGIN QUESTION`` / ``# BEGIN SOLUTION`` /
   ``# BEGIN TESTS`` cells), a port of hw2's softmax and losses in 10 questions. It is saved
   executed: otter takes a test cell's expected output from the master's saved outputs.
2. ``submissions/*.ipynb``: the student notebook that the real ``otter assign`` writes, its answer
   cells (tagged ``otter_answer_cell``) filled in from the source strings below; the otter init
   cell and the ``grader.check`` cells are left as they are. Kinds: ``honest-`` (full marks),
   ``mutant-`` (one mistake each), ``failing-cells-`` (one cell raises), ``stub`` (untouched) and
   ``hostile-`` (fool otter's in-process checks).
3. ``otter_scores.json``: what the real ``otter run`` (no containers) gives each submission, per
   question and in total, from the results.json it writes; ``_meta`` holds otter's version and the
   wall time of the ``otter run`` calls.

Usage (from the repository root; about 90 s, one Jupyter kernel per submission)::

    .venv/bin/python tests/otter/make_submissions.py [--master] [--dist DIR] [--as-assignment-name]

``--dist`` keeps ``otter assign``'s output in DIR (default: a temporary folder).
``--as-assignment-name`` also grades each submission saved as ``softmax-losses.ipynb`` (not written,
checked to give the same points): see the note on the init cell in ``otter_scores``.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
MASTER = HERE / "master" / "softmax-losses.ipynb"
SUBMISSIONS = HERE / "submissions"
SCORES = HERE / "otter_scores.json"
BIN = Path(sys.executable).parent
OTTER_VERSION = "7.0.0"


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# =============================================================================== master notebook

def case(code: str, *, hidden: bool = False, points: float | None = None, success: str | None = None,
         failure: str | None = None) -> str:
    """A test cell's source: otter's ``# BEGIN TEST CONFIG`` block, then the check itself."""
    lines = [f"hidden: {str(hidden).lower()}"]
    if points is not None:
        lines.append(f"points: {points}")
    if success:
        lines.append(f"success_message: {json.dumps(success)}")
    if failure:
        lines.append(f"failure_message: {json.dumps(failure)}")
    return '""" # BEGIN TEST CONFIG\n' + "\n".join(lines) + '\n""" # END TEST CONFIG\n' + _dedent(code)


# (name, question config, markdown, solution cell or None, test cells)
QUESTIONS = [
    ("q1_sigmoid", {"points": 2},
     "**Q1 (2 points).** `sigmoid(z)` = 1 / (1 + exp(-z)), elementwise; an array in, an array out.",
     """
     def sigmoid(z):
         # BEGIN SOLUTION
         return 1.0 / (1.0 + np.exp(-z))
         # END SOLUTION
     """,
     [case("np.isclose(sigmoid(0.0), 0.5)"),
      case("np.allclose(sigmoid(np.array([-1., 0., 1.])), [0.26894142, 0.5, 0.73105858])", hidden=True),
      case("isinstance(sigmoid(np.zeros(3)), np.ndarray)", hidden=True,
           failure="sigmoid of an array must be an array")]),
    ("q2_softmax", {"points": 3},
     "**Q2 (3 points).** `softmax(z)`: exp(z) / sum(exp(z)) over the last axis; a 2-D `z` holds one "
     "example per row, and each row of the result sums to 1.",
     """
     def softmax(z):
         # BEGIN SOLUTION
         e = np.exp(z - np.max(z, axis=-1, keepdims=True))
         return e / np.sum(e, axis=-1, keepdims=True)
         # END SOLUTION
     """,
     [case("softmax(np.array([0., 0.]))"),
      case("np.allclose(softmax(np.array([[1., 2., 3.], [0., 0., 0.]])).sum(axis=1), 1.0)", hidden=True,
           points=2, failure="normalise each row: sum over axis=-1 with keepdims=True"),
      case("softmax(np.zeros((2, 3))).shape")]),
    ("q3_stable", {"points": 2},
     "**Q3 (2 points).** `softmax` must stay finite for large logits: subtract each row's maximum "
     "before `exp` (the result does not change).",
     None,
     [case("np.allclose(softmax(np.array([1000., 0.])), [1., 0.])"),
      case("np.all(np.isfinite(softmax(np.array([[1e4, 0.], [-1e4, -1e4]]))))", hidden=True,
           success="softmax is stable for large logits")]),
    ("q4_log_softmax", {"points": 2},
     "**Q4 (2 points).** `log_softmax(z)` = z - logsumexp(z) over the last axis, finite for every "
     "finite z (log-sum-exp trick: logsumexp(z) = m + log(sum(exp(z - m))), m the row's maximum).",
     """
     def log_softmax(z):
         # BEGIN SOLUTION
         m = np.max(z, axis=-1, keepdims=True)
         return (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
         # END SOLUTION
     """,
     [case("np.allclose(log_softmax(np.array([0., 0.])), np.log([0.5, 0.5]))"),
      case("lp = log_softmax(np.array([[1., 2.], [3., 3.]]))\nnp.allclose(np.exp(lp).sum(axis=1), 1.0)",
           hidden=True),
      case("np.allclose(log_softmax(np.array([0., -1e4])), [0., -1e4])", hidden=True)]),
    ("q5_mse", {"points": 2},
     "**Q5 (2 points).** `mse_loss(pred, target)` = mean((pred - target)²), the mean over every "
     "entry (not the sum, not per row).",
     """
     def mse_loss(pred, target):
         # BEGIN SOLUTION
         return np.mean((pred - target) ** 2)
         # END SOLUTION
     """,
     [case("round(float(mse_loss(np.array([1., 2.]), np.array([1., 3.]))), 6)"),
      case("round(float(mse_loss(np.array([[0., 1.], [2., 3.]]), np.zeros((2, 2)))), 6)", hidden=True)]),
    ("q6_bce", {"points": 3, "all_or_nothing": True},
     "**Q6 (3 points, all or nothing).** `binary_cross_entropy(p, y)` = mean(-(y·log(p) + (1 - y)·log(1 - p))), "
     "the mean over every entry, with `p` first clipped to [eps, 1 - eps], eps = 1e-12, so that p = 0 "
     "or p = 1 gives a finite loss.",
     """
     def binary_cross_entropy(p, y):
         # BEGIN SOLUTION
         p = np.clip(p, 1e-12, 1 - 1e-12)
         return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
         # END SOLUTION
     """,
     [case("round(float(binary_cross_entropy(np.array([0.5]), np.array([1.]))), 6)"),
      case("round(float(binary_cross_entropy(np.array([0.9, 0.2]), np.array([1., 0.]))), 6)", hidden=True),
      case("np.isfinite(binary_cross_entropy(np.array([0., 1.]), np.array([1., 0.])))", hidden=True)]),
    ("q7_cross_entropy", {"points": 3},
     "**Q7 (3 points).** `cross_entropy(logits, labels)`: `logits` has shape (N, K), `labels` holds N "
     "integers in 0..K-1; the loss is the mean over the batch of -log_softmax(logits)[i, labels[i]].",
     """
     def cross_entropy(logits, labels):
         # BEGIN SOLUTION
         lp = log_softmax(logits)
         return -np.mean(lp[np.arange(len(labels)), labels])
         # END SOLUTION
     """,
     [case("round(float(cross_entropy(np.array([[0., 0.]]), np.array([0]))), 6)"),
      case("round(float(cross_entropy(np.array([[2., 0.], [0., 1.]]), np.array([0, 0]))), 6)", hidden=True,
           failure="average over the batch (divide by N)"),
      case("np.isfinite(cross_entropy(np.array([[1e4, 0.]]), np.array([1])))", hidden=True)]),
    ("q8_one_hot", {"points": 2},
     "**Q8 (2 points).** `one_hot(y, k)`: an (N, k) float array whose row i is row `y[i]` of the "
     "identity; a label outside 0..k-1 raises `ValueError`.",
     """
     def one_hot(y, k):
         # BEGIN SOLUTION
         y = np.asarray(y)
         if np.any(y < 0) or np.any(y >= k):
             raise ValueError("labels must be in 0..k-1")
         return np.eye(k)[y]
         # END SOLUTION
     """,
     [case("one_hot(np.array([0, 2]), 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]"),
      case("isinstance(one_hot(np.array([1]), 2), np.ndarray)"),
      case("try:\n    one_hot(np.array([3]), 3)\n    print('no error')\nexcept ValueError:\n    print('ValueError')",
           hidden=True, failure="a label >= k must raise ValueError")]),
    ("q9_accuracy", {"points": 2},
     "**Q9 (2 points).** `accuracy(logits, labels)`: the share of rows whose largest logit is at the "
     "row's label.",
     """
     def accuracy(logits, labels):
         # BEGIN SOLUTION
         return float(np.mean(np.argmax(logits, axis=1) == labels))
         # END SOLUTION
     """,
     [case("bool(accuracy(np.array([[2., 1.], [0., 3.]]), np.array([0, 0])) == 0.5)"),
      case("round(float(accuracy(np.array([[0., 1., 2.], [3., 2., 1.], [0., 5., 1.]]), np.array([2, 0, 0]))), 4)",
           hidden=True)]),
    ("q10_gradient", {"points": 3},
     "**Q10 (3 points).** `softmax_cross_entropy_grad(logits, labels)`: the gradient of `cross_entropy` "
     "with respect to the logits, (softmax(logits) - one_hot(labels, K)) / N.",
     """
     def softmax_cross_entropy_grad(logits, labels):
         # BEGIN SOLUTION
         p = softmax(logits)
         p[np.arange(len(labels)), labels] -= 1
         return p / len(labels)
         # END SOLUTION
     """,
     [case("np.allclose(softmax_cross_entropy_grad(np.array([[0., 0.]]), np.array([1])), [[0.5, -0.5]])"),
      case("g = softmax_cross_entropy_grad(np.array([[0., 0.], [0., 0.]]), np.array([0, 1]))\n"
           "np.allclose(g, [[-0.25, 0.25], [0.25, -0.25]])", hidden=True, points=1.5,
           success="the gradient is averaged over the batch"),
      case("softmax_cross_entropy_grad(np.zeros((4, 3)), np.array([0, 1, 2, 0])).shape", hidden=True)]),
]

ASSIGNMENT_CONFIG = """
# ASSIGNMENT CONFIG
export_cell: false
generate: true
"""


def _yaml(config: dict) -> str:
    return "\n".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in config.items())


def master_notebook() -> nbformat.NotebookNode:
    def raw(text: str) -> nbformat.NotebookNode:
        return nbformat.v4.new_raw_cell(_dedent(text))

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cells = [raw(ASSIGNMENT_CONFIG),
             nbformat.v4.new_markdown_cell(
                 "# Softmax and losses\n\nAn otter-grader port of hw2 (numpy only). Fill in each function; "
                 "run `grader.check` after each question."),
             nbformat.v4.new_code_cell("import numpy as np")]
    for name, config, text, solution, tests in QUESTIONS:
        cells.append(raw(f"# BEGIN QUESTION\nname: {name}\n{_yaml(config)}"))
        cells.append(nbformat.v4.new_markdown_cell(text))
        if solution is not None:
            cells += [raw("# BEGIN SOLUTION"), nbformat.v4.new_code_cell(_dedent(solution)), raw("# END SOLUTION")]
        cells.append(raw("# BEGIN TESTS"))
        cells += [nbformat.v4.new_code_cell(test) for test in tests]
        cells += [raw("# END TESTS"), raw("# END QUESTION")]
    nb.cells = cells
    return nb


def write_master() -> None:
    nb = master_notebook()
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    MASTER.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, MASTER)


def otter_assign(dist: Path) -> None:
    """The real ``otter assign`` (which also runs the tests on the solution and fails if one fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(MASTER, Path(tmp) / MASTER.name)
        shutil.rmtree(dist, ignore_errors=True)
        done = subprocess.run([str(BIN / "otter"), "assign", MASTER.name, str(dist)], cwd=tmp,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"otter assign failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


# =============================================================================== submissions
# A submission is {function name: the answer cell's source}; "__before__" is put at the top of the
# first answer cell (imports, helpers, a hostile notebook's set-up). A function left out keeps the
# student notebook's stub (``def f(...): ...``).

def _reference() -> dict[str, str]:
    out = {}
    for _, _, _, solution, _ in QUESTIONS:
        if solution:
            code = "\n".join(line for line in _dedent(solution).splitlines() if "SOLUTION" not in line)
            out[code.split("(")[0].removeprefix("def ")] = code
    return out


REFERENCE = _reference()


def ref(**changes: str) -> dict[str, str]:
    """The reference's answers with some replaced."""
    return {**REFERENCE, **{name: _dedent(code) for name, code in changes.items()}}


# ------------------------------------------------------------------------------- honest
HONEST = {
    "honest-reference": ref(),
    "honest-loops": ref(
        sigmoid="""
            def sigmoid(z):
                z = np.asarray(z, dtype=float)
                out = np.empty_like(z)
                for i, v in np.ndenumerate(z):
                    out[i] = 1.0 / (1.0 + np.exp(-v))
                return out if out.ndim else float(out)
            """,
        softmax="""
            def softmax(z):
                z = np.asarray(z, dtype=float)
                rows = z.reshape(-1, z.shape[-1])
                out = []
                for row in rows:
                    m = max(row)
                    e = [np.exp(v - m) for v in row]
                    s = sum(e)
                    out.append([v / s for v in e])
                return np.array(out).reshape(z.shape)
            """,
        mse_loss="""
            def mse_loss(pred, target):
                diffs = (np.asarray(pred, float) - np.asarray(target, float)).ravel()
                total = 0.0
                for d in diffs:
                    total += d * d
                return total / len(diffs)
            """,
        one_hot="""
            def one_hot(y, k):
                out = np.zeros((len(y), k))
                for i, label in enumerate(y):
                    if not 0 <= label < k:
                        raise ValueError(f"label {label} is not in 0..{k - 1}")
                    out[i, label] = 1.0
                return out
            """,
        accuracy="""
            def accuracy(logits, labels):
                right = 0
                for row, label in zip(logits, labels):
                    if int(np.argmax(row)) == int(label):
                        right += 1
                return right / len(labels)
            """,
        softmax_cross_entropy_grad="""
            def softmax_cross_entropy_grad(logits, labels):
                grad = softmax(logits).copy()
                for i, label in enumerate(labels):
                    grad[i, label] -= 1.0
                return grad / logits.shape[0]
            """),
    # log-sum-exp everywhere, np.take_along_axis, log1p, Python floats returned
    "honest-logsumexp": ref(
        softmax="""
            def softmax(z):
                m = z.max(axis=-1, keepdims=True)
                lse = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
                return np.exp(z - lse)
            """,
        log_softmax="""
            def log_softmax(z):
                m = z.max(axis=-1, keepdims=True)
                return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
            """,
        binary_cross_entropy="""
            def binary_cross_entropy(p, y):
                eps = 1e-12
                p = np.minimum(np.maximum(p, eps), 1 - eps)
                return float(np.mean(-(y * np.log(p)) - (1 - y) * np.log1p(-p)))
            """,
        cross_entropy="""
            def cross_entropy(logits, labels):
                picked = np.take_along_axis(log_softmax(logits), labels[:, None], axis=1)
                return float(-picked.mean())
            """),
    # cross-entropy and its gradient through one-hot matrices, a numerically stable sigmoid, numpy scalars
    "honest-one-hot-style": ref(
        sigmoid="""
            def sigmoid(z):
                z = np.asarray(z, dtype=float)
                small = np.exp(-np.abs(z))
                out = np.where(z >= 0, 1 / (1 + small), small / (1 + small))
                return out if out.ndim else out[()]
            """,
        cross_entropy="""
            def cross_entropy(logits, labels):
                y = np.eye(logits.shape[1])[labels]  # one_hot comes later, in Q8
                return -np.sum(y * log_softmax(logits)) / logits.shape[0]
            """,
        accuracy="""
            def accuracy(logits, labels):
                return (logits.argmax(-1) == labels).mean()
            """,
        softmax_cross_entropy_grad="""
            def softmax_cross_entropy_grad(logits, labels):
                n, k = logits.shape
                return (softmax(logits) - one_hot(labels, k)) / n
            """),
    # einsum, a dot product, broadcasting comparisons
    "honest-einsum": ref(
        softmax="""
            def softmax(z):
                shifted = z - z.max(-1)[..., None]
                e = np.exp(shifted)
                return e / np.einsum('...k->...', e)[..., None]
            """,
        mse_loss="""
            def mse_loss(pred, target):
                d = (pred - target).ravel()
                return float(d @ d) / d.size
            """,
        one_hot="""
            def one_hot(y, k):
                y = np.asarray(y, dtype=int)
                if y.min() < 0 or y.max() >= k:
                    raise ValueError("a label is out of range")
                return (y[:, None] == np.arange(k)[None, :]).astype(float)
            """,
        accuracy="""
            def accuracy(logits, labels):
                return np.count_nonzero(logits.argmax(axis=1) == labels) / labels.shape[0]
            """),
    # Python lists and the math module, converted back to numpy arrays at the end
    "honest-python-lists": ref(
        __before__="import math",
        sigmoid="""
            def _sigmoid1(v):
                if v >= 0:
                    return 1 / (1 + math.exp(-v))
                e = math.exp(v)
                return e / (1 + e)

            def sigmoid(z):
                if np.ndim(z) == 0:
                    return _sigmoid1(float(z))
                return np.array([_sigmoid1(v) for v in np.ravel(z).tolist()]).reshape(np.shape(z))
            """,
        softmax="""
            def _softmax_row(row):
                m = max(row)
                e = [math.exp(v - m) for v in row]
                s = math.fsum(e)
                return [v / s for v in e]

            def softmax(z):
                z = np.asarray(z, dtype=float)
                rows = z.reshape(-1, z.shape[-1]).tolist()
                return np.array([_softmax_row(r) for r in rows]).reshape(z.shape)
            """,
        log_softmax="""
            def log_softmax(z):
                z = np.asarray(z, dtype=float)
                out = []
                for row in z.reshape(-1, z.shape[-1]).tolist():
                    m = max(row)
                    lse = m + math.log(math.fsum(math.exp(v - m) for v in row))
                    out.append([v - lse for v in row])
                return np.array(out).reshape(z.shape)
            """,
        binary_cross_entropy="""
            def binary_cross_entropy(p, y):
                eps = 1e-12
                terms = []
                for pi, yi in zip(np.ravel(p).tolist(), np.ravel(y).tolist()):
                    pi = min(max(pi, eps), 1 - eps)
                    terms.append(-(yi * math.log(pi) + (1 - yi) * math.log(1 - pi)))
                return math.fsum(terms) / len(terms)
            """),
}

# ------------------------------------------------------------------------------- one mistake each
MUTANTS = {
    "mutant-softmax-axis0": ref(softmax="""
        def softmax(z):
            e = np.exp(z - np.max(z, axis=-1, keepdims=True))
            return e / np.sum(e, axis=0)
        """),
    "mutant-softmax-no-max": ref(softmax="""
        def softmax(z):
            e = np.exp(z)
            return e / np.sum(e, axis=-1, keepdims=True)
        """),
    "mutant-bce-sum": ref(binary_cross_entropy="""
        def binary_cross_entropy(p, y):
            p = np.clip(p, 1e-12, 1 - 1e-12)
            return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
        """),
    "mutant-ce-sum": ref(cross_entropy="""
        def cross_entropy(logits, labels):
            lp = log_softmax(logits)
            return -np.sum(lp[np.arange(len(labels)), labels])
        """),
    "mutant-one-hot-off-by-one": ref(one_hot="""
        def one_hot(y, k):
            y = np.asarray(y)
            if np.any(y < 0) or np.any(y > k):
                raise ValueError("labels must be in 0..k-1")
            return np.eye(k)[y]
        """),
    "mutant-grad-no-mean": ref(softmax_cross_entropy_grad="""
        def softmax_cross_entropy_grad(logits, labels):
            p = softmax(logits)
            p[np.arange(len(labels)), labels] -= 1
            return p
        """),
    "mutant-accuracy-axis0": ref(accuracy="""
        def accuracy(logits, labels):
            return float(np.mean(np.argmax(logits, axis=0) == labels))
        """),
    "mutant-mse-sum": ref(mse_loss="""
        def mse_loss(pred, target):
            return np.sum((pred - target) ** 2)
        """),
    "mutant-sigmoid-sign": ref(sigmoid="""
        def sigmoid(z):
            return 1.0 / (1.0 + np.exp(z))
        """),
}

# ------------------------------------------------------------------------------- a cell raises
FAILING = {
    # the cell stops at its first line, so cross_entropy is never defined
    "failing-cells-nameerror": ref(cross_entropy="""
        check_inputs(logits, labels)  # a helper the student never wrote
        def cross_entropy(logits, labels):
            lp = log_softmax(logits)
            return -np.mean(lp[np.arange(len(labels)), labels])
        """),
    "failing-cells-syntax": ref(accuracy="""
        def accuracy(logits, labels)
            return float(np.mean(np.argmax(logits, axis=1) == labels))
        """),
}

# ------------------------------------------------------------------------------- hostile
# Each puts its set-up in the first answer cell (before the first grader.check) and fills every
# answer cell, so it works whether otter grades at the grader.check cells or at the end. Their
# functions return nothing that passes a check on its own (None, nan, an object that is not a
# number): whatever otter gives them beyond the stub's 0 comes from fooling its checks.
FUNCTIONS = list(REFERENCE)
SIGNATURES = {name: code.split("\n")[0] for name, code in REFERENCE.items()}


def every_function(body: str, **extra: str) -> dict[str, str]:
    """Every answer cell defines its function with ``body``; ``extra`` adds set-up code."""
    out = {name: f"{SIGNATURES[name]}\n    {body}" for name in FUNCTIONS}
    out.update({k: _dedent(v) for k, v in extra.items()})
    return out


ALWAYS_EQUAL = every_function("return Anything()", __before__='''
    class Anything:
        """Equal to everything; its own sum, exp and list; an ndarray to isinstance."""
        __class__ = property(lambda self: np.ndarray)   # isinstance(x, np.ndarray) -> True
        shape = (2, 3)
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __bool__(self): return True
        def __repr__(self): return "array([0.5, 0.5])"
        def __float__(self): return 0.5
        def __sub__(self, other): return self     # np.isclose: abs(x - y) <= tol ...
        __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __sub__
        def __abs__(self): return 0.0              # ... is 0 <= tol
        def __array__(self, dtype=None, copy=None):
            out = np.empty((), dtype=object)
            out[()] = self
            return out
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return np.True_ if ufunc is np.isfinite else self
        def sum(self, *args, **kwargs): return self
        def mean(self, *args, **kwargs): return self
        def tolist(self): return self
        def __getitem__(self, key): return self
    ''')

# the functions stay the stub's (they return None): only the patched checks differ from the stub
PATCHED_ISCLOSE = every_function("...", __before__="""
    # every numpy check passes, whatever the functions return
    np.isclose = lambda *args, **kwargs: np.True_
    np.allclose = lambda *args, **kwargs: True
    np.isfinite = lambda *args, **kwargs: np.True_
    np.all = lambda *args, **kwargs: np.True_
    """)

PRINTED = every_function("return _say()", __before__='''
    import sys

    # doctest shows an expression's value with sys.__displayhook__: show nothing, so that only
    # what the functions print is compared with the expected output
    sys.__displayhook__ = lambda value: None

    def _say(text="True"):
        print(text)
        return np.float64("nan")   # fails every check on its own, raises in few

    print("q1_sigmoid results: All test cases passed!")
    ''')
PRINTED["softmax"] = _dedent("""
    def softmax(z):
        if np.shape(z) == (2,) and not np.any(z):
            return _say("array([0.5, 0.5])")
        return _say()
    """)

SYS_EXIT = every_function("...", __before__='''
    import atexit, pickle, re, sys

    def _full_marks():
        """Runs when the kernel exits: after otter's last cell has pickled its results."""
        for source in reversed(globals().get("In", [])):
            found = re.search(r'open\\("([^"]+[.]pkl)", "wb', source)
            if found:
                break
        else:
            return
        with open(found.group(1), "rb") as f:
            results = pickle.load(f)
        for test_file in results.results.values():
            for result in test_file.test_case_results:
                result.passed = True
        with open(found.group(1), "wb") as f:
            pickle.dump(results, f)

    atexit.register(_full_marks)
    print("q1_sigmoid: all tests passed")
    sys.exit(0)   # the rest of this cell never runs
    ''')

HOSTILE = {
    "hostile-always-equal": ALWAYS_EQUAL,
    "hostile-patched-isclose": PATCHED_ISCLOSE,
    "hostile-printed": PRINTED,
    "hostile-sys-exit": SYS_EXIT,
}

ALL = {"stub": {}, **HONEST, **MUTANTS, **FAILING, **HOSTILE}


def fill(student: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the student notebook with its answer cells replaced (the rest kept as it is)."""
    nb = copy.deepcopy(student)
    answer_cells = [c for c in nb.cells if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])]
    assert [c.source.split("(")[0].removeprefix("def ") for c in answer_cells] == FUNCTIONS, "unexpected stubs"
    for i, cell in enumerate(answer_cells):
        name = FUNCTIONS[i]
        source = answers.get(name, cell.source)
        if i == 0 and "__before__" in answers:
            source = _dedent(answers["__before__"]) + "\n\n" + source
        cell.source = source
        cell.outputs, cell.execution_count = [], None
    return nb


def write_submissions(student: nbformat.NotebookNode) -> list[Path]:
    shutil.rmtree(SUBMISSIONS, ignore_errors=True)
    SUBMISSIONS.mkdir(parents=True)
    paths = []
    for name, answers in sorted(ALL.items()):
        path = SUBMISSIONS / f"{name}.ipynb"
        nbformat.write(fill(student, answers), path)
        paths.append(path)
    return paths


# =============================================================================== otter run

def otter_run(ag_zip: Path, path: Path) -> tuple[dict[str, float], float]:
    """``otter run`` on one notebook: its points per question, and the call's wall time."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "otter"), "run", "-a", str(ag_zip), "-o", out, "--no-logo", str(path)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"otter run failed on {path.name}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        results = json.loads((Path(out) / "results.json").read_text())
    return {t["name"]: t["score"] for t in results["tests"] if t.get("max_score") is not None}, seconds


def otter_scores(ag_zip: Path, paths: list[Path]) -> dict:
    """The real ``otter run`` on each submission, under its own file name.

    Note: the student notebook's init cell is ``otter.Notebook("softmax-losses.ipynb")``, which
    reads that file; graded under another name, the init cell raises FileNotFoundError, every
    ``grader.check`` cell then raises NameError, and otter grades every question in its final cell,
    on the notebook's final globals (saved as ``softmax-losses.ipynb``, a question is graded at its
    ``grader.check`` cell). No submission here depends on the difference.
    """
    scores, times = {}, []
    for path in paths:
        per_question, seconds = otter_run(ag_zip, path)
        times.append(seconds)
        total = round(sum(per_question.values()), 6)
        scores[path.stem] = {**per_question, "total": total}
        print(f"{path.stem:28s} {total:6.2f}  {seconds:5.1f} s", flush=True)
    scores["_meta"] = {"otter_version": OTTER_VERSION, "seconds_total": round(sum(times), 2),
                       "seconds_median": round(statistics.median(times), 3), "submissions": len(paths)}
    return scores


def check(scores: dict) -> list[str]:
    """What the corpus promises: honest work gets full marks, every mutant and failing notebook
    loses points, every hostile notebook gets more than the stub."""
    full = scores["honest-reference"]["total"]
    stub = scores["stub"]["total"]
    problems = []
    for name, s in scores.items():
        if name.startswith("honest") and s["total"] != full:
            problems.append(f"{name}: {s['total']} < {full}")
        if name.startswith(("mutant", "failing")) and not s["total"] < full:
            problems.append(f"{name} loses nothing")
        if name.startswith("hostile") and not s["total"] > stub:
            problems.append(f"{name}: {s['total']}, not more than the stub's {stub}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--master", action="store_true", help="rebuild and execute the master notebook first")
    parser.add_argument("--dist", type=Path, help="where to keep otter assign's output")
    parser.add_argument("--as-assignment-name", action="store_true",
                        help="also grade each submission saved as softmax-losses.ipynb: the same points?")
    args = parser.parse_args()
    if args.master:
        write_master()
    with tempfile.TemporaryDirectory() as tmp:
        dist = args.dist.resolve() if args.dist else Path(tmp) / "dist"
        otter_assign(dist)
        student = nbformat.read(dist / "student" / MASTER.name, as_version=4)
        paths = write_submissions(student)
        ag_zip = sorted((dist / "autograder").glob("*.zip"))[-1]
        scores = otter_scores(ag_zip, paths)
        SCORES.write_text(json.dumps(scores, indent=1, sort_keys=True) + "\n")
        problems = check(scores)
        if args.as_assignment_name:
            print("\nsaved as softmax-losses.ipynb:")
            for path in paths:
                named = Path(tmp) / "named" / path.stem / MASTER.name
                named.parent.mkdir(parents=True)
                shutil.copy(path, named)
                per_question, _ = otter_run(ag_zip, named)
                print(f"{path.stem:28s} {sum(per_question.values()):6.2f}", flush=True)
                if {q: p for q, p in scores[path.stem].items() if q != "total"} != per_question:
                    problems.append(f"{path.stem}: {per_question} when saved as {MASTER.name}")
    print("\n".join(problems) or "checks: honest full marks, mutants/failing lose points, hostile > stub")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
