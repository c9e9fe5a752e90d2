"""Which characters of a student string hide, move or fake text, and how to show them.

Student ids come from file names, and messages from student code, so they may
hold characters that a terminal obeys (ESC, CR, backspace), that reorder or
hide text (bidi overrides, zero-width spaces, variation selectors), that no
font draws (unassigned, private use, lone surrogates from undecodable file
names) or that look like a plain space (U+00A0, U+2028). Every medium (terminal
in :mod:`grader.console`, spreadsheets in :mod:`grader.spreadsheet`, the
leaderboard page) shows them as escapes with :func:`make_visible`;
:mod:`grader.submissions` refuses ids holding any (:func:`hidden_characters`).
"""

from __future__ import annotations

import unicodedata

__all__ = ["escape_char", "hidden_characters", "is_hidden", "make_visible"]

# categories that are never shown as themselves: controls, format (zero-width,
# bidi, BOM, soft hyphen), surrogates, private use, unassigned, line/paragraph separators
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# default-ignorable code points outside those categories: combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, variation selectors, braille blank
_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0}
_IGNORABLE_RANGES = ((0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_MAX_MARKS = 4  # more combining marks on one base than any script needs ("Zalgo" text)


def is_hidden(ch: str) -> bool:
    """True if the single character ``ch`` is invisible, a control or a fake space
    (any separator but U+0020), so that it must be shown as an escape."""
    cp = ord(ch)
    cat = unicodedata.category(ch)
    if cat in _HIDDEN_CATEGORIES or (cat == "Zs" and ch != " "):
        return True
    return cp in _IGNORABLE or any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def escape_char(ch: str) -> str:
    """``ch`` as a Python-style escape: ``\\x1b``, ``\\u202e`` or ``\\U000e0100``."""
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def _marks_to_escape(text: str) -> set[int]:
    """Positions of combining marks with no base (at the start, or after a hidden
    character or whitespace) and of marks beyond :data:`_MAX_MARKS` on one base."""
    out: set[int] = set()
    run = 0
    for i, ch in enumerate(text):
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            prev = text[i - run] if i - run >= 0 else ""
            if not prev or prev.isspace() or is_hidden(prev) or run > _MAX_MARKS:
                out.add(i)
        else:
            run = 0
    return out


def hidden_characters(text: str) -> list[str]:
    """The characters of ``text`` that :func:`make_visible` would escape (no
    ``keep`` exceptions), each once, in order, described as ``U+200B ZERO WIDTH SPACE``."""
    marks = _marks_to_escape(text)
    seen: dict[str, None] = {}
    for i, ch in enumerate(text):
        if is_hidden(ch) or i in marks:
            name = unicodedata.name(ch, "") if unicodedata.category(ch) != "Cs" else "SURROGATE"
            seen.setdefault(f"U+{ord(ch):04X}{' ' + name if name else ''}", None)
    return list(seen)


def make_visible(text: str, *, keep: str = "") -> str:
    """``text`` with every hidden character (see :func:`is_hidden`, plus combining marks
    with no base or stacked too high) replaced by its escape (:func:`escape_char`);
    characters in ``keep`` (e.g. ``"\\n"`` for multi-line messages) stay as they are.
    Backslashes are not doubled: a text that already reads ``\\u200b`` looks the same.
    Never raises for a ``str``; anything else is passed through ``str()`` first."""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii() and text.isprintable():
        return text
    marks = _marks_to_escape(text)
    return "".join(
        escape_char(ch) if (ch not in keep and (is_hidden(ch) or i in marks)) else ch for i, ch in enumerate(text)
    )
