"""Tests for grader.canvas and `grader gradebook --format canvas`.

The Canvas CSV is read back by ``canvas_import`` below, a parser written to the rules
of Canvas's gradebook import (its importer, app/models/gradebook_importer.rb in
instructure/canvas-lms, and the instructor guides), independently of grader.canvas:

* header: the first row; its first cell contains ``Student`` and its second ``ID``;
  ``SIS User ID`` then ``SIS Login ID`` may follow, and then a cell containing
  ``Section`` must come; every later column is an assignment, except those whose
  header contains Current/Final/Override Score/Points/Grade/Status;
* an assignment header is ``title (id)``, split by ``\\A(.*)\\s\\((\\d+)\\)\\z``; a header
  without an id would create a new assignment (none may here);
* rows: a first cell containing ``Points Possible`` describes the assignments; a row
  whose cells are all blank, ``Muted`` or ``Manual Posting...`` is skipped; every
  other row is a student, found by ``ID`` (Canvas's user id, a number), else
  ``SIS User ID``, else ``SIS Login ID``;
* a grade is stripped; blank or ``-`` is no score (the grade stays as it is); ``EX`` is
  excused; ``-?[0-9.,]+%?`` is a number whose last ``.`` or ``,`` is the decimal point.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.canvas import (
    CANVAS_COLUMNS,
    CanvasAssignment,
    CanvasError,
    CanvasExport,
    ClassroomRoster,
    PlainRoster,
    export_canvas,
    read_assignment_map,
    read_roster,
    resolve_students,
    score_text,
)
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.results import TestResult as Case  # aliased: pytest would try to collect Test*
from grader.results import TestStatus as CaseStatus
from grader.store import ResultStore

ROOT = Path(__file__).resolve().parent.parent

# ----------------------------------------------------------------- a parser of Canvas's import rules

_NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                             "Override Score|Override Grade|Override Status")
_TITLE_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")
_MUTED = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^-?[0-9.,]+%?$")


def canvas_grade(text: str) -> float | str | None:
    """A grade cell as Canvas reads it: None (no score), "EX", or a number."""
    text = text.strip()
    if text in ("", "-"):
        return None
    if text.upper() == "EX":
        return "EX"
    assert _NUMBER.match(text), f"Canvas would not read {text!r} as points"
    *whole, last = re.split(r"[,.]", text.rstrip("%"))
    return float(f"{''.join(whole)}.{last}" if whole else last)


def canvas_import(path: Path) -> tuple[dict[str, str], dict[str, dict[str, float | str]], list[dict[str, str]]]:
    """Read ``path`` as Canvas's import would: (assignment id -> title, assignment id ->
    {student key -> grade}, the student rows). A student key is ``id:N``, else
    ``sis:S``, else ``login:L``; cells with no score are left out."""
    raw = path.read_bytes()
    text = raw.decode("utf-8").removeprefix("\ufeff")
    lines = text.splitlines()[:3]
    counts = {sep: {len(r) for r in csv.reader(lines, delimiter=sep)} for sep in ";,"}
    sep = ";" if len(counts[";"]) == 1 and len(counts[","]) == 1 and max(counts[";"]) > max(counts[","]) else ","
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep)]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], header
    info = 2
    where = {"id": 1}
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        where["login"], info = 2, 3
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        where["sis"], where["login"], info = 2, 3, 4
    assert "Section" in header[info], f"no Section column where Canvas expects it: {header}"
    titles, columns = {}, {}
    for j in range(info + 1, len(header)):
        if _NON_ASSIGNMENT.search(header[j]):
            continue
        match = _TITLE_ID.match(header[j])
        assert match, f"{header[j]!r} has no Canvas id: Canvas would create a new assignment"
        titles[match.group(2)] = match.group(1)
        columns[j] = match.group(2)
    grades: dict[str, dict[str, float | str]] = {a: {} for a in titles}
    students = []
    for row in rows[1:]:
        if not row or "Points Possible" in row[0] or all(_MUTED.match(c) for c in row):
            continue
        assert len(row) == len(header), row
        fields = {k: row[i].strip() for k, i in where.items()}
        key = next((f"{k}:{fields[k]}" for k in ("id", "sis", "login") if fields.get(k)), None)
        assert key is not None, f"Canvas could match {row} by name only"
        if key.startswith("id:"):
            assert fields["id"].isdigit(), f"Canvas's user id must be a number: {row}"
        students.append({"name": row[0], **fields, "section": row[info], "key": key})
        for j, assignment in columns.items():
            grade = canvas_grade(row[j])
            if grade is not None:
                assert key not in grades[assignment], f"{key} twice in the file"
                grades[assignment][key] = grade
    return titles, grades, students


# ----------------------------------------------------------------- fixtures

HOSTILE_NAMES = {  # our student id -> name on the Canvas roster
    "alice": "Smith, Alice",
    "bob": 'Bob "Bobby" Tables',
    "jose": "José Núñez, Jr.",
    "eve": "=1+1",
    "mallory": "@SUM(A1:A9)",
    "zoe": "Zoë 曹 \u202eevil",
}


def case(score: float, max_score: float) -> Case:
    status = CaseStatus.PASSED if score == max_score else CaseStatus.FAILED
    return Case("test_q.py::t", "q1", score, max_score, status, Visibility.HIDDEN)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """hw2 (20 points) for six students, one late; hw1 for two; ids as a course would have them."""
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for i, student in enumerate(HOSTILE_NAMES):
            s.save(SubmissionResult("hw2", student, SubmissionStatus.GRADED, tests=[case(20 * (i + 1) / 7, 20)]))
        s.save(SubmissionResult("hw2", "late", SubmissionStatus.GRADED, tests=[case(18, 20)], late_penalty=2.5,
                                days_late=1))
        s.save(SubmissionResult("hw1", "alice", SubmissionStatus.GRADED, tests=[case(1, 3)]))
        s.save(SubmissionResult("hw1", "bob", SubmissionStatus.INVALID, message="no hw1.py", tests=[]))
    return db


def stored_scores(db: Path, assignment: str) -> dict[str, float]:
    with ResultStore.open(db, create=False) as s:
        return {r.student: r.score for r in s.results(assignment)}


def write_canvas_export(path: Path, rows: list[tuple[str, str, str, str, str]], *, sep: str = ",",
                        bom: bool = False) -> Path:
    """A gradebook as Canvas exports it: header, Points Possible, a Manual Posting row, students."""
    header = [*CANVAS_COLUMNS, "Homework 1 (4401)", "Homework 2 (4402)", "Notes", "Current Score",
              "Unposted Final Score"]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(header)
    w.writerow(["    Points Possible", "", "", "", "", "3", "20", "", "(read only)", "(read only)"])
    w.writerow(["", "", "", "", "", "", "Manual Posting", "", "", ""])
    for row in rows:
        w.writerow([*row, "2", "", "a note", "50", "50"])
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")
    return path


def canvas_rows() -> list[tuple[str, str, str, str, str]]:
    rows = [(name, str(1000 + i), f"S{i:03d}", student, "Lab, Tuesday" if i % 2 else "Lab Monday")
            for i, (student, name) in enumerate(HOSTILE_NAMES.items())]
    rows.append(("Latecomer, Lou", "1099", "S099", "late", "Lab Monday"))
    rows.append(("Student, Test", "1100", "", "", "Lab Monday"))  # Canvas's test student: no grade
    rows.append(("Dropped, Dan", "1101", "S101", "dan", "Lab Monday"))  # no result stored
    return rows


def grader(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; its stdout and stderr with line wraps undone."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)
    proc.stdout, proc.stderr = (" ".join(text.split()) for text in (proc.stdout, proc.stderr))
    return proc


# ----------------------------------------------------------------- round trips through Canvas's rules


def test_round_trip_canvas_export_roster_via_cli(store_path: Path, tmp_path: Path):
    """The usual workflow: Canvas's export is the roster and names the assignment column."""
    roster = write_canvas_export(tmp_path / "export.csv", canvas_rows())
    out = tmp_path / "canvas.csv"
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(roster),
                  "-a", "hw2", "--canvas-assignment", "hw2=Homework 2 (4402)", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "matched by sis_login_id" in proc.stdout and "9 rows, 7 graded students" in proc.stdout
    titles, grades, students = canvas_import(out)
    assert titles == {"4402": "Homework 2"}
    by_login = {s["login"]: s["key"] for s in students}
    expected = {by_login[student]: round(score, 2) for student, score in stored_scores(store_path, "hw2").items()}
    assert grades["4402"] == expected
    assert grades["4402"]["id:1099"] == 15.5  # the late student: 18 less 2.5
    # every row of the export is written, in its order, with Canvas's own names and sections
    assert [s["key"] for s in students] == [f"id:{r[1]}" for r in canvas_rows()]
    names = {s["key"]: s["name"] for s in students}
    assert names["id:1000"] == "Smith, Alice" and names["id:1001"] == 'Bob "Bobby" Tables'
    assert names["id:1002"] == "José Núñez, Jr." and names["id:1003"] == "'=1+1"  # never a live formula
    assert names["id:1004"] == "'@SUM(A1:A9)" and names["id:1005"] == "Zoë 曹 \\u202eevil"
    assert students[1]["section"] == "Lab, Tuesday"
    # the test student and a student without a result get a blank cell: Canvas keeps their grade
    assert "id:1100" not in grades["4402"] and "id:1101" not in grades["4402"]
    raw = out.read_bytes()
    assert raw.startswith(b"Student,ID,SIS User ID,SIS Login ID,Section,Homework 2 (4402)\r\n")
    assert b"Points Possible" not in raw and not raw.startswith(b"\xef\xbb\xbf")


def test_round_trip_plain_roster_all_assignments(store_path: Path, tmp_path: Path):
    """A plain roster student,canvas_id,...: its rows, in its order; both assignments mapped from a file."""
    plain = tmp_path / "roster.csv"
    lines = ["student,canvas_id,sis_user_id,name,section"]
    lines += [f'{s},{2000 + i},,"{n.replace(chr(34), chr(34) * 2)}",A' for i, (s, n) in enumerate(HOSTILE_NAMES.items())]
    lines += ["late,,SIS-LATE,Lou,B", "dan,2099,,Dan,B"]
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = tmp_path / "canvas-assignments.txt"
    mapping.write_text("# ours=Canvas's\nhw1=Homework 1, neurons (4401)\n\nhw2=Homework 2 (4402)\n")
    out = tmp_path / "all.csv"
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(plain),
                  "--canvas-assignments", str(mapping), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    titles, grades, students = canvas_import(out)
    assert titles == {"4401": "Homework 1, neurons", "4402": "Homework 2"}
    keys = {s: f"id:{2000 + i}" for i, s in enumerate(HOSTILE_NAMES)} | {"late": "sis:SIS-LATE"}
    for assignment, cid in (("hw1", "4401"), ("hw2", "4402")):
        assert grades[cid] == {keys[s]: round(v, 2) for s, v in stored_scores(store_path, assignment).items()}
    assert grades["4401"]["id:2001"] == 0.0  # an invalid submission is a 0, not a blank
    assert [s["key"] for s in students] == [*keys.values(), "id:2099"]
    assert students[-1]["name"] == "Dan" and "id:2099" not in grades["4402"]


def test_round_trip_classroom_roster_chained_with_canvas_export(tmp_path: Path):
    """GitHub usernames -> Classroom's roster identifiers -> the Canvas export's SIS Login IDs."""
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        for user, pts in (("Octocat", 7.5), ("hubot", 10.0), ("unlinked", 3.0)):
            s.save(SubmissionResult("hw2", user, SubmissionStatus.GRADED, tests=[case(pts, 10)]))
    classroom = tmp_path / "grades-classroom.csv"
    classroom.write_text(
        "assignment_name,github_username,roster_identifier,student_repository_name,submission_timestamp,"
        "points_awarded,points_available\n"
        "hw2,octocat,alice@uni.edu,hw2-octocat,2026-03-01 10:00:00 UTC,5,10\n"
        "hw2,hubot,bob@uni.edu,hw2-hubot,2026-03-01 11:00:00 UTC,10,10\n"
        "hw2,unlinked,,hw2-unlinked,2026-03-01 12:00:00 UTC,3,10\n")
    export = write_canvas_export(tmp_path / "export.csv", [
        ("Smith, Alice", "11", "", "alice@uni.edu", "A"), ("Jones, Bob", "12", "", "BOB@uni.edu", "A")],
        sep=";", bom=True)
    out = tmp_path / "canvas.csv"
    proc = grader("gradebook", "--db", str(db), "--format", "canvas", "--roster", str(export), "--roster",
                  str(classroom), "-a", "hw2", "--canvas-assignment", "hw2=Homework 2 (4402)", "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr  # "unlinked" has no roster identifier
    assert "1 graded student(s) are not in canvas.csv" in proc.stderr and "unlinked:" in proc.stderr
    assert "no roster identifier" in proc.stderr
    _, grades, _ = canvas_import(out)
    assert grades == {"4402": {"id:11": 7.5, "id:12": 10.0}}  # usernames and logins compared without case


def test_classroom_roster_alone_needs_match_by(tmp_path: Path, store_path: Path):
    classroom = tmp_path / "classroom.csv"
    classroom.write_text("assignment_name,github_username,roster_identifier,student_repository_name,"
                         "submission_timestamp,points_awarded,points_available\n"
                         + "".join(f"hw2,{s},{s}-sis,hw2-{s},,1,2\n" for s in [*HOSTILE_NAMES, "late"]))
    roster = read_roster(classroom)
    assert isinstance(roster, ClassroomRoster) and roster.identifiers["alice"] == "alice-sis"
    with ResultStore.open(store_path, create=False) as store:
        with pytest.raises(CanvasError, match="--match-by"):
            export_canvas(store, tmp_path / "c.csv", [roster], assignment="hw2",
                          mapping={"hw2": CanvasAssignment("Homework 2", "4402")})
        result = export_canvas(store, tmp_path / "c.csv", [roster], assignment="hw2",
                               mapping={"hw2": CanvasAssignment("Homework 2", "4402")}, match_by="sis_user_id")
    assert result.missing == {} and result.written == 7
    _, grades, _ = canvas_import(tmp_path / "c.csv")
    assert grades["4402"] == {f"sis:{s}-sis": round(v, 2) for s, v in stored_scores(store_path, "hw2").items()}


# ----------------------------------------------------------------- missing students, mappings, rosters


def test_students_missing_from_roster_are_listed_and_exit_1(store_path: Path, tmp_path: Path):
    roster = write_canvas_export(tmp_path / "export.csv", [r for r in canvas_rows() if r[3] not in ("bob", "late")])
    out = tmp_path / "canvas.csv"
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(roster),
                  "-a", "hw2", "-o", str(out))  # the column comes from the export? no: hw2 is not its title
    assert proc.returncode == 2 and "no Canvas assignment for hw2" in proc.stderr, proc.stderr
    assert "Homework 2 (4402)" in proc.stderr and not out.exists()
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(roster),
                  "-a", "hw2", "--canvas-assignment", "hw2=Homework 2 (4402)", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "2 graded student(s) are not in canvas.csv" in proc.stderr
    assert "bob: no row of export.csv has sis_login_id 'bob'" in proc.stderr
    assert "late: no row of export.csv has sis_login_id 'late'" in proc.stderr
    _, grades, students = canvas_import(out)  # what could be written was
    assert len(grades["4402"]) == 5 and len(students) == len(canvas_rows()) - 2


def test_export_column_reused_by_assignment_title(store_path: Path, tmp_path: Path):
    export = read_roster(write_canvas_export(tmp_path / "export.csv", canvas_rows()))
    assert isinstance(export, CanvasExport)
    assert [a.header for a in export.assignments] == ["Homework 1 (4401)", "Homework 2 (4402)"]
    assert len(export.students) == len(canvas_rows())  # Points Possible and Manual Posting rows skipped
    with ResultStore.open(store_path, create=False) as store:
        result = export_canvas(store, tmp_path / "c.csv", [export], titles={"hw2": "homework  2", "hw1": "HW one"})
    assert [(ours, a.canvas_id) for ours, a in result.columns] == [("hw2", "4402")]
    assert result.unmapped == ["hw1"] and result.matched_by == "sis_login_id"
    titles, grades, _ = canvas_import(tmp_path / "c.csv")
    assert list(titles) == ["4402"] and len(grades["4402"]) == 7


@pytest.mark.parametrize(("content", "expected"), [
    # a TA's export: no SIS User ID column
    ("Student,ID,SIS Login ID,Section,Lab 1 (7)\n\"Lee, Ann\",5,ann,S1,3\n",
     [("Lee, Ann", "5", "", "ann", "S1")]),
    # last and first names apart, Integration ID and Root Account, semicolons and decimal commas
    ("LastName;FirstName;ID;SIS User ID;SIS Login ID;Integration ID;Root Account;Section;Lab 1 (7)\n"
     "Lee;Ann;5;U5;ann;I5;uni;S1;2,5\n   Points Possible;;;;;;;;10\n;;;;;;;;Muted\n",
     [("Ann Lee", "5", "U5", "ann", "S1")]),
])
def test_canvas_export_layouts(tmp_path: Path, content: str, expected: list[tuple[str, ...]]):
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    roster = read_roster(path)
    assert isinstance(roster, CanvasExport)
    assert [(s.name, s.id, s.sis_user_id, s.sis_login_id, s.section) for s in roster.students] == expected
    assert [a.header for a in roster.assignments] == ["Lab 1 (7)"]


def test_match_by_auto_picks_the_field_that_matches(tmp_path: Path):
    export = CanvasExport(tmp_path / "e.csv", [
        read_roster_row("Ann Lee", "7", "ann", "a@x"), read_roster_row("Ben Ode", "8", "ben", "b@x")], [])
    assert resolve_students(["ann", "ben"], [export]).matched_by == "sis_user_id"
    assert resolve_students(["A@X", "b@x"], [export]).matched_by == "sis_login_id"
    assert resolve_students(["7", "8"], [export]).matched_by == "id"
    place = resolve_students(["ann lee", "nobody"], [export])
    assert place.matched_by == "name" and place.of == {"ann lee": 0}
    assert place.missing == {"nobody": "no row of e.csv has name 'nobody'"}


def read_roster_row(name: str, cid: str, sis: str, login: str):
    from grader.canvas import CanvasStudent

    return CanvasStudent(name=name, id=cid, sis_user_id=sis, sis_login_id=login, section="S")


def test_two_students_on_one_row_and_formula_keys_are_missing(tmp_path: Path, store_path: Path):
    plain = tmp_path / "roster.csv"
    plain.write_text("student,canvas_id,sis_user_id\nalice,3001,\nbob,3002,\njose,,=HYPERLINK(1)\n"
                     "eve,,S-eve\nmallory,3004,\nzoe,3005,\nlate,3006,\n")
    with ResultStore.open(store_path) as store:  # "ALICE" and "alice": one roster row, by case
        store.save(SubmissionResult("hw2", "ALICE", SubmissionStatus.GRADED, tests=[case(1, 20)]))
        result = export_canvas(store, tmp_path / "c.csv", [read_roster(plain)], assignment="hw2",
                               mapping={"hw2": CanvasAssignment("Homework 2", "4402")})
    assert set(result.missing) == {"alice", "ALICE", "jose"}
    assert "same Canvas row as 'ALICE'" in result.missing["alice"]
    assert "starts like a spreadsheet formula" in result.missing["jose"]
    _, grades, students = canvas_import(tmp_path / "c.csv")
    assert set(grades["4402"]) == {"id:3002", "sis:S-eve", "id:3004", "id:3005", "id:3006"}
    assert students[0]["key"] == "id:3001"  # the row is written, its cell left blank


def test_classroom_identifier_shared_by_two_accounts(tmp_path: Path, store_path: Path):
    classroom = tmp_path / "classroom.csv"
    classroom.write_text("assignment_name,github_username,roster_identifier,student_repository_name,"
                         "submission_timestamp,points_awarded,points_available\n"
                         "hw2,alice,same@uni,r,,1,2\nhw2,bob,same@uni,r,,1,2\nhw2,jose,jose@uni,r,,1,2\n")
    with ResultStore.open(store_path, create=False) as store:
        result = export_canvas(store, tmp_path / "c.csv", [read_roster(classroom)], assignment="hw2",
                               mapping={"hw2": CanvasAssignment("Homework 2", "4402")}, match_by="sis_login_id")
    assert "same Canvas row as 'bob'" in result.missing["alice"] and "not in the GitHub" in result.missing["eve"]
    assert result.written == 1


@pytest.mark.parametrize(("content", "message"), [
    ("student,canvas_id\nalice,12a\n", "not a number"),
    ("student,canvas_id\nalice,1\nALICE,2\n", "appears twice"),
    ("student,canvas_id\nalice,1\nbob,1\n", "canvas_id '1' is given to both 'alice' and 'bob'"),
    ("student,sis_login_id\nalice,A@x\nbob,a@X\n", "sis_login_id 'a@X' is given to both"),
    ("student,name\nalice,Alice\n", "not a roster this command reads"),
    ("student,sis_login_id\nalice,\n", "has no canvas_id, sis_user_id or sis_login_id"),
    ("Student,ID,SIS User ID,SIS Login ID,Notes,Homework 2 (1)\n", "Section"),
    ("", "empty"),
])
def test_bad_rosters(tmp_path: Path, content: str, message: str):
    path = tmp_path / "roster.csv"
    path.write_text(content)
    with pytest.raises(CanvasError, match=message):
        read_roster(path)


def test_bad_roster_via_cli_is_a_message_not_a_traceback(store_path: Path, tmp_path: Path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"student,canvas_id\nal\xe9,1\n")
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(path),
                  "--canvas-assignment", "hw2=Homework 2 (4402)", "-o", str(tmp_path / "c.csv"))
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("line", "message"), [
    ("hw2=Homework 2", "Canvas id in parentheses"),
    ("hw2", "should read ASSIGNMENT=NAME"),
    ("hw2=Final Grade boost (12)", "would not import"),
    ("hw2=Homework 2 Current Score (12)", "would not import"),
    ("hw2=Section (12)", "would not import"),
    ("hw2= (12)", "Canvas id in parentheses"),
])
def test_bad_assignment_mappings(line: str, message: str):
    with pytest.raises(CanvasError, match=message):
        read_assignment_map([line])


@pytest.mark.parametrize(("title", "cid"), [("  ", "12"), ("two\nlines", "12"), ("ok", "12a"), ("ok", "١٢")])
def test_canvas_assignment_check(title: str, cid: str):
    with pytest.raises(CanvasError):
        CanvasAssignment(title, cid).check()


def test_assignment_mapping_parses_like_canvas():
    got = read_assignment_map(["hw2=Lab (part 2) (98765)", "  # comment", "lab-iris = Iris = fun (5)"])
    assert got["hw2"] == CanvasAssignment("Lab (part 2)", "98765") and got["hw2"].header == "Lab (part 2) (98765)"
    assert got["lab-iris"] == CanvasAssignment("Iris = fun", "5")
    with pytest.raises(CanvasError, match="given twice"):
        read_assignment_map(["hw2=A (1)", "hw2=B (2)"])


def test_two_assignments_on_one_canvas_column(store_path: Path, tmp_path: Path):
    same = CanvasAssignment("Homework", "1")
    roster = PlainRoster(tmp_path / "r.csv", {})
    with ResultStore.open(store_path, create=False) as store, pytest.raises(CanvasError, match="mapped to the Canvas"):
        export_canvas(store, tmp_path / "c.csv", [roster], mapping={"hw1": same, "hw2": same})
    assert not (tmp_path / "c.csv").exists()


def test_mapping_of_an_unknown_assignment_is_refused(store_path: Path, tmp_path: Path):
    roster = read_roster(write_canvas_export(tmp_path / "export.csv", canvas_rows()))
    mapping = {"hw1": CanvasAssignment("Homework 1", "4401"), "hw2": CanvasAssignment("Homework 2", "4402")}
    with ResultStore.open(store_path, create=False) as store:
        with pytest.raises(CanvasError, match=r"names hw9, which has no results .*hw1, hw2"):
            export_canvas(store, tmp_path / "c.csv", [roster], mapping={"hw9": CanvasAssignment("X", "1")})
        result = export_canvas(store, tmp_path / "c.csv", [roster], assignment="hw2", mapping=mapping)
    assert [ours for ours, _ in result.columns] == ["hw2"]  # -a picks one of the mapped assignments
    assert list(canvas_import(tmp_path / "c.csv")[0]) == ["4402"]


@pytest.mark.parametrize(("points", "text"), [(19.666667, "19.67"), (10.0, "10"), (0.0, "0"), (2.5, "2.5"),
                                              (1e-9, "0"), (123456.789, "123456.79"), (0.005, "0.01")])
def test_score_text(points: float, text: str):
    assert score_text(points) == text
    assert canvas_grade(text) == round(points, 2)


@pytest.mark.parametrize("args, message", [
    (["--format", "canvas"], "needs --roster"),
    (["--roster", "r.csv"], "go with --format canvas"),
    (["--format", "canvas", "--roster", "r.csv", "--max-points-row"], "does not go with --format canvas"),
])
def test_cli_usage_errors(store_path: Path, tmp_path: Path, args: list[str], message: str):
    (tmp_path / "r.csv").write_text("student,canvas_id\nalice,1\n")
    proc = grader("gradebook", "--db", str(store_path), *args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_default_output_goes_to_ignored_out_folder(store_path: Path, tmp_path: Path):
    """No -o: out/canvas-hw2.csv next to the store (no course here), which git ignores."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    roster = write_canvas_export(tmp_path / "export.csv", canvas_rows())
    proc = grader("gradebook", "--db", str(store_path), "--format", "canvas", "--roster", str(roster),
                  "-a", "hw2", "--canvas-assignment", "hw2=Homework 2 (4402)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out" / "canvas-hw2.csv"
    assert canvas_import(out)[1]["4402"]
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert "out/" not in status and "export.csv" in status
