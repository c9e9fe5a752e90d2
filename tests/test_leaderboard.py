"""Tests for grader.leaderboard: boards built from a real store."""

from __future__ import annotations

import ast
import base64
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from grader import console as grader_console
from grader.cli import main
from grader.crossval import load_iris_csv
from grader.leaderboard import (
    COLUMNS,
    NoLeaderboardError,
    leaderboard,
    load_salt,
    measurement,
    metric_label,
    picked_pseudonym,
    pseudonyms,
    run_accuracies,
    to_records,
)
from grader.leaderboard_render import plot_figure, render_table, write_html
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
        "train_time_s": 0.25, "status": "graded", "learns_from_labels": True, "note": "", "public_note": "",
    }  # fmt: skip
    assert records[4]["rank"] is None and records[4]["learns_from_labels"] is False
    assert records[6] == {**dict.fromkeys(COLUMNS), "student": "dan", "status": "crashed", "note": "crashed",
                          "public_note": "crashed"}


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
        assert f'<td class="name">{student}</td>' in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; $y$" in page and "<b>x</b>" not in page and '<td class="name">$^$</td>' in page
    assert "<title>Iris &lt;MLP&gt;</title>" in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(PNG_MAGIC)
    assert not re.search(r"<script|https?://|<link", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.index(">bob</td>") < page.index(">cheat</td>") < page.index(">dan</td>")


def test_write_html_without_accuracies(store: ResultStore, tmp_path: Path):
    save(store, "dan", status=SubmissionStatus.CRASHED)
    page = write_html(leaderboard(store, LAB), tmp_path / "board.html").read_text()
    assert "No ranked network to plot" in page and '<td class="name">dan</td>' in page and "base64" not in page


def test_rule_breaking_network_is_not_ranked(store: ResultStore):
    save(store, "fair", metrics(0.95))
    save(store, "two_layers", {**metrics(0.99), "architecture_ok": 0.0})  # best accuracy, breaks the rules
    save(store, "ok_marked", {**metrics(0.90), "architecture_ok": 1.0})
    df = leaderboard(store, LAB)
    assert df["student"].tolist() == ["fair", "ok_marked", "two_layers"]
    assert df["rank"].tolist()[:2] == [1, 2] and pd.isna(df["rank"].iloc[2])
    assert "architecture" in df["note"].iloc[2]


# --------------------------------------------------------------------------- the page for the class (issue 13)

ROOT = Path(__file__).resolve().parents[1]


def test_page_has_a_date_the_method_and_no_internal_names(board_store: ResultStore, tmp_path: Path):
    save(board_store, "odd", {"accuracy_mean": 1.5, "n_params": 1e30, "learns_from_labels": 1.0, "verified": 1.0})
    df = leaderboard(board_store, LAB)
    results = board_store.results(LAB)
    when = datetime(2026, 12, 6, 9, 30, tzinfo=timezone.utc)
    page = write_html(df, tmp_path / "board.html", title="Iris", method=measurement(results), generated=when).read_text()
    assert "Generated 2026-12-06 09:30 UTC" in page
    assert "10 times" in page and "300 new flowers" in page and "standard deviation" in page
    for internal in ("accuracy_mean", "accuracy_std", "n_params", "learns_from_labels", "train_time_s"):
        assert internal not in page, internal
    assert "invalid parameter count = 1e+30" in page  # the instructor's note keeps the metric's name:
    assert "invalid n_params = 1e+30" in df.set_index("student").loc["odd", "note"]
    fig = plot_figure(df, "accuracy_mean")
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Accuracy (mean over the runs") and "accuracy_mean" not in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bob", "carol", "alice", "erin"]  # ranked only, top first


def test_a_disqualified_row_shows_no_accuracy_on_the_page(board_store: ResultStore, tmp_path: Path):
    """The memoriser scored 100% after training on shuffled labels and 0% on the board's flowers: the page must
    not print "0.0% ± 0.0%" beside "100%"; the instructor's terminal labels the number."""
    save(board_store, "memo", metrics(0.0, std=0.0, learns=0.0, perm=1.0))
    df = leaderboard(board_store, LAB)
    page = write_html(df, tmp_path / "board.html").read_text()
    row = re.search(r'<tr class="unranked"><td class="num">—</td><td class="name">memo</td>(.*?)</tr>', page).group(1)
    assert "0.0%" not in row and "not ranked" in row and "100%" in row and "shuffled labels" in row
    console = Console(width=250, record=True, color_system=None)
    console.print(render_table(df))
    line = next(line for line in console.export_text().splitlines() if "memo" in line)
    assert "not ranked (0.0%)" in line and "± 0.0%" not in line


def test_an_assignment_without_the_metric_has_no_leaderboard(store: ResultStore):
    for student in ("amara", "ben"):
        store.save(SubmissionResult("hw2", student, SubmissionStatus.GRADED))
    store.save(SubmissionResult("hw2", "ivan", SubmissionStatus.INVALID))
    with pytest.raises(NoLeaderboardError, match=r"hw2 has no leaderboard: none of its 3 results \(2 graded, 1 "
                                                 r"invalid\) recorded an accuracy"):
        leaderboard(store, "hw2", require_metric=True)
    assert leaderboard(store, "hw2")["note"].tolist()[0] == "no accuracy_mean recorded"  # the function still works


def test_cli_says_hw2_has_no_leaderboard(tmp_path: Path, capsys):
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for student in ("amara", "ben"):
            s.save(SubmissionResult("hw2", student, SubmissionStatus.GRADED))
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "hw2", "--db", str(db), "--course", str(ROOT)])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and "hw2 has no leaderboard" in " ".join(err.split())
    assert "recorded" not in out and "amara" not in out + err


def test_measurement_matches_the_lab_hidden_test():
    """The page's description of the measurement is checked against the constants of the test that measures."""
    tree = ast.parse((ROOT / "reference/lab-iris/tests/test_accuracy.py").read_text())
    constants = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}
    text = measurement([])
    assert f"{constants['N_RUNS']} times" in text and f"mean over the {constants['N_RUNS']} runs" in text
    assert f"{3 * constants['N_SIMULATED']} new flowers ({constants['N_SIMULATED']} per species)" in text
    X, _ = load_iris_csv(ROOT / "assignments/lab-iris/data/iris.csv")
    assert f"the {len(X)} public Iris flowers" in text
    assert 'record_metric(f"accuracy_run_{k + 1:02d}"' in (ROOT / "reference/lab-iris/tests/test_accuracy.py").read_text()


def test_run_accuracies_in_order_and_checked():
    r = SubmissionResult(LAB, "a", SubmissionStatus.GRADED,
                         metrics={"accuracy_run_10": 0.9, "accuracy_run_02": 0.8, "accuracy_run_01": 1.5,
                                  "accuracy_run_x": 0.5, "accuracy_mean": 0.85})
    assert run_accuracies(r) == [(1, None), (2, 0.8), (10, 0.9)]
    assert metric_label("accuracy_run_03") == "run 3 accuracy" and metric_label("n_params") == "parameter count"


# --------------------------------------------------------------------------- pseudonyms


def test_generated_pseudonyms_are_stable_distinct_and_keyed(tmp_path: Path):
    salt_file = tmp_path / "grades.db-pseudonym-salt"
    salt = load_salt(salt_file)
    assert load_salt(salt_file) == salt and len(salt) == 32 and (salt_file.stat().st_mode & 0o777) == 0o600
    students = [f"s{i}" for i in range(300)]
    names = pseudonyms(students, salt)
    assert names == pseudonyms(reversed(students), salt)  # stable
    assert len(set(names.values())) == len(students)  # distinct
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ [0-9]{3}", n) for n in names.values())
    assert not any(s in n for s, n in names.items())
    other = pseudonyms(students, load_salt(tmp_path / "other-salt"))
    assert sum(names[s] == other[s] for s in students) < 5  # the salt is the key
    salt_file.write_text("not hex\n")
    with pytest.raises(ValueError, match="does not hold a pseudonym salt"):
        load_salt(salt_file)


def test_picked_pseudonyms_are_read_never_run_and_checked(tmp_path: Path, write_files):
    salt = b"k" * 32
    generated = pseudonyms(["amy", "bob", "cat", "dan", "eve", "fay"], salt)
    files = write_files(root=tmp_path / "subs", files={
        "amy/lab_iris.py": 'import os\nos.system("touch PWNED")\nLEADERBOARD_NAME = "Quokka <b>Queen</b>"\n',
        "bob/lab_iris.py": 'LEADERBOARD_NAME = "amy"\n',  # another student's id: refused
        "cat/lab_iris.py": 'LEADERBOARD_NAME = "Twin"\n',
        "dan/lab_iris.py": 'LEADERBOARD_NAME = "twin"\n',  # the same pick (ignoring case): both refused
        "eve/lab_iris.py": f'LEADERBOARD_NAME = "{generated["fay"]}"\n',  # someone's generated name: refused
        "fay/lab_iris.py": 'LEADERBOARD_NAME = "x" * 3\n',  # not a literal: ignored
    })  # fmt: skip
    picks = {s: picked_pseudonym(files / s / "lab_iris.py") for s in "amy bob cat dan eve fay".split()}
    assert picks == {"amy": "Quokka <b>Queen</b>", "bob": "amy", "cat": "Twin", "dan": "twin",
                     "eve": generated["fay"], "fay": None}
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    names = pseudonyms(picks, salt, picks)
    assert names["amy"] == "Quokka <b>Queen</b>"
    assert {s: names[s] for s in "bob cat dan eve fay".split()} == {s: generated[s] for s in "bob cat dan eve fay".split()}
    nb = {"cells": [{"cell_type": "code", "source": 'LEADERBOARD_NAME = "First"', "metadata": {}, "outputs": []},
                    {"cell_type": "code", "source": 'LEADERBOARD_NAME = "Second"', "metadata": {}, "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    assert picked_pseudonym(tmp_path / "nb.ipynb") == "Second"
    for bad in ('"a\\u200bb"', '"a\\nb"', '"' + "x" * 41 + '"', '""', "b'bytes'"):
        (tmp_path / "bad.py").write_text(f"LEADERBOARD_NAME = {bad}\n")
        assert picked_pseudonym(tmp_path / "bad.py") is None, bad
    assert picked_pseudonym(tmp_path / "missing.py") is None


def test_cli_page_is_anonymised_by_default(tmp_path: Path, write_files, capsys, monkeypatch):
    terminal = Console(width=250, record=True, color_system=None, file=io.StringIO())
    monkeypatch.setattr(grader_console, "out", terminal)
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for student, acc in (("alice", 0.97), ("bob", 0.95), ("carol", 0.9)):
            s.save(SubmissionResult(LAB, student, SubmissionStatus.GRADED, metrics=metrics(acc), path="lab_iris.py"))
    subs = write_files(root=tmp_path / "subs", files={"alice/lab_iris.py": 'LEADERBOARD_NAME = "Setosa Slayer"\n',
                                                      "bob/lab_iris.py": "x = 1\n", "carol/lab_iris.py": "x = 1\n"})
    page_path = tmp_path / "board.html"
    base = ["leaderboard", LAB, "--db", str(db), "--course", str(ROOT), "--submissions", str(subs), "-o", str(page_path)]
    main(base)
    out = terminal.export_text()
    page = page_path.read_text()
    assert "Setosa Slayer" in page and "Names are pseudonyms" in page
    for student in ("alice", "bob", "carol"):
        assert student not in page
    salt = load_salt(tmp_path / "grades.db-pseudonym-salt")
    names = pseudonyms(["alice", "bob", "carol"], salt, {"alice": "Setosa Slayer"})
    assert f'<td class="name">{names["bob"]}</td>' in page and "Pseudonym" in out and names["carol"] in out
    main(base)  # stable from one run to the next
    assert page_path.read_text().count(names["bob"]) == page.count(names["bob"])
    main([*base, "--no-anonymise"])
    capsys.readouterr()
    assert '<td class="name">alice</td>' in page_path.read_text() and "Setosa Slayer" not in page_path.read_text()
