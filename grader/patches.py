"""Mutants kept as patches: ``reference/<hw>/mutants/<name>.patch`` says what the mistake is and
where it must cost points, then shows it as a unified diff against the assignment's reference
solution, so that a reader sees the one mistake and a fix to the reference reaches every mutant::

    hw4 mutant: Adam with epsilon inside the square root, sqrt(v_hat + eps).

    Must lose points in: adam.

    --- a/hw4.py
    +++ b/hw4.py
    @@ -206,5 +206,5 @@ def adam
         m_hat = m / (1.0 - beta1**t)
         v_hat = v / (1.0 - beta2**t)
    -    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    +    next_w = w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"])
         config["m"], config["v"], config["t"] = m, v, t

The description (everything before ``--- a/``) becomes the mutant's module docstring, in place of
the reference's; each hunk's heading names the function it changes. The validity tests and the
benchmarks grade files, so :func:`materialize_course` writes each patched reference next to its
patch (``<name>.py``, ignored by git) before they run; a patch that no longer applies to the
reference is an error, never a silently skipped mutant. Diffs are applied with ``whatthepatch``
(the ``dev`` extra): exact context, no fuzz.
"""

from __future__ import annotations

import ast
import difflib
import re
from pathlib import Path

from .config import load_assignment
from .course import Course

#: The folders under ``reference/<hw>/`` that may hold patches.
KINDS = ("mutants", "variants")
_DIFF_START = "--- a/"
_HUNK = re.compile(r"^@@ -(\d+)")
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)")


class PatchError(Exception):
    """A patch does not apply to its reference solution (or cannot be read)."""


def _docstring_span(text: str) -> tuple[int, int] | None:
    """The 0-based ``[start, end)`` line range of ``text``'s module docstring, or None."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str) and body[0].end_lineno is not None:
        return body[0].lineno - 1, body[0].end_lineno
    return None


def _docstring_text(text: str) -> str | None:
    """The source between the quotes of ``text``'s module docstring (when it is a plain
    triple-quoted string alone on its lines), or None."""
    span = _docstring_span(text)
    if span is None:
        return None
    source = "".join(text.splitlines(True)[span[0]:span[1]])
    match = re.fullmatch(r'"""(.*)"""\n?', source, re.DOTALL)
    return match.group(1) if match else None


def _with_docstring(text: str, doc: str) -> str:
    """``text`` with its module docstring's lines replaced by ``\"\"\"doc\"\"\"`` (put first if it has none)."""
    lines = text.splitlines(True)
    start, end = _docstring_span(text) or (0, 0)
    return "".join(lines[:start]) + f'"""{doc}"""\n' + "".join(lines[end:])


def _name_hunks(diff: str, base: str) -> str:
    """Each hunk heading followed by the name of the function or class of ``base`` that holds the
    hunk's first changed line."""
    base_lines = base.splitlines()
    lines = diff.splitlines(True)
    for at, line in enumerate(lines):
        match = _HUNK.match(line)
        if not match:
            continue
        context = next((k for k, body in enumerate(lines[at + 1:]) if body[:1] in "+-@"), 0)
        changed = int(match.group(1)) - 1 + context  # 0-based index in base of the first change
        name = next((m.group(1) for i in range(min(changed, len(base_lines) - 1), -1, -1)
                     if (m := _DEF.match(base_lines[i]))), None)
        if name:
            lines[at] = f"{line.rstrip()} {name}\n"
    return "".join(lines)


def make_patch(base: str, changed: str, name: str) -> str:
    """The patch turning ``base`` into ``changed``: ``changed``'s module docstring (the mutant's
    description) when it differs from ``base``'s, then a unified diff (2 lines of context,
    both files named ``name``) of the code alone, each hunk heading naming its function.

    Raises:
        PatchError: if ``changed``'s docstring is not a plain triple-quoted string, or a line of
            it could be read as the start of the diff.
    """
    doc = _docstring_text(changed)
    if doc is not None and doc != _docstring_text(base):
        if any(line.startswith(("--- ", "+++ ", "@@ ")) for line in doc.splitlines()):
            raise PatchError("a line of the docstring starts like a unified diff")
        base_doc = _docstring_text(base)
        code = _with_docstring(changed, base_doc) if base_doc is not None else \
            "".join(changed.splitlines(True)[(_docstring_span(changed) or (0, 0))[1]:])
        header = doc.rstrip("\n") + "\n\n"
    elif _docstring_span(changed) is not None and _docstring_text(changed) is None:
        raise PatchError("the module docstring must be a plain triple-quoted string")
    else:
        code, header = changed, ""
    diff = "".join(difflib.unified_diff(base.splitlines(True), code.splitlines(True),
                                        f"a/{name}", f"b/{name}", n=2))
    return header + _name_hunks(diff, base)


def apply_patch(base: str, patch: str) -> str:
    """``base`` with ``patch`` (see :func:`make_patch`) applied; the result ends with a newline.

    Raises:
        PatchError: if the patch holds no diff, or its context or removed lines do not
            match ``base``.
    """
    import whatthepatch
    from whatthepatch.exceptions import HunkApplyException

    at = patch.find(_DIFF_START) if patch.startswith(_DIFF_START) else patch.find("\n" + _DIFF_START) + 1
    if at <= 0 and not patch.startswith(_DIFF_START):
        raise PatchError("no unified diff (a line starting '--- a/') in the patch")
    header, diff = patch[:at], patch[at:]
    diffs = list(whatthepatch.parse_patch(diff))
    if len(diffs) != 1:
        raise PatchError(f"expected one file's diff, found {len(diffs)}")
    try:
        lines = whatthepatch.apply_diff(diffs[0], base.splitlines())
    except HunkApplyException as exc:
        raise PatchError(str(exc)) from None
    if lines is None:
        raise PatchError("the patch changes nothing it can apply")
    text = "\n".join(lines) + "\n"
    doc = header.rstrip("\n")
    return _with_docstring(text, doc + "\n") if doc else text


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
