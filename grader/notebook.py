"""Where a notebook becomes code: read its JSON (nbformat for formats before 4), keep its code cells,
and turn IPython-only syntax into plain Python that does nothing harmful.

This runs in the trusted process but never executes anything: it parses
JSON and rewrites text. The cells then run in the sandboxed worker.

IPython syntax is handled like this (shell commands never run):

* ``!cmd`` and ``x = !cmd``: dropped (``x`` becomes an empty list);
* line magics: ``%time``/``%timeit``/``%prun`` run their statement once; all
  others (``%matplotlib``, ``%load_ext``, ``%pip``...) become ``pass``;
* cell magics: ``%%time``/``%%timeit``/``%%capture``/``%%prun`` run the cell
  body; ``%%writefile`` writes its file in the working directory; the rest
  (``%%bash``, ``%%html``, ``%%javascript``...) are skipped;
* ``obj?`` help lines: dropped.

A notebook written for otter-grader (it has an ``otter.Notebook(...)`` cell) loses otter's own
cells (:func:`is_otter_cell`): ``grader.check("q1")`` needs otter and its test files, which the
worker has not; this grader runs the tests itself.

A cell that is valid Python is never rewritten.
"""

from __future__ import annotations

import ast
import json
import re
import symtable
import warnings
from dataclasses import dataclass

RUN_BODY_CELL_MAGICS = {"time", "timeit", "capture", "prun", "memit", "debug"}
RUN_LINE_MAGICS = {"time", "timeit", "prun", "memit"}


class NotebookError(ValueError):
    """The file is not a usable notebook; the message says why, for the student."""


@dataclass(frozen=True)
class Cell:
    """One code cell: its position among all cells of the notebook, and its source."""

    index: int
    source: str


def read_notebook(text: str) -> list[Cell]:
    """Parse notebook JSON and return its code cells, IPython syntax rewritten.

    Args:
        text: the notebook file's content, already decoded from UTF-8.

    Raises:
        NotebookError: invalid JSON, not a notebook, no code cells, or a cell
            that cannot be rewritten; nothing else (a notebook nested too
            deeply for the JSON parser is a ``NotebookError`` too).
    """
    try:
        return _read_notebook(text)
    except NotebookError:
        raise
    except Exception as exc:  # RecursionError, MemoryError...: a bad notebook, never a crashed batch
        raise NotebookError(f"the notebook could not be read: {type(exc).__name__}: {_short(exc)}") from None


def _read_notebook(text: str) -> list[Cell]:
    if not text.strip():
        raise NotebookError("the notebook file is empty")
    nb = read_document(text)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("not a valid Jupyter notebook: it has no cell list")
    out = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {i} has a source that is not text")
        out.append(Cell(i, transform_ipython(source)))
    if not any(c.source.strip() for c in out):
        raise NotebookError("the notebook has no code cells")
    if any("otter.Notebook(" in c.source and is_otter_cell(c.source) for c in out):
        out = [c for c in out if not is_otter_cell(c.source)]  # an otter-grader student notebook
    return out


def read_document(text: str) -> dict:
    """The notebook ``text`` as a format-4 document (a dict): read as JSON when it already is one,
    else converted by nbformat.

    Raises:
        NotebookError: not valid JSON, or not a notebook nbformat can read.
    """
    try:
        nb = json.loads(text)
    except ValueError:
        raise NotebookError("the notebook is not valid JSON (is the file truncated or corrupt?)") from None
    if not (isinstance(nb, dict) and nb.get("nbformat") == 4 and isinstance(nb.get("cells"), list)):
        nb = _read_with_nbformat(text)  # an older format to convert, or nbformat's word on what is wrong
    return nb


def _read_with_nbformat(text: str) -> dict:
    """``text`` read by nbformat and converted to format 4. A format-4 notebook is read directly
    as JSON instead (its cells are all grading needs; nbformat's schema validation, which only
    warns, and its import cost about 60 ms of every ``grader check``)."""
    import nbformat
    from nbformat.warnings import MissingIDFieldWarning

    try:
        with warnings.catch_warnings():
            # cells without ids (notebooks from nbformat < 4.5, or written by hand) are read as they
            # are: the warning says nothing about the student's code and would be printed per submission
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            notebook: dict = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
            return notebook
    except Exception as exc:  # nbformat raises many kinds on malformed documents
        raise NotebookError(f"not a valid Jupyter notebook: {_short(exc)}") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def transform_ipython(source: str) -> str:
    """Rewrite IPython-only syntax in one cell into harmless Python (see module docs).

    Cell magics that run their body (``%%time`` inside ``%%capture``...) are
    peeled off in a loop, so any nesting depth works without recursion.
    """
    lines = source.splitlines()
    start = 0
    while True:
        first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
        if first is None or not lines[first].lstrip().startswith("%%"):  # a cell magic is never Python:
            # parse only what could be
            body = source if start == 0 else "\n".join(lines[start:])
            return body if _parses(body) else "\n".join(_line(line) for line in lines[start:])
        header = lines[first].strip()[2:]
        if header.partition(" ")[0] not in RUN_BODY_CELL_MAGICS:
            return _cell_magic(header, lines[first + 1:])
        start = first + 1


def _parses(source: str) -> bool:
    """True if ``source`` is valid Python, or too deep for the parser (the worker reports that)."""
    try:
        ast.parse(source)
        return True
    except (SyntaxError, ValueError):
        return False
    except (MemoryError, RecursionError):
        return True


def _cell_magic(header: str, body: list[str]) -> str:
    """A cell magic that does not run its body as Python: ``%%writefile`` or skipped."""
    name, _, args = header.partition(" ")
    if name in ("writefile", "file"):
        parts = args.split()
        append = "-a" in parts or "--append" in parts
        files = [p for p in parts if not p.startswith("-")]
        if files:
            text = "\n".join(body) + "\n"
            return f"with open({files[0]!r}, {'a' if append else 'w'!r}, encoding='utf-8') as _f:\n    _f.write({text!r})\n"
    return f"pass  # skipped cell magic %%{name}"


_ASSIGN_SHELL = re.compile(r"^(\s*)([A-Za-z_][\w., ]*)=\s*!(.*)$")


def _line(line: str) -> str:
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith("!"):
        return f"{indent}pass  # skipped shell command"
    m = _ASSIGN_SHELL.match(line)
    if m:
        return f"{m.group(1)}{m.group(2).strip()} = []  # skipped shell command"
    if stripped.startswith("%") and not stripped.startswith("%%"):
        name, _, rest = stripped[1:].partition(" ")
        if name in RUN_LINE_MAGICS and rest.strip():
            if name != "time":  # %time takes no options: "%time -x.sum()" is a statement
                # drop timeit options such as -n 10 -r 3
                rest = re.sub(r"^(\s*-\w+(\s+\d+)?)*\s*", "", rest)
            return f"{indent}{rest}"
        return f"{indent}pass  # skipped %{name}"
    if re.match(r"^[\w.\[\]'\"()]+\?\??\s*$", stripped):
        return f"{indent}pass  # skipped help"
    return line


def defined_names(source: str) -> set[str]:
    """The names a cell's code defines at top level (functions, classes, assignments, imports, also
    inside top-level blocks), from Python's own scoping; none if it does not parse."""
    names = _cell_names(source)
    return names[0] if names is not None else set()


def _cell_names(source: str) -> tuple[set[str], set[str], set[str], bool] | None:
    """(names a cell defines at top level, names its top-level code reads, the global names its
    functions and classes read plus the names of those functions and classes, whether it
    imports at top level), from Python's own scoping (:mod:`symtable`); None if the cell does
    not parse."""
    try:
        top = symtable.symtable(source, "<cell>", "exec")
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    defined: set[str] = set()
    top_reads: set[str] = set()
    api: set[str] = set()
    imports = False
    for sym in top.get_symbols():
        name = sym.get_name()
        if sym.is_assigned() or sym.is_imported() or sym.is_namespace():
            defined.add(name)
        if sym.is_referenced():
            top_reads.add(name)
        if sym.is_namespace():
            api.add(name)  # a function or class: the tests may call it
        imports = imports or sym.is_imported()
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        for sym in table.get_symbols():
            if sym.is_referenced() and sym.is_global():
                api.add(sym.get_name())
        stack.extend(table.get_children())
    for node in tree.body:  # train_model = lambda ...: a function too
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            api.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return defined, top_reads, api, imports


def cells_to_skip(cells: list[Cell], report: object, *, roots: tuple[str, ...] | list[str] = (),
                  min_seconds: float = 0.05) -> list[int]:
    """The slow cells a fresh run of the notebook may leave out, by index.

    A competition lab loads the notebook afresh for every training run
    (:func:`grader.testing.fresh_run`). A notebook that cross-validates at top
    level would then repeat its own experiments in every run. A cell is left
    out of those later loads only if *all* of these hold:

    * it took at least ``min_seconds`` in the first load (``report``: the
      worker's load report, with each cell's ``seconds``) and ran there;
    * it imports nothing (imports may have side effects);
    * it defines nothing the graded code needs: the ``roots`` (the names the
      tests call, e.g. ``build_model`` and ``train_model``; the assignment's
      ``graded_names``), the global names read by the functions and classes of
      any cell that defines a needed name, and what the top-level code of such
      a cell reads, closed over every cell. Without ``roots``, every function
      and class of the notebook and every global they read is needed.

    So a cell such as ``mean, std = cross_validate()`` is left out, while a cell
    that computes a constant ``train_model`` uses is kept however slow it is.
    Cells that do not parse are kept.

    Returns:
        Cell indices (as in :class:`Cell`), in notebook order.
    """
    seconds: dict[int, float] = {}
    ran: set[int] = set()
    entries = report.get("cells") if isinstance(report, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and type(entry.get("index")) is int:
            value = entry.get("seconds")
            seconds[entry["index"]] = float(value) if isinstance(value, (int, float)) else 0.0
            if entry.get("status") == "ok":
                ran.add(entry["index"])
    parsed = {c.index: _cell_names(c.source) for c in cells}
    needed: set[str] = set(roots)
    if not needed:
        for names in parsed.values():
            if names is not None:
                needed |= names[2]
    changed = True
    while changed:  # a cell that defines a needed name needs what its code reads
        changed = False
        for names in parsed.values():
            if names is not None and names[0] & needed and not (names[1] | names[2]) <= needed:
                needed |= names[1] | names[2]
                changed = True
    skip = []
    for c in cells:
        names = parsed[c.index]
        if (names is not None and c.index in ran and seconds.get(c.index, 0.0) >= min_seconds
                and not names[3] and not names[0] & needed):
            skip.append(c.index)
    return skip


def is_otter_cell(source: str) -> bool:
    """Whether a code cell is otter-grader's own and nothing else: ``import otter``,
    ``grader = otter.Notebook(...)``, ``grader.check("q1")``, ``grader.check_all()``,
    ``grader.export(...)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body:
        return False
    notebook_names = {"grader"}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and all(a.name.split(".")[0] == "otter" for a in stmt.names):
            continue
        if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] == "otter":
            continue
        if isinstance(stmt, ast.Assign) and _calls(stmt.value, ("otter", "Notebook")):
            notebook_names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                isinstance(stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name) and \
                stmt.value.func.value.id in notebook_names:
            continue
        return False
    return True


def _calls(node: ast.expr, dotted: tuple[str, str]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == dotted[1] \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == dotted[0]
