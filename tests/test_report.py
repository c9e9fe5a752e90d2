"""Tests for grader.report (``grader report``): what a feedback page shows, from a real results store.

The pages are parsed here with BeautifulSoup; tests/test_report_browser.py opens them in Chromium.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from grader import results
from grader.cli import main
from grader.config import Feedback, load_assignment
from grader.course import Course
from grader.late import Deadline
from grader.report import (
    ReportError,
    _graded_names,
    _markdown_html,
    _module_cells,
    _safe_outputs,
    names_used_by_tests,
    page_names,
    student_view,
    write_reports,
)
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)
SECRET = "logits=[[7.25, -3.5]] SECRET-INPUT"  # what a hidden test's message may give away


def hw2(**feedback) -> object:
    config = load_assignment(COURSE, "hw2")
    return dataclasses.replace(config, feedback=Feedback(**feedback)) if feedback else config


def case(name: str, question: str, score: float, max_score: float, *, hidden: bool = False, message: str = "",
         hint: str = "") -> results.TestResult:
    status = results.TestStatus.PASSED if score == max_score else results.TestStatus.FAILED
    return results.TestResult(name, question, score, max_score, status,
                              Visibility.HIDDEN if hidden else Visibility.PUBLIC, message, hint)


def fatima(student: str = "fatima", **kw) -> SubmissionResult:
    """fatima's hw2 mistakes (the sum instead of the mean), as graded: public and hidden tests of two questions."""
    tests = [
        case("test_q1_softmax.py::test_slide_example", "softmax", 2, 2),
        case("test_q2_losses.py::test_cross_entropy_example", "losses", 0, 2,
             message="cross_entropy(logits, y=[0, 2]) is wrong: got 1.5156423, expected 0.75782115. This is the sum",
             hint="Divide by the batch size N: take the mean."),
        case("test_q2_losses_hidden.py::test_cross_entropy_values[4-3]", "losses", 0, 1, hidden=True,
             message=f"cross_entropy({SECRET}) is wrong", hint="The cross-entropy is the mean over the N examples."),
        case("test_q2_losses_hidden.py::test_inputs_unchanged[mse_loss]", "losses", 0.5, 0.5, hidden=True),
        case("test_q3_softmax_loss.py::test_dx", "softmax_loss", 0, 2, message="dx is wrong at index (1, 0)",
             hint="dx = (p - onehot(y)) / N"),
        case("test_q3_softmax_loss_hidden.py::test_batch_of_one", "softmax_loss", 2, 2, hidden=True),
    ]  # fmt: skip
    fields = {"path": "hw2.ipynb", "output": f"printing {SECRET}\n", **kw}
    return SubmissionResult("hw2", student, SubmissionStatus.GRADED, tests=tests, **fields)


# --------------------------------------------------------------------------- what the student may see


def test_after_published_lists_hidden_tests_without_their_messages():
    view = student_view(fatima(), hw2(hidden="after_published", hidden_messages=False))
    tests = {t.name: t for q in view.questions for t in q.tests}
    assert len(tests) == 6 and view.hidden_total is None
    hidden = tests["test_q2_losses_hidden.py::test_cross_entropy_values[4-3]"]
    assert hidden.hidden and hidden.status == "failed" and (hidden.score, hidden.max_score) == (0, 1)
    assert hidden.message == "" and hidden.hint == "" and hidden.details_withheld
    public = tests["test_q2_losses.py::test_cross_entropy_example"]
    assert "This is the sum" in public.message and public.hint.startswith("Divide by the batch size")
    assert {q.name: (q.score, q.max_score) for q in view.questions} == {
        "softmax": (2, 2), "losses": (0.5, 3.5), "softmax_loss": (2, 4)}  # fmt: skip
    assert view.output is None and view.output_withheld  # the output could print a hidden input


def test_hidden_shows_only_the_hidden_total():
    view = student_view(fatima(), hw2(hidden="hidden", hidden_messages=True))
    names = [t.name for q in view.questions for t in q.tests]
    assert names == ["test_q1_softmax.py::test_slide_example", "test_q2_losses.py::test_cross_entropy_example",
                     "test_q3_softmax_loss.py::test_dx"]
    assert view.hidden_total == (2.5, 3.5)
    assert {q.name: (q.score, q.max_score) for q in view.questions} == {
        "softmax": (2, 2), "losses": (0, 2), "softmax_loss": (0, 2)}  # fmt: skip
    assert view.score == 4.5 and view.max_score == 9.5  # the total still counts every test


def test_hidden_messages_true_shows_them_and_the_output():
    view = student_view(fatima(), hw2(hidden="after_published", hidden_messages=True))
    hidden = next(t for q in view.questions for t in q.tests if t.name.endswith("values[4-3]"))
    assert SECRET in hidden.message and hidden.hint and not hidden.details_withheld
    assert view.output == f"printing {SECRET}\n"


def test_a_passed_test_shows_no_hint():
    r = SubmissionResult("hw2", "a", SubmissionStatus.GRADED,
                         tests=[case("test_q1_softmax.py::test_slide_example", "softmax", 2, 2, hint="unused")])
    assert student_view(r, hw2()).questions[0].tests[0].hint == ""


# --------------------------------------------------------------------------- pages written from a real store


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as s:
        yield s


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_pages_show_points_late_penalty_and_why_a_submission_failed(store: ResultStore, tmp_path: Path):
    late = fatima(days_late=2, late_penalty=10.0, submitted_at="2026-12-20T10:00:00+00:00")
    store.save(late)
    store.save(SubmissionResult("hw2", "ivan", SubmissionStatus.INVALID, message="SyntaxError: expected ':' (line 4)",
                                tests=[case("test_q1_softmax.py::test_slide_example", "softmax", 0, 2)]))
    config = dataclasses.replace(hw2(), deadline=Deadline.from_dict({"due": "2026-12-18T23:59:00+01:00",
                                                                     "penalty_per_day": 0.1}))
    written = write_reports(store, config, tmp_path / "out")
    assert set(written.pages) == {"fatima", "ivan"} and written.index.name == "index.html"
    page = soup(written.pages["fatima"])
    assert page.find(id="score").get_text() == "0 / 9.5"
    assert page.find(id="raw-score").get_text() == "4.5 / 9.5"
    late_text = page.find(id="late-penalty").get_text()
    assert "−10 points" in late_text and "2 days late" in late_text and "2026-12-20 10:00 UTC" in late_text
    assert "2026-12-18 23:59+01:00" in late_text
    rows = {tr["data-test"]: tr for tr in page.select("tr.test")}
    assert "This is the sum" in rows["test_q2_losses.py::test_cross_entropy_example"].get_text()
    assert "Hint: Divide by the batch size" in " ".join(rows["test_q2_losses.py::test_cross_entropy_example"].get_text().split())
    assert SECRET not in page.get_text() and "not shown" in page.find(id="output-withheld").get_text()
    ivan = soup(written.pages["ivan"])
    assert ivan.find(id="status").get_text().startswith("invalid") and ivan.find(id="late-penalty") is None
    assert ivan.find(id="submission-message").get_text() == "SyntaxError: expected ':' (line 4)"
    index = soup(written.index)
    assert [a["href"] for a in index.select("#students a")] == ["fatima.html", "ivan.html"]


def test_only_the_students_asked_for(store: ResultStore, tmp_path: Path):
    for student in ("amy", "bob"):
        store.save(fatima(student))
    written = write_reports(store, hw2(), tmp_path / "out", students=["bob"])
    assert list(written.pages) == ["bob"] and not (tmp_path / "out" / "amy.html").exists()
    with pytest.raises(ReportError, match="no result of hw2 for zed"):
        write_reports(store, hw2(), tmp_path / "out", students=["zed"])


def test_page_names_are_safe_files():
    names = page_names(["alice", "Alice", "../etc/passwd", ".hidden", "index", "<img src=x>", "café"])
    assert names["Alice"] == "Alice.html" and re.fullmatch(r"alice-[0-9a-f]{10}\.html", names["alice"])
    assert len(set(names.values())) == len(names)
    for student, name in names.items():
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.html", name), (student, name)
    assert names["index"] != "index.html"


# --------------------------------------------------------------------------- tests -> the functions they grade


def test_each_test_knows_the_functions_it_grades():
    config = hw2()
    functions = names_used_by_tests(config)
    defined = {"softmax", "log_softmax", "mse_loss", "binary_cross_entropy", "cross_entropy", "softmax_loss",
               "spiral_data", "l2_penalty", "train_linear_softmax", "np"}

    def graded(name: str, hidden: bool = False) -> set[str]:
        return _graded_names(case(name, "q", 1, 1, hidden=hidden), functions, defined)

    assert graded("test_q2_losses.py::test_cross_entropy_example") == {"cross_entropy"}
    assert graded("test_q3_softmax_loss.py::test_dx") == {"softmax_loss"}
    assert graded("test_q2_losses_hidden.py::test_inputs_unchanged[binary_cross_entropy]", True) == {
        "binary_cross_entropy"}
    assert graded("test_q1_softmax.py::test_slide_example") == {"softmax"}
    lab = names_used_by_tests(load_assignment(COURSE, "lab-iris"))
    assert {"build_model", "train_model"} <= lab[("hidden", "test_accuracy.py::test_cross_validated_accuracy")].attributes


def test_notebook_feedback_sits_after_the_last_definition(store: ResultStore, tmp_path: Path):
    """kim defines softmax_loss twice (a wrong try in cell 9, the fix in cell 12): the last one is graded, and
    the feedback of softmax_loss's tests goes right after it; a test of a function kim never defined is listed
    after the notebook."""
    result = fatima("kim")
    result.tests.append(case("test_q9_extra.py::test_missing", "extra", 0, 1, message="no function extra_credit"))
    store.save(result)
    written = write_reports(store, hw2(), tmp_path / "out", notebook=True, submissions_dir=ROOT / "submissions/hw2")
    assert written.problems == []
    page = soup(written.pages["kim"])
    cells = page.select("#notebook .cell, #notebook .feedback-block")
    order = [c.get("id") or ("feedback:" + ",".join(q["data-question"] for q in c.select(".feedback-question")))
             for c in cells]
    assert order.index("feedback:softmax_loss") == order.index("cell-id=c12") + 1
    assert order.index("feedback:losses") == order.index("cell-id=c6") + 1
    block = page.select_one('.feedback-question[data-question="softmax_loss"]')
    assert {tr["data-test"] for tr in block.select("tr.test")} == {
        "test_q3_softmax_loss.py::test_dx", "test_q3_softmax_loss_hidden.py::test_batch_of_one"}
    assert "def softmax_loss" in page.find(id="cell-id=c12").get_text()
    assert [tr["data-test"] for tr in page.select("#unplaced tr.test")] == ["test_q9_extra.py::test_missing"]
    assert page.select(".highlight")  # the code is highlighted by nbconvert (pygments)


def test_a_module_is_cut_before_each_function():
    source = "import numpy as np\n\n\n# the stable softmax\n@decorate\ndef softmax(z):\n    return z\n\nX = 1\n\n" \
             "class Net:\n    pass\n"
    cells = [c.source for c in _module_cells(source)]
    assert cells == ["import numpy as np\n", "# the stable softmax\n@decorate\ndef softmax(z):\n    return z\n\nX = 1\n",
                     "class Net:\n    pass\n"]
    assert [c.source for c in _module_cells("def broken(:\n")] == ["def broken(:\n"]


def test_missing_notebook_is_noted_not_fatal(store: ResultStore, tmp_path: Path):
    store.save(fatima("nobody_here"))
    written = write_reports(store, hw2(), tmp_path / "out", notebook=True, submissions_dir=ROOT / "submissions/hw2")
    assert written.problems and "nobody_here" in written.problems[0]
    page = soup(written.pages["nobody_here"])
    assert "cannot be shown" in page.find(id="notebook-problem").get_text()
    assert page.select("tr.test")  # the feedback is still there


# --------------------------------------------------------------------------- the student's notebook is data


def test_outputs_keep_only_text_and_images():
    png = "iVBORw0KGgo="
    outputs = _safe_outputs([
        {"output_type": "display_data", "data": {"text/html": "<script>x()</script>", "text/plain": "<Figure>",
                                                 "image/png": png + "\n"},
         "metadata": {"image/png": {"width": "1 onerror=alert(1)"}}},
        {"output_type": "display_data", "data": {"image/png": '"><script>x()</script>', "image/svg+xml": "<svg onload=x()>",
                                                 "application/javascript": "x()"}},
        {"output_type": "execute_result", "execution_count": "1 onerror", "data": {"text/markdown": "<b>", "text/plain": "3"}},
        {"output_type": "stream", "name": "<b>", "text": ["<script>", "x()</script>"]},
        {"output_type": "error", "ename": "E", "evalue": "<b>", "traceback": ["<i>line</i>"]},
        "not an output",
    ])  # fmt: skip
    assert outputs == [
        {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},
        {"output_type": "execute_result", "data": {"text/plain": "3"}, "metadata": {}, "execution_count": None},
        {"output_type": "stream", "name": "stdout", "text": "<script>x()</script>"},
        {"output_type": "error", "ename": "E", "evalue": "<b>", "traceback": ["<i>line</i>"]},
    ]  # the text ones are escaped by nbconvert's templates (checked in the browser tests)


def test_markdown_is_rendered_with_its_html_escaped():
    html = _markdown_html("# Title <script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
                          "\n\n**bold** $a < b_1$")
    assert "<h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and '<span class="math">$a &lt; b_1$</span>' in html


# --------------------------------------------------------------------------- the command


def test_cli_report(tmp_path: Path, capsys):
    db = tmp_path / "grades.db"
    with ResultStore.open(db) as s:
        s.save(fatima())
    out = tmp_path / "pages"
    main(["report", "hw2", "--db", str(db), "--course", str(ROOT), "-o", str(out)])
    assert (out / "fatima.html").is_file() and (out / "index.html").is_file()
    assert "wrote 1 feedback page" in capsys.readouterr().out
    for args, message in ((["--student", "zed"], "no result of hw2 for zed"),
                          (["--notebook", "--submissions", str(tmp_path / "none")], "--notebook needs the submissions")):
        with pytest.raises(SystemExit) as exit_info:
            main(["report", "hw2", "--db", str(db), "--course", str(ROOT), "-o", str(out), *args])
        assert exit_info.value.code == 2 and message in " ".join(capsys.readouterr().err.split())
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "hw3", "--db", str(db), "--course", str(ROOT), "-o", str(out)])
    assert exit_info.value.code == 2 and "no graded submissions for assignment 'hw3'" in capsys.readouterr().err


def test_notebook_json_written_by_hand_is_read(store: ResultStore, tmp_path: Path):
    """A notebook without cell ids or outputs (nbformat 4.4, written by hand) renders."""
    nb = {"cells": [{"cell_type": "code", "source": ["def softmax(z):\n", "    return z\n"], "metadata": {}}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "zoe.ipynb").write_text(json.dumps(nb))
    store.save(fatima("zoe"))
    written = write_reports(store, hw2(), tmp_path / "out", notebook=True, submissions_dir=tmp_path / "subs")
    assert written.problems == []
    page = soup(written.pages["zoe"])
    assert page.select_one('.feedback-question[data-question="softmax"]') is not None


def test_a_grader_error_shows_no_traceback(store: ResultStore, tmp_path: Path):
    store.save(SubmissionResult("hw2", "amy", SubmissionStatus.INTERNAL_ERROR,
                                message='Traceback (most recent call last):\n  File "/srv/grader/harness.py"'))
    page = soup(write_reports(store, hw2(), tmp_path / "out").pages["amy"])
    assert "grader error" in page.find(id="status").get_text() and "not your fault" in page.find(id="status").get_text()
    assert page.find(id="submission-message") is None and "Traceback" not in page.get_text()
