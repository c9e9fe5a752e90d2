"""How long ``grader check`` takes from the shell, against Python's own import floor.

A student runs ``grader check hw2`` dozens of times per assignment; the target is
under 0.5 s wall for numpy homework, less than twice what Python alone needs to
import numpy and pytest. This script times, in a throwaway student folder (the
public part of the course only, as ``grader release`` gives it):

* the floor: ``python -c "import numpy, pytest"``;
* ``grader check hw2 hw2.py``: the reference solution as a module;
* ``grader check hw2 hw2.ipynb``: a graded notebook without its plotting cells, and
  with them (those cells import matplotlib: the student's own compute);

each with bubblewrap (where installed) and with the plain subprocess sandbox, and
prints medians and the ratio to the floor. Bytecode is written as a student's Python
would (``PYTHONDONTWRITEBYTECODE`` is removed from the environment), after one
warm-up run.

Usage: ``.venv/bin/python bench/check_time.py [--repeat 9]``. A benchmark, not a
test: quote medians, and the machine's load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
GRADER = PYTHON.parent / "grader"


def _timed(cmd: list[str], cwd: Path, env: dict, repeat: int) -> list[float]:
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)  # warm-up: bytecode, page cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return times


def _student_folder(where: Path) -> Path:
    folder = where / "student"
    shutil.copytree(ROOT / "assignments" / "hw2", folder / "assignments" / "hw2")
    shutil.copy(ROOT / "reference" / "hw2" / "hw2.py", folder / "hw2.py")
    notebook = json.loads((ROOT / "submissions" / "hw2" / "amara" / "hw2.ipynb").read_text())  # full marks
    (folder / "plots.ipynb").write_text(json.dumps(notebook))
    notebook["cells"] = [c for c in notebook["cells"] if "matplotlib" not in "".join(c.get("source", ""))]
    (folder / "noplots.ipynb").write_text(json.dumps(notebook))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    sandboxes = (["bwrap"] if shutil.which("bwrap") else []) + ["subprocess"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = _student_folder(Path(tmp))
        print(f"load average before: {os.getloadavg()[0]:.2f}; {args.repeat} runs each, medians")
        floor = statistics.median(_timed([str(PYTHON), "-c", "import numpy, pytest"], folder, env, args.repeat))
        print(f"{'import numpy, pytest (floor)':48s} {floor:6.3f} s")
        for sandbox in sandboxes:
            for label, file in (("module", "hw2.py"), ("notebook, no plotting cells", "noplots.ipynb"),
                                ("notebook with its matplotlib cells", "plots.ipynb")):
                times = _timed([str(GRADER), "check", "hw2", file, "--sandbox", sandbox], folder, env, args.repeat)
                med = statistics.median(times)
                print(f"{f'check {label} ({sandbox})':48s} {med:6.3f} s  {med / floor:4.2f}x floor  "
                      f"(min {min(times):.3f}, max {max(times):.3f})")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
