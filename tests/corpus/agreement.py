"""Agreement between the grader and the oracle on the corpus, per function.

The corpus (``tests/corpus/hw2``, ``hw3``, ``hw4``) is graded through the real
pipeline (bubblewrap sandbox, public + hidden tests, one session per
assignment, :func:`validity.grade_files`), and judged by :mod:`oracle`.

A unit (a function, or a part of hw3's ``Value``) *passes in the grader* when
every test mapped to it passes. Tests map to units by question (the
``question`` marker), and inside a question that covers several functions by
the test's name (``MAP`` below): a test whose name names no unit of its
question (e.g. a public test that checks two functions at once) counts for
every unit of the question.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (HERE, ROOT / "tests" / "assignments"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import oracle  # noqa: E402
from validity import grade_files, student_id  # noqa: E402

HWS = ("hw2", "hw3", "hw4")

# hw -> question -> [(unit, regex on the test's name after '::', or None: every test of the question)]
MAP: dict[str, dict[str, list[tuple[str, str | None]]]] = {
    "hw2": {
        "softmax": [("softmax", r"(?<!log_)softmax|slide_example|batch_rows"), ("log_softmax", r"log_softmax")],
        "losses": [("mse_loss", r"mse"), ("binary_cross_entropy", r"bce|binary_cross_entropy"),
                   ("cross_entropy", r"(?<!binary_)cross_entropy")],
        "softmax_loss": [("softmax_loss", None)],
        "spiral": [("spiral_data", None)],
        "linear_classifier": [("l2_penalty", r"l2_penalty"),
                              ("train_linear_softmax", r"^(?!.*l2_penalty)")],
    },
    "hw3": {
        "affine_backward": [("affine_backward", None)],
        "activations": [("relu_forward", r"relu_forward"), ("relu_backward", r"relu_backward|relu_forward_backward"),
                        ("sigmoid_forward", r"sigmoid_forward"),
                        ("sigmoid_backward", r"sigmoid_backward|sigmoid_forward_backward")],
        "two_layer_net": [("two_layer_net", None)],
        "gradient_check": [("numerical_gradient", None)],
        "value_ops": [("Value.ops", None)],
        "value_backward": [("Value.backward", None)],
        "value_composition": [("Value", None)],
    },
    "hw4": {q: [(f, None)] for q, f in [("linear_regression", "linear_regression_gd"), ("sgd", "sgd"),
                                        ("momentum", "sgd_momentum"), ("rmsprop", "rmsprop"), ("adam", "adam"),
                                        ("adagrad", "adagrad"), ("adadelta", "adadelta")]},
}


def corpus_files(hw: str) -> list[Path]:
    return sorted((HERE / hw).glob("*.py"))


def units_of(hw: str, question: str, test_name: str) -> list[str]:
    """The units a test counts for."""
    entries = MAP[hw].get(question)
    if entries is None:
        return []
    name = test_name.split("::", 1)[-1]
    hit = [u for u, pat in entries if pat is None or re.search(pat, name)]
    return hit or [u for u, _ in entries]


@dataclass
class Row:
    hw: str
    module: str
    unit: str
    grader: bool
    oracle: bool
    grader_why: str
    oracle_why: str

    @property
    def key(self) -> str:
        return f"{self.hw}/{self.module}::{self.unit}"

    @property
    def agree(self) -> bool:
        return self.grader == self.oracle


def grader_verdicts(hw: str, files: list[Path]) -> dict[str, dict[str, tuple[bool, str]]]:
    """module stem -> unit -> (passes, first failing test and its message)."""
    results = grade_files(hw, files, include_hidden=True)
    out: dict[str, dict[str, tuple[bool, str]]] = {}
    for f in files:
        res = results[student_id(f)]
        verdict = {u: (True, "") for u in oracle.UNITS[hw]}
        if not res.tests:
            verdict = {u: (False, f"not graded: {res.status} {res.message[:200]}") for u in verdict}
        for t in res.tests:
            if t.passed:
                continue
            for u in units_of(hw, t.question, t.name):
                if verdict[u][0]:
                    verdict[u] = (False, f"{t.name}: {t.message[:200]}")
        out[f.stem] = verdict
    return out


def compare(hws: tuple[str, ...] = HWS) -> list[Row]:
    rows: list[Row] = []
    for hw in hws:
        files = corpus_files(hw)
        graded = grader_verdicts(hw, files)
        for f in files:
            verdicts = oracle.judge(hw, oracle.load(f))
            for unit in oracle.UNITS[hw]:
                g_ok, g_why = graded[f.stem][unit]
                v = verdicts[unit]
                rows.append(Row(hw, f.stem, unit, g_ok, v.ok, g_why, v.reason))
    return rows


def table(rows: list[Row]) -> str:
    lines = []
    for hw in dict.fromkeys(r.hw for r in rows):
        mine = [r for r in rows if r.hw == hw]
        units = list(dict.fromkeys(r.unit for r in mine))
        lines.append(f"{hw}: agreement {sum(r.agree for r in mine)} of {len(mine)} function verdicts")
        lines.append("  legend: ++ both pass, -- both fail, +! grader passes / oracle fails (false pass), "
                     "!+ grader fails / oracle passes")
        width = max(len(r.module) for r in mine)
        lines.append("  " + " " * width + " " + " ".join(f"{i:>2d}" for i in range(len(units))))
        for module in dict.fromkeys(r.module for r in mine):
            cells = []
            for unit in units:
                r = next(r for r in mine if r.module == module and r.unit == unit)
                cells.append({(True, True): "++", (False, False): "--", (True, False): "+!",
                              (False, True): "!+"}[(r.grader, r.oracle)])
            lines.append(f"  {module:<{width}s} " + " ".join(cells))
        lines.append("  columns: " + ", ".join(f"{i}={u}" for i, u in enumerate(units)))
    total = sum(r.agree for r in rows)
    lines.append(f"total: agreement {total} of {len(rows)} function verdicts ({100.0 * total / max(1, len(rows)):.1f}%)")
    return "\n".join(lines)


def disagreements(rows: list[Row]) -> str:
    out = []
    for r in rows:
        if not r.agree:
            side = "FALSE PASS (grader passes, oracle fails)" if r.grader else "grader fails, oracle passes"
            out.append(f"{r.key}: {side}\n    grader: {r.grader_why or 'all tests pass'}\n"
                       f"    oracle: {r.oracle_why or 'right'}")
    return "\n".join(out) or "no disagreements"
