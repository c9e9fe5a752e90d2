"""Mutants kept as patches: ``reference/<hw>/mutants/<name>.patch`` is a unified diff
against the assignment's reference solution, so that a reader sees the one mistake
and a fix to the reference reaches every mutant.

The validity tests and the benchmarks grade files, so :func:`materialize_course`
writes each patched reference next to its patch (``<name>.py``, ignored by git)
before they run; a patch that no longer applies to the reference is an error, never
a silently skipped mutant. Patches are applied with ``whatthepatch`` (the ``dev``
extra): exact context, no fuzz.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .config import load_assignment
from .course import Course

#: The folders under ``reference/<hw>/`` that may hold patches.
KINDS = ("mutants", "variants")


class PatchError(Exception):
    """A patch does not apply to its reference solution (or cannot be read)."""


def make_patch(base: str, changed: str, name: str) -> str:
    """A unified diff (2 lines of context) turning ``base`` into ``changed``; both
    files are named ``name`` (``--- a/name``, ``+++ b/name``)."""
    return "".join(difflib.unified_diff(base.splitlines(True), changed.splitlines(True),
                                        f"a/{name}", f"b/{name}", n=2))


def apply_patch(base: str, patch: str) -> str:
    """``base`` with ``patch`` (one file's unified diff) applied; the result ends with a newline.

    Raises:
        PatchError: if the patch holds no diff, or its context or removed lines do not
            match ``base``.
    """
    import whatthepatch
    from whatthepatch.exceptions import HunkApplyException

    diffs = list(whatthepatch.parse_patch(patch))
    if len(diffs) != 1:
        raise PatchError(f"expected one file's diff, found {len(diffs)}")
    try:
        lines = whatthepatch.apply_diff(diffs[0], base.splitlines())
    except HunkApplyException as exc:
        raise PatchError(str(exc)) from None
    if lines is None:
        raise PatchError("the patch changes nothing it can apply")
    return "\n".join(lines) + "\n"


def reference_file(root: Path, hw: str) -> Path:
    """The reference solution of ``hw`` in the course at ``root`` (``reference`` in its ``assignment.toml``).

    Raises:
        PatchError: if the assignment names no reference solution, or the file is missing.
    """
    path = load_assignment(Course.at(root), hw).reference_path
    if path is None:
        raise PatchError(f"{hw} has no reference solution to patch")
    return path


def materialize(folder: Path, base: Path) -> list[Path]:
    """Write ``<name>.py`` for every ``<name>.patch`` in ``folder`` (``base`` patched),
    rewriting only files whose text changed; returns the ``.py`` paths.

    Raises:
        PatchError: naming the patch, if one does not apply.
    """
    base_text = base.read_text(encoding="utf-8")
    out = []
    for patch in sorted(folder.glob("*.patch")):
        try:
            text = apply_patch(base_text, patch.read_text(encoding="utf-8"))
        except PatchError as exc:
            raise PatchError(f"{patch} does not apply to {base.name}: {exc}") from None
        target = patch.with_suffix(".py")
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        out.append(target)
    return out


def materialize_course(root: Path) -> list[Path]:
    """:func:`materialize` every ``reference/<hw>/{mutants,variants}`` folder of the course at ``root``.

    Raises:
        PatchError: if a patch does not apply.
    """
    out = []
    for hw_dir in sorted((root / "reference").iterdir()):
        folders = [hw_dir / kind for kind in KINDS if any((hw_dir / kind).glob("*.patch"))]
        if folders:
            base = reference_file(root, hw_dir.name)
            for folder in folders:
                out += materialize(folder, base)
    return out
