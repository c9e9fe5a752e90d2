"""What a fresh run costs: the forking zygote against a new worker per run.

A competition lab trains every submission in fresh copies of it
(``grader.testing.fresh_run``). This benchmark starts one session on the
reference of ``lab-iris`` (a module that imports torch) and times, per run:

* ``fork``: the zygote (torch and torch._dynamo preloaded) ends the previous
  child, cleans up and forks a new one, which loads the module: ``new_run()``
  plus ``end_run()``;
* ``restart``: a new worker per run (sandbox start, Python, numpy, torch and
  the module's import), as without ``fresh_runs``;

and, for both, one training (``train_model(build_model(), X, y)`` on the 150
flowers) inside the run, so the first optimizer's import cost shows where it
is paid.

Usage: ``.venv/bin/python bench/bench_fresh_runs.py [--runs 10] [--backend bwrap|subprocess|docker]``.
This is a benchmark, not a test: numbers vary with machine load; quote medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from grader.config import Limits  # noqa: E402
from grader.crossval import load_iris_csv  # noqa: E402
from grader.remote import RemoteSession, SubmissionProxy  # noqa: E402
from grader.sandbox import make_backend  # noqa: E402
from grader.sandbox.base import WorkerSpec  # noqa: E402
from grader.testing import fresh_run  # noqa: E402

LIMITS = Limits(call_timeout=60, load_timeout=120, total_timeout=3600, memory=4 * 2**30, threads=1)
PRELOAD = ("torch", "torch._dynamo")


def measure(backend_name: str, fork: bool, runs: int) -> dict[str, float]:
    backend = make_backend(backend_name)
    work = Path(tempfile.mkdtemp(prefix="bench-fresh-"))
    try:
        shutil.copy(ROOT / "reference" / "lab-iris" / "lab_iris.py", work / "lab_iris.py")
        spec = WorkerSpec(workdir=work, limits=LIMITS, slot=50)
        load = {"op": "load", "kind": "module", "path": "lab_iris.py", "name": "lab_iris", "cell_timeout": None}
        start = time.perf_counter()
        session = RemoteSession(lambda: backend.start(spec), load, LIMITS, fork=fork, preload=PRELOAD,
                                isolated=backend.isolated)
        session.ensure()
        first = time.perf_counter() - start
        sub = SubmissionProxy(session)
        X, y = load_iris_csv(ROOT / "assignments" / "lab-iris" / "data" / "iris.csv")
        X, y = torch.from_numpy(X), torch.from_numpy(y)
        fresh, train = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            with fresh_run(sub):
                t1 = time.perf_counter()
                sub.train_model(sub.build_model(), X, y)
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            fresh.append((t1 - t0) + (t3 - t2))
            train.append(t2 - t1)
        session.close()
        return {"first start (s)": first, "fresh run (s)": statistics.median(fresh),
                "training in it (s)": statistics.median(train)}
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backend", default="bwrap", choices=["bwrap", "subprocess", "docker"])
    args = parser.parse_args()
    rows = {mode: measure(args.backend, mode == "fork", args.runs) for mode in ("fork", "restart")}
    print(f"{args.backend}, {args.runs} runs, medians")
    print(f"{'':22s}" + "".join(f"{m:>12s}" for m in rows))
    for key in rows["fork"]:
        print(f"{key:22s}" + "".join(f"{rows[m][key]:12.3f}" for m in rows))
    ratio = rows["restart"]["fresh run (s)"] / rows["fork"]["fresh run (s)"]
    print(f"a forked fresh run is {ratio:.0f}x cheaper than a new worker")


if __name__ == "__main__":
    main()
