"""Where a batch's time goes: one grading slot profiled with cProfile.

Grades ``--n`` generated hw1 submissions (as :mod:`bench_overhead` makes them:
variants and mutants, every third a notebook) in one in-process grading session
on the chosen sandbox, under cProfile, and prints:

* CPU seconds per submission: this (trusted) process, and the workers (from each
  result's ``cpu_time_s``, the sandbox's own accounting), against wall time;
* the trusted process's time split by where it is spent (the worker protocol,
  pytest's per-item machinery, the tests and the testing helpers, scoring, the
  store, waiting for the worker, starting workers), from cProfile's ``tottime``;
* the top functions by own time.

Usage: ``.venv/bin/python bench/profile_batch.py [--n 60] [--backend bwrap] [--top 25]``.
A benchmark, not a test: quote ratios, and the load (printed).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_overhead import make_course  # noqa: E402

from grader.config import load_assignment  # noqa: E402
from grader.harness.session import GradingSession  # noqa: E402
from grader.sandbox import make_backend  # noqa: E402
from grader.store import ResultStore  # noqa: E402
from grader.submissions import discover  # noqa: E402

#: Buckets for the trusted process's own time, first match wins: (label, path fragments).
BUCKETS = [
    # a write to the worker's pipe wakes it, and on a busy machine the kernel often runs the worker
    # before the write returns: the time is the worker's, seen from here
    ("waiting for the worker (select/read/writev)", ("select.select", "method 'read'", "posix.read", "poll",
                                                     "posix.writev", "lock' objects")),
    ("starting and stopping workers", ("sandbox/", "subprocess.py", "posix.fork", "_posixsubprocess",
                                        "harness/workers.py", "posix.waitpid", "shutil.py")),
    ("worker protocol (encode/decode, proxies)", ("grader/remote/", "grader/worker/wire.py")),
    ("tests and testing helpers", ("grader/testing.py", "/tests/", "grader/valuegraph.py", "numpy")),
    ("scoring and results", ("grader/harness/scoring.py", "grader/results.py")),
    ("store (SQLite)", ("grader/store.py", "sqlite3")),
    ("pytest per-item machinery", ("_pytest", "pluggy", "grader/harness/plugin.py")),
]


def bucket_of(key: tuple) -> str:
    filename, _, func = key
    where = f"{filename}:{func}"
    for label, fragments in BUCKETS:
        if any(f in where for f in fragments):
            return label
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--backend", default="bwrap")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = make_course(Path(tmp), args.n)
        config = load_assignment(course, "hw1")
        subs = discover(course.submissions_dir("hw1"), config)
        backend = make_backend(args.backend, hide=[course.root])
        session = GradingSession(config, backend)
        store = ResultStore.open(course.root / "profile.db")
        load = os.getloadavg()[0]
        profiler = cProfile.Profile()
        cpu0, t0 = time.process_time(), time.perf_counter()
        profiler.enable()
        results = []

        def save(result):
            store.save(result)
            results.append(result)

        session.run(subs, save)
        profiler.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        session.close()
        backend.close()
        store.close()

    n = len(results)
    worker_cpu = [r.cpu_time_s for r in results if r.cpu_time_s]
    print(f"{n} hw1 submissions, {args.backend}, one slot; load average {load:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"wall per submission            {wall / n * 1000:7.1f} ms (under cProfile)")
    print(f"trusted CPU per submission      {cpu / n * 1000:7.1f} ms")
    if worker_cpu:
        print(f"worker CPU per submission       {statistics.median(worker_cpu) * 1000:7.1f} ms (median; "
              f"Python start, imports, load, the student's calls)")
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    buckets: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in stats.stats.items():
        label = bucket_of(key)
        buckets[label] = buckets.get(label, 0.0) + tottime
    print("\ntrusted process, own time by bucket (ms per submission, share):")
    for label, t in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"  {label:42s} {t / n * 1000:7.2f} ms  {t / total:5.1%}")
    others = sorted(((v[2], k) for k, v in stats.stats.items() if bucket_of(k) == "other"), reverse=True)[:10]
    print("\nlargest in 'other':")
    for t, (filename, line, func) in others:
        print(f"  {t / n * 1000:7.2f} ms  {func} ({Path(filename).name}:{line})")
    print(f"\ntop {args.top} functions by own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
