"""Red team, Iris lab: the leaderboard cannot be won without learning.

Every memoriser in ``iris/`` (its docstring says what it attacks and what
success would look like) is graded through the real batch (``grade.main``,
bubblewrap and Docker, 2 grading processes, a real store) next to an honest copy of the
reference. Then the board and the scores must show that none of them gained
anything: no rank above the reference copy (a network identical to it may share
its rank), no full marks for a lookup, the true parameter count, and a
leaderboard that still works for the class.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from grader import grade, leaderboard, leaderboard_render
from grader.store import ResultStore

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]  # and docker for the Docker half

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = Path(__file__).resolve().parent / "iris"
REFERENCE = ROOT / "reference" / "lab-iris" / "lab_iris.py"
HONEST = "reference_copy"
#: Linear 4-32-16-3 (739 weights and biases) plus the 8 standardisation statistics
REFERENCE_PARAMS = 4 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3 + 8


def _attacks() -> dict[str, str]:
    """Every attack's source by student id; ``param_count_huge`` is ``param_count_lies`` reporting 10**30."""
    out = {p.stem: p.read_text(encoding="utf-8") for p in sorted(ATTACKS.glob("*.py"))}
    out["param_count_huge"] = out["param_count_lies"].replace('LIE = "negative"', 'LIE = "huge"')
    assert out["param_count_huge"] != out["param_count_lies"]
    return out


ATTACK_NAMES = sorted(_attacks())


@pytest.fixture(scope="module", params=["bwrap", pytest.param("docker", marks=pytest.mark.docker)])
def board(request, tmp_path_factory):
    backend = request.param
    request.getfixturevalue(f"{backend}_required")
    where = tmp_path_factory.mktemp(f"iris-red-team-{backend}")
    subs = where / "submissions"
    for name, source in _attacks().items():
        (subs / name).mkdir(parents=True)
        (subs / name / "lab_iris.py").write_text(source, encoding="utf-8")
    (subs / HONEST).mkdir()
    shutil.copy(REFERENCE, subs / HONEST / "lab_iris.py")
    db = where / "grades.db"
    report = grade.main("lab-iris", course=ROOT, submissions=subs, db=db, jobs=2, backend=backend)
    with ResultStore.open(db, create=False) as store:
        df = leaderboard.leaderboard(store, "lab-iris")
    html = leaderboard_render.write_html(df, where / "board.html")
    results = {r.student: r for r in report.all}
    rows = {row.student: row for row in df.itertuples(index=False)}
    return results, rows, html


def _rank(rows, student):
    rank = rows[student].rank
    return None if pd.isna(rank) else int(rank)


def test_every_attack_was_graded(board):
    results, rows, html = board
    expected = set(ATTACK_NAMES) | {HONEST}
    assert set(results) == expected
    assert all(str(r.status) == "graded" for r in results.values()), {s: r.message for s, r in results.items()}
    assert results[HONEST].score == 100 and _rank(rows, HONEST) == 1
    assert html.read_text(encoding="utf-8").count("<tr") == len(expected) + 1


@pytest.mark.parametrize("attack", ATTACK_NAMES)
def test_no_attack_ranks_above_the_reference(board, attack):
    results, rows, _ = board
    rank, honest = _rank(rows, attack), _rank(rows, HONEST)
    assert rank is None or rank >= honest, f"{attack} is ranked {rank}, above the honest reference copy ({honest})"
    if rank is not None:
        assert rows[attack].accuracy <= rows[HONEST].accuracy + 1e-9


@pytest.mark.parametrize("attack", ["table_lookup", "cross_fold_memory"])
def test_lookups_in_code_are_unverified_and_unranked(board, attack):
    results, rows, _ = board
    assert results[attack].metrics["verified"] == 0.0
    assert _rank(rows, attack) is None
    assert "unverified" in rows[attack].note
    assert results[attack].score < 100


def test_a_constant_answer_on_shuffled_labels_fails_the_permutation_check(board):
    results, _, _ = board
    metrics = results["table_lookup"].metrics
    assert metrics["learns_from_labels"] == 0.0
    assert metrics["shuffled_fit_p"] == 1.0  # a constant class gives every shuffle the same probability
    lost = {t.question for t in results["table_lookup"].tests if t.score < t.max_score}
    assert "learning" in lost


def test_memory_across_runs_is_gone(board):
    """With one worker for every run it answered from memory (accuracy 1.0 on real flowers); now
    each run starts fresh, so it is a nearest-neighbour learner of its own training flowers."""
    results, rows, _ = board
    assert results["cross_fold_memory"].metrics["accuracy_mean"] < rows[HONEST].accuracy


@pytest.mark.parametrize("attack", ["param_count_lies", "param_count_huge"])
def test_parameter_count_comes_from_the_rebuilt_network(board, attack):
    results, rows, _ = board
    assert results[attack].metrics["n_params"] == REFERENCE_PARAMS
    assert results[attack].metrics["verified"] == 1.0
    # it is the reference's network, so it ties with the reference copy: a shared rank, no gain
    assert _rank(rows, attack) == _rank(rows, HONEST)


def test_the_table_in_whitelisted_weights_is_verified_but_only_a_nearest_neighbour(board):
    results, rows, _ = board
    assert results["table_in_weights"].metrics["verified"] == 1.0
    assert _rank(rows, "table_in_weights") > _rank(rows, HONEST)


def test_a_network_trained_on_the_public_table_gains_nothing(board):
    """The training set is the public table: training on the table is training on the data."""
    results, rows, _ = board
    assert rows["table_trained_network"].accuracy == pytest.approx(rows[HONEST].accuracy, abs=0.005)
