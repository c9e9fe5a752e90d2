"""nbgrader's side of bench/peers.py; runs with the nbgrader venv's Python (build/bench-peers/nbgrader).

    setup ROOT                       nbgrader generate_assignment hw1 in the course ROOT (its API), untimed
    api --roots R0 R1 --students F   NbGraderAPI.autograde("hw1", student) in 2 warm worker processes, one
                                     course root each (their own gradebook.db), students handed out in order
                                     to whichever worker is free
    cli --roots R0 R1                `nbgrader autograde hw1 --force` run in each root at once (each root's
                                     submitted/ holds its share of the students), 2 processes side by side

Writes one JSON object (to --out, or stdout): batch_s (the first worker's start to the last result:
process starts, imports and kernels included), scores {student: [score, max_score]}, read from the
gradebooks after the clock stops, and errors {student or root: the error lines of nbgrader's log}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ASSIGNMENT = "hw1"
_API = None


def _api(root: str):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = root
    config.CourseDirectory.course_id = "bench"
    return NbGraderAPI(config=config)


def _warm(roots) -> None:
    global _API
    _API = _api(roots.get())


def _autograde(student: str) -> tuple[str, bool, str]:
    result = _API.autograde(ASSIGNMENT, student, force=True, create=True)
    log = [line for line in (result.get("log") or "").splitlines() if "[ERROR]" in line or "Error" in line]
    return student, bool(result.get("success")), "\n".join(log)[-2000:]


def scores(roots: list[str]) -> dict[str, list[float]]:
    from nbgrader.api import Gradebook

    out: dict[str, list[float]] = {}
    for root in roots:
        with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}", "bench") as gb:
            for sub in gb.assignment_submissions(ASSIGNMENT):
                out[sub.student.id] = [float(sub.score), float(sub.max_score)]
    return out


def _emit(out: str | None, result: dict) -> None:
    text = json.dumps(result)
    if out:
        Path(out).write_text(text)
    else:
        print(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["setup", "api", "cli"])
    parser.add_argument("root", nargs="?")
    parser.add_argument("--roots", nargs="+", default=[])
    parser.add_argument("--students")
    parser.add_argument("--out", help="write the JSON result here (default: stdout)")
    args = parser.parse_args()

    if args.mode == "setup":
        result = _api(args.root).generate_assignment(ASSIGNMENT, force=True, create=True)
        if not result.get("success"):
            sys.exit("generate_assignment failed:\n" + (result.get("log") or "") + (result.get("error") or ""))
        print(json.dumps({"ok": True}))
        return

    errors: dict[str, str] = {}
    if args.mode == "api":
        students = json.loads(Path(args.students).read_text())
        roots = mp.get_context("fork").Queue()
        for root in args.roots:
            roots.put(root)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(len(args.roots), mp_context=mp.get_context("fork"), initializer=_warm,
                                 initargs=(roots,)) as pool:
            for student, ok, error in pool.map(_autograde, students):
                if not ok:
                    errors[student] = error
        batch = time.perf_counter() - t0
    else:
        nbgrader = str(Path(sys.executable).with_name("nbgrader"))
        t0 = time.perf_counter()
        procs = [subprocess.Popen([nbgrader, "autograde", ASSIGNMENT, "--force"], cwd=root,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for root in args.roots]
        for root, proc in zip(args.roots, procs):
            _, err = proc.communicate()
            if proc.returncode != 0:
                errors[root] = err[-2000:]
        batch = time.perf_counter() - t0
    _emit(args.out, {"batch_s": batch, "scores": scores(args.roots), "errors": errors})


if __name__ == "__main__":
    main()
