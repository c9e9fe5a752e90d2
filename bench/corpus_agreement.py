"""Grader vs oracle agreement on the real-code corpus (tests/corpus), per function.

Grades every corpus module of hw2, hw3 and hw4 through the real pipeline
(bubblewrap sandbox, public + hidden tests) and judges it with the
PyTorch-backed oracle (tests/corpus/oracle.py); prints the per-assignment
and total agreement (N of M function verdicts), the table, and every
disagreement with both sides' reasons.

    .venv/bin/python bench/corpus_agreement.py [hw2 hw3 hw4]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corpus"))

import agreement  # noqa: E402


def main(argv: list[str]) -> int:
    hws = tuple(argv) or agreement.HWS
    start = time.perf_counter()
    rows = agreement.compare(hws)
    print(agreement.table(rows))
    print()
    print("disagreements:")
    print(agreement.disagreements(rows))
    print(f"\n{len(rows)} verdicts in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
