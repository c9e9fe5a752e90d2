"""Per-assignment report: points, mutant kill rate, variant pass rate, and the
grading time of the shipped submissions, all through the real sandboxed pipeline.

For each assignment (default: every one in ``assignments/``):

* points: the reference's max score from public + hidden tests;
* mutants: ``reference/<hw>/mutants/*.py`` graded; "killed" = lost any points;
* variants: ``reference/<hw>/variants/*.py`` graded; "pass" = full marks;
* shipped: ``grader grade`` on ``submissions/<hw>/`` into a throwaway store:
  wall time of the batch, and the median and largest per-submission time.

Usage: ``.venv/bin/python bench/course_report.py [hw2 hw3 ...] [--jobs 2]``.
A benchmark, not a test: times vary with the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import grade  # noqa: E402
from grader.config import load_assignment  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.harness.session import GradingSession  # noqa: E402
from grader.patches import materialize_course  # noqa: E402
from grader.sandbox import make_backend  # noqa: E402
from grader.submissions import from_path  # noqa: E402


def validity(course: Course, name: str) -> dict:
    config = load_assignment(course, name)
    ref_dir = course.reference_dir(name)
    materialize_course(course.root)  # mutants kept as patches become files
    mutants = sorted((ref_dir / "mutants").glob("*.py"))
    variants = sorted((ref_dir / "variants").glob("*.py"))
    paths = [config.reference_path, *mutants, *variants]
    backend = make_backend("bwrap", hide=[course.root])
    session = GradingSession(config, backend)
    try:
        subs = [from_path(p, config, student=f"{p.parent.name}/{p.name}") for p in paths]
        results = {r.student: r for r in session.grade(subs)}
    finally:
        session.close()
        backend.close()
    ref = results[f"{config.reference_path.parent.name}/{config.reference_path.name}"]
    killed = [m for m in mutants if results[f"mutants/{m.name}"].score < results[f"mutants/{m.name}"].max_score]
    passed = [v for v in variants if results[f"variants/{v.name}"].score == results[f"variants/{v.name}"].max_score]
    return {"points": ref.max_score, "reference": ref.score, "mutants": len(mutants), "killed": len(killed),
            "survivors": [m.name for m in mutants if m not in killed], "variants": len(variants),
            "variants_full": len(passed), "variant_failures": [v.name for v in variants if v not in passed]}


def shipped(course: Course, name: str, jobs: int) -> dict:
    if not course.submissions_dir(name).is_dir():
        return {"n": 0}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = grade.main(name, course=course.root, db=Path(tmp) / "g.db", jobs=jobs, force=True)
        wall = time.perf_counter() - t0
    walls = [r.wall_time_s for r in report.results]
    return {"n": len(walls), "batch_s": wall, "median_s": statistics.median(walls) if walls else 0.0,
            "max_s": max(walls, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    course = Course.at(ROOT)
    names = args.assignments or course.assignment_names()
    print(f"{'assignment':<10}{'points':>7}{'mutants killed':>16}{'variants full':>15}"
          f"{'shipped':>9}{'batch (s)':>11}{'median (s)':>12}{'max (s)':>9}")
    for name in names:
        v = validity(course, name)
        s = shipped(course, name, args.jobs)
        kill = f"{v['killed']}/{v['mutants']}" if v["mutants"] else "-"
        var = f"{v['variants_full']}/{v['variants']}" if v["variants"] else "-"
        print(f"{name:<10}{v['points']:>7g}{kill:>16}{var:>15}{s['n']:>9}"
              f"{s.get('batch_s', 0):>11.1f}{s.get('median_s', 0):>12.2f}{s.get('max_s', 0):>9.2f}")
        if v["reference"] != v["points"]:
            print(f"  ! reference scores {v['reference']:g}/{v['points']:g}")
        for m in v["survivors"]:
            print(f"  ! surviving mutant: {m}")
        for f in v["variant_failures"]:
            print(f"  ! variant without full marks: {f}")


if __name__ == "__main__":
    main()
