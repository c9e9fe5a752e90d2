"""Canvas: the gradebook as the CSV that Canvas's gradebook import reads, and the
rosters that say which Canvas row each of our students is.

What Canvas reads (its importer, ``app/models/gradebook_importer.rb`` in
instructure/canvas-lms, and its guides; see :data:`CANVAS_COLUMNS`):

* the first row is the header: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
  ``Section``, then one column per assignment named ``Name (12345)``: the title, a
  space, and the assignment's Canvas id in parentheses (Canvas splits it with
  ``\\A(.*)\\s\\((\\d+)\\)\\z``). Canvas drops a column whose header *contains* ``Current
  Score``, ``Final Grade`` and the like (:data:`NON_ASSIGNMENT_HEADERS`), so such a
  title is refused here;
* a row whose first cell contains ``Points Possible`` describes the assignments, and a
  row whose every cell is blank, ``Muted`` or ``Manual Posting…`` is skipped; every
  other row is a student, found by ``ID`` (Canvas's user id), else ``SIS User ID``, else
  ``SIS Login ID``, else by name;
* a score is a number (``-?[0-9.,]+%?``: a decimal comma is read as a point), ``EX``
  (excused), or blank or ``-`` (no score: the grade is left as it is).

What is written: one row per student of the roster, in its order; a graded student's
score after any late penalty, rounded to 2 decimals (what Canvas itself exports and
compares); a blank cell for a roster student without a result, so that an import
leaves Canvas's grade alone. No ``Points Possible`` row: Canvas's guides do not ask
for one in an import, and its importer, which skips such a row, also takes the points
in it as the assignments' points possible (see the README's Canvas part). Text cells
go through :func:`grader.spreadsheet.cell` (a name like ``=1+1`` is written ``'=1+1``;
Canvas finds the row by its ``ID`` anyway), and the file is written whole or not at all.

Rosters (:func:`read_roster` tells them apart by their header):

* a Canvas gradebook export (:class:`CanvasExport`): Canvas's own rows, names and
  sections, and the assignment columns, ``Homework 2 (12345)``, that an assignment of
  ours can reuse (matched by its name or its ``assignment.toml`` title). Our student
  ids are matched against one of its fields, ``--match-by`` (by default the field
  that matches the most graded students);
* a plain CSV (:class:`PlainRoster`): ``student`` (our id) and at least one of
  ``canvas_id``, ``sis_user_id``, ``sis_login_id`` per row, with optional ``name`` and
  ``section``;
* GitHub Classroom's grades CSV (:class:`ClassroomRoster`: ``assignment_name``,
  ``github_username``, ``roster_identifier``, ...): the GitHub username (our student id
  for cloned repositories) and the identifier of Classroom's roster, which is matched
  against a Canvas export's field, or, alone, fills the field named by ``--match-by``.

A graded student no roster places is never dropped silently: :class:`CanvasResult`
lists them in ``missing`` (with the reason), and the CLI exits 1 after writing the
others.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import spreadsheet
from .store import ResultStore

__all__ = ["CANVAS_COLUMNS", "MATCH_FIELDS", "NON_ASSIGNMENT_HEADERS", "CanvasAssignment", "CanvasError",
           "CanvasExport", "CanvasResult", "CanvasStudent", "ClassroomRoster", "Placement", "PlainRoster", "canvas_frame",
           "export_canvas", "read_assignment_map", "read_roster", "resolve_students", "score_text",
           "write_canvas"]

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Canvas's importer leaves out every header that contains one of these (and "Unposted ..." ones)
NON_ASSIGNMENT_HEADERS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                          "Final Grade", "Override Score", "Override Grade", "Override Status")
_RESERVED = {"Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section", "Integration ID",
             "Root Account"}
MATCH_FIELDS = ("id", "sis_user_id", "sis_login_id", "name")  # CanvasStudent fields a roster key can match
_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z")  # Canvas's Assignment.title_and_id; "." stops at a newline
_SKIPPED_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)
_CLASSROOM_COLUMNS = ("assignment_name", "github_username", "roster_identifier", "student_repository_name",
                      "submission_timestamp", "points_awarded", "points_available")


class CanvasError(ValueError):
    """A roster, an assignment mapping or a store that cannot make a Canvas CSV; the
    message says what to fix. (A ValueError: the CLI prints it, with no traceback.)"""


def _key(text: str) -> str:
    """How roster values are compared: NFC, surrounding space stripped, case folded."""
    return unicodedata.normalize("NFC", text).strip().casefold()


@dataclass(frozen=True)
class CanvasStudent:
    """One row of Canvas's gradebook: what Canvas knows a student by. Empty strings for
    what the roster did not say. ``id`` is Canvas's user id (digits)."""

    name: str = ""
    id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""

    def value(self, name: str) -> str:
        """The field ``name`` (one of :data:`MATCH_FIELDS`)."""
        return str(getattr(self, name))

    def identity(self) -> tuple[str, str, str]:
        """What Canvas matches a row by, in its order (ID, SIS User ID, SIS Login ID), compared as keys."""
        return (self.id.strip(), _key(self.sis_user_id), _key(self.sis_login_id))


@dataclass(frozen=True)
class CanvasAssignment:
    """A Canvas assignment: its title and id, written as the header ``title (id)``."""

    title: str
    canvas_id: str

    @property
    def header(self) -> str:
        return f"{self.title} ({self.canvas_id})"

    @classmethod
    def parse(cls, text: str) -> CanvasAssignment:
        """``"Homework 2 (12345)"`` as Canvas splits it, checked with :meth:`check`.

        Raises:
            CanvasError: no ``(digits)`` at the end, or a title Canvas would not read back.
        """
        match = _TITLE_AND_ID.match(text.strip())
        if not match:
            raise CanvasError(f"{text!r} is not a Canvas assignment column: write the assignment's name and its "
                              "Canvas id in parentheses, e.g. 'Homework 2 (12345)' (the id is the number in the "
                              "assignment's address, .../assignments/12345)")
        return cls(match.group(1), match.group(2)).check()

    def check(self) -> CanvasAssignment:
        """Self, if Canvas would read the header back as this assignment.

        Raises:
            CanvasError: an empty or multi-line title, a title that holds one of
                :data:`NON_ASSIGNMENT_HEADERS` (Canvas drops such a column silently)
                or is a student column's name, or an id that is not digits.
        """
        if not self.canvas_id.isascii() or not self.canvas_id.isdigit():
            raise CanvasError(f"Canvas assignment id {self.canvas_id!r} is not a number")
        if not self.title.strip() or "\n" in self.title or "\r" in self.title:
            raise CanvasError(f"Canvas assignment title {self.title!r} must be one non-empty line")
        clash = [h for h in NON_ASSIGNMENT_HEADERS if h in self.header] + [h for h in _RESERVED if h == self.title]
        if clash:
            raise CanvasError(f"Canvas would not import the column {self.header!r}: its importer skips any "
                              f"column named with {clash[0]!r}; rename the assignment in Canvas")
        return self


@dataclass
class CanvasExport:
    """A gradebook exported from Canvas, read as a roster: its student rows (in the
    file's order) and its assignment columns."""

    path: Path
    students: list[CanvasStudent]
    assignments: list[CanvasAssignment]


@dataclass
class PlainRoster:
    """``student,canvas_id,sis_user_id,sis_login_id,name,section``: our student id ->
    what Canvas knows the student by, in the file's order. Keys are :func:`_key` of ours."""

    path: Path
    students: dict[str, CanvasStudent]


@dataclass
class ClassroomRoster:
    """GitHub Classroom's grades CSV: GitHub username (key) -> roster identifier, in the
    file's order; usernames without an identifier (not linked to the roster) map to ""."""

    path: Path
    identifiers: dict[str, str]


Roster = CanvasExport | PlainRoster | ClassroomRoster


def _read_rows(path: Path) -> list[list[str]]:
    """The CSV's rows as strings, as Canvas reads a file: UTF-8 (a byte-order mark is
    dropped), ``;`` as the separator when the first lines split more consistently on it,
    empty lines skipped, short rows padded with empty cells."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CanvasError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); export the CSV as UTF-8") \
            from None
    first = text.splitlines()[:3]

    def width(sep: str) -> int:
        try:
            counts = {len(row) for row in csv.reader(first, delimiter=sep)}
        except csv.Error:
            return 0
        return counts.pop() if len(counts) == 1 else 0

    sep = ";" if width(";") > width(",") else ","
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if row]
    except csv.Error as exc:
        raise CanvasError(f"{path}: not a CSV file: {exc}") from None
    n = max((len(row) for row in rows), default=0)
    return [row + [""] * (n - len(row)) for row in rows]


def _is_canvas_header(row: list[str]) -> bool:
    return (len(row) > 3 and "Student" in row[0] and "ID" in row[1]) or \
        (len(row) > 4 and "LastName" in row[0] and "FirstName" in row[1] and "ID" in row[2])


def _canvas_layout(path: Path, header: list[str]) -> tuple[dict[str, int], int]:
    """Where a Canvas export keeps each student field, and how many leading columns are the
    student's, found as Canvas's importer finds them (``update_column_count``)."""
    names = 2 if header[0] == "LastName" and header[1] == "FirstName" else 1
    where = {"id": names}
    n = names + 1
    if re.search(r"SIS\s+Login\s+ID", header[n]):
        where["sis_login_id"] = n
        n += 1
    elif re.search(r"SIS\s+User\s+ID", header[n]) and n + 1 < len(header) and \
            re.search(r"SIS\s+Login\s+ID", header[n + 1]):
        where["sis_user_id"], where["sis_login_id"] = n, n + 1
        n += 2
        if n < len(header) and re.search(r"Integration\s+ID", header[n]):
            n += 1
        if n < len(header) and re.search(r"Root\s+Account", header[n]):
            n += 1
    if n >= len(header) or "Section" not in header[n]:
        raise CanvasError(f"{path}: a Canvas export's header has Section after the student's name, ID and SIS "
                          f"columns, but this one has {header[n] if n < len(header) else 'nothing'!r} there")
    where["section"] = n
    return where, n + 1


def _skipped(row: list[str]) -> bool:
    """A row Canvas skips: points possible, muted or manual posting, or blank."""
    return "Points Possible" in row[0] or all(_SKIPPED_ROW.match(c) for c in row)


def _read_canvas_export(path: Path, rows: list[list[str]]) -> CanvasExport:
    header = rows[0]
    where, n_info = _canvas_layout(path, header)
    split_names = where["id"] == 2
    students = []
    for row in rows[1:]:
        if _skipped(row):
            continue
        name = f"{row[1]} {row[0]}".strip() if split_names else row[0].strip()
        students.append(CanvasStudent(name=name, **{f: row[i].strip() for f, i in where.items()}))
    assignments = []
    for text in header[n_info:]:
        if any(h in text for h in NON_ASSIGNMENT_HEADERS) or not _TITLE_AND_ID.match(text.strip()):
            continue  # totals, custom columns and the like
        try:
            assignments.append(CanvasAssignment.parse(text))
        except CanvasError:
            continue
    return CanvasExport(path, students, assignments)


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower().replace(" ", "_")
        if key in cols:
            raise CanvasError(f"{path}: the column {name.strip()!r} appears twice")
        cols[key] = i
    return cols


def _read_plain(path: Path, rows: list[list[str]], cols: dict[str, int]) -> PlainRoster:
    if "canvas_id" not in cols and "id" in cols:
        cols["canvas_id"] = cols["id"]
    fields = {"canvas_id": "id", "sis_user_id": "sis_user_id", "sis_login_id": "sis_login_id", "name": "name",
              "section": "section"}
    students: dict[str, CanvasStudent] = {}
    owners: dict[str, CanvasStudent] = {}  # our id as written -> row, for the messages
    for line, row in enumerate(rows[1:], start=2):
        ours = row[cols["student"]].strip()
        values = {ours_f: row[cols[col]].strip() for col, ours_f in fields.items() if col in cols}
        student = CanvasStudent(**values)
        if not ours and not any(values.values()):
            continue
        if not ours:
            raise CanvasError(f"{path}, line {line}: no student id in the 'student' column")
        if not (student.id or student.sis_user_id or student.sis_login_id):
            raise CanvasError(f"{path}, line {line}: {ours!r} has no canvas_id, sis_user_id or sis_login_id, "
                              "which Canvas needs to find the student")
        if student.id and not (student.id.isascii() and student.id.isdigit()):
            raise CanvasError(f"{path}, line {line}: canvas_id {student.id!r} is not a number (Canvas's user id)")
        if _key(ours) in students:
            raise CanvasError(f"{path}, line {line}: student {ours!r} appears twice")
        for name, col in (("id", "canvas_id"), ("sis_user_id", "sis_user_id"), ("sis_login_id", "sis_login_id")):
            value = student.value(name)
            other = next((o for o, st in owners.items() if value and _key(st.value(name)) == _key(value)), None)
            if other is not None:
                raise CanvasError(f"{path}, line {line}: {col} {value!r} is given to both {other!r} and {ours!r}")
        students[_key(ours)] = student
        owners[ours] = student
    return PlainRoster(path, students)


def _read_classroom(path: Path, rows: list[list[str]], cols: dict[str, int]) -> ClassroomRoster:
    identifiers: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        user, ident = row[cols["github_username"]].strip(), row[cols["roster_identifier"]].strip()
        if not user:
            continue
        known = identifiers.get(_key(user))
        if known and ident and known != ident:
            raise CanvasError(f"{path}, line {line}: {user!r} has two roster identifiers, {known!r} and {ident!r}")
        identifiers[_key(user)] = known or ident
    return ClassroomRoster(path, identifiers)


def read_roster(path: str | Path) -> Roster:
    """A roster file, told apart by its header: a Canvas gradebook export (``Student``,
    ``ID``, ...), GitHub Classroom's grades CSV (``github_username``, ``roster_identifier``)
    or a plain CSV (``student`` and ``canvas_id``, ``sis_user_id`` or ``sis_login_id``).

    Raises:
        CanvasError: not UTF-8, not CSV, none of the three formats, or a row that
            cannot be used (no id, an id twice, a Canvas id that is not a number).
        OSError: the file cannot be read.
    """
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise CanvasError(f"{path}: the roster is empty")
    header = [c.strip() for c in rows[0]]
    if _is_canvas_header(header):
        return _read_canvas_export(path, rows)
    cols = _columns(path, header)
    if {"github_username", "roster_identifier"} <= set(cols):
        return _read_classroom(path, rows, cols)
    if "student" in cols and {"canvas_id", "id", "sis_user_id", "sis_login_id"} & set(cols):
        return _read_plain(path, rows, cols)
    raise CanvasError(
        f"{path}: not a roster this command reads (its header is {', '.join(header[:8])}). Use a gradebook "
        "exported from Canvas (Student, ID, SIS User ID, SIS Login ID, Section, ...), GitHub Classroom's grades "
        f"CSV ({', '.join(_CLASSROOM_COLUMNS)}), or a CSV with the columns student,canvas_id (and optionally "
        "sis_user_id, sis_login_id, name, section)")


def read_assignment_map(lines: list[str], source: str = "--canvas-assignment") -> dict[str, CanvasAssignment]:
    """``["hw2=Homework 2 (12345)", ...]`` (blank lines and ``#`` comments skipped) as
    our assignment -> :class:`CanvasAssignment`.

    Raises:
        CanvasError: a line without ``=``, a Canvas column that :meth:`CanvasAssignment.parse`
            refuses, or an assignment given twice.
    """
    out: dict[str, CanvasAssignment] = {}
    for n, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        ours, sep, canvas = text.partition("=")
        where = f"{source}" if source.startswith("--") else f"{source}, line {n}"
        if not sep or not ours.strip():
            raise CanvasError(f"{where}: {text!r} should read ASSIGNMENT=NAME (ID), e.g. 'hw2=Homework 2 (12345)'")
        if ours.strip() in out:
            raise CanvasError(f"{where}: {ours.strip()!r} is given twice")
        try:
            out[ours.strip()] = CanvasAssignment.parse(canvas)
        except CanvasError as exc:
            raise CanvasError(f"{where}: {exc}") from None
    return out


@dataclass
class Placement:
    """Which Canvas row each graded student goes to (:func:`resolve_students`)."""

    rows: list[CanvasStudent]  # every row of the output, in order
    of: dict[str, int] = field(default_factory=dict)  # our student id -> index in rows
    missing: dict[str, str] = field(default_factory=dict)  # our student id -> why it has no row
    matched_by: str = ""  # the field our ids (or the identifiers) were matched against, if one was


def _index(rows: list[CanvasStudent], by: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row.value(by).strip():
            out.setdefault(_key(row.value(by)), []).append(i)
    return out


def _best_field(keys: list[str], rows: list[CanvasStudent], match_by: str) -> str:
    if match_by != "auto":
        return match_by
    counts = {f: sum(_key(k) in _index(rows, f) for k in keys) for f in MATCH_FIELDS}
    return max(MATCH_FIELDS, key=lambda f: counts[f])  # the first of the best, in MATCH_FIELDS order


def _find(index: dict[str, list[int]], value: str, by: str, where: str) -> tuple[int | None, str]:
    hits = index.get(_key(value), [])
    if len(hits) == 1:
        return hits[0], ""
    if hits:
        return None, f"{len(hits)} rows of {where} have {by} {value!r}"
    return None, f"no row of {where} has {by} {value!r}"


def resolve_students(students: list[str], rosters: list[Roster], match_by: str = "auto") -> Placement:
    """Place each of ``students`` (our ids) on a Canvas row.

    ``rosters``: at most one Canvas export and at most one mapping (plain or Classroom).
    The rows written are the export's, else the mapping's. ``match_by`` (``auto`` or one
    of :data:`MATCH_FIELDS`) is the export's field that our ids (export alone) or the
    Classroom identifiers are compared with; ``auto`` picks the one that matches the
    most. A plain roster's row is found in an export by its ID, else SIS User ID, else
    SIS Login ID, as Canvas would. Two students placed on one row are both missing.

    Raises:
        CanvasError: two exports or two mappings, or a Classroom roster alone with
            ``match_by="auto"`` (say which Canvas field its identifiers are).
    """
    exports = [r for r in rosters if isinstance(r, CanvasExport)]
    mappings = [r for r in rosters if not isinstance(r, CanvasExport)]
    if len(exports) > 1 or len(mappings) > 1:
        raise CanvasError("give at most one Canvas export and one other roster (a plain CSV or GitHub Classroom's)")
    export = exports[0] if exports else None
    mapping = mappings[0] if mappings else None
    if export is None and mapping is None:
        raise CanvasError("no roster given")
    place = Placement(rows=[])
    if isinstance(mapping, PlainRoster):
        if export is None:
            place.rows = list(mapping.students.values())
            order = {k: i for i, k in enumerate(mapping.students)}
            for s in students:
                if _key(s) in order:
                    place.of[s] = order[_key(s)]
                else:
                    place.missing[s] = f"not in the roster {mapping.path.name}"
        else:
            place.rows = list(export.students)
            indexes = {f: _index(export.students, f) for f in ("id", "sis_user_id", "sis_login_id")}
            for s in students:
                row = mapping.students.get(_key(s))
                if row is None:
                    place.missing[s] = f"not in the roster {mapping.path.name}"
                    continue
                by = next(f for f in ("id", "sis_user_id", "sis_login_id") if row.value(f))
                hit, why = _find(indexes[by], row.value(by), by, export.path.name)
                if hit is None:
                    place.missing[s] = f"{mapping.path.name} gives {by} {row.value(by)!r}, but {why}"
                else:
                    place.of[s] = hit
    elif isinstance(mapping, ClassroomRoster):
        linked = {s: mapping.identifiers.get(_key(s), "") for s in students}
        for s, ident in linked.items():
            if _key(s) not in mapping.identifiers:
                place.missing[s] = f"not in the GitHub Classroom roster {mapping.path.name}"
            elif not ident:
                place.missing[s] = f"{mapping.path.name} has no roster identifier for this GitHub account"
        if export is None:
            if match_by == "auto":
                raise CanvasError("a GitHub Classroom roster alone does not say which Canvas field its roster "
                                  "identifiers are: pass --match-by (sis_login_id, sis_user_id, id or name), or "
                                  "add the gradebook exported from Canvas as a second --roster")
            if match_by == "id" and not all(v.isascii() and v.isdigit() for v in mapping.identifiers.values() if v):
                raise CanvasError(f"{mapping.path.name}: --match-by id needs Canvas user ids (numbers) as roster "
                                  "identifiers")
            place.matched_by = match_by
            rows: dict[str, int] = {}
            for ident in mapping.identifiers.values():
                if ident and _key(ident) not in rows:
                    rows[_key(ident)] = len(place.rows)
                    place.rows.append(CanvasStudent(**{match_by: ident}))
            for s, ident in linked.items():
                if s not in place.missing:
                    place.of[s] = rows[_key(ident)]
        else:
            place.rows = list(export.students)
            place.matched_by = by = _best_field([v for v in linked.values() if v], export.students, match_by)
            index = _index(export.students, by)
            for s, ident in linked.items():
                if s in place.missing:
                    continue
                hit, why = _find(index, ident, by, export.path.name)
                if hit is None:
                    place.missing[s] = f"roster identifier {ident!r}: {why}"
                else:
                    place.of[s] = hit
    else:
        assert export is not None
        place.rows = list(export.students)
        place.matched_by = by = _best_field(students, export.students, match_by)
        index = _index(export.students, by)
        for s in students:
            hit, why = _find(index, s, by, export.path.name)
            if hit is None:
                place.missing[s] = why
            else:
                place.of[s] = hit
    taken: dict[int, list[str]] = {}
    for s, i in place.of.items():
        taken.setdefault(i, []).append(s)
    for who in taken.values():
        if len(who) > 1:
            for s in who:
                del place.of[s]
                others = ", ".join(repr(o) for o in who if o != s)
                place.missing[s] = f"placed on the same Canvas row as {others}"
    return place


def score_text(points: float) -> str:
    """Points as Canvas reads them: at most 2 decimals, a point, no exponent
    (``19.666667`` -> ``"19.67"``, ``10.0`` -> ``"10"``)."""
    text = f"{round(points, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def canvas_frame(scores: dict[str, dict[str, float]], columns: list[tuple[str, CanvasAssignment]],
                 place: Placement) -> pd.DataFrame:
    """The Canvas CSV as a DataFrame of strings: :data:`CANVAS_COLUMNS` then one column
    per ``(our assignment, CanvasAssignment)``, one row per ``place.rows``. ``scores``
    maps our assignment -> our student -> points; a student placed on a row fills its
    cells (:func:`score_text`), every other cell is blank.

    Raises:
        CanvasError: two of ``columns`` name the same Canvas assignment.
    """
    _check_distinct(columns)
    table = [[r.name, r.id, r.sis_user_id, r.sis_login_id, r.section] + [""] * len(columns) for r in place.rows]
    for student, i in place.of.items():
        for j, (ours, _) in enumerate(columns):
            if student in scores.get(ours, {}):
                table[i][len(CANVAS_COLUMNS) + j] = score_text(scores[ours][student])
    return pd.DataFrame(table, columns=[*CANVAS_COLUMNS, *(a.header for _, a in columns)], dtype=object)


def _check_distinct(columns: list[tuple[str, CanvasAssignment]]) -> None:
    ids = [a.canvas_id for _, a in columns]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise CanvasError(f"two assignments are mapped to the Canvas assignment {dup}: "
                          + ", ".join(ours for ours, a in columns if a.canvas_id == dup))


def write_canvas(df: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`canvas_frame`'s table as UTF-8 CSV (RFC 4180: quoted where needed,
    CRLF line ends), every text cell through :func:`grader.spreadsheet.cell`, whole or not
    at all (:func:`grader.spreadsheet.write_atomic`). Returns the path.

    Raises:
        OSError: the file cannot be written.
    """
    out = spreadsheet.frame(df)

    def write(tmp: Path) -> None:
        out.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    return spreadsheet.write_atomic(Path(path), write)


@dataclass
class CanvasResult:
    """What :func:`export_canvas` wrote: the file, its row count, the assignments
    (ours -> Canvas's), the students it could not place (our id -> why), the field
    matched on, and our assignments left out for want of a Canvas column."""

    path: Path
    rows: int
    columns: list[tuple[str, CanvasAssignment]]
    missing: dict[str, str]
    matched_by: str
    unmapped: list[str] = field(default_factory=list)
    written: int = 0  # graded students with a row


def _normal(text: str) -> str:
    return " ".join(_key(text).split())


def _assignment_columns(wanted: list[str], explicit: dict[str, CanvasAssignment], exports: list[CanvasExport],
                        titles: dict[str, str], strict: bool) -> tuple[list[tuple[str, CanvasAssignment]], list[str]]:
    columns, unmapped = [], []
    offered = [a for e in exports for a in e.assignments]
    for ours in wanted:
        if ours in explicit:
            columns.append((ours, explicit[ours]))
            continue
        names = {_normal(ours)} | ({_normal(titles[ours])} if titles.get(ours) else set())
        hits = [a for a in offered if _normal(a.title) in names]
        if len({a.canvas_id for a in hits}) == 1:
            columns.append((ours, hits[0]))
        elif hits:
            raise CanvasError(f"{ours}: several columns of the Canvas export fit it ("
                              + ", ".join(a.header for a in hits) + f"); pass --canvas-assignment '{ours}=NAME (ID)'")
        else:
            unmapped.append(ours)
    if unmapped and (strict or not columns):
        known = ", ".join(a.header for a in offered[:10]) or "none"
        raise CanvasError(
            f"no Canvas assignment for {', '.join(unmapped)}: pass --canvas-assignment "
            f"'{unmapped[0]}=NAME (ID)' (the id is the number in the assignment's Canvas address), or a Canvas "
            f"export as --roster with a column of that name (its assignment columns: {known})")
    return columns, unmapped


def export_canvas(store: ResultStore, path: str | Path, rosters: list[Roster], *,
                  assignment: str | None = None, mapping: dict[str, CanvasAssignment] | None = None,
                  titles: dict[str, str] | None = None, match_by: str = "auto") -> CanvasResult:
    """Write the Canvas CSV of ``assignment`` (or of every stored assignment that has a
    Canvas column) to ``path``.

    An assignment's column comes from ``mapping`` (ours -> Canvas's), else from a Canvas
    export among ``rosters`` whose column title equals our assignment's name or its
    ``titles`` entry (``assignment.toml``'s title), compared without case. Students are
    placed by :func:`resolve_students`; scores are each result's score after the late
    penalty. The file is written even when some graded students are missing: the
    result lists them, and the caller must report them.

    Raises:
        CanvasError: no Canvas column for ``assignment`` (or for any stored one), two
            assignments on one Canvas column, a roster problem (:func:`resolve_students`),
            or no graded student placed at all (most likely the wrong ``match_by``).
        LookupError: ``assignment`` has no stored results.
        OSError: the file cannot be written.
    """
    mapping = mapping or {}
    titles = titles or {}
    if assignment is not None:
        results = store.require_results(assignment)
        wanted = [assignment]
    else:
        results = store.results()
        wanted = store.assignments()
        if not wanted:
            raise CanvasError(f"no results in {store.path}: grade an assignment first")
    stray = sorted(set(mapping) - set(store.assignments()))  # a typo, most likely
    if stray:
        raise CanvasError(f"--canvas-assignment names {', '.join(stray)}, which has no results in {store.path} "
                          f"(assignments with results: {', '.join(store.assignments()) or 'none'})")
    exports = [r for r in rosters if isinstance(r, CanvasExport)]
    columns, unmapped = _assignment_columns(wanted, {k: v for k, v in mapping.items() if k in wanted}, exports,
                                            titles, strict=assignment is not None)
    _check_distinct(columns)
    chosen = {ours for ours, _ in columns}
    scores: dict[str, dict[str, float]] = {}
    for r in results:
        if r.assignment in chosen:
            scores.setdefault(r.assignment, {})[r.student] = r.score
    students = sorted({s for per in scores.values() for s in per})
    place = resolve_students(students, rosters, match_by)
    for student, i in list(place.of.items()):
        row = place.rows[i]
        by = next((f for f in ("id", "sis_user_id", "sis_login_id", "name") if row.value(f).strip()), "name")
        if spreadsheet.cell(row.value(by)) != row.value(by):  # a formula-like or hidden-character key
            del place.of[student]
            place.missing[student] = (f"Canvas would find the row by its {by} {row.value(by)!r}, which is written "
                                      "escaped (it starts like a spreadsheet formula or holds hidden characters): "
                                      "give the roster the student's Canvas ID")
    if students and not place.of:
        by = f" by {place.matched_by}" if place.matched_by else ""
        raise CanvasError(f"no graded student was found in the roster{by} (e.g. {students[0]!r}: "
                          f"{place.missing.get(students[0], '?')}); check the roster, or pass --match-by")
    df = canvas_frame(scores, columns, place)
    written = write_canvas(df, path)
    return CanvasResult(written, len(df), columns, dict(sorted(place.missing.items())), place.matched_by, unmapped,
                        len(place.of))
