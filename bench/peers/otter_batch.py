"""otter-grader's side of bench/peers.py; runs with the otter venv's Python (build/bench-peers/otter).

    api --zip Z --submissions F   otter.api.grade_submission(path, Z, quiet=True) in 2 warm worker processes
                                  (otter imported once per worker), submissions handed out in order to
                                  whichever worker is free
    run --zip Z --submissions F   `otter run -a Z -o DIR --no-logo path`, one process per submission, 2 at a time

F is a JSON list of submission paths (one .py file each). Writes one JSON object (to --out, or stdout):
batch_s (the first worker's start to the last result: process starts, imports and kernels included),
scores {student: [score, max_score]} and errors {student: what went wrong}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

_ZIP = ""


def _warm(zip_path: str) -> None:
    global _ZIP
    _ZIP = zip_path
    import otter.api  # noqa: F401  (the warm part: otter, pandas, nbconvert imported once per worker)


def _grade_api(path: str) -> tuple[str, float, float, str]:
    import otter.api

    try:
        results = otter.api.grade_submission(path, _ZIP, quiet=True)
        return Path(path).stem, float(results.total), float(results.possible), ""
    except Exception as exc:  # noqa: BLE001  (reported, never a crashed batch)
        return Path(path).stem, 0.0, 0.0, repr(exc)[-2000:]


def _grade_run(path: str, zip_path: str, otter: str) -> tuple[str, float, float, str]:
    out = Path(tempfile.mkdtemp(prefix="otter-run-"))
    try:
        proc = subprocess.run([otter, "run", "-a", zip_path, "-o", str(out), "--no-logo", path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        results = out / "results.json"
        if proc.returncode != 0 or not results.exists():
            return Path(path).stem, 0.0, 0.0, proc.stderr[-2000:]
        tests = json.loads(results.read_text())["tests"]
        return (Path(path).stem, float(sum(t.get("score", 0) for t in tests)),
                float(sum(t.get("max_score", 0) for t in tests)), "")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _emit(out: str | None, result: dict) -> None:
    text = json.dumps(result)
    if out:
        Path(out).write_text(text)
    else:
        print(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["api", "run"])
    parser.add_argument("--zip", required=True)
    parser.add_argument("--submissions", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", help="write the JSON result here (default: stdout)")
    args = parser.parse_args()
    paths = json.loads(Path(args.submissions).read_text())

    t0 = time.perf_counter()
    if args.mode == "api":
        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("fork"), initializer=_warm,
                                 initargs=(args.zip,)) as pool:
            rows = list(pool.map(_grade_api, paths))
    else:
        otter = str(Path(sys.executable).with_name("otter"))
        with ThreadPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(lambda p: _grade_run(p, args.zip, otter), paths))
    batch = time.perf_counter() - t0
    _emit(args.out, {"batch_s": batch, "scores": {s: [t, m] for s, t, m, _ in rows},
                      "errors": {s: e for s, _, _, e in rows if e}})


if __name__ == "__main__":
    main()
