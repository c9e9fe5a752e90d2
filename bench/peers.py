"""Side by side: this project's ``grader grade`` against otter-grader and nbgrader on the same hw1 batch.

The batch: N hw1 ``.py`` submissions (default 200) generated into a temporary folder, about 23% correct
(the reference ``reference/hw1/hw1.py`` and the equivalent styles in ``reference/hw1/variants/``, in turn)
and the rest one-mistake mutants (``reference/hw1/mutants/``, in turn), in an order shuffled with a fixed
seed. Every grader grades it 2 at a time on the same machine, in the same run, one after the other:

* ``grader``: ``.venv/bin/grader --course ROOT grade hw1 --submissions DIR --db TMP --jobs 2 --force --json``
  (bubblewrap sandbox, public and hidden tests), the command's wall time;
* ``otter-api``: otter-grader's ``otter.api.grade_submission(path, autograder.zip, quiet=True)`` in 2 warm
  worker processes (``bench/peers/otter_batch.py api``);
* ``otter-run``: the ``otter run -a autograder.zip -o DIR --no-logo path`` command, one per submission,
  2 at a time (``bench/peers/otter_batch.py run``);
* ``nbgrader-api``: nbgrader's ``NbGraderAPI.autograde("hw1", student)`` in 2 warm worker processes, each
  with its own course folder and gradebook (``bench/peers/nbgrader_batch.py api``);
* ``nbgrader-api-q``: the same with one test cell per question (5 cells, all or nothing) instead of one
  per check: nbgrader's cost grows with its cells;
* ``nbgrader-cli``: ``nbgrader autograde hw1 --force`` in 2 course folders at once, each holding half the
  students (``bench/peers/nbgrader_batch.py cli``).

The peers' tests are the course's hw1 checks written once (``bench/peers/hw1_cases.py``, expected values
from the reference at setup time) and put in each peer's own format: otter's exception-based test files
(one per question, a ``@test_case`` per check) in an autograder zip, and an nbgrader assignment
notebook (the student's code in one solution cell, then one autograded test cell per check, or per
question, the hidden checks between ``### BEGIN/END HIDDEN TESTS``) made into a release and a gradebook by
``nbgrader generate_assignment``. Each ``.py`` submission becomes that release notebook with its code in
the solution cell. Setup (venvs, tests, notebooks, gradebooks) is never timed. Each batch's time runs
from its first process start to its last result: interpreter and import start-up, kernels and
grading included.

The peers are pinned (``PINS``) and installed, with the student libraries at the grader's worker
environment's versions and ipykernel, into their own venvs under ``build/bench-peers/`` (git-ignored),
made when missing or with ``--setup``. Off this machine, pass PyTorch's CPU index with ``--torch-index``
as ``install.sh`` does.

The graders must agree on which submissions are fully correct: each peer must give every correct
submission full marks and fewer to most mutants, or the run stops without writing results.

Usage: ``.venv/bin/python bench/peers.py [--n 200] [--repeat 1] [--modes grader otter-api ...] [--setup]
[--no-write]``. Writes ``bench/peers.md``. A benchmark, not a test: quote the ratios, with the load.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "peers"
sys.path.insert(0, str(HERE))

import hw1_cases  # noqa: E402

VENVS = ROOT / "build/bench-peers"
PINS = {"otter": "otter-grader==7.0.0", "nbgrader": "nbgrader==0.9.6"}
STUDENT_LIBS = ("numpy", "scipy", "torch")  # what hw1's submissions import (torch and scipy in two variants)
MODES = ["grader", "otter-api", "nbgrader-api", "nbgrader-api-q", "otter-run", "nbgrader-cli"]
NBGRADER_CELLS = {"nbgrader-api": "check", "nbgrader-cli": "check", "nbgrader-api-q": "question"}
CORRECT_SHARE = 0.23
JOBS = 2
HOW = {
    "grader": "`grader grade hw1 --jobs 2 --force` (CLI, bubblewrap sandbox)",
    "otter-api": "otter `otter.api.grade_submission`, 2 warm worker processes",
    "nbgrader-api": "nbgrader `NbGraderAPI.autograde`, 2 warm worker processes",
    "nbgrader-api-q": "the same, one test cell per question (5) instead of per check",
    "otter-run": "`otter run`, one process per submission, 2 at a time",
    "nbgrader-cli": "`nbgrader autograde hw1`, 2 processes on half the students each",
}


# ---------------------------------------------------------------------------------------------- set-up


def student_lib_pins() -> list[str]:
    """numpy, scipy and torch at the versions student code runs with in the grader's worker environment."""
    record = ROOT / ".grader/envs/base/grader-env.json"
    if record.exists():
        reqs = json.loads(record.read_text())["requirements"]
        pins = [r for r in reqs if r.split("==")[0] in STUDENT_LIBS]
        if len(pins) == len(STUDENT_LIBS):
            return pins
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in STUDENT_LIBS]


def venv_python(name: str) -> Path:
    return VENVS / name / "bin/python"


def ensure_venv(name: str, force: bool, torch_index: str | None) -> None:
    """build/bench-peers/NAME with the peer's pin, the student libraries and ipykernel; remade when the
    pins changed or with --setup."""
    pins = [PINS[name], *student_lib_pins(), "ipykernel"]
    stamp = VENVS / name / "bench-pins.json"
    if not force and stamp.exists() and json.loads(stamp.read_text()) == pins and venv_python(name).exists():
        return
    print(f"setting up {VENVS / name}: {' '.join(pins)}", flush=True)
    shutil.rmtree(VENVS / name, ignore_errors=True)
    VENVS.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENVS / name)], check=True)
    extra = ["--extra-index-url", torch_index] if torch_index else []
    subprocess.run([str(venv_python(name)), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                    *pins, *extra], check=True)
    stamp.write_text(json.dumps(pins))


def peer_versions(name: str) -> dict[str, str]:
    code = ("import json, importlib.metadata as m\n"
            "names = ['otter-grader', 'nbgrader', 'nbconvert', 'nbclient', 'jupyter_client', 'ipykernel', "
            "'numpy', 'torch']\n"
            "out = {}\n"
            "for n in names:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    return json.loads(subprocess.run([str(venv_python(name)), "-c", code], check=True, capture_output=True,
                                     text=True).stdout)


# ----------------------------------------------------------------------------------------- submissions


def make_submissions(dest: Path, n: int, seed: int) -> list[dict]:
    """``n`` files ``sNNN.py`` in ``dest``: round(CORRECT_SHARE * n) correct (the reference, then each
    variant in turn) and the rest mutants (each in turn), shuffled with ``seed``."""
    ref = ROOT / "reference/hw1"
    correct = [ref / "hw1.py", *sorted((ref / "variants").glob("*.py"))]
    mutants = sorted((ref / "mutants").glob("*.py"))
    n_correct = round(CORRECT_SHARE * n)
    picks = [("correct", correct[i % len(correct)]) for i in range(n_correct)]
    picks += [("mutant", mutants[i % len(mutants)]) for i in range(n - n_correct)]
    random.Random(seed).shuffle(picks)
    dest.mkdir(parents=True)
    subs = []
    for i, (kind, src) in enumerate(picks):
        student = f"s{i:03d}"
        (dest / f"{student}.py").write_text(src.read_text())
        subs.append({"student": student, "kind": kind, "source": f"{src.parent.name}/{src.name}"})
    return subs


# ------------------------------------------------------------------------------------------ the tests


def write_otter_autograder(path: Path, cases: list[hw1_cases.Case]) -> None:
    """An otter autograder zip: ``tests/<question>.py`` in otter's exception-based format and an empty
    ``otter_config.json``."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("otter_config.json", "{}")
        for q in hw1_cases.QUESTIONS:
            lines = ["OK_FORMAT = False", "", "from otter.test_files import test_case", "",
                     hw1_cases.HELPERS, f"name = {q!r}", ""]
            for c in (c for c in cases if c.question == q):
                lines += [f"@test_case(name={c.name!r}, points={c.points}, hidden={c.hidden})",
                          f"def {c.name}({', '.join(c.uses)}):", f"    {c.body}", ""]
            zf.writestr(f"tests/{q}.py", "\n".join(lines))


def _nbg(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_test_cells(cases: list[hw1_cases.Case], per: str) -> list[tuple[str, int, str]]:
    """(grade_id, points, source) of the autograded test cells: one per check (``per="check"``, the
    course's granularity of partial credit), or one per question (``per="question"``, all or nothing),
    hidden checks between ``### BEGIN/END HIDDEN TESTS``."""
    def source(cs):
        public = [c.body for c in cs if not c.hidden]
        hidden = [c.body for c in cs if c.hidden]
        block = ["### BEGIN HIDDEN TESTS", *hidden, "### END HIDDEN TESTS"] if hidden else []
        return "\n".join([f"# {cs[0].name if per == 'check' else cs[0].question}", *public, *block])

    if per == "check":
        return [(c.name, c.points, source([c])) for c in cases]
    return [(q, sum(c.points for c in cs), source(cs))
            for q in hw1_cases.QUESTIONS if (cs := [c for c in cases if c.question == q])]


def nbgrader_source_notebook(cases: list[hw1_cases.Case], per: str) -> nbformat.NotebookNode:
    """hw1 as an nbgrader assignment: the solution cell (the reference), a locked helper cell and the
    autograded test cells."""
    v4 = nbformat.v4
    reference = (ROOT / "reference/hw1/hw1.py").read_text()
    cells = [
        v4.new_markdown_cell("# Homework 1", metadata=_nbg("intro", locked=True)),
        v4.new_code_cell(f"### BEGIN SOLUTION\n{reference}\n### END SOLUTION", metadata=_nbg("hw1_code", solution=True)),
        v4.new_code_cell(hw1_cases.HELPERS, metadata=_nbg("test_helpers", locked=True)),
    ]
    for grade_id, points, source in nbgrader_test_cells(cases, per):
        cells.append(v4.new_code_cell(source, metadata=_nbg(grade_id, grade=True, locked=True, points=points)))
    return v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})


def setup_nbgrader(work: Path, cases: list[hw1_cases.Case], subs: list[dict], sub_dir: Path, per: str) -> Path:
    """A course folder with the source notebook, ``nbgrader generate_assignment hw1`` run in it (the
    release and the gradebook), and every submission as the release notebook with its code in the
    solution cell, under ``submitted_all/<student>/hw1/hw1.ipynb``."""
    template = work / "template"
    (template / "source/hw1").mkdir(parents=True)
    nbformat.write(nbgrader_source_notebook(cases, per), template / "source/hw1/hw1.ipynb")
    subprocess.run([str(venv_python("nbgrader")), str(HERE / "nbgrader_batch.py"), "setup", str(template)],
                   check=True, cwd=template, env=peer_env("nbgrader"), stdout=subprocess.DEVNULL)
    release = nbformat.read(template / "release/hw1/hw1.ipynb", as_version=4)
    for s in subs:
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "hw1_code":
                cell.source = (sub_dir / f"{s['student']}.py").read_text()
        out = work / "submitted_all" / s["student"] / "hw1"
        out.mkdir(parents=True)
        nbformat.write(nb, out / "hw1.ipynb")
    return template


def nbgrader_roots(work: Path, template: Path, mode: str, students: list[str]) -> list[Path]:
    """Two fresh course folders (copies of the template's source, release and gradebook). For ``api``
    both see every submission; for ``cli`` each holds every other student."""
    roots = []
    for i in range(JOBS):
        root = work / f"{mode}{i}"
        shutil.rmtree(root, ignore_errors=True)
        for part in ("source", "release"):
            shutil.copytree(template / part, root / part)
        shutil.copy(template / "gradebook.db", root / "gradebook.db")
        if mode == "api":
            (root / "submitted").symlink_to(work / "submitted_all")
        else:
            (root / "submitted").mkdir()
            for student in students[i::JOBS]:
                (root / "submitted" / student).symlink_to(work / "submitted_all" / student)
        roots.append(root)
    return roots


# ------------------------------------------------------------------------------------------- batches


def peer_env(name: str) -> dict[str, str]:
    """The peer's venv as if activated (nbgrader runs `alembic` from PATH), one thread per process as the
    grader gives each of its workers (hw1's assignment.toml: threads = 1)."""
    path = f"{VENVS / name / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "VIRTUAL_ENV": str(VENVS / name), "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def run_grader(sub_dir: Path, tmp: Path) -> dict:
    db = tmp / "grader.db"
    db.unlink(missing_ok=True)
    cmd = [str(ROOT / ".venv/bin/grader"), "--course", str(ROOT), "grade", "hw1", "--submissions", str(sub_dir),
           "--db", str(db), "--jobs", str(JOBS), "--force", "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    batch = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"grader grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rows = json.loads(proc.stdout)
    return {"batch_s": batch,
            "scores": {r["student"]: [r["score"] if r["status"] == "graded" else 0.0, r["max_score"]] for r in rows},
            "errors": {r["student"]: r["status"] for r in rows if r["status"] != "graded"}}


def run_peer(args: list[str], name: str, tmp: Path) -> dict:
    out = tmp / "peer-result.json"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run([str(venv_python(name)), *args, "--out", str(out)], env=peer_env(name), cwd=tmp,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        sys.exit(f"{' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text())
    result["wall_s"] = wall
    return result


def run_mode(mode: str, work: Path, sub_dir: Path, subs: list[dict], otter_zip: Path | None) -> dict:
    students = [s["student"] for s in subs]
    paths = work / "submission-paths.json"
    paths.write_text(json.dumps([str(sub_dir / f"{s}.py") for s in students]))
    if mode == "grader":
        return run_grader(sub_dir, work)
    if mode in ("otter-api", "otter-run"):
        return run_peer([str(HERE / "otter_batch.py"), mode.split("-")[1], "--zip", str(otter_zip),
                         "--submissions", str(paths), "--jobs", str(JOBS)], "otter", work)
    kind = mode.split("-")[1]
    folder = work / f"nbgrader-{NBGRADER_CELLS[mode]}"
    roots = nbgrader_roots(folder, folder / "template", kind, students)
    student_file = work / "students.json"
    student_file.write_text(json.dumps(students))
    return run_peer([str(HERE / "nbgrader_batch.py"), kind, "--roots", *map(str, roots),
                     "--students", str(student_file)], "nbgrader", work)


# ------------------------------------------------------------------------------------------- checking


def full_marks(result: dict) -> set[str]:
    return {s for s, (score, top) in result["scores"].items() if top > 0 and score >= top - 1e-9}


def agreement(results: dict[str, dict], subs: list[dict]) -> tuple[list[str], list[str]]:
    """Lines on who got full marks from whom, and the problems that make the comparison meaningless."""
    correct = {s["student"] for s in subs if s["kind"] == "correct"}
    mutants = {s["student"] for s in subs if s["kind"] == "mutant"}
    source = {s["student"]: s["source"] for s in subs}
    lines, problems = [], []
    base = full_marks(results["grader"]) if "grader" in results else correct
    for mode, result in results.items():
        full = full_marks(result)
        graded = set(result["scores"])
        missing = (correct | mutants) - graded
        lines.append(f"{mode}: full marks for {len(full & correct)}/{len(correct)} correct and "
                     f"{len(full & mutants)}/{len(mutants)} mutants; agrees with grader on "
                     f"{len(subs) - len(full ^ base)}/{len(subs)}")
        for s in sorted(full ^ base):
            lines.append(f"  disagreement: {s} ({source[s]}): full marks from "
                         f"{'this peer' if s in full else 'the grader'} only")
        if result["errors"]:
            lines.append(f"  {len(result['errors'])} grading error(s), scored 0 by the peer: "
                         + ", ".join(f"{s} ({source.get(s, 'half of the batch')})" for s in sorted(result["errors"])))
        if missing:
            problems.append(f"{mode}: no score for {len(missing)} submissions (e.g. {sorted(missing)[:3]})")
        if correct - full:
            problems.append(f"{mode}: {len(correct - full)} correct submissions without full marks, e.g. "
                            + ", ".join(f"{s} ({source[s]})" for s in sorted(correct - full)[:5]))
        if mode in ("otter-run", "nbgrader-api", "nbgrader-cli") and "otter-api" in results:
            otter = results["otter-api"]["scores"]
            same = sum(1 for st, (score, _) in result["scores"].items()
                       if st in otter and abs(score - otter[st][0]) < 1e-9)
            lines.append(f"  same points as otter-api (the same checks, per check) for {same}/{len(subs)}")
        if len(mutants - full) < 0.9 * len(mutants):
            problems.append(f"{mode}: only {len(mutants - full)}/{len(mutants)} mutants lost points")
    return lines, problems


# -------------------------------------------------------------------------------------------- report


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def table(runs: dict[str, list[dict]], n: int) -> list[str]:
    base = statistics.median(r["batch_s"] for r in runs["grader"]) if "grader" in runs else None
    lines = ["| grader | how it ran | batch (s) | per submission (s) | ratio to grader |",
             "| --- | --- | ---: | ---: | ---: |"]
    for mode, rs in runs.items():
        batch = statistics.median(r["batch_s"] for r in rs)
        ratio = f"{batch / base:.2f}" if base else "n/a"
        lines.append(f"| {mode} | {HOW[mode]} | {batch:.1f} | {batch / n:.3f} | {ratio} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--repeat", type=int, default=1, help="batches per grader; medians are reported")
    parser.add_argument("--seed", type=int, default=11, help="the submissions' order")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=MODES)
    parser.add_argument("--setup", action="store_true", help="(re)make the peers' venvs, then run")
    parser.add_argument("--setup-only", action="store_true", help="(re)make the peers' venvs and stop")
    parser.add_argument("--torch-index", help="an extra pip index for torch's CPU build (off this machine: "
                                              "https://download.pytorch.org/whl/cpu)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/peers.md alone")
    args = parser.parse_args()

    needs = {m.split("-")[0] for m in args.modes} - {"grader"}  # the venvs the modes need
    for name in sorted(needs if not args.setup_only else PINS):
        ensure_venv(name, args.setup or args.setup_only, args.torch_index)
    if args.setup_only:
        return

    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    try:
        sub_dir = work / "submissions"
        subs = make_submissions(sub_dir, args.n, args.seed)
        cases = hw1_cases.build_cases(ROOT)
        otter_zip = work / "otter-autograder.zip"
        write_otter_autograder(otter_zip, cases)
        for per in sorted({NBGRADER_CELLS[m] for m in args.modes if m in NBGRADER_CELLS}):
            setup_nbgrader(work / f"nbgrader-{per}", cases, subs, sub_dir, per)
        versions = {name: peer_versions(name) for name in sorted(needs)}

        n_correct = sum(s["kind"] == "correct" for s in subs)
        print(f"{args.n} submissions ({n_correct} correct, {args.n - n_correct} mutants), {len(cases)} checks "
              f"({sum(c.points for c in cases)} points) for the peers; {JOBS} at a time", flush=True)
        load_before = uptime()
        print(f"before: {load_before}", flush=True)
        runs: dict[str, list[dict]] = {m: [] for m in args.modes}
        for r in range(args.repeat):
            for mode in args.modes:
                load1 = os.getloadavg()[0]
                result = run_mode(mode, work, sub_dir, subs, otter_zip)
                result["load1_before"], result["load1_after"] = load1, os.getloadavg()[0]
                runs[mode].append(result)
                print(f"  [{r + 1}/{args.repeat}] {mode}: {result['batch_s']:.1f} s "
                      f"({result['batch_s'] / args.n:.3f} s per submission; load {load1:.2f} before, "
                      f"{result['load1_after']:.2f} after)"
                      + (f"; errors: {len(result['errors'])}" if result["errors"] else ""), flush=True)
        load_after = uptime()
        print(f"after: {load_after}", flush=True)
        raw = {"n": args.n, "seed": args.seed, "subs": subs, "load_before": load_before, "load_after": load_after,
               "runs": runs}
        (VENVS / "last-run.json").write_text(json.dumps(raw))  # the batches' raw results, git-ignored

        lines, problems = agreement({m: rs[-1] for m, rs in runs.items()}, subs)
        rows = table(runs, args.n)
        print("\n".join(["", *rows, "", "Agreement on full marks (last batch of each):", *lines]))
        for mode, rs in runs.items():
            for s, e in list(rs[-1]["errors"].items())[:3]:
                print(f"  {mode} error, {s}: {e[-300:]}")
        if problems:
            print("\nNOT A VALID COMPARISON:\n  " + "\n  ".join(problems))
            sys.exit(1)
        if not args.no_write:
            write_report(args, runs, rows, lines, subs, cases, versions, load_before, load_after)
            print(f"\nwrote {ROOT / 'bench/peers.md'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(args, runs, rows, agreement_lines, subs, cases, versions, load_before, load_after) -> None:
    from importlib.metadata import version

    n_correct = sum(s["kind"] == "correct" for s in subs)
    peers = "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in vs.items()) for name, vs in versions.items())
    raw = "\n".join(f"- {mode}: " + ", ".join(f"{r['batch_s']:.1f} s (load {r['load1_before']:.2f} before, {r['load1_after']:.2f} after)"
                                         for r in rs)
                    for mode, rs in runs.items())
    text = f"""# hw1 side by side: grader, otter-grader and nbgrader

Written by `bench/peers.py` (`.venv/bin/python bench/peers.py --n {args.n} --repeat {args.repeat}`);
rerun it to refresh. A benchmark, not a test: quote the ratios, with the load.

- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}
- machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, {platform.platform()}; shared with other work
- load before: `{load_before}`
- load after: `{load_after}`
- batch: {args.n} hw1 `.py` submissions, {n_correct} correct (the reference and the
  variants in turn) and {args.n - n_correct} mutants (each of the 26 in turn), shuffled with seed {args.seed};
  {JOBS} at a time; {args.repeat} batch(es) per grader, medians below
- peers' tests: {len(cases)} checks ({sum(c.points for c in cases)} points) mirroring hw1's public and hidden
  tests (`bench/peers/hw1_cases.py`); the grader runs the course's own 137 tests
- versions: grader {version('grader')} (Python {platform.python_version()}); {peers}

{chr(10).join(rows)}

Per submission = batch / {args.n}. The batch runs from the first process start to the last result
(interpreters, imports, kernels and grading included; setup of venvs, tests, notebooks and
gradebooks excluded). The ratio is the peer's batch over the grader's.

Each batch (s), with the 1-minute load average before and after it:
{raw}

## Agreement on full marks

{chr(10).join('- ' + line if not line.startswith('  ') else '  ' + line.strip() for line in agreement_lines)}

## How each grader ran

- grader: `.venv/bin/grader --course . grade hw1 --submissions DIR --db TMP --jobs 2 --force --json`,
  each submission in its own bubblewrap sandbox, the course's public and hidden tests.
- otter-api: `otter.api.grade_submission(path, autograder.zip, quiet=True)` in a `ProcessPoolExecutor`
  of 2 workers that imported otter once (`bench/peers/otter_batch.py api`). For each submission otter
  unpacks the zip into a temporary folder, makes the `.py` a one-cell notebook, starts an ipykernel,
  executes it and runs the test files in the kernel.
- otter-run: `otter run -a autograder.zip -o DIR --no-logo path`, a new process per submission, 2 at a
  time (`bench/peers/otter_batch.py run`).
- nbgrader-api: `NbGraderAPI(config).autograde("hw1", student, force=True)` in 2 workers, each with its
  own course folder and `gradebook.db` (one SQLite file for both would be written by two processes),
  students handed to whichever worker is free (`bench/peers/nbgrader_batch.py api`). Autograde copies
  the submission, restores the test cells (and hidden tests) from the gradebook, clears outputs,
  executes the notebook in a new kernel and stores the scores.
- nbgrader-api-q: the same, with the checks in 5 test cells (one per question, all or nothing) instead of
  one cell per check (the course's granularity of partial credit, used by nbgrader-api and -cli).
- nbgrader-cli: `nbgrader autograde hw1 --force` in 2 course folders at once, every other student in each.
- Peers' processes get `OMP_NUM_THREADS=1` (the grader gives each worker one thread, as hw1's
  `assignment.toml` says).

Not the same between them: the grader runs the course's tests with its hints and its reruns against
the reference's helpers, each submission in a sandbox; the peers run equivalent plain checks in a
Jupyter kernel on the host, unisolated (otter's isolation, `otter grade`'s Docker container per
submission, is not used here; nbgrader has none of its own).
"""
    (ROOT / "bench/peers.md").write_text(text)


if __name__ == "__main__":
    main()
