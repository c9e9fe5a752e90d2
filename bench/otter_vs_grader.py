"""otter-grader against this grader on the same otter assignment and submissions.

The master notebook ``tests/otter/master/softmax-losses.ipynb`` goes through the real ``otter
assign``, then every submission of ``tests/otter/submissions/`` is graded:

* by ``otter run`` (otter-grader 7.0.0, no containers: a Jupyter kernel per submission, the tests
  in the student's process), one submission per command, as otter grades locally;
* by ``grader grade`` after ``grader import otter`` (bubblewrap sandbox, tests in the trusted
  process), the whole folder in one command, ``--force`` so every round grades again: once with
  ``--jobs 1`` (one submission at a time, as the otter loop) and once with the default (one per
  CPU core).

Prints the wall time of each round and, per tool, the median seconds per submission, and the
ratios. Usage: ``.venv/bin/python bench/otter_vs_grader.py [--rounds 3] [--sandbox bwrap]``.
This is a benchmark, not a test: numbers vary with machine load; quote medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "tests" / "otter" / "master" / "softmax-losses.ipynb"
SUBMISSIONS = sorted((ROOT / "tests" / "otter" / "submissions").glob("*.ipynb"))
BIN = Path(sys.executable).parent
NAME = "softmax-otter"


def run(*args: object, cwd: Path | None = None) -> None:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sandbox", default="bwrap")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-otter-"))
    try:
        shutil.copy(MASTER, work / MASTER.name)
        run(BIN / "otter", "assign", MASTER.name, "dist", cwd=work)
        ag_zip = sorted((work / "dist" / "autograder").glob("*.zip"))[-1]
        course = work / "course"
        (course / "assignments").mkdir(parents=True)
        run(BIN / "grader", "--course", course, "import", "otter", work / "dist", "--as", NAME,
            "--sandbox", args.sandbox)
        subs = course / "submissions" / NAME
        subs.mkdir(parents=True)
        for path in SUBMISSIONS:
            shutil.copy(path, subs / path.name)
        n = len(SUBMISSIONS)
        otter_times, serial_times, grader_times = [], [], []
        for r in range(args.rounds):
            out = work / f"otter-out-{r}"
            out.mkdir()
            start = time.perf_counter()
            for path in SUBMISSIONS:
                run(BIN / "otter", "run", "-a", ag_zip, "-o", out, "--no-logo", path)
            otter_times.append(time.perf_counter() - start)
            for jobs, times in (("1", serial_times), (None, grader_times)):
                start = time.perf_counter()
                run(BIN / "grader", "--course", course, "grade", NAME, "--force", "--sandbox", args.sandbox,
                    *(("--jobs", jobs) if jobs else ()))
                times.append(time.perf_counter() - start)
            print(f"round {r + 1}: otter run {otter_times[-1]:.1f} s, grader grade --jobs 1 {serial_times[-1]:.1f} s, "
                  f"grader grade {grader_times[-1]:.1f} s ({n} submissions)", flush=True)
        o, s, g = (statistics.median(t) for t in (otter_times, serial_times, grader_times))
        print(f"median round, per submission: otter run {o / n:.3f} s, grader grade --jobs 1 {s / n:.3f} s, "
              f"grader grade {g / n:.3f} s; otter / grader: {o / s:.1f}x one at a time, {o / g:.1f}x by default")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
