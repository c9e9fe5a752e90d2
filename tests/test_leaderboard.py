"""Tests for grader.leaderboard: boards built from a real store."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from grader.leaderboard import COLUMNS, leaderboard, to_records
from grader.leaderboard_render import render_table, write_html
from grader.results import SubmissionResult, SubmissionStatus
from grader.store import ResultStore

LAB = "lab-iris"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def metrics(acc: float, *, std: float = 0.02, n: int = 83, learns: float | None = 1.0, perm: float = 0.34,
            verified: float | None = 1.0):
    out = {"accuracy_mean": acc, "accuracy_std": std, "n_params": n, "train_time_s": 0.25,
           "permutation_accuracy": perm}  # fmt: skip
    if learns is not None:
        out["learns_from_labels"] = learns
    if verified is not None:
        out["verified"] = verified
    return out


def save(store: ResultStore, student: str, m: dict | None = None, status=SubmissionStatus.GRADED) -> None:
    store.save(SubmissionResult(LAB, student, status, metrics=m or {}))


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        yield s


@pytest.fixture
def board_store(store: ResultStore) -> ResultStore:
    save(store, "alice", metrics(0.96, n=131))
    save(store, "bob", metrics(0.9733))
    save(store, "carol", metrics(0.96, n=67))  # ties alice on accuracy, fewer parameters
    save(store, "cheat", metrics(1.0, learns=0.0, perm=0.97))  # memorised Iris: best accuracy, demoted
    save(store, "dan", status=SubmissionStatus.CRASHED)
    save(store, "erin", metrics(0.93))
    save(store, "ann", status=SubmissionStatus.INVALID)
    return store


def test_board_order_ranks_and_notes(board_store: ResultStore):
    df = leaderboard(board_store, LAB)
    assert list(df.columns) == COLUMNS
    assert df["student"].tolist() == ["bob", "carol", "alice", "erin", "cheat", "ann", "dan"]
    assert df["rank"].tolist()[:4] == [1, 2, 3, 4] and df["rank"].iloc[4:].isna().all()
    assert df["accuracy"].iloc[0] == 0.9733 and df["accuracy"].iloc[4] == 1.0
    assert df.loc[4, "learns_from_labels"] == False  # noqa: E712 (nullable boolean)
    assert "permutation check" in df.loc[4, "note"] and "97%" in df.loc[4, "note"]
    assert df["note"].iloc[5:].tolist() == ["invalid", "crashed"]
    assert df["note"].iloc[:4].tolist() == [""] * 4
    assert df.loc[1, "n_params"] == 67 and pd.isna(df.loc[6, "n_params"])


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        # same accuracy: fewer parameters first
        ({"x": (0.9, 200), "y": (0.9, 100)}, ["y", "x"]),
        # same accuracy and parameters: a shared rank, listed by student id
        ({"zed": (0.9, 100), "amy": (0.9, 100), "kim": (0.9, 100)}, ["amy", "kim", "zed"]),
        # accuracies equal up to float noise count as a tie
        ({"x": (0.1 + 0.2, 50), "y": (0.3, 40)}, ["y", "x"]),
        # a higher accuracy beats fewer parameters
        ({"small": (0.9, 10), "big": (0.95, 10_000)}, ["big", "small"]),
    ],
    ids=["params", "student-id", "float-noise", "accuracy-first"],
)
def test_ties_break_by_parameters_then_student(store: ResultStore, entries, expected):
    for student, (acc, n) in entries.items():
        save(store, student, metrics(acc, n=n))
    df = leaderboard(store, LAB)
    assert df["student"].tolist() == expected
    shared = len({entries[s] for s in expected}) == 1
    assert df["rank"].tolist() == ([1] * len(expected) if shared else list(range(1, len(expected) + 1)))


def test_full_ties_share_a_rank_and_the_next_rank_counts_them(store: ResultStore):
    for student, acc in (("b", 0.9), ("a", 0.9), ("c", 0.8)):
        save(store, student, metrics(acc, n=100))
    df = leaderboard(store, LAB)
    assert df["student"].tolist() == ["a", "b", "c"]
    assert df["rank"].tolist() == [1, 1, 3]


@pytest.mark.parametrize(("verified", "require", "ranked", "note"), [
    (0.0, True, False, "unverified network"),
    (0.0, False, False, "unverified network"),
    (None, True, False, "was not verified"),
    (None, False, True, ""),
    (1.0, True, True, ""),
])
def test_only_verified_networks_are_ranked(store: ResultStore, verified, require, ranked, note):
    save(store, "top", metrics(0.99, verified=verified))
    save(store, "honest", metrics(0.5))
    df = leaderboard(store, LAB, require_verified=require).set_index("student")
    assert pd.isna(df.loc["top", "rank"]) != ranked
    assert note in df.loc["top", "note"]
    assert df.loc["honest", "rank"] == (2 if ranked else 1)


@pytest.mark.parametrize(
    ("require", "expected_rank", "note"),
    [(True, None, "did not run"), (False, 1, "not recorded")],
)
def test_missing_permutation_check(store: ResultStore, require: bool, expected_rank, note: str):
    save(store, "quiet", metrics(0.99, learns=None))
    save(store, "honest", metrics(0.5))
    df = leaderboard(store, LAB, require_permutation_check=require).set_index("student")
    assert (pd.isna(df.loc["quiet", "rank"]) if expected_rank is None else df.loc["quiet", "rank"] == expected_rank)
    assert note in df.loc["quiet", "note"]


def test_other_metric_and_its_spread(store: ResultStore):
    save(store, "a", {"f1_mean": 0.7, "f1_std": 0.1, "accuracy_mean": 0.99, "learns_from_labels": 1.0})
    save(store, "b", {"f1_mean": 0.8, "f1_std": 0.05, "accuracy_mean": 0.5, "learns_from_labels": 1.0})
    save(store, "c", {"accuracy_mean": 0.9, "learns_from_labels": 1.0})
    df = leaderboard(store, LAB, metric="f1_mean")
    assert df["student"].tolist() == ["b", "a", "c"]
    assert df["accuracy"].tolist()[:2] == [0.8, 0.7] and df["accuracy_std"].tolist()[:2] == [0.05, 0.1]
    assert df.loc[2, "note"] == "no f1_mean recorded"


def test_nan_accuracy_counts_as_missing(store: ResultStore):
    save(store, "nan", metrics(math.nan))
    save(store, "ok", metrics(0.4))
    assert leaderboard(store, LAB)["student"].tolist() == ["ok", "nan"]


def test_unknown_assignment(board_store: ResultStore):
    with pytest.raises(LookupError, match="lab-iris"):
        leaderboard(board_store, "lab-mnist")


def test_to_records_is_json_ready(board_store: ResultStore):
    records = to_records(leaderboard(board_store, LAB))
    text = json.dumps(records, allow_nan=False)  # fails on NaN or numpy types
    assert json.loads(text) == records
    assert records[0] == {
        "rank": 1, "student": "bob", "accuracy": 0.9733, "accuracy_std": 0.02, "n_params": 83,
        "train_time_s": 0.25, "status": "graded", "learns_from_labels": True, "note": "",
    }  # fmt: skip
    assert records[4]["rank"] is None and records[4]["learns_from_labels"] is False
    assert records[6] == {**dict.fromkeys(COLUMNS), "student": "dan", "status": "crashed", "note": "crashed"}


def test_render_table_shows_ids_literally(store: ResultStore):
    save(store, "[bold]mallory[/bold]", metrics(0.8))
    save(store, "dan", status=SubmissionStatus.CRASHED)
    console = Console(width=200, record=True, color_system=None)
    console.print(render_table(leaderboard(store, LAB), title="Iris"))
    text = console.export_text()
    assert "[bold]mallory[/bold]" in text and "80.0% ± 2.0%" in text
    assert re.search(r"—\s*│\s*dan", text)


def test_write_html_is_self_contained(board_store: ResultStore, tmp_path: Path):
    save(board_store, "<b>x</b> & $y$", metrics(0.5))
    save(board_store, "$^$", metrics(0.4))  # not valid mathtext: must be drawn literally
    df = leaderboard(board_store, LAB)
    path = write_html(df, tmp_path / "board.html", title="Iris <MLP>")
    page = path.read_text(encoding="utf-8")
    for student in ["alice", "bob", "carol", "cheat", "dan", "erin", "ann"]:
        assert f"<td>{student}</td>" in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; $y$" in page and "<b>x</b>" not in page and "<td>$^$</td>" in page
    assert "<title>Iris &lt;MLP&gt;</title>" in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(PNG_MAGIC)
    assert not re.search(r"<script|https?://|<link", page)
    assert page.index("<td>bob</td>") < page.index("<td>cheat</td>") < page.index("<td>dan</td>")


def test_write_html_without_accuracies(store: ResultStore, tmp_path: Path):
    save(store, "dan", status=SubmissionStatus.CRASHED)
    page = write_html(leaderboard(store, LAB), tmp_path / "board.html").read_text()
    assert "No accuracies to plot" in page and "<td>dan</td>" in page and "base64" not in page


def test_rule_breaking_network_is_not_ranked(store: ResultStore):
    save(store, "fair", metrics(0.95))
    save(store, "two_layers", {**metrics(0.99), "architecture_ok": 0.0})  # best accuracy, breaks the rules
    save(store, "ok_marked", {**metrics(0.90), "architecture_ok": 1.0})
    df = leaderboard(store, LAB)
    assert df["student"].tolist() == ["fair", "ok_marked", "two_layers"]
    assert df["rank"].tolist()[:2] == [1, 2] and pd.isna(df["rank"].iloc[2])
    assert "architecture" in df["note"].iloc[2]
