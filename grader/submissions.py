"""Finding submissions on disk and checking that they can be graded.

Layout (see :mod:`grader.course`)::

    submissions/<assignment>/<student>/<file>      a folder per student
    submissions/<assignment>/<student>.ipynb       or a single file
    submissions/<assignment>/<student>.py

The student id is the folder name or the file stem. In a folder, the main
file is the one named in the assignment's ``files`` (the first match in that
order), or the only ``.ipynb``/``.py`` file; other regular files in the folder
(helper modules, data) travel with it. Symbolic links are never followed: a
link could point at the reference solution or another student's work.

Problems become a :class:`Submission` with ``problem`` set, never an exception:
no file, several candidates, a file too large, not UTF-8, an empty or corrupt
notebook, an unreadable entry.

Student ids are data shown to the instructor (terminal, spreadsheets, HTML),
so :func:`student_id` normalises them to NFC, and an id holding control,
format (zero-width, bidi), invisible or fake-space characters, or leading or
trailing spaces, is shown with those characters escaped (``alice\\u200b``) and
its submission refused with a message naming them. Two entries whose ids are
equal after that (``café`` in NFC and NFD, ``alice`` as a folder and a file)
become one submission with a problem naming both files, never a silent merge.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .config import AssignmentConfig
from .notebook import Cell, NotebookError, read_notebook
from .visible import hidden_characters, make_visible

EXTENSIONS = (".ipynb", ".py")
SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints", ".git", ".DS_Store"}
MAX_EXTRA_FILES = 200


@dataclass
class Submission:
    """One student's submission, read and checked, ready for a worker.

    Attributes:
        student: the student id.
        path: the main file (None if none was found).
        files: ``{relative name: content}`` of every file to place in the
            worker's directory, the main file included.
        kind: ``"notebook"`` or ``"module"``.
        cells: the notebook's code cells (notebooks only).
        problem: why it cannot be graded, or None.
        sha256: hash over the file names and contents (hex).
        commit_sha: the git commit read, for a repository (see :mod:`grader.repos`).
        submitted_at: when it was submitted (the commit's time), timezone-aware, or None.
        flags: what reading it noticed that does not stop grading (a changed public test).
    """

    student: str
    path: Path | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    kind: str = ""
    cells: list[Cell] = field(default_factory=list)
    problem: str | None = None
    sha256: str = ""
    commit_sha: str = ""
    submitted_at: datetime | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def main_name(self) -> str:
        return self.path.name if self.path else ""

    def load_request(self, cell_timeout: float | None) -> dict:
        """The worker's ``load`` message for this submission."""
        if self.kind == "notebook":
            return {"op": "load", "kind": "notebook", "cell_timeout": cell_timeout,
                    "cells": [{"index": c.index, "source": c.source} for c in self.cells]}
        stem = Path(self.main_name).stem
        name = stem if stem.isidentifier() else "submission"
        return {"op": "load", "kind": "module", "path": self.main_name, "name": name, "cell_timeout": None}

    def write_to(self, workdir: Path) -> None:
        """Place the submission's files in ``workdir`` (which must exist)."""
        for name, content in self.files.items():
            dest = workdir / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)


def _hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def fingerprint(paths: list[Path]) -> str:
    """A cheap hash of what is at ``paths`` (names, types, sizes, modification
    times; folders one level deep, links not followed) for submissions that are
    refused before their content is read, so that a resumed batch skips them too."""
    h = hashlib.sha256(b"fingerprint\0")
    entries: list[Path] = []
    for p in paths:
        entries.append(p)
        try:
            if p.is_dir() and not p.is_symlink():
                entries += sorted(p.iterdir())
        except OSError:  # an unreadable folder: its name and mode still count
            pass
    for p in entries:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        h.update(os.fsencode(f"{p.name}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0"))
    return h.hexdigest()


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _choose_main(folder: Path, config: AssignmentConfig) -> tuple[Path | None, str | None]:
    entries = sorted(p for p in folder.iterdir() if p.name not in SKIP_NAMES and not p.name.startswith("."))
    candidates = [p for p in entries if p.suffix in EXTENSIONS and _regular(p)]
    for name in config.files:
        match = [p for p in candidates if p.name == name]
        if match:
            return match[0], None
    links = [p.name for p in entries if p.suffix in EXTENSIONS and p.is_symlink()]
    notebooks = [p for p in candidates if p.suffix == ".ipynb"]
    if len(notebooks) == 1:
        return notebooks[0], None
    if len(candidates) == 1 and not notebooks:
        return candidates[0], None
    expected = " or ".join(config.files)
    if not candidates:
        extra = f" (symbolic links are not accepted: {', '.join(links)})" if links else ""
        return None, f"no notebook or .py file found; expected {expected}{extra}"
    names = ", ".join(p.name for p in candidates)
    return None, f"several candidate files ({names}); name the one to grade {expected}"


def _extra_files(folder: Path, main: Path, limit: int,
                 skip: frozenset[str] = frozenset()) -> tuple[dict[str, bytes], str | None]:
    files: dict[str, bytes] = {}
    total = 0
    for root, dirs, names in os.walk(folder, followlinks=False):
        at_top = Path(root) == folder
        dirs[:] = sorted(d for d in dirs if d not in SKIP_NAMES and not d.startswith(".")
                         and not (at_top and d in skip))
        for name in sorted(names):
            p = Path(root) / name
            if p == main or name.startswith(".") or not _regular(p) or (at_top and name in skip):
                continue
            size = p.stat().st_size
            total += size
            if total > limit or len(files) >= MAX_EXTRA_FILES:
                return files, f"the submission folder holds too much (over {limit} bytes or {MAX_EXTRA_FILES} files)"
            files[str(p.relative_to(folder))] = p.read_bytes()
    return files, None


def read_submission(student: str, main: Path | None, config: AssignmentConfig,
                    folder: Path | None = None, problem: str | None = None,
                    skip: frozenset[str] = frozenset()) -> Submission:
    """Read and check one submission. Never raises for a bad submission.

    Args:
        student: the student id.
        main: the main file, or None when ``problem`` says why there is none.
        config: the assignment's settings (accepted names, size limit).
        folder: the student's folder, whose other files travel with the main file.
        skip: names at the top of ``folder`` that do not travel (a release's own files).
    """
    sub = Submission(student=student, path=main, problem=problem)
    if main is None:
        sub.problem = problem or "no submission file"
        sub.sha256 = fingerprint([folder] if folder else [])
        return sub
    limit = config.limits.max_file_size
    if not _regular(main):
        sub.problem = f"{main.name} is not a regular file (symbolic links are not accepted)"
        sub.sha256 = fingerprint([main])
        return sub
    size = main.stat().st_size
    if size > limit:
        sub.problem = f"{main.name} is too large ({size} bytes; the limit is {limit})"
        sub.sha256 = fingerprint([main])
        return sub
    content = main.read_bytes()
    sub.files = {main.name: content}
    if folder is not None:
        extra, too_much = _extra_files(folder, main, 4 * limit, skip)
        sub.files.update(extra)
        if too_much:
            sub.problem = too_much
    for name in config.data:  # public data: the student's own copy never replaces the course's
        data = config.assignment_dir / name
        sub.files[name] = data.read_bytes()
    sub.sha256 = _hash(sub.files)
    if sub.problem:
        return sub
    if not content.strip():
        sub.problem = f"{main.name} is empty"
        return sub
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        sub.problem = f"{main.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        return sub
    if main.suffix == ".ipynb":
        sub.kind = "notebook"
        try:
            sub.cells = read_notebook(text)
        except NotebookError as exc:
            sub.problem = f"{main.name}: {exc}"
    else:
        sub.kind = "module"
        if "\0" in text:
            sub.problem = f"{main.name} contains NUL bytes: it is not Python source"
    return sub


def from_path(path: Path, config: AssignmentConfig, student: str | None = None) -> Submission:
    """The submission at ``path``: a notebook, a module, or a student's folder."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        main, problem = _choose_main(path, config)
        return read_submission(student or path.name, main, config, folder=path, problem=problem)
    return read_submission(student or path.stem, path, config)


def student_id(name: str) -> tuple[str, list[str]]:
    """The student id for a file stem or folder ``name``, and what is wrong with it.

    The id is ``name`` in Unicode NFC with hidden characters (see
    :func:`grader.visible.hidden_characters`) and leading or trailing spaces
    shown as escapes, so it is visible and printable anywhere; the list
    describes each such character (``U+200B ZERO WIDTH SPACE``) and is empty
    for an acceptable name. Never raises.
    """
    nfc = unicodedata.normalize("NFC", name)
    problems = hidden_characters(nfc)
    shown = make_visible(nfc)
    core = shown.strip(" ")
    if core != shown:
        problems.append("leading or trailing spaces")
        start = shown.index(core) if core else len(shown)
        shown = "\\x20" * start + core + "\\x20" * (len(shown) - start - len(core))
    return shown, problems


def _shown_names(paths: list[Path]) -> str:
    """The entries' names, each as itself if it is plain NFC text, else as Python's
    ``ascii()`` shows it (``'cafe\\u0301.py'``), so that look-alike names are told apart."""
    plain = [p.name == unicodedata.normalize("NFC", p.name) and not hidden_characters(p.name) for p in paths]
    return ", ".join(p.name if ok else ascii(p.name) for p, ok in zip(paths, plain, strict=True))


def _entry(student: str, paths: list[Path], config: AssignmentConfig) -> Submission:
    """The submission of one student id found at ``paths``; never raises."""
    if len(paths) > 1:
        return Submission(student=student, sha256=fingerprint(paths),
                          problem=f"several submissions for one student: {_shown_names(paths)} (names equal after "
                          "Unicode normalisation or escaping count as one student); keep only one")
    path = paths[0]
    raw = path.name if path.is_dir() else path.stem
    _, hidden = student_id(raw)
    if hidden:
        return Submission(student=student, sha256=fingerprint(paths),
                          problem=f"the name {_shown_names(paths)} holds invisible or control characters "
                          f"({', '.join(hidden)}); rename it with visible characters only")
    try:
        return from_path(path, config, student)
    except Exception as exc:  # an unreadable entry must not stop the batch
        return Submission(student=student, sha256=fingerprint(paths),
                          problem=f"{make_visible(path.name)} could not be read: {type(exc).__name__}: "
                          f"{make_visible(str(exc))[:300]}")


def discover(folder: Path, config: AssignmentConfig) -> list[Submission]:
    """Every submission in ``folder``, sorted by student id (see :func:`student_id`).

    Entries whose ids are equal (a folder and a file of one student, or names
    equal after NFC normalisation or escaping) give one submission with a
    problem naming them all. A name with hidden characters gives a submission
    under its escaped id, refused with a problem naming the characters. No
    single entry can make this raise: an unreadable one becomes a problem.

    Raises:
        FileNotFoundError: if ``folder`` does not exist.
        OSError: if ``folder`` itself cannot be listed.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}")
    by_student: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name in SKIP_NAMES or entry.name.startswith(".") or entry.name.lower().startswith("readme"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            by_student.setdefault(student_id(entry.name)[0], []).append(entry)
        elif entry.suffix in EXTENSIONS:
            by_student.setdefault(student_id(entry.stem)[0], []).append(entry)
        elif entry.is_symlink() and entry.is_dir():  # a linked folder: reported (not followed), not dropped
            by_student.setdefault(student_id(entry.name)[0], []).append(entry)
    return [_entry(student, paths, config) for student, paths in sorted(by_student.items())]
