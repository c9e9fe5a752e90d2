"""Per-submission overhead of sandboxed grading, beyond the student's own compute.

Grades a batch of generated hw1 submissions (the correct and one-mistake
variants in reference/hw1/{variants,mutants}, as modules and as notebooks) in a throwaway
copy of the course, and reports medians:

* batch: wall time per submission of ``grader.grade.main`` (the sandbox of
  ``--backend``, bubblewrap by default, or Docker; ``--jobs 1`` and ``--jobs 2``),
  everything included: grading-process start-up, sandbox, loading, the tests,
  the store;
* the same submissions graded with the same pytest tests, but with the
  student's code imported into the test process (no worker, no sandbox):
  the student's compute plus the test logic. This mode exists only here; the
  grader itself never does it. Its 15 "inputs unchanged" checks fail at once
  (they read the worker's copy of the arguments, and there is none), so the
  baseline is a little cheaper than the real test logic;
* overhead = sandboxed per-submission time minus in-process time;
* components: worker start (sandbox + Python + numpy import, until the
  worker's hello), one call's round trip, one worker's close (kill and
  clean-up), and one store save.

Usage: ``.venv/bin/python bench/bench_overhead.py [--n 40] [--repeat 3] [--backend bwrap|docker]``.
This is a benchmark, not a test: numbers vary with machine load; quote medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import grade  # noqa: E402
from grader.config import load_assignment  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.harness import plugin as plugin_module  # noqa: E402
from grader.harness.session import GradingSession  # noqa: E402
from grader.remote import RemoteSession, SubmissionProxy  # noqa: E402
from grader.sandbox import WorkerSpec, make_backend  # noqa: E402
from grader.store import ResultStore  # noqa: E402
from grader.submissions import discover  # noqa: E402


def make_course(tmp: Path, n: int) -> Course:
    """A course copy with ``n`` generated hw1 submissions (every 3rd a notebook)."""
    for part in ("assignments/hw1", "reference/hw1"):
        shutil.copytree(ROOT / part, tmp / part, ignore=shutil.ignore_patterns("__pycache__"))
    sources = sorted((ROOT / "reference/hw1/variants").glob("*.py")) + \
        sorted((ROOT / "reference/hw1/mutants").glob("*.py"))
    out = tmp / "submissions/hw1"
    out.mkdir(parents=True)
    for i in range(n):
        src = sources[i % len(sources)].read_text()
        if i % 3 == 2:
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hw1"),
                                                 nbformat.v4.new_code_cell(src)])
            (out / f"student{i:03d}.ipynb").write_text(nbformat.writes(nb))
        else:
            (out / f"student{i:03d}.py").write_text(src)
    return Course(tmp)


class InProcessSession(GradingSession):
    """Baseline only: the student's code imported into the test process."""

    def _run_worker(self, sub, plugin, specs, result):
        module = types.ModuleType("submission")
        sources = [c.source for c in sub.cells] if sub.kind == "notebook" else \
            [sub.files[sub.main_name].decode()]
        for src in sources:
            try:
                exec(compile(src, "<submission>", "exec"), module.__dict__)
            except Exception:
                pass
        context = plugin_module.Context(module, InProcessState(self.config.limits))
        result.tests = plugin.run_items(context)


class InProcessState:
    """What the plugin asks of a submission's session (time left, limits, callbacks), with
    no worker behind it: the baseline's student code runs in this process."""

    def __init__(self, limits) -> None:
        self.call_timeout = limits.call_timeout
        self.max_elements = limits.max_elements
        self.max_message_elements = limits.max_message_elements
        self.deadline = time.monotonic() + limits.total_timeout
        self.dead_reason = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def clear_callbacks(self) -> None:
        pass

    def expire(self) -> None:
        self.dead_reason = "out of time"


def batch(course: Course, jobs: int, backend: str = "bwrap") -> tuple[float, list[float]]:
    db = course.root / f"bench-{jobs}.db"
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    report = grade.main("hw1", course=course.root, db=db, jobs=jobs, force=True, backend=backend)
    total = time.perf_counter() - t0
    return total, [r.wall_time_s for r in report.results]


def in_process(course: Course) -> tuple[float, list[float]]:
    config = load_assignment(course, "hw1")
    subs = discover(course.submissions_dir("hw1"), config)
    session = InProcessSession(config, make_backend("subprocess"))
    t0 = time.perf_counter()
    results = session.grade(subs)
    total = time.perf_counter() - t0
    session.close()
    broken = [r for r in results if r.status.value == "internal_error"]
    if broken:  # a baseline that did not run the tests would make any overhead look small or large
        raise SystemExit(f"the in-process baseline failed: {broken[0].message[:500]}")
    return total, [r.wall_time_s for r in results]


def components(course: Course, repeat: int = 20, backend_name: str = "bwrap") -> dict[str, float]:
    config = load_assignment(course, "hw1")
    backend = make_backend(backend_name, hide=[course.root])
    work = Path(tempfile.mkdtemp(prefix="bench-work-"))
    (work / "m.py").write_text("def f(x):\n    return x\n")
    starts, calls, closes = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        session = RemoteSession(lambda: backend.start(WorkerSpec(work, config.limits)),
                                {"op": "load", "kind": "module", "path": "m.py", "name": "m"}, config.limits)
        session.ensure()
        starts.append(time.perf_counter() - t0)
        f = SubmissionProxy(session).f
        x = np.ones((4, 4))
        for _ in range(200):
            t1 = time.perf_counter()
            f(x)
            calls.append(time.perf_counter() - t1)
        t2 = time.perf_counter()
        session.close()
        closes.append(time.perf_counter() - t2)
    shutil.rmtree(work, ignore_errors=True)
    backend.close()
    subs = discover(course.submissions_dir("hw1"), config)
    session = GradingSession(config, make_backend(backend_name, hide=[course.root]))
    [result] = session.grade(subs[:1])
    session.close()
    saves = []
    with ResultStore.open(course.root / "bench-store.db") as store:
        for i in range(50):
            result.student = f"s{i}"
            t0 = time.perf_counter()
            store.save(result)
            saves.append(time.perf_counter() - t0)
    return {"worker start + load (s)": statistics.median(starts), "call round trip (s)": statistics.median(calls),
            "worker close (s)": statistics.median(closes), "store save (s)": statistics.median(saves)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions in the batch")
    parser.add_argument("--repeat", type=int, default=3, help="batches per mode (medians are taken)")
    parser.add_argument("--backend", choices=["bwrap", "docker"], default="bwrap", help="the sandbox to measure")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-course-"))
    try:
        course = make_course(tmp, args.n)
        rows = {}
        for label, fn in (("sandboxed, --jobs 1", lambda: batch(course, 1, args.backend)),
                          ("sandboxed, --jobs 2", lambda: batch(course, 2, args.backend)),
                          ("in-process baseline", lambda: in_process(course))):
            totals, per = [], []
            for _ in range(args.repeat):
                total, walls = fn()
                totals.append(total / args.n)
                per.append(statistics.median(walls))
            rows[label] = (statistics.median(totals), statistics.median(per))
        print(f"hw1 batch of {args.n} submissions, {args.backend} sandbox, median of {args.repeat} runs each")
        print(f"{'mode':<24}{'batch wall / submission (s)':>30}{'median submission wall (s)':>30}")
        for label, (t, p) in rows.items():
            print(f"{label:<24}{t:>30.4f}{p:>30.4f}")
        base = rows["in-process baseline"][1]
        over = rows["sandboxed, --jobs 1"][1] - base
        print(f"\noverhead per submission beyond the student's compute (median, jobs 1): {over * 1000:.1f} ms")
        print(f"ratio sandboxed / in-process (median submission): {rows['sandboxed, --jobs 1'][1] / base:.2f}x")
        print("\ncomponents (medians):")
        for k, v in components(course, backend_name=args.backend).items():
            print(f"  {k:<28}{v * 1000:10.3f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
