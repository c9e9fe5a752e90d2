"""The proof of ``grader import otter``: the same scores as otter-grader itself on honest work.

A master notebook of our own (``tests/otter/master/softmax-losses.ipynb``, a port of hw2's softmax
and losses for otter) goes through the real ``otter assign``; its output is imported with
``grader import otter`` and every submission of ``tests/otter/submissions/`` is graded twice: by the
real ``otter run`` (no containers, as an otter course grades locally) and by ``grader grade`` (in
the sandbox). Then, question by question:

* honest, one-mistake (``mutant-``) and failing-cell submissions score exactly what otter gives;
* the hostile ones, which fool otter's in-process checks (an always-equal object, a patched
  ``numpy.isclose``, printed fake results, ``sys.exit`` in a cell with an ``atexit`` hook that
  rewrites otter's results), score no more than the
  untouched student notebook (``stub``) here. What otter gave them is written to
  ``tests/otter/otter_scores.json`` by ``tests/otter/make_submissions.py``, and checked again here.

The speed of the two runs is measured in ``bench/otter_vs_grader.py``, not here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

HERE = Path(__file__).parent / "otter"
MASTER = HERE / "master" / "softmax-losses.ipynb"
SUBMISSIONS = sorted((HERE / "submissions").glob("*.ipynb"))
BIN = Path(sys.executable).parent
NAME = "softmax-otter"


def _run(*args: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def assigned(tmp_path_factory, bwrap_required) -> Path:
    """The real ``otter assign`` output of the master notebook."""
    pytest.importorskip("otter")
    root = tmp_path_factory.mktemp("otter-assign")
    shutil.copy(MASTER, root / MASTER.name)
    done = _run(BIN / "otter", "assign", MASTER.name, "dist", cwd=root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root / "dist"


@pytest.fixture(scope="module")
def course(tmp_path_factory, assigned) -> Path:
    root = tmp_path_factory.mktemp("otter-course")
    (root / "assignments").mkdir()
    done = _run(BIN / "grader", "--course", root, "import", "otter", assigned, "--as", NAME)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    subs = root / "submissions" / NAME
    subs.mkdir(parents=True)
    for path in SUBMISSIONS:
        shutil.copy(path, subs / path.name)
    return root


@pytest.fixture(scope="module")
def ours(course) -> dict[str, dict[str, float]]:
    """grader's per-question points for each submission."""
    done = _run(BIN / "grader", "--course", course, "grade", NAME, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    from grader.gradebook import gradebook
    from grader.store import ResultStore

    df = gradebook(ResultStore.open(course / "grades.db"), NAME, decimals=None)
    questions = [q for q in df.attrs["max_points"] if q != "score"]  # "score" is the total column
    return {str(student): {q: float(row[q]) for q in questions} for student, row in df.iterrows()}


@pytest.fixture(scope="module")
def theirs(assigned, tmp_path_factory) -> dict[str, dict[str, float]]:
    """otter's per-question points for each submission, from ``otter run``'s results.json."""
    zips = sorted((assigned / "autograder").glob("*.zip"))
    out: dict[str, dict[str, float]] = {}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for path in SUBMISSIONS:
        folder = tmp_path_factory.mktemp(f"otter-run-{path.stem}")
        done = subprocess.run([str(BIN / "otter"), "run", "-a", str(zips[-1]), "-o", str(folder), "--no-logo",
                               str(path)], capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, path.name + done.stdout[-2000:] + done.stderr[-2000:]
        results = json.loads((folder / "results.json").read_text())
        out[path.stem] = {t["name"]: float(t["score"]) for t in results["tests"] if t.get("max_score") is not None}
    return out


def _kind(stem: str) -> str:
    return stem.split("-")[0]


def test_the_corpus_has_every_kind():
    kinds = [_kind(p.stem) for p in SUBMISSIONS]
    assert kinds.count("honest") >= 5 and kinds.count("mutant") >= 6 and kinds.count("hostile") >= 4
    assert "stub" in kinds and kinds.count("failing") >= 2
    assert len(SUBMISSIONS) >= 20


def test_every_case_of_the_master_is_imported(course, theirs):
    from grader.config import load_assignment
    from grader.course import Course
    from grader.validate import otter_modes

    config = load_assignment(Course.at(course), NAME)
    honest = theirs[next(p.stem for p in SUBMISSIONS if p.stem.startswith("honest"))]
    assert config.points == pytest.approx(sum(honest.values()))
    modes = otter_modes(config)
    assert "auto" not in modes and sum(modes.values()) > 0


@pytest.mark.parametrize("stem", [p.stem for p in SUBMISSIONS if _kind(p.stem) in ("honest", "mutant", "failing",
                                                                                       "stub")])
def test_same_scores_as_otter(stem, ours, theirs):
    assert set(ours[stem]) == set(theirs[stem])
    for question, points in theirs[stem].items():
        assert ours[stem][question] == pytest.approx(points, abs=1e-5), (stem, question)  # otter rounds to 5 decimals


def test_honest_work_gets_full_marks_and_mutants_lose_points(ours, theirs):
    full = sum(theirs[next(p.stem for p in SUBMISSIONS if p.stem.startswith("honest"))].values())
    for stem, scores in ours.items():
        if _kind(stem) == "honest":
            assert sum(scores.values()) == pytest.approx(full), stem
        if _kind(stem) == "mutant":
            assert sum(scores.values()) < full - 1e-9, stem


@pytest.mark.parametrize("stem", [p.stem for p in SUBMISSIONS if _kind(p.stem) == "hostile"])
def test_hostile_notebooks_gain_nothing_here(stem, ours, theirs):
    stub = sum(ours["stub"].values())
    assert sum(ours[stem].values()) <= stub + 1e-9, (stem, ours[stem])
    # the evidence: otter itself gave this notebook more than the stub
    assert sum(theirs[stem].values()) > sum(theirs["stub"].values()), (stem, theirs[stem])


def test_recorded_otter_scores_are_what_otter_gives(theirs):
    recorded = json.loads((HERE / "otter_scores.json").read_text())
    for stem, scores in theirs.items():
        assert recorded[stem]["total"] == pytest.approx(sum(scores.values()), abs=1e-6), stem
