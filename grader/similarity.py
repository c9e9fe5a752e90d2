"""Similarity flags: which submissions of an assignment share much more code than
independent work does, after the template's own code is taken out.

**Advice for the instructor, never a penalty.** A flag says where to look; it
proves nothing (students may have worked together as allowed, started from the
same lecture code or a public source such as CS231n's case study, or written a
short function the one obvious way). Nothing here reads or writes a grade: the
results store is only read, and only with ``--db``, to say whether the files
compared are the ones that were graded.

How (``grader similarity hw2``):

1. The submissions are found as ``grader grade`` finds them
   (:func:`grader.submissions.discover`, or :func:`grader.repos.discover_repos` for a
   folder of student repositories). A notebook contributes its code cells' source
   (never their outputs), a module its text, and other ``.py`` files of a
   student's folder follow the main file. A submission that cannot be read is
   listed, not compared.
2. The template's own code is removed: a notebook cell identical to one of the
   template's code cells (the demo cells students leave alone, the imports) is
   dropped, and every stretch of normalised code that also occurs in the template
   (the signatures, ``raise NotImplementedError`` stubs), or in a file the
   instructor allows (``--allow``: lecture code, a public source), is not counted.
3. Docstrings become comments of the same length (:func:`mask_docstrings`), then
   `copydetect <https://github.com/blingenf/copydetect>`_ (0.5.0) normalises the
   code with Pygments (every variable, attribute and function name becomes ``V``
   or ``F``, every string ``S``; comments and whitespace go) and fingerprints it
   with k-grams. Renaming variables, reordering functions, rewording comments and
   docstrings or adding blank lines leave the fingerprints as they were.
4. For each pair, each side's *share*: the part of its own (non-template)
   normalised code that also occurs in the other. A pair is flagged when the
   larger share is at least the display threshold and the two have at least
   ``min_overlap`` normalised characters in common.

Thresholds (:class:`Thresholds`), measured on ``tests/corpus_similarity/hw2`` (7
honest solutions in different styles, 5 copies) with the 4 honest solutions of
``tests/corpus/hw2`` and the 8 of ``reference/hw2`` (19 independent files, 171
pairs, less two pairs found to share code: ``ok_loops.py``'s helpers are
``variants/loops.py``'s renamed, share 0.44; ``ok_vectorised.py`` and
``variants/cs231n_style.py`` both copy CS231n's case study, 0.61):

* ``noise`` = ``guarantee`` = 35 normalised characters (about two statements):
  with copydetect's default of 25, one idiomatic numpy line (``V=V.V(V-V.V(V,
  V=-1,V=True))``) matches between any two vectorised solutions and honest pairs
  reach a share of 0.49; at 35 the largest honest share is 0.36 and the smallest
  copy's 0.60 (a student who copied 4 of 9 functions; whole copies 0.98 to 1.0,
  copies disguised by every transformation at once 0.79 to 0.95). ``guarantee``
  equal to ``noise`` keeps every k-gram (winnowing window 1): results do not
  depend on Python's per-process string hashing, and 50 files take about a second.
* ``display`` = 0.5: between 0.36 and 0.60.
* ``min_overlap`` = 150 normalised characters (about 4 lines): a half-done
  notebook (three functions filled in) shares up to a third of its own code
  with others through idioms alone, at most 64 characters on that corpus (98 at
  a noise threshold of 25); every copy shares more than 450.

copydetect's own HTML report is not used: it loads Bootstrap from a CDN (not
offline) and prints file names unescaped. :func:`render_html` writes a page
with Jinja2 (autoescape on) and no scripts. copydetect 0.5.0 also drops the
wrong fingerprints when it removes boilerplate from a file whose fingerprints
repeat (``numpy.intersect1d(..., assume_unique=True)`` on a list with
duplicates), so boilerplate is removed here, from each fingerprint's index.
"""

from __future__ import annotations

import ast
import io
import itertools
import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .config import AssignmentConfig, load_assignment
from .course import Course
from .notebook import NotebookError, read_notebook
from .submissions import Submission, discover
from .visible import make_visible

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["DISPLAY", "GUARANTEE", "MIN_OVERLAP", "NOISE", "Pair", "Segment", "SimilarityError", "SimilarityReport",
           "Source", "Thresholds", "compare", "render_html", "run", "source_of", "summary_table", "write_html"]

NOISE = 35
GUARANTEE = 35
DISPLAY = 0.5
MIN_OVERLAP = 150
NEAR_MISSES = 10  # pairs below the threshold listed (without code) in the page, for context
NEAR_MISS_SHARE = 0.25  # ... when their larger share is at least this

ADVICE = ("Advice for the instructor, never a penalty: a flag says where to look, not what happened. "
          "Students may have worked together as allowed, started from the same lecture code or public "
          "source, or written a short function the one obvious way. Nothing here changes a grade.")


class SimilarityError(ValueError):
    """Bad settings or input for a similarity run (a threshold out of range, an allowed file
    that cannot be read); the message says which."""


@dataclass(frozen=True)
class Thresholds:
    """When two submissions are flagged (see the module docstring for how they were chosen).

    Attributes:
        noise: copydetect's noise threshold: the shortest run of normalised code (characters)
            that counts as a match.
        guarantee: copydetect's guarantee threshold (>= ``noise``): every common run this long is
            found; ``guarantee - noise + 1`` is the winnowing window.
        display: the larger of the two shares (0..1) at which a pair is flagged.
        min_overlap: normalised characters the two must have in common to be flagged.

    Raises:
        SimilarityError: a value out of range.
    """

    noise: int = NOISE
    guarantee: int = GUARANTEE
    display: float = DISPLAY
    min_overlap: int = MIN_OVERLAP

    def __post_init__(self) -> None:
        if self.noise < 5:
            raise SimilarityError(f"the noise threshold must be at least 5 characters, not {self.noise}")
        if self.guarantee < self.noise:
            raise SimilarityError(f"the guarantee threshold ({self.guarantee}) must be at least the noise "
                                  f"threshold ({self.noise})")
        if not 0 < self.display <= 1:
            raise SimilarityError(f"the display threshold is a share of the code, in (0, 1], not {self.display}")
        if self.min_overlap < 0:
            raise SimilarityError(f"the minimum overlap cannot be negative ({self.min_overlap})")


@dataclass(frozen=True)
class Source:
    """One submission's code as compared.

    Attributes:
        student: the student id (already shown with hidden characters escaped).
        path: the main file (a notebook or a module), relative to the submissions folder, or its
            path in the student's repository.
        code: the text compared: the kept code cells (each after a ``# cell N`` line, N counting
            every cell from 1) or the module, then any other ``.py`` file of the folder after a
            ``# file: NAME`` line. Those lines are comments: they are shown, never compared.
        template_cells: code cells left out because they equal one of the template's.
        sha256: the submission's hash (:attr:`grader.submissions.Submission.sha256`).
        compared: ``code`` with its docstrings masked (:func:`mask_docstrings`), as long as ``code``;
            "" to mask ``code`` as a whole when compared.
    """

    student: str
    path: str
    code: str
    template_cells: int = 0
    sha256: str = ""
    compared: str = ""


@dataclass(frozen=True)
class Segment:
    """A piece of a source's code, and whether it is part of a match with the other side."""

    text: str
    matched: bool


@dataclass
class Pair:
    """Two compared submissions.

    Attributes:
        a, b: the two student ids (``a`` sorts before ``b``).
        share_a: the share (0..1) of ``a``'s own code (template removed, normalised) also found in ``b``.
        share_b: the same for ``b``.
        overlap: normalised characters of ``a`` in matches with ``b``.
        flagged: whether the pair meets the thresholds.
        segments_a, segments_b: each side's code cut into matched and unmatched pieces.
    """

    a: str
    b: str
    share_a: float
    share_b: float
    overlap: int
    flagged: bool
    segments_a: list[Segment] = field(default_factory=list)
    segments_b: list[Segment] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The larger share: what a copier's side of the pair shows."""
        return max(self.share_a, self.share_b)


@dataclass
class SimilarityReport:
    """What :func:`run` found.

    Attributes:
        assignment, title: the assignment's name and title.
        thresholds: the thresholds used.
        template: the template file whose code was removed ("" if the assignment has none).
        allowed: other files whose code was removed (``--allow``).
        sources: the submissions compared.
        skipped: ``(student, reason)`` for each submission not compared.
        pairs: every compared pair, the highest score first.
        graded: ``student -> "graded" | "changed since grading" | "not graded"`` when a results
            store was read (empty otherwise).
        seconds: wall time of the comparison (reading, fingerprinting, comparing).
        created: when the report was made (UTC).
        copydetect_version: the library's version.
    """

    assignment: str
    title: str
    thresholds: Thresholds
    template: str = ""
    allowed: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    graded: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    copydetect_version: str = ""

    @property
    def flagged(self) -> list[Pair]:
        """The flagged pairs, the highest score first."""
        return [p for p in self.pairs if p.flagged]

    @property
    def near_misses(self) -> list[Pair]:
        """Up to :data:`NEAR_MISSES` unflagged pairs whose score is at least :data:`NEAR_MISS_SHARE`."""
        return [p for p in self.pairs if not p.flagged and p.score >= NEAR_MISS_SHARE][:NEAR_MISSES]


# -- reading ---------------------------------------------------------------------------------------


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _decode(content: bytes) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


_LINE = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # where Python's tokenizer starts a new line


def mask_docstrings(code: str) -> str:
    """``code`` with every docstring (of the module, a class or a function) turned into comment
    lines of the same length: normalised code then has no trace of it, so that adding, changing
    or removing docstrings changes nothing, and positions in ``code`` still map to the result.
    A docstring followed by code on its last line is kept; code that does not parse is returned
    as it is. Never raises."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return code
    lines = _LINE.split(code)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
            continue
        doc = node.body[0]
        if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)
                and doc.end_lineno is not None and doc.end_col_offset is not None):
            continue
        first, last = doc.lineno - 1, doc.end_lineno - 1
        if last >= len(lines):
            continue
        end = _char_col(lines[last], doc.end_col_offset)
        after = lines[last][end:].strip()
        if after and not after.startswith("#"):
            continue  # `"""doc"""; x = 1`: masking to the end of the line would hide code
        for i in range(first, last + 1):
            line = lines[i]
            body = line.rstrip("\r\n")
            lo = _char_col(line, doc.col_offset) if i == first else 0
            hi = end if i == last else len(body)
            if hi > lo:
                lines[i] = line[:lo] + "#" + " " * (hi - lo - 1) + line[hi:]
    return "".join(lines)


def _char_col(line: str, byte_col: int) -> int:
    """The character column of ``ast``'s UTF-8 byte column ``byte_col`` in ``line``."""
    return len(line.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


def source_of(sub: Submission, template_cells: Iterable[str] = (), skip: Iterable[str] = ()) -> Source | str:
    """The code of a submission as compared, or why it cannot be compared (a string).

    Args:
        sub: a submission read by :mod:`grader.submissions` or :mod:`grader.repos`.
        template_cells: the template's code cells; a notebook cell equal to one of them
            (trailing spaces and surrounding blank lines aside) is left out.
        skip: file names that are not the student's (the assignment's public data).
    """
    if sub.problem:
        return sub.problem
    if sub.path is None or sub.main_name not in sub.files:
        return "no submission file"
    main = sub.main_name
    dropped = 0
    parts: list[tuple[str, str]] = []  # (a comment line naming the part, its code)
    if sub.kind == "notebook":
        known = {_normalised(c) for c in template_cells}
        for cell in sub.cells:
            text = _normalised(cell.source)
            if not text:
                continue
            if text in known:
                dropped += 1
                continue
            parts.append((f"# cell {cell.index + 1}", cell.source.rstrip()))
    else:
        module = _decode(sub.files[main])
        if module is None:
            return f"{main} is not UTF-8 text"
        parts.append(("", module.rstrip()))
    others = set(skip)
    for name, content in sorted(sub.files.items()):  # a student's helper modules count as theirs
        if name == main or name in others or not name.endswith(".py"):
            continue
        extra = _decode(content)
        if extra is not None:
            parts.append((f"# file: {name}", extra.rstrip()))
    code = "\n".join(f"{head}\n{body}\n" if head else f"{body}\n" for head, body in parts)
    compared = "\n".join(f"{head}\n{mask_docstrings(body)}\n" if head else f"{mask_docstrings(body)}\n"
                         for head, body in parts)
    return Source(student=sub.student, path=str(sub.path), code=code, template_cells=dropped, sha256=sub.sha256,
                  compared=compared)


def template_path(config: AssignmentConfig) -> Path | None:
    """The template students fill in (the first of the assignment's accepted file names found
    in its folder), or None."""
    for name in config.files:
        path = config.assignment_dir / name
        if path.is_file():
            return path
    return None


def code_cells(path: Path) -> list[str]:
    """The code of a notebook's code cells, or a module's whole text as one item.

    Raises:
        SimilarityError: the file cannot be read, is not UTF-8, or is not a notebook.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SimilarityError(f"cannot read {path}: {exc}") from None
    if path.suffix == ".ipynb":
        try:
            return [c.source for c in read_notebook(text)]
        except NotebookError as exc:
            raise SimilarityError(f"{path}: {exc}") from None
    return [text]


# -- comparing -------------------------------------------------------------------------------------


def _fingerprint(code: str, thresholds: Thresholds, boilerplate: frozenset[int] = frozenset()) -> Any:
    """copydetect's fingerprint of ``code`` (as Python), with the ``boilerplate`` hashes removed."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    window = thresholds.guarantee - thresholds.noise + 1
    fp = CodeFingerprint("submission.py", thresholds.noise, window, language="python", fp=io.StringIO(code))
    if boilerplate:  # removed here: CodeFingerprint's own removal drops the wrong indexes when hashes repeat
        fp.hash_idx = {h: idx for h, idx in fp.hash_idx.items() if h not in boilerplate}
        fp.hashes = set(fp.hash_idx)
        fp.token_coverage = get_token_coverage(fp.hash_idx, thresholds.noise, len(fp.filtered_code))
    return fp


def _boilerplate(codes: Iterable[str], thresholds: Thresholds) -> frozenset[int]:
    """Every k-gram hash of the template's (and allowed files') code (window 1: all of them)."""
    from copydetect import CodeFingerprint

    hashes: set[int] = set()
    for code in codes:
        fp = CodeFingerprint("template.py", thresholds.noise, 1, language="python",
                             fp=io.StringIO(mask_docstrings(code)))
        hashes.update(int(h) for h in fp.hashes)
    return frozenset(hashes)


def _segments(code: str, slices: Any) -> list[Segment]:
    """``code`` cut at copydetect's slices (a 2×N array of starts and ends in the raw code)."""
    spans = sorted((max(0, int(s)), min(len(code), int(e))) for s, e in zip(slices[0], slices[1]))
    out: list[Segment] = []
    pos = 0
    for start, end in spans:
        start = max(start, pos)
        if end <= start:
            continue
        if start > pos:
            out.append(Segment(code[pos:start], False))
        out.append(Segment(code[start:end], True))
        pos = end
    if pos < len(code):
        out.append(Segment(code[pos:], False))
    return out


def compare(sources: Sequence[Source], *, boilerplate: Iterable[str] = (), thresholds: Thresholds | None = None,
            ) -> tuple[list[Pair], list[tuple[str, str]]]:
    """Compare every pair of ``sources``.

    Args:
        sources: the submissions' code (:func:`source_of`).
        boilerplate: code whose every stretch is not counted (the template, allowed files).
        thresholds: when a pair is flagged (default :class:`Thresholds`'s).

    Returns:
        ``(pairs, skipped)``: every pair of sources with code of their own, the highest
        score first (then the larger overlap, then the ids); and ``(student, reason)`` for
        the sources with no code of their own beyond the boilerplate, which are not compared.
    """
    from copydetect import compare_files

    t = thresholds or Thresholds()
    common = _boilerplate(boilerplate, t)
    prints: list[tuple[Source, Any]] = []
    skipped: list[tuple[str, str]] = []
    for src in sorted(sources, key=lambda s: s.student):
        compared = src.compared if len(src.compared) == len(src.code) and src.compared else mask_docstrings(src.code)
        fp = _fingerprint(compared, t, common)
        if fp.token_coverage <= 0:
            skipped.append((src.student, "no code of its own beyond the template"))
        else:
            prints.append((src, fp))
    pairs = []
    for (sa, fa), (sb, fb) in itertools.combinations(prints, 2):
        overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        share_a, share_b = min(float(share_a), 1.0), min(float(share_b), 1.0)
        flagged = max(share_a, share_b) >= t.display and int(overlap) >= t.min_overlap
        pair = Pair(sa.student, sb.student, share_a, share_b, int(overlap), flagged)
        if int(overlap) > 0:
            pair.segments_a, pair.segments_b = _segments(sa.code, slices_a), _segments(sb.code, slices_b)
        else:
            pair.segments_a, pair.segments_b = [Segment(sa.code, False)], [Segment(sb.code, False)]
        pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, -p.overlap, p.a, p.b))
    return pairs, skipped


def _graded_states(db: Path, assignment: str, sources: Sequence[Source]) -> dict[str, str]:
    """Whether each source is the version graded in the store at ``db`` (read only)."""
    from .store import ResultStore

    states = {}
    with ResultStore.open(db, create=False) as store:
        for src in sources:
            done = store.graded_hash(assignment, src.student)
            states[src.student] = ("not graded" if done is None else
                                   "graded" if done[0] == src.sha256 else "changed since grading")
    return states


def run(assignment: str, *, course: str | Path | None = None, submissions: str | Path | None = None,
        allow: Sequence[str | Path] = (), thresholds: Thresholds | None = None, db: str | Path | None = None,
        repo_prefix: str | None = None) -> SimilarityReport:
    """Compare the submissions of ``assignment`` (see the module docstring). Reads only.

    Args:
        assignment: the assignment name (a folder of ``assignments/``).
        course: the course root (default: the current directory).
        submissions: the submissions folder (default ``submissions/<assignment>/``); a folder of
            git repositories is read as ``grader grade`` reads it.
        allow: more files (``.py`` or ``.ipynb``) whose code students may share, removed like
            the template's.
        thresholds: when a pair is flagged (default :class:`Thresholds`'s).
        db: a results store to read (never write) whether each file compared is the one graded.
        repo_prefix: for a folder of repositories, the name part before the username.

    Raises:
        grader.course.CourseError: bad course folder or assignment settings.
        FileNotFoundError: no submissions folder.
        SimilarityError: an allowed file cannot be read.
        grader.store.StoreError: ``db`` is missing or not a results store.
    """
    from copydetect import __version__ as copydetect_version

    from . import repos

    started = time.perf_counter()
    t = thresholds or Thresholds()
    course_obj = Course.at(course)
    config = load_assignment(course_obj, assignment)
    folder = Path(submissions) if submissions else course_obj.submissions_dir(assignment)
    template = template_path(config)
    template_cells = code_cells(template) if template else []
    allowed = [code for path in allow for code in code_cells(Path(path))]
    if folder.is_dir() and repos.is_repos_folder(folder):
        subs = repos.discover_repos(folder.resolve(), config, prefix=repo_prefix)
    else:
        subs = discover(folder.resolve(), config)
    sources, skipped = [], []
    for sub in subs:
        found = source_of(sub, template_cells, skip=config.data)
        if isinstance(found, str):
            skipped.append((sub.student, found))
            continue
        shown = Path(found.path)
        if shown.is_absolute() and shown.is_relative_to(folder.resolve()):
            found = replace(found, path=str(shown.relative_to(folder.resolve())))
        sources.append(found)
    pairs, empty = compare(sources, boilerplate=[*template_cells, *allowed], thresholds=t)
    empty_ids = {s for s, _ in empty}
    report = SimilarityReport(
        assignment=assignment, title=config.title, thresholds=t,
        template=str(template.relative_to(course_obj.root)) if template else "",
        allowed=[str(p) for p in allow], sources=[s for s in sources if s.student not in empty_ids],
        skipped=sorted(skipped + empty), pairs=pairs, copydetect_version=str(copydetect_version))
    if db is not None:
        report.graded = _graded_states(Path(db), assignment, report.sources)
    report.seconds = time.perf_counter() - started
    return report


# -- showing ---------------------------------------------------------------------------------------


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def summary_table(report: SimilarityReport, top: int = 10) -> Table:
    """The ``top`` pairs with the highest scores as a rich Table for :mod:`grader.console`
    (student ids escaped with :func:`grader.console.shown`)."""
    from rich.table import Table

    from .console import shown

    t = report.thresholds
    table = Table(title=f"{shown(report.assignment)}: most similar pairs (advice, not a verdict)")
    for col, right in (("#", True), ("student", False), ("student", False), ("share of first", True),
                       ("share of second", True), ("in common", True), ("flag", False)):
        table.add_column(col, justify="right" if right else "left")
    for i, p in enumerate(report.pairs[:top], 1):
        table.add_row(str(i), shown(p.a), shown(p.b), _pct(p.share_a), _pct(p.share_b), str(p.overlap),
                      "[yellow]look[/]" if p.flagged else "")
    table.caption = (f"flag: larger share >= {_pct(t.display)} and >= {t.min_overlap} normalised characters "
                     "in common; share: the part of a student's own code (template removed) also in the other's")
    return table


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Similarity: {{ r.assignment }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 110em; }
.advice { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.6em 1em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pair { margin: 1.5em 0; border-top: 2px solid #999; padding-top: 0.5em; }
.code { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.code > div { min-width: 0; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; white-space: pre; margin: 0; }
mark { background: #f7c6c6; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>Similarity: {{ r.assignment }} <span class="muted">({{ r.title }})</span></h1>
<p class="advice"><strong>Advice, not a verdict.</strong> {{ advice }}</p>
<p>{{ r.sources|length }} submissions compared, {{ r.flagged|length }} pair(s) flagged;
made {{ r.created.strftime("%Y-%m-%d %H:%M UTC") }} in {{ "%.2f"|format(r.seconds) }} s.
Template removed: {{ r.template or "none (the assignment has no template)" }}{% if r.allowed %};
also allowed: {{ r.allowed|join(", ") }}{% endif %}.</p>
<p class="muted">The <em>share</em> of a student is the part of their own code (the template's removed,
names, comments and whitespace normalised away) that also occurs in the other's. A pair is flagged when
the larger share is at least {{ pct(t.display) }} and the two have at least {{ t.min_overlap }}
normalised characters in common. Highlighted: the code in matches (runs of at least {{ t.noise }}
normalised characters; copydetect {{ r.copydetect_version }}, noise threshold {{ t.noise }}, guarantee
threshold {{ t.guarantee }}).</p>

<h2>Flagged pairs</h2>
{% if not r.flagged %}<p>None.</p>{% endif %}
{% for p in r.flagged %}
<div class="pair">
<h3>{{ loop.index }}. {{ p.a }} and {{ p.b }}</h3>
<table>
<tr><th>student</th><th>share of their code also in the other's</th><th>file</th>{% if r.graded %}<th>store</th>{% endif %}</tr>
{% for who, share in ((p.a, p.share_a), (p.b, p.share_b)) %}
<tr><td>{{ who }}</td><td class="num">{{ pct(share) }}</td><td>{{ paths[who] }}</td>{% if r.graded %}<td>{{ r.graded.get(who, "") }}</td>{% endif %}</tr>
{% endfor %}
</table>
<p class="muted">{{ p.overlap }} normalised characters in common.</p>
<details open><summary>code, matches highlighted</summary>
<div class="code">
<div><strong>{{ p.a }}</strong><pre>{% for s in p.segments_a %}{% if s.matched %}<mark>{{ show(s.text) }}</mark>{% else %}{{ show(s.text) }}{% endif %}{% endfor %}</pre></div>
<div><strong>{{ p.b }}</strong><pre>{% for s in p.segments_b %}{% if s.matched %}<mark>{{ show(s.text) }}</mark>{% else %}{{ show(s.text) }}{% endif %}{% endfor %}</pre></div>
</div>
</details>
</div>
{% endfor %}

<h2>Closest pairs below the threshold</h2>
{% if not r.near_misses %}<p>None with a share of {{ pct(near) }} or more.</p>{% else %}
<table>
<tr><th>student</th><th>student</th><th>share of first</th><th>share of second</th><th>in common</th></tr>
{% for p in r.near_misses %}
<tr><td>{{ p.a }}</td><td>{{ p.b }}</td><td class="num">{{ pct(p.share_a) }}</td><td class="num">{{ pct(p.share_b) }}</td><td class="num">{{ p.overlap }}</td></tr>
{% endfor %}
</table>{% endif %}

<h2>Not compared</h2>
{% if not r.skipped %}<p>None.</p>{% else %}
<table>
<tr><th>student</th><th>why</th></tr>
{% for who, why in r.skipped %}<tr><td>{{ who }}</td><td>{{ why }}</td></tr>{% endfor %}
</table>{% endif %}
</body>
</html>
"""


def render_html(report: SimilarityReport) -> str:
    """The report as one self-contained HTML page: no scripts, nothing loaded from elsewhere.

    Every student string (ids, file names, code, reasons) is escaped by Jinja2's autoescape,
    and code is shown with hidden characters (bidi overrides, zero-width spaces, controls)
    as visible escapes (:func:`grader.visible.make_visible`), so that it reads as it runs.
    """
    from jinja2 import Environment

    env = Environment(autoescape=True)
    page = env.from_string(_PAGE)
    return page.render(r=report, t=report.thresholds, advice=ADVICE, near=NEAR_MISS_SHARE, pct=_pct,
                       show=lambda text: make_visible(text, keep="\n\t"),
                       paths={s.student: s.path for s in report.sources})


def write_html(report: SimilarityReport, path: str | Path) -> Path:
    """Write :func:`render_html`'s page to ``path`` atomically. Returns the path.

    Raises:
        SimilarityError: the folder does not exist or ``path`` is a folder.
        OSError: the file cannot be written.
    """
    from .spreadsheet import write_atomic

    path = Path(path)
    if path.is_dir():
        raise SimilarityError(f"{path} is a folder: give a file name such as similarity.html")
    if not path.parent.is_dir():
        raise SimilarityError(f"cannot write {path}: folder {path.parent} does not exist")
    text = render_html(report)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
