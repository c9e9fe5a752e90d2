"""Points lost per single mistake, before and after a change to the hidden suites.

Every single-mistake submission we have is graded twice through the real
sandboxed pipeline (public + hidden tests): once by the course at a base
revision (a ``git worktree`` of it), once by the working tree. The mistakes are
today's files, so both sides grade the same code:

* ``reference/<hw>/mutants/*.py`` (one plausible mistake each; hw2 and hw3 keep theirs as ``*.patch``);
* hw3's injected ``Value`` mistakes (``tests/assignments/test_hw3_one_mistake.py``:
  one wrong primitive at a time).

For each mistake it prints the questions charged and the points lost (of 100),
before and after, then per assignment: the mistakes charged in more than one
question (composition, where it exists, counted apart: it is where the
pieces meet) and the median points lost.

Usage: ``.venv/bin/python bench/points_per_mistake.py [--base 03d99f9] [hw3 ...] [--markdown FILE]``.
Takes a few minutes (hw1-hw5: about 200 submissions, twice).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOMEWORKS = ["hw1", "hw2", "hw3", "hw4", "hw5"]
COMPOSITION = {"value_composition"}

GRADE = r"""
import json, sys
from pathlib import Path
from grader.config import load_assignment
from grader.course import Course
from grader.harness.session import GradingSession
from grader.sandbox import make_backend
from grader.submissions import from_path

root, hw, *files = sys.argv[1:]
config = load_assignment(Course.at(Path(root)), hw)
backend = make_backend("bwrap", hide=[Path(root)])
session = GradingSession(config, backend, include_hidden=True)
try:
    subs = [from_path(Path(f), config, student=str(i)) for i, f in enumerate(files)]
    out = {}
    for r in session.grade(subs):
        lost = {}
        for t in r.tests:
            if t.score < t.max_score:
                lost[t.question] = lost.get(t.question, 0.0) + t.max_score - t.score
        out[files[int(r.student)]] = {"status": r.status.value, "max": r.max_score, "lost": lost}
finally:
    session.close()
    backend.close()
print("RESULT " + json.dumps(out))
"""


def mistakes(hw: str, folder: Path) -> dict[str, Path]:
    """name -> file of every single mistake of ``hw`` (hw3's injections written into ``folder``)."""
    sys.path.insert(0, str(ROOT))
    from grader.patches import materialize_course  # noqa: PLC0415

    materialize_course(ROOT)  # mutants kept as patches become files
    found = {f"{hw}/{p.stem}": p for p in sorted((ROOT / "reference" / hw / "mutants").glob("*.py"))}
    if hw == "hw3":
        sys.path.insert(0, str(ROOT / "tests" / "assignments"))
        from test_hw3_one_mistake import INJECTIONS, REFERENCE, inject  # noqa: PLC0415
        source = REFERENCE.read_text()
        for name, (method, old, new, _own) in INJECTIONS.items():
            path = folder / f"injected_{name}.py"
            path.write_text(inject(source, method, old, new))
            found[f"hw3/injected:{name}"] = path
    return found


def grade(course_root: Path, hw: str, files: list[Path]) -> dict[str, dict]:
    """Grade ``files`` with the course at ``course_root``: file -> {status, max, lost: {question: points}}."""
    env = dict(os.environ, PYTHONPATH=str(course_root))
    proc = subprocess.run([sys.executable, "-c", GRADE, str(course_root), hw, *map(str, files)],
                          cwd=course_root, env=env, capture_output=True, text=True, timeout=3600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"grading {hw} at {course_root} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def charged(lost: dict[str, float]) -> str:
    return ", ".join(f"{q} {p:g}" for q, p in sorted(lost.items())) or "nothing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("homeworks", nargs="*", default=HOMEWORKS)
    parser.add_argument("--base", default="03d99f9", help="the revision graded as 'before'")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base_root = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base_root), args.base], cwd=ROOT, check=True)
        try:
            rows, summary = [], []
            for hw in args.homeworks:
                folder = Path(tmp) / hw
                folder.mkdir()
                found = mistakes(hw, folder)
                files = list(found.values())
                before, after = grade(base_root, hw, files), grade(ROOT, hw, files)
                multi_before = multi_after = 0
                lost_before, lost_after = [], []
                for name, path in found.items():
                    b, a = before[str(path)], after[str(path)]
                    rows.append((name, charged(b["lost"]), charged(a["lost"])))
                    multi_before += len(set(b["lost"]) - COMPOSITION) > 1
                    multi_after += len(set(a["lost"]) - COMPOSITION) > 1
                    lost_before.append(sum(b["lost"].values()))
                    lost_after.append(sum(a["lost"].values()))
                summary.append((hw, len(found), multi_before, multi_after,
                                statistics.median(lost_before), statistics.median(lost_after),
                                sum(x == 0 for x in lost_before), sum(x == 0 for x in lost_after)))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_root)], cwd=ROOT, check=False)

    lines = [f"Points lost per single mistake (of 100), before = {args.base}, after = working tree", "",
             "| mistake | before: questions charged (points) | after |", "| --- | --- | --- |"]
    lines += [f"| {n} | {b} | {a} |" for n, b, a in rows]
    lines += ["", "| assignment | mistakes | in >1 question before | after | median points lost before | after "
              "| not caught before | after |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {hw} | {n} | {mb} | {ma} | {lb:g} | {la:g} | {zb} | {za} |"
              for hw, n, mb, ma, lb, la, zb, za in summary]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
