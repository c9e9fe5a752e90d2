"""The results store: every graded submission, in one SQLite file.

The store is an embedded SQLite database (standard library :mod:`sqlite3`),
by default ``grades.db`` in the course root (:attr:`grader.course.Course.default_db`).
It holds one row per (assignment, student): the latest grading of that
submission. Re-grading replaces the previous row and all its test results and
metrics in one transaction.

Tables (schema version 3, kept in ``PRAGMA user_version``)::

    submissions  one row per (assignment, student): status, message, score,
                 max_score, path, sha256, suite_hash, graded_at, wall_time_s,
                 cpu_time_s, peak_memory_bytes, backend, output, device, commit_sha,
                 submitted_at, days_late, late_penalty, flags
    tests        one row per test case, ``position`` keeps collection order
    metrics      one row per recorded metric (name -> REAL; NaN is stored as NULL)

``score`` and ``max_score`` in ``submissions`` are copies of the derived
:attr:`SubmissionResult.score` / ``max_score``, kept for SQL queries; the
records read back recompute them from the tests (``score`` after ``late_penalty``).

Concurrency: the file is in WAL mode, so one process can save while others
read; each :meth:`ResultStore.save` is one transaction and is durable once it
returns, so a batch killed between two saves loses nothing already saved.
Writers wait up to ``timeout`` seconds for each other. One
:class:`ResultStore` may be shared between threads (calls are serialised).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .results import SubmissionResult, SubmissionStatus, TestResult, TestStatus, Visibility

__all__ = ["SCHEMA_VERSION", "ResultStore", "StoreError"]

# Each entry upgrades the schema from version i to i + 1. Append, never edit.
_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE submissions (
            id                INTEGER PRIMARY KEY,
            assignment        TEXT NOT NULL,
            student           TEXT NOT NULL,
            status            TEXT NOT NULL,
            message           TEXT NOT NULL DEFAULT '',
            score             REAL NOT NULL,
            max_score         REAL NOT NULL,
            path              TEXT NOT NULL DEFAULT '',
            sha256            TEXT NOT NULL DEFAULT '',
            suite_hash        TEXT NOT NULL DEFAULT '',
            graded_at         TEXT NOT NULL DEFAULT '',
            wall_time_s       REAL NOT NULL DEFAULT 0,
            cpu_time_s        REAL,
            peak_memory_bytes INTEGER,
            backend           TEXT NOT NULL DEFAULT '',
            output            TEXT NOT NULL DEFAULT '',
            UNIQUE (assignment, student)
        )""",
        """CREATE TABLE tests (
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            position      INTEGER NOT NULL,
            name          TEXT NOT NULL,
            question      TEXT NOT NULL,
            score         REAL NOT NULL,
            max_score     REAL NOT NULL,
            status        TEXT NOT NULL,
            visibility    TEXT NOT NULL,
            message       TEXT NOT NULL DEFAULT '',
            hint          TEXT NOT NULL DEFAULT '',
            duration_s    REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (submission_id, position)
        )""",
        """CREATE TABLE metrics (
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            name          TEXT NOT NULL,
            value         REAL,
            PRIMARY KEY (submission_id, name)
        )""",
    ],
    # 2: where the student's code computed (cpu, or the GPU of a Docker worker)
    ["ALTER TABLE submissions ADD COLUMN device TEXT NOT NULL DEFAULT ''"],
    # 3: repositories and deadlines: the commit graded, its time, lateness, and what grading flagged
    ["ALTER TABLE submissions ADD COLUMN commit_sha TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE submissions ADD COLUMN submitted_at TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE submissions ADD COLUMN days_late INTEGER NOT NULL DEFAULT 0",
     "ALTER TABLE submissions ADD COLUMN late_penalty REAL NOT NULL DEFAULT 0",
     "ALTER TABLE submissions ADD COLUMN flags TEXT NOT NULL DEFAULT ''"],
]
SCHEMA_VERSION = len(_MIGRATIONS)

_SUBMISSION_COLUMNS = (
    "assignment", "student", "status", "message", "score", "max_score", "path", "sha256",
    "suite_hash", "graded_at", "wall_time_s", "cpu_time_s", "peak_memory_bytes", "backend",
    "output", "device", "commit_sha", "submitted_at", "days_late", "late_penalty", "flags",
)  # fmt: skip
_TEST_COLUMNS = (
    "name", "question", "score", "max_score", "status", "visibility", "message", "hint",
    "duration_s",
)  # fmt: skip


class StoreError(Exception):
    """The results store cannot be opened or used, with a message naming the file."""


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ResultStore:
    """A results store file opened for reading and writing.

    Use :meth:`open`, not the constructor. Usable as a context manager, which
    closes it on exit.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, timeout: float = 30.0) -> ResultStore:
        """Open the store at ``path``, creating the file and its schema if needed.

        Args:
            path: the database file, e.g. ``course.default_db``.
            create: if false, a missing file is an error instead of a new store.
            timeout: seconds to wait for another process's write to finish.

        Raises:
            StoreError: the file is not an SQLite database, is a database that
                is not a results store, was written by a newer grader (schema
                version too high), or cannot be opened or created.
        """
        path = Path(path)
        if not create and not path.exists():
            raise StoreError(f"no results store at {path} (grade something first)")
        if path.is_dir():
            raise StoreError(f"cannot open results store {path}: it is a directory")
        if not path.parent.is_dir():
            raise StoreError(f"cannot create results store {path}: folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open results store {path}: {e}") from e
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            _migrate(conn, path)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as e:
            conn.close()
            if "not a database" in str(e) or "malformed" in str(e):
                raise StoreError(f"{path} is not an SQLite database (results store): {e}") from e
            raise StoreError(f"cannot open results store {path}: {e}") from e
        return cls(path, conn)

    def close(self) -> None:
        """Close the file. Closing twice is harmless; other calls then raise StoreError."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self._conn is not None else "closed"
        return f"ResultStore({str(self.path)!r}, {state})"

    @contextmanager
    def _transaction(self, mode: str = "DEFERRED") -> Iterator[sqlite3.Connection]:
        """One transaction: ``IMMEDIATE`` for writes, ``DEFERRED`` for a consistent read."""
        with self._lock:
            if self._conn is None:
                raise StoreError(f"results store {self.path} is closed")
            conn = self._conn
            try:
                conn.execute(f"BEGIN {mode}")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:  # SQLite may have rolled back already
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise StoreError(f"results store {self.path}: {e}") from e

    # -- writing -------------------------------------------------------------

    def save(self, result: SubmissionResult) -> None:
        """Store one graded submission, replacing any earlier grading of it.

        The submission row, its tests and its metrics are written in one
        transaction, durable when this returns. An empty ``graded_at`` is
        stored as the current UTC time (ISO 8601).

        Raises:
            StoreError: the store is closed or the write failed (e.g. the disk
                is full, or another process held the write lock past ``timeout``);
                a metric value that is not a number.
        """
        metrics = []
        for name, value in result.metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError) as e:
                raise StoreError(
                    f"metric {name!r} of {result.assignment}/{result.student} is not a number: {value!r}"
                ) from e
            metrics.append((str(name), None if math.isnan(number) else number))
        row = {
            **{c: getattr(result, c) for c in _SUBMISSION_COLUMNS},
            "status": str(result.status),
            "graded_at": result.graded_at or _now_utc(),
            # plain Python numbers: sqlite3 cannot bind numpy integers
            "wall_time_s": float(result.wall_time_s),
            "days_late": int(result.days_late),
            "late_penalty": float(result.late_penalty),
            "cpu_time_s": None if result.cpu_time_s is None else float(result.cpu_time_s),
            "peak_memory_bytes": None if result.peak_memory_bytes is None else int(result.peak_memory_bytes),
        }
        placeholders = ", ".join("?" for _ in _SUBMISSION_COLUMNS)
        with self._transaction("IMMEDIATE") as conn:
            old = conn.execute(
                "SELECT id FROM submissions WHERE assignment = ? AND student = ?",
                (result.assignment, result.student),
            ).fetchone()
            if old is not None:  # its tests and metrics go with it (ON DELETE CASCADE)
                conn.execute("DELETE FROM submissions WHERE id = ?", old)
            cur = conn.execute(
                f"INSERT INTO submissions ({', '.join(_SUBMISSION_COLUMNS)}) VALUES ({placeholders})",
                [row[c] for c in _SUBMISSION_COLUMNS],
            )
            sid = cur.lastrowid
            conn.executemany(
                f"INSERT INTO tests (submission_id, position, {', '.join(_TEST_COLUMNS)}) "
                f"VALUES (?, ?, {', '.join('?' for _ in _TEST_COLUMNS)})",
                [
                    (sid, i, t.name, t.question, float(t.score), float(t.max_score), str(t.status),
                     str(t.visibility), t.message, t.hint, float(t.duration_s))  # fmt: skip
                    for i, t in enumerate(result.tests)
                ],
            )
            conn.executemany(
                "INSERT INTO metrics (submission_id, name, value) VALUES (?, ?, ?)",
                [(sid, name, value) for name, value in metrics],
            )

    # -- reading -------------------------------------------------------------

    def get(self, assignment: str, student: str) -> SubmissionResult | None:
        """The stored result of one submission, or None if it was never graded.

        Raises:
            StoreError: the store is closed or unreadable.
        """
        found = self._load("WHERE assignment = ? AND student = ?", (assignment, student))
        return found[0] if found else None

    def results(self, assignment: str | None = None) -> list[SubmissionResult]:
        """All stored results (of one assignment, if given), sorted by assignment then student.

        Raises:
            StoreError: the store is closed or unreadable.
        """
        if assignment is None:
            return self._load("", ())
        return self._load("WHERE assignment = ?", (assignment,))

    def require_results(self, assignment: str) -> list[SubmissionResult]:
        """Like :meth:`results` for one assignment, but never empty.

        Raises:
            LookupError: no results for ``assignment``; the message lists the
                assignments that have some.
        """
        results = self.results(assignment)
        if not results:
            known = ", ".join(self.assignments()) or "none"
            raise LookupError(f"no graded submissions for assignment {assignment!r} in {self.path} "
                              f"(assignments with results: {known})")
        return results

    def graded_hash(self, assignment: str, student: str) -> tuple[str, str] | None:
        """``(sha256, suite_hash)`` of the stored grading of a submission, or None.

        A batch skips a submission whose current hashes equal these: it was
        already graded from the same files with the same tests and settings.

        Raises:
            StoreError: the store is closed or unreadable.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT sha256, suite_hash FROM submissions WHERE assignment = ? AND student = ?",
                (assignment, student),
            ).fetchone()
        return (row[0], row[1]) if row else None

    def assignments(self) -> list[str]:
        """Names of the assignments with at least one stored result, sorted.

        Raises:
            StoreError: the store is closed or unreadable.
        """
        with self._transaction() as conn:
            rows = conn.execute("SELECT DISTINCT assignment FROM submissions ORDER BY assignment")
            return [r[0] for r in rows]

    def _load(self, where: str, params: tuple[Any, ...]) -> list[SubmissionResult]:
        """Results matching ``where`` (on ``submissions``), read in one consistent snapshot."""
        cols = ", ".join(c for c in _SUBMISSION_COLUMNS if c not in ("score", "max_score"))
        with self._transaction() as conn:
            subs = conn.execute(
                f"SELECT id, {cols} FROM submissions {where} ORDER BY assignment, student", params
            ).fetchall()
            ids = f"SELECT id FROM submissions {where}"
            tests = conn.execute(
                f"SELECT submission_id, {', '.join(_TEST_COLUMNS)} FROM tests "
                f"WHERE submission_id IN ({ids}) ORDER BY submission_id, position",
                params,
            ).fetchall()
            metrics = conn.execute(
                f"SELECT submission_id, name, value FROM metrics "
                f"WHERE submission_id IN ({ids}) ORDER BY submission_id, name",
                params,
            ).fetchall()
        tests_of: dict[int, list[TestResult]] = {}
        for sid, name, question, score, max_score, status, vis, message, hint, dur in tests:
            tests_of.setdefault(sid, []).append(
                TestResult(
                    name=name, question=question, score=score, max_score=max_score,
                    status=_enum(TestStatus, status, self.path), visibility=_enum(Visibility, vis, self.path),
                    message=message, hint=hint, duration_s=dur,
                )  # fmt: skip
            )
        metrics_of: dict[int, dict[str, float]] = {}
        for sid, name, value in metrics:
            metrics_of.setdefault(sid, {})[name] = math.nan if value is None else value
        names = [c for c in _SUBMISSION_COLUMNS if c not in ("score", "max_score")]
        out = []
        for sid, *values in subs:
            kw = dict(zip(names, values, strict=True))
            kw["status"] = _enum(SubmissionStatus, kw["status"], self.path)
            out.append(SubmissionResult(**kw, tests=tests_of.get(sid, []), metrics=metrics_of.get(sid, {})))
        return out


def _enum(kind: Any, value: str, path: Path) -> Any:
    try:
        return kind(value)
    except ValueError as e:
        raise StoreError(f"results store {path} holds an unknown {kind.__name__} {value!r}") from e


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`, in one write transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"results store {path} has schema version {version}, newer than this grader's "
                f"{SCHEMA_VERSION}: upgrade the grader"
            )
        if version == 0:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if tables:
                raise StoreError(
                    f"{path} is an SQLite database but not a results store "
                    f"(it has tables {', '.join(t[0] for t in tables)})"
                )
        for statements in _MIGRATIONS[version:]:
            for sql in statements:
                conn.execute(sql)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
