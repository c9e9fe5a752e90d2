"""GitHub Classroom: the autograding result a workflow step hands to the reporter.

GitHub Classroom's reporter action (``education/autograding-grading-reporter``)
reads, for each runner, base64 of a JSON object ``{"version": 1, "status",
"max_score", "tests": [{"name", "status", "score", "message", "line_no", ...}]}``
and computes the total twice, differently:

* the students' console line ``Total points for <runner>: X/Y`` is
  (tests with status ``pass`` / tests) x ``max_score``;
* the grade GitHub Classroom records is the sum of ``tests[].score`` over
  ``max_score``.

The two agree only when every entry is worth the same. So each test case is
written as as many equal entries as it holds units of points (the greatest
common divisor of the cases' points): a 2-point case in a course whose
smallest case is worth 1 point becomes two entries, "name (1 of 2)" and
"name (2 of 2)". Both totals are then exactly the grader's score.
"""

from __future__ import annotations

import base64
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

from .results import SubmissionResult, SubmissionStatus

MESSAGE_CHARS = 1000


def _unit(points: list[float]) -> Fraction:
    """The largest amount of points that divides every case's points (at least 1/1000)."""
    fractions = [Fraction(p).limit_denominator(1000) for p in points if p > 0]
    if not fractions:
        return Fraction(1)
    denominator = math.lcm(*(f.denominator for f in fractions))
    return Fraction(math.gcd(*(int(f * denominator) for f in fractions)), denominator)


def autograding_result(result: SubmissionResult) -> dict[str, Any]:
    """The reporter's JSON for one graded submission.

    ``status`` is ``pass`` when every test passed, ``error`` when the
    submission could not be graded (no tests ran), else ``fail``.
    ``max_score`` is the tests' points (the public ones for ``grader check``).
    """
    tests: list[dict[str, Any]] = []
    unit = _unit([t.max_score for t in result.tests])
    for t in result.tests:
        parts = max(1, round(Fraction(t.max_score).limit_denominator(1000) / unit))
        message = t.message if not t.passed else ""
        if t.hint and not t.passed:
            message = f"{message}\nhint: {t.hint}"
        for i in range(parts):
            tests.append({
                "name": t.name if parts == 1 else f"{t.name} ({i + 1} of {parts})",
                "status": "pass" if t.passed else "fail",
                "score": float(unit) if t.passed else 0.0,
                "message": message[:MESSAGE_CHARS],
                "line_no": 0,
                "test_code": "",
                "filename": "",
                "duration": round(t.duration_s * 1000 / parts),
            })
    if not tests:
        tests.append({"name": "the submission", "status": "error", "score": 0.0,
                      "message": (result.message or str(result.status))[:MESSAGE_CHARS], "line_no": 0,
                      "test_code": "", "filename": result.path, "duration": 0})
    if result.status is not SubmissionStatus.GRADED and not result.tests:
        status = "error"
    elif all(t.passed for t in result.tests) and result.tests:
        status = "pass"
    else:
        status = "fail"
    max_score = float(result.max_score)
    return {"version": 1, "status": status, "max_score": int(max_score) if max_score.is_integer() else max_score,
            "tests": tests}


def step_summary(result: SubmissionResult) -> str:
    """A Markdown report of one submission for ``$GITHUB_STEP_SUMMARY``."""
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")[:300]

    lines = [f"## {cell(result.assignment)}: {result.score:g} / {result.max_score:g} public points", ""]
    if result.message:
        lines += [f"**{result.status}**: {cell(result.message)}", ""]
    if result.tests:
        lines += ["| | test | points | what to fix |", "| --- | --- | --- | --- |"]
        for t in result.tests:
            fix = "" if t.passed else cell(t.message + (f" (hint: {t.hint})" if t.hint else ""))
            lines.append(f"| {'✅' if t.passed else '❌'} | {cell(t.name)} | {t.score:g} / {t.max_score:g} | {fix} |")
    lines += ["", "These are the public tests only: your instructor also grades with hidden tests."]
    return "\n".join(lines) + "\n"


def write_step_outputs(result: SubmissionResult, output_file: Path | None, summary_file: Path | None,
                       name: str = "result") -> str:
    """Append ``name=<base64 JSON>`` to ``$GITHUB_OUTPUT`` and the Markdown report to
    ``$GITHUB_STEP_SUMMARY`` (each when given). Returns the base64 text."""
    encoded = base64.b64encode(json.dumps(autograding_result(result)).encode()).decode()
    if output_file is not None:
        with open(output_file, "a", encoding="utf-8") as f:
            f.write(f"{name}={encoded}\n")
    if summary_file is not None:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(step_summary(result))
    return encoded
