"""Tests for ``grader similarity`` (grader/similarity.py) on real files: the corpus in
tests/corpus_similarity (honest solutions in several styles, copies of them, notebooks built
from the template), copies generated here from the honest solutions, the shipped hw2
submissions, the HTML page, the command line as a subprocess, and a real results store.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import nbformat
import pytest

from grader import similarity as sim
from grader.config import load_assignment
from grader.course import Course
from grader.results import SubmissionResult, SubmissionStatus
from grader.store import ResultStore
from grader.submissions import discover

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus_similarity" / "hw2"
LECTURE = ROOT / "tests" / "corpus_similarity" / "lecture" / "case_study.py"
TEMPLATE = ROOT / "assignments" / "hw2" / "hw2.ipynb"
GRADER = str(Path(sys.executable).with_name("grader"))

HONEST = ["honest_vectorised", "honest_loops", "honest_scipy", "honest_oneliners", "honest_helpers",
          "honest_notebook", "honest_partial"]
COPIES = {  # copy -> the honest solution it was made from
    "copy_renamed_vectorised": "honest_vectorised",
    "copy_reordered_loops": "honest_loops",
    "copy_comments_scipy": "honest_scipy",
    "copy_notebook_oneliners": "honest_oneliners",
    "copy_partial_helpers": "honest_helpers",
}


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _flagged(report: sim.SimilarityReport) -> set[tuple[str, str]]:
    return {(p.a, p.b) for p in report.flagged}


def _with_outputs(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as a student who ran it hands it in: every code cell with an output."""
    nb = nbformat.read(path, as_version=4)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                               text="not implemented yet: softmax\n" * 40 + f"{n}\n")]
    return nb


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """The whole corpus as one class's submissions folder, plus the untouched template handed in
    as it is and after running it (outputs in every code cell)."""
    folder = tmp_path / "hw2-submissions"
    folder.mkdir()
    for path in CORPUS.iterdir():
        shutil.copy(path, folder / path.name)
    shutil.copy(TEMPLATE, folder / "template_as_is.ipynb")
    nbformat.write(_with_outputs(TEMPLATE), folder / "template_run.ipynb")
    return folder


@pytest.fixture(scope="module")
def template_cells() -> list[str]:
    return sim.code_cells(TEMPLATE)


def test_copies_are_flagged_and_honest_solutions_are_not(corpus_dir):
    report = sim.run("hw2", course=ROOT, submissions=corpus_dir)
    assert _flagged(report) == {_pair(c, h) for c, h in COPIES.items()}
    assert dict(report.skipped) == {"template_as_is": "no code of its own beyond the template",
                                    "template_run": "no code of its own beyond the template"}
    assert {s.student for s in report.sources} == set(HONEST) | set(COPIES)
    scores = {(p.a, p.b): p.score for p in report.pairs}
    copies = [scores[_pair(c, h)] for c, h in COPIES.items()]
    honest = [scores[_pair(a, b)] for a, b in combinations(HONEST, 2)]
    # the margins the thresholds were chosen with (grader/similarity.py's docstring)
    assert min(copies) >= 0.55, sorted(copies)
    assert max(honest) <= 0.40, max(honest)
    # a renamed or reordered whole copy matches nearly all of its source
    for copy in ("copy_renamed_vectorised", "copy_reordered_loops", "copy_comments_scipy"):
        assert scores[_pair(copy, COPIES[copy])] >= 0.9


def test_flagged_pairs_show_the_matching_code(corpus_dir):
    report = sim.run("hw2", course=ROOT, submissions=corpus_dir)
    [pair] = [p for p in report.flagged if {p.a, p.b} == {"copy_renamed_vectorised", "honest_vectorised"}]
    assert pair.share_a == pytest.approx(1.0) and pair.share_b == pytest.approx(1.0)
    code = "".join(s.text for s in pair.segments_a)
    assert code == next(s.code for s in report.sources if s.student == pair.a)
    matched = "".join(s.text for s in pair.segments_a if s.matched)
    assert "moved = arr - arr.max(axis=-1, keepdims=True)" in matched  # the renamed side, highlighted
    [partial] = [p for p in report.flagged if "copy_partial_helpers" in (p.a, p.b)]
    segments = partial.segments_a if partial.a == "copy_partial_helpers" else partial.segments_b
    own = "".join(s.text for s in segments if not s.matched)
    assert "np.log(softmax(z) + 1e-300)" in own  # the student's own log_softmax is not highlighted
    assert "gW = X.T @ gs + reg * W" in "".join(s.text for s in segments if s.matched)


def test_notebooks_compare_code_cells_not_outputs_nor_template_cells(template_cells):
    config = load_assignment(Course.at(ROOT), "hw2")
    [sub] = [s for s in discover(CORPUS, config) if s.student == "honest_notebook"]
    src = sim.source_of(sub, template_cells)
    assert isinstance(src, sim.Source)
    assert "iteration 20: loss 0.7943" in (CORPUS / "honest_notebook.ipynb").read_text()  # an output...
    assert "0.7943" not in src.code  # ...never compared
    assert "not implemented yet" not in src.code  # the template's demo cells are left out
    assert src.template_cells == 6  # the import and the five demo cells
    assert "unnorm = np.exp(z - z_max)" in src.code
    assert src.code.startswith("# cell 4\n")


MASK_ME = '''"""Módulé docstring."""
import numpy as np


def f(x):
    """Résumé.

    More.
    """
    return x  # kept


def g(): """one"""


def h():
    """x"""; return 1


class C:
    \'\'\'cls\'\'\'\r
    y = "not a docstring"
'''


def test_docstrings_are_masked_in_place():
    masked = sim.mask_docstrings(MASK_ME)
    assert len(masked) == len(MASK_ME)  # positions in the code still map to the compared text
    for docstring in ("Módulé", "Résumé", "More.", "one", "cls"):
        assert docstring not in masked
    assert "return x  # kept" in masked and 'y = "not a docstring"' in masked
    assert '"""x"""; return 1' in masked  # code after the docstring on its line: left alone
    assert masked.splitlines()[5:9] == ["    #         ", "", "#        ", "#      "]  # comment lines now
    broken = 'def f(:\n    """doc"""\n'
    assert sim.mask_docstrings(broken) == broken  # code that does not parse: unchanged


def _rename_locals(tree: ast.Module) -> ast.Module:
    """Every name bound inside a function (parameters excepted: the assignment fixes them) renamed."""
    keep = set(dir(builtins)) | {"np", "math", "special"}
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}

    class Renamer(ast.NodeTransformer):
        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
            params = {a.arg for a in node.args.args}
            bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            mapping = {name: f"v{i}_{name[::-1]}" for i, name in enumerate(sorted(bound - params - keep - functions))}
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in mapping:
                    n.id = mapping[n.id]
            return node

    return Renamer().visit(tree)


def _disguised(code: str) -> str:
    """A copy as a student disguises it: locals renamed, functions in reverse order, every comment
    gone and a new docstring on each function, another layout (ast.unparse)."""
    tree = _rename_locals(ast.parse(code))
    imports = [n for n in tree.body if not isinstance(n, ast.FunctionDef)]
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)][::-1]
    for f in functions:
        if not (f.body and isinstance(f.body[0], ast.Expr) and isinstance(f.body[0].value, ast.Constant)):
            f.body.insert(0, ast.Expr(ast.Constant(f"My {f.name}, written for homework 2.")))
    tree.body = imports + functions
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def test_generated_disguised_copies_are_flagged_against_their_source_only(template_cells):
    modules = [name for name in HONEST if (CORPUS / f"{name}.py").exists()]
    sources = [sim.Source(name, f"{name}.py", (CORPUS / f"{name}.py").read_text()) for name in modules]
    copies = [sim.Source(f"z_{name}", f"z_{name}.py", _disguised(src.code)) for name, src in zip(modules, sources)]
    for original, copy in zip(sources, copies):
        assert copy.code != original.code and "v0_" in copy.code
    pairs, skipped = sim.compare(sources + copies, boilerplate=template_cells)
    assert skipped == []
    flagged = {(p.a, p.b) for p in pairs if p.flagged}
    assert flagged == {(name, f"z_{name}") for name in modules}
    assert all(p.score >= 0.75 for p in pairs if p.flagged), [(p.a, p.b, p.score) for p in pairs if p.flagged]


def test_the_untouched_template_and_the_template_shared_code_are_not_flagged(tmp_path, template_cells):
    """Students who keep the template's cells, docstrings and stubs share that code and nothing
    else: they are not flagged, and the template itself has nothing to compare."""
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(TEMPLATE, folder / "as_is.ipynb")
    nbformat.write(_with_outputs(TEMPLATE), folder / "run.ipynb")
    for name in ("honest_notebook.ipynb", "honest_partial.ipynb", "copy_notebook_oneliners.ipynb"):
        shutil.copy(CORPUS / name, folder / name)
    report = sim.run("hw2", course=ROOT, submissions=folder)
    assert report.flagged == []
    assert {s for s, _ in report.skipped} == {"as_is", "run"}
    assert len(report.pairs) == 3
    # without removing the template, the same three would share its docstrings and demo cells
    config = load_assignment(Course.at(ROOT), "hw2")
    raw = [sim.Source(sub.student, sub.main_name, "\n".join(c.source for c in sub.cells))
           for sub in discover(folder, config) if sub.student in {s.student for s in report.sources}]
    unremoved, _ = sim.compare(raw)
    assert min(p.score for p in unremoved) > max(p.score for p in report.pairs) + 0.3


def test_the_shipped_hw2_submissions():
    """The shipped submissions were made from one base solution, each with its planned mistake:
    amara, elif, fatima, gus, jun and kim share 60 to 97% of their lines (the same names, the same
    comment "shift each row: exp never overflows"), and are flagged, as copies must be. ben
    (CS231n's case study), chloe (float32) and diego (PyTorch) are not; hana is the template."""
    report = sim.run("hw2", course=ROOT)
    derived = ["amara", "elif", "fatima", "gus", "jun", "kim"]
    assert _flagged(report) == set(combinations(derived, 2))
    assert dict(report.skipped) == {"hana": "no code of its own beyond the template"}
    assert {s.student for s in report.sources} == {*derived, "ben", "chloe", "diego", "ivan"}
    assert max(p.score for p in report.pairs if not p.flagged) < 0.45


def _two_lecture_students(folder: Path) -> None:
    """Two students with their own softmax and losses (from two honest styles), who both paste the
    lecture's spiral and training loop."""
    lecture = LECTURE.read_text().split('"""', 2)[2]
    for name, source in (("lee", "honest_scipy.py"), ("mo", "honest_loops.py")):
        tree = ast.parse((CORPUS / source).read_text())
        own = [n for n in tree.body if not (isinstance(n, ast.FunctionDef)
                                            and n.name in ("spiral_data", "train_linear_softmax"))]
        tree.body = own
        (folder / f"{name}.py").write_text(ast.unparse(tree) + "\n\n" + lecture)


def test_allowed_lecture_code_is_removed_like_the_template(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    _two_lecture_students(folder)
    without = sim.run("hw2", course=ROOT, submissions=folder)
    assert _flagged(without) == {("lee", "mo")}
    allowed = sim.run("hw2", course=ROOT, submissions=folder, allow=[LECTURE])
    assert allowed.flagged == [] and allowed.allowed == [str(LECTURE)]
    assert allowed.pairs[0].score < 0.3


def test_unreadable_submissions_are_listed_and_a_syntax_error_is_compared(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "latin1.py").write_bytes("# é\ndef softmax(z):\n    return z\n".encode("latin-1"))
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "empty.py").write_text("")
    code = (CORPUS / "honest_vectorised.py").read_text()
    (folder / "typo.py").write_text(code.replace("def softmax(z):", "def softmax(z)"))  # a syntax error
    shutil.copy(CORPUS / "honest_vectorised.py", folder / "orig.py")
    report = sim.run("hw2", course=ROOT, submissions=folder)
    reasons = dict(report.skipped)
    assert set(reasons) == {"latin1", "broken", "empty"}
    assert "not UTF-8" in reasons["latin1"] and "JSON" in reasons["broken"] and "empty" in reasons["empty"]
    assert _flagged(report) == {("orig", "typo")}


def test_thresholds_are_checked():
    assert sim.Thresholds() == sim.Thresholds(35, 35, 0.5, 150)
    for bad in ({"noise": 40, "guarantee": 30}, {"display": 0}, {"display": 1.5}, {"noise": 2, "guarantee": 2},
                {"min_overlap": -1}):
        with pytest.raises(sim.SimilarityError):
            sim.Thresholds(**bad)  # type: ignore[arg-type]
    with pytest.raises(sim.SimilarityError, match="cannot read"):
        sim.run("hw2", course=ROOT, submissions=CORPUS, allow=[CORPUS / "missing.py"])


class _Page(HTMLParser):
    """What a browser would run or load from a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.risky: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("script", "iframe", "object", "embed", "link", "img", "base", "form"):
            self.risky.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value and ("javascript:" in value or "//" in value)):
                self.risky.append(f"{tag} {name}={value}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_is_self_contained_and_escapes_student_strings(tmp_path):
    hostile_id = '<img src=x onerror=alert(1)>'
    folder = tmp_path / "subs"
    (folder / hostile_id).mkdir(parents=True)
    payload = ('BAD = "</pre><script>alert(\'code\')</script>"  # <b>bold</b> &amp; \u202eevil\n'
               + (CORPUS / "honest_loops.py").read_text())
    (folder / hostile_id / "hw2.py").write_text(payload)
    (folder / "copy.py").write_text(payload.replace("biggest", "largest"))
    report = sim.run("hw2", course=ROOT, submissions=folder)
    assert _flagged(report) == {_pair(hostile_id, "copy")}
    out = sim.write_html(report, tmp_path / "similarity.html")
    page_text = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(page_text)
    assert page.risky == []
    assert "script" not in page.tags and "b" not in page.tags
    text = "".join(page.text)
    assert hostile_id in text  # shown as text
    assert "</pre><script>alert('code')</script>" in text and "<b>bold</b> &amp;" in text
    assert "\u202e" not in page_text and "\\u202eevil" in text  # a bidi override is shown, not obeyed
    assert "Advice, not a verdict" in text and "never a penalty" in text
    assert "http" not in page_text  # nothing loaded from elsewhere
    assert page.tags.count("mark") >= 2


def test_the_page_lists_near_misses_and_what_was_not_compared(corpus_dir, tmp_path):
    report = sim.run("hw2", course=ROOT, submissions=corpus_dir)
    page = sim.render_html(report)
    assert "Closest pairs below the threshold" in page and "template_run" in page
    assert page.count('<div class="pair">') == len(COPIES)
    assert all(p.score >= sim.NEAR_MISS_SHARE and not p.flagged for p in report.near_misses)


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([GRADER, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_the_command(corpus_dir, tmp_path):
    out = tmp_path / "report.html"
    proc = _run("similarity", "hw2", "--submissions", str(corpus_dir), "-o", str(out), "--top", "6")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    table = proc.stdout.split("flag:")[0]
    rows = [line for line in table.splitlines() if "│" in line and "student" not in line]
    assert len(rows) == 6
    assert sum("look" in row for row in rows) == len(COPIES)  # the five copies, then the next closest
    assert "copy_partial_helpers" in table and "honest_helpers" in table
    assert "12 submissions compared" in text
    assert "5 pair(s) flagged" in text and "never a penalty" in text
    assert "not compared: template_run: no code of its own beyond the template" in text
    assert out.is_file() and "copy_reordered_loops" in out.read_text()
    helped = _run("similarity", "--help")
    assert helped.returncode == 0 and "never a penalty" in helped.stdout and "never changes a" in helped.stdout


def test_the_command_with_nothing_to_compare(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(CORPUS / "honest_loops.py", folder / "only.py")
    shutil.copy(TEMPLATE, folder / "untouched.ipynb")
    proc = _run("similarity", "hw2", "--submissions", str(folder), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 0, proc.stderr
    assert "nothing to compare: 1 submission(s)" in proc.stdout
    assert "untouched: no code of its own beyond the template" in proc.stdout + proc.stderr
    assert "Flagged pairs" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("args, message", [
    (["similarity", "nope"], "no assignment 'nope'"),
    (["similarity", "hw2", "--submissions", "/nonexistent/subs"], "no submissions folder"),
    (["similarity", "hw2", "-o", "/nonexistent/dir/r.html"], "does not exist"),
    (["similarity", "hw2", "--threshold", "2"], "not in the range"),
    (["similarity", "hw2", "--allow", "/nonexistent.py"], "does not exist"),
    (["similarity", "hw2", "--db", "/nonexistent.db"], "no results store"),
])
def test_bad_input_is_a_message(args, message):
    proc = _run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_the_store_is_read_never_written(tmp_path):
    """--db only says whether each compared file is the graded one; grades stay as they were."""
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("honest_vectorised.py", "copy_renamed_vectorised.py", "honest_loops.py"):
        shutil.copy(CORPUS / name, folder / name)
    config = load_assignment(Course.at(ROOT), "hw2")
    subs = {s.student: s for s in discover(folder, config)}
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as store:
        for student, sha in (("honest_vectorised", subs["honest_vectorised"].sha256),
                             ("copy_renamed_vectorised", "0" * 64)):
            store.save(SubmissionResult(assignment="hw2", student=student, status=SubmissionStatus.GRADED,
                                        sha256=sha, suite_hash="s"))
        before = [r.to_dict() for r in store.results("hw2")]
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    report = sim.run("hw2", course=ROOT, submissions=folder, db=db)
    assert report.graded == {"honest_vectorised": "graded", "copy_renamed_vectorised": "changed since grading",
                             "honest_loops": "not graded"}
    assert "changed since grading" in sim.render_html(report)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    with ResultStore.open(db, create=False) as store:
        assert [r.to_dict() for r in store.results("hw2")] == before
    proc = _run("similarity", "hw2", "--submissions", str(folder), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_a_folder_of_student_repositories(tmp_path):
    """GitHub Classroom's clones: read as ``grader grade`` reads them (HEAD's commit, the id from the name)."""
    folder = tmp_path / "hw2-submissions"
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org", "GIT_COMMITTER_NAME": "s",
           "GIT_COMMITTER_EMAIL": "s@example.org"}
    for user, source in (("ada", "honest_scipy.py"), ("bob", "copy_comments_scipy.py"), ("cy", "honest_loops.py")):
        repo = folder / f"hw2-{user}"
        repo.mkdir(parents=True)
        shutil.copy(CORPUS / source, repo / "hw2.py")
        for cmd in (["init", "-q"], ["add", "hw2.py"], ["commit", "-qm", "hw2"]):
            subprocess.run(["git", *cmd], cwd=repo, env=env, check=True, capture_output=True)
    report = sim.run("hw2", course=ROOT, submissions=folder)
    assert {s.student for s in report.sources} == {"ada", "bob", "cy"}
    assert _flagged(report) == {("ada", "bob")}
    assert {s.path for s in report.sources} == {"hw2.py"}


def test_the_corpus_notebooks_are_built_from_the_template():
    """The corpus notebooks keep every cell of the template (students fill in code cells), so they
    test what removing the template does."""
    template = nbformat.read(TEMPLATE, as_version=4)
    for name in ("honest_notebook", "honest_partial", "copy_notebook_oneliners"):
        nb = json.loads((CORPUS / f"{name}.ipynb").read_text())
        assert [c["cell_type"] for c in nb["cells"]] == [c.cell_type for c in template.cells]
        kept = [c for c, t in zip(nb["cells"], template.cells) if "".join(c["source"]) == t.source]
        assert len(kept) >= 13  # the markdown, the import and the demo cells
