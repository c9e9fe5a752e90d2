"""The gradebook: scores from the results store as a pandas DataFrame, and its exports.

Two shapes, both indexed by ``student`` and sorted by it:

* the course gradebook, ``gradebook(store)``: one column per assignment with
  the student's total score (NaN where the student has no graded submission),
  then ``total`` (missing assignments count 0) and ``max_total``;
* an assignment's gradebook, ``gradebook(store, "hw1")``: one column per
  question (the sum of that question's test scores), then ``score`` (after any late
  penalty), ``max_score``, ``percent``, ``status``, ``graded_at``, and what grading
  knows of the submission itself: ``late_penalty`` (points taken off), ``days_late``,
  ``submitted_at`` and ``commit_sha`` (for a repository), ``flags`` (e.g. a public test
  the student changed; several are joined with ``"; "``).

Points are rounded to 2 decimals (``decimals``), as Canvas and Gradescope show
them: 19.666667 is 19.67. Totals and ``percent`` are computed from the unrounded
points, then rounded, so a total may differ by 0.01 from the sum of its rounded parts.

Max points: ``df.attrs["max_points"]`` maps each points column (assignment or
question, and ``total``/``score``) to the points available. A column's max is
the largest max score any submission had for it, so a submission that could
not be graded (no test results) is still out of the assignment's full points.
No student row holds them by default (an LMS import would take a row
``"max points"`` for a student): an XLSX export has them on a second sheet,
``max points``; Parquet keeps them in the file's pandas metadata
(``pd.read_parquet(path).attrs``); CSV has the totals' maxima in its
``max_score``/``max_total`` column, and ``max_points_row=True`` (``grader
gradebook --max-points-row``) adds the old first data row ``"max points"``,
like otter-grader's ``final_grades.csv``, for the tools that want it.

Where exports go: :func:`default_output` is a file in the course's ``out/``
folder, which it creates with a ``.gitignore`` of ``*`` so that git never
offers grades for a commit, whatever the course's own ``.gitignore`` says;
:func:`unignored_in_git` tells whether an explicit ``-o FILE`` lies in a git
work tree and is not ignored there (the CLI then warns).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from . import spreadsheet
from .results import SubmissionResult
from .store import ResultStore

__all__ = ["DECIMALS", "MAX_POINTS_LABEL", "MAX_POINTS_SHEET", "OUT_DIR", "default_output", "export", "gradebook",
           "unignored_in_git"]

MAX_POINTS_LABEL = "max points"
MAX_POINTS_SHEET = "max points"  # the XLSX export's second sheet: column, points
DECIMALS = 2  # points as Canvas and Gradescope show them
OUT_DIR = "out"  # the course's folder for exports, ignored by git
_ASSIGNMENT_COLUMNS = ["score", "max_score", "percent", "status", "graded_at", "late_penalty", "days_late",
                       "submitted_at", "commit_sha", "flags"]
_COURSE_COLUMNS = ["total", "max_total"]
_FORMATS = (".csv", ".xlsx", ".parquet")


def gradebook(store: ResultStore, assignment: str | None = None, *, decimals: int | None = DECIMALS) -> pd.DataFrame:
    """The gradebook of the whole course, or of one assignment by question.

    Scores are points (floats) rounded to ``decimals`` (None: as stored, to 1e-6), and so
    are the max points in ``df.attrs``; ``percent`` is 0..100, rounded to 2 decimals and
    computed from the unrounded score.
    See the module docstring for the columns and ``df.attrs["max_points"]``.
    A question or assignment whose name clashes with a fixed column (e.g. a
    question called ``score``) gets the suffix `` (question)``/`` (assignment)``.

    Raises:
        LookupError: ``assignment`` is given but has no stored results; the
            message lists the assignments that have some.
        StoreError: the store cannot be read.
    """
    if assignment is None:
        return _rounded(_course_gradebook(store.results()), decimals)
    results = store.require_results(assignment)
    return _rounded(_assignment_gradebook(assignment, results), decimals)


def _rounded(df: pd.DataFrame, decimals: int | None) -> pd.DataFrame:
    """The points columns (those of ``df.attrs["max_points"]``, and ``max_score``/``max_total``)
    and the max points rounded to ``decimals``; ``percent`` was computed before."""
    if decimals is None:
        return df
    max_points = {c: round(v, decimals) for c, v in df.attrs["max_points"].items()}
    points = [c for c in df.columns if c in max_points or c in ("max_score", "max_total")]
    out = df.copy()
    out[points] = out[points].astype(float).round(decimals)
    out.attrs = {**df.attrs, "max_points": max_points}
    return out


def _column_name(name: str, reserved: list[str], kind: str) -> str:
    return f"{name} ({kind})" if name in reserved or name == "student" else name


def _course_gradebook(results: list[SubmissionResult]) -> pd.DataFrame:
    scores: dict[str, dict[str, float]] = {}
    max_points: dict[str, float] = {}
    for r in results:
        col = _column_name(r.assignment, _COURSE_COLUMNS, "assignment")
        scores.setdefault(r.student, {})[col] = r.score
        max_points[col] = max(max_points.get(col, 0.0), r.max_score)
    columns = sorted(max_points)
    df = pd.DataFrame.from_dict(scores, orient="index", columns=columns, dtype=float)
    df = df.reindex(columns=columns).sort_index()
    df.index.name = "student"
    df["total"] = df[columns].sum(axis=1).round(6)
    max_total = round(sum(max_points.values()), 6)
    df["max_total"] = max_total
    df.columns.name = None
    df.attrs["max_points"] = {**max_points, "total": max_total}
    return df


def _assignment_gradebook(assignment: str, results: list[SubmissionResult]) -> pd.DataFrame:
    questions: dict[str, float] = {}  # question column -> max points, in first-seen order
    rows: dict[str, dict[str, object]] = {}
    for r in results:
        earned: dict[str, float] = {}
        available: dict[str, float] = {}
        for t in r.tests:
            col = _column_name(t.question, _ASSIGNMENT_COLUMNS, "question")
            earned[col] = earned.get(col, 0.0) + t.score
            available[col] = available.get(col, 0.0) + t.max_score
        for col, pts in available.items():
            questions[col] = max(questions.get(col, 0.0), round(pts, 6))
        rows[r.student] = {
            **{col: round(v, 6) for col, v in earned.items()},
            "score": r.score,
            "status": str(r.status),
            "graded_at": r.graded_at,
            "late_penalty": r.late_penalty,
            "days_late": r.days_late,
            "submitted_at": r.submitted_at,
            "commit_sha": r.commit_sha,
            "flags": "; ".join(line for line in r.flags.splitlines() if line),  # one cell, one line
        }
    max_score = round(sum(questions.values()), 6)
    df = pd.DataFrame.from_dict(rows, orient="index")
    df = df.reindex(columns=[*questions, "score", *_ASSIGNMENT_COLUMNS[3:]]).sort_index()
    df[list(questions)] = df[list(questions)].astype(float).fillna(0.0)
    df["score"] = df["score"].astype(float)
    df.insert(len(questions) + 1, "max_score", max_score)
    df["percent"] = (100 * df["score"] / max_score).round(2) if max_score else float("nan")
    df = df[[*questions, *_ASSIGNMENT_COLUMNS]]
    df.index.name = "student"
    df.attrs["assignment"] = assignment
    df.attrs["max_points"] = {**questions, "score": max_score}
    return df


def export(df: pd.DataFrame, path: str | Path, *, max_points_row: bool = False) -> Path:
    """Write a gradebook to ``path``; the file's extension picks the format.

    ``.csv`` and ``.xlsx`` (via openpyxl) get the index as a ``student`` column
    and one row per student, nothing else (read it back with
    ``pd.read_csv(path, index_col="student")``). When ``df.attrs["max_points"]``
    is set, an XLSX file gets a second sheet ``max points`` (columns ``column``
    and ``points``; the first sheet is the gradebook), and ``max_points_row=True``
    adds a first data row ``"max points"`` holding each column's max points to
    CSV and XLSX alike: a pseudo-student that an LMS import would take for a
    student, so only on request. ``.parquet`` (via
    pyarrow) keeps the index, the dtypes and ``df.attrs``; column names are
    written as strings. Parent folders must exist. Returns the path written.

    CSV and XLSX cells go through :func:`grader.spreadsheet.frame`: a string
    that would start a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a
    leading ``'`` and hidden characters are shown as escapes, so a student id
    is never a live formula nor an XLSX-illegal character. Every format is
    written to a temporary file first and moved onto ``path``: a failed
    export leaves no partial file.

    Raises:
        ValueError: unknown extension (the message names the supported ones).
        OSError: the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"cannot export a gradebook to {path.name!r}: unknown extension "
            f"{suffix or '(none)'!r}; use one of {', '.join(_FORMATS)}"
        )
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    if out.index.name is None:
        out.index.name = "student"
    if suffix == ".parquet":
        out.attrs = {k: v for k, v in df.attrs.items()}
        return spreadsheet.write_atomic(path, lambda tmp: out.to_parquet(tmp, engine="pyarrow"))
    max_points = df.attrs.get("max_points") if max_points_row else None
    if max_points:
        first = pd.DataFrame(
            [{str(c): max_points.get(c) for c in df.columns}],
            index=pd.Index([MAX_POINTS_LABEL], name=out.index.name),
        )
        out = pd.concat([first.astype(object), out.astype(object)])
    out = spreadsheet.frame(out)
    if suffix == ".csv":
        return spreadsheet.write_atomic(path, out.to_csv)
    sheet = spreadsheet.sheet_name(str(df.attrs.get("assignment", "gradebook")), "gradebook")
    maxima = df.attrs.get("max_points")
    if not maxima:
        return spreadsheet.write_atomic(path, lambda tmp: out.to_excel(tmp, sheet_name=sheet, engine="openpyxl"))
    second = spreadsheet.frame(pd.DataFrame({"column": [str(c) for c in maxima],
                                             "points": [float(v) for v in maxima.values()]}))
    if sheet == MAX_POINTS_SHEET:  # an assignment called "max points"
        sheet = "gradebook"

    def write_xlsx(tmp: Path) -> None:
        out.to_excel(tmp, sheet_name=sheet, engine="openpyxl")  # an error here is the caller's, unmasked
        with pd.ExcelWriter(tmp, engine="openpyxl", mode="a") as writer:
            second.to_excel(writer, sheet_name=MAX_POINTS_SHEET, index=False)

    return spreadsheet.write_atomic(path, write_xlsx)


def default_output(course_root: str | Path, stem: str, suffix: str) -> Path:
    """``<course_root>/out/<stem><suffix>``, the folder made if missing.

    The folder gets a ``.gitignore`` holding ``*`` (unless it has one), so that
    git ignores everything in it, that file included: grades written there are
    never offered for a commit, whatever the course's own ``.gitignore`` says.
    ``stem`` may hold any characters but ``/``, ``\\`` and NUL; those become ``_``.

    Raises:
        OSError: the folder cannot be made.
    """
    folder = Path(course_root) / OUT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# grades and other exports of `grader`: never committed\n*\n")
    safe = "".join("_" if ch in "/\\\0" else ch for ch in stem).lstrip(".") or "gradebook"
    return folder / f"{safe}{suffix}"


def unignored_in_git(path: str | Path) -> Path | None:
    """The root of the git work tree that holds ``path`` if git would not ignore it
    there (``git check-ignore``), else None: outside a work tree, ignored, or
    without a usable git (never raises). ``path`` need not exist; its folder must."""
    path = Path(path).absolute()
    folder = path.parent
    try:
        check = subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", "--", str(path)],
                               capture_output=True, timeout=10)
        if check.returncode != 1:  # 0: ignored; 128: not a work tree, or an error
            return None
        top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(top.stdout.strip()) if top.returncode == 0 and top.stdout.strip() else None
