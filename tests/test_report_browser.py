"""The feedback pages and the leaderboard page in a real browser: headless Chromium (Debian's ``chromium``).

Each page is opened from its file (``chromium --headless --dump-dom``, after its scripts, timers and image
errors would have run) and read through the DOM: the points, statuses and messages a student sees, what
must stay hidden, and that no student string ever ran or became markup. Student ids, messages, hints,
output, notebooks and picked pseudonyms carry payloads that set ``document.title`` when they run; the
title must stay what the page set, no script, frame or event-handler attribute may exist in the DOM,
and each payload must read as text. A control page with the same payload unescaped shows that the
check sees a script that runs. Each test also takes a screenshot (``--screenshot``); with
``GRADER_SCREENSHOTS=DIR`` they are copied there to be looked at.

Without Chromium the tests skip, saying how to install it, unless ``CI=true``: then they fail.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import struct
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from grader import leaderboard as lb
from grader import results
from grader.cli import main
from grader.config import Feedback, load_assignment
from grader.course import Course
from grader.leaderboard_render import write_html
from grader.report import write_reports
from grader.results import SubmissionResult, SubmissionStatus, Visibility
from grader.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
PWNED = "pwned"
PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "</script><script>document.title='pwned'</script>",
    "<script>document.title='pwned'</script>",
    "<svg onload=\"document.title='pwned'\"></svg>",
    "\"><iframe srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
]
SECRET = "SECRET-HIDDEN-INPUT-[[7.25, -3.5]]"


class Browser:
    """Headless Chromium on local files, with its own profile folder."""

    def __init__(self, exe: str, profile: Path) -> None:
        self.exe, self.profile = exe, profile

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [self.exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", f"--user-data-dir={self.profile}", "--virtual-time-budget=3000",
                *args]  # fmt: skip
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc

    def dom(self, page: Path) -> BeautifulSoup:
        """The page's DOM after it loaded and anything it ran has run."""
        return BeautifulSoup(self._run("--dump-dom", page.resolve().as_uri()).stdout, "html.parser")

    def screenshot(self, page: Path, out: Path, size: str = "1200,2000") -> Path:
        """A PNG of the page at ``size`` (copied to $GRADER_SCREENSHOTS if set); checks it is a real image."""
        self._run(f"--screenshot={out}", f"--window-size={size}", page.resolve().as_uri())
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, len(data)
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == tuple(int(v) for v in size.split(","))
        if os.environ.get("GRADER_SCREENSHOTS"):
            Path(os.environ["GRADER_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(out, Path(os.environ["GRADER_SCREENSHOTS"]) / out.name)
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    if CHROMIUM is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and CI=true: the browser tests must run", pytrace=False)
        pytest.skip(f"{message}; with CI=true this fails")
    return Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))


def text_of(node) -> str:
    """The text a reader sees in ``node``, elements apart and spaces collapsed."""
    return " ".join(node.get_text(" ").split())


def assert_inert(dom: BeautifulSoup, title: str) -> None:
    """Nothing of a student's ran or became markup: the title is the page's own, and the DOM holds no
    script, frame, embedded object or SVG, no event handler, no javascript: link and no image but data: ones."""
    assert dom.title is not None and dom.title.get_text() == title, dom.title  # "pwned" if a payload ran
    assert not dom.find_all(["script", "iframe", "object", "embed", "frame", "base", "link", "form"])
    for tag in dom.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), (tag.name, attr)
            if attr in ("href", "src"):
                assert not str(value).strip().lower().startswith("javascript:"), (tag.name, value)
    for img in dom.find_all("img"):
        assert img["src"].startswith("data:image/"), img["src"][:80]
    for svg in dom.find_all("svg"):
        assert svg.get("id") == "run-chart", svg  # the grader's own chart only


def test_the_check_sees_a_script_that_runs(browser: Browser, tmp_path: Path):
    """Control: the payloads, unescaped, do run in this browser, and assert_inert says so."""
    for i, payload in enumerate(PAYLOADS[:3]):
        page = tmp_path / f"control{i}.html"
        page.write_text(f"<!DOCTYPE html><html><head><title>control</title></head><body>{payload}</body></html>")
        dom = browser.dom(page)
        assert dom.title.get_text() == PWNED, payload
        with pytest.raises(AssertionError):
            assert_inert(dom, "control")


# --------------------------------------------------------------------------- feedback pages


def case(name: str, question: str, score: float, max_score: float, *, hidden: bool = False, message: str = "",
         hint: str = "") -> results.TestResult:
    status = results.TestStatus.PASSED if score == max_score else results.TestStatus.FAILED
    return results.TestResult(name, question, score, max_score, status,
                              Visibility.HIDDEN if hidden else Visibility.PUBLIC, message, hint)


def hw2_result(student: str, *, message: str = "", output: str = "", extra: str = "") -> SubmissionResult:
    tests = [
        case("test_q1_softmax.py::test_slide_example", "softmax", 2, 2),
        case("test_q2_losses.py::test_cross_entropy_example", "losses", 0, 2,
             message="cross_entropy(logits, y=[0, 2]) is wrong: got 1.5156423, expected 0.75782115. This is the sum"
                     + extra, hint="Divide by the batch size N: take the mean." + extra),
        case("test_q2_losses_hidden.py::test_cross_entropy_values[4-3]", "losses", 0, 1, hidden=True,
             message=f"cross_entropy({SECRET}) is wrong" + extra, hint="The mean, not the sum." + extra),
        case("test_q2_losses_hidden.py::test_cross_entropy_values[50-10]", "losses", 1, 1, hidden=True),
    ]  # fmt: skip
    return SubmissionResult("hw2", student, SubmissionStatus.GRADED, message=message, tests=tests, path="hw2.ipynb",
                            output=output, days_late=1, late_penalty=0.5, submitted_at="2026-12-19T08:00:00+00:00")


def hw2_config(**feedback):
    return dataclasses.replace(load_assignment(COURSE, "hw2"), feedback=Feedback(**feedback))


def test_feedback_page_shows_points_messages_and_hides_hidden_details(browser: Browser, tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as store:
        store.save(hw2_result("fatima", output=f"debug print: {SECRET}\n"))
        written = write_reports(store, hw2_config(hidden="after_published", hidden_messages=False), tmp_path / "out")
    dom = browser.dom(written.pages["fatima"])
    assert_inert(dom, "Homework 2: softmax, losses and a linear classifier: feedback for fatima")
    assert text_of(dom.find(id="score")) == "2.5 / 6"
    assert text_of(dom.find(id="raw-score")) == "3 / 6"
    assert "−0.5 points: 1 day late" in text_of(dom.find(id="late-penalty"))
    questions = {tr["data-question"]: text_of(tr) for tr in dom.select("#questions tr.question")}
    assert questions == {"softmax": "softmax 2 / 2", "losses": "losses 1 / 4"}
    rows = {tr["data-test"]: tr for tr in dom.select("tr.test")}
    public = text_of(rows["test_q2_losses.py::test_cross_entropy_example"])
    assert "failed" in public and "0 / 2" in public and "This is the sum" in public
    assert "Hint: Divide by the batch size N" in public
    hidden = text_of(rows["test_q2_losses_hidden.py::test_cross_entropy_values[4-3]"])
    assert "hidden test" in hidden and "failed" in hidden and "0 / 1" in hidden and "not shown" in hidden
    assert SECRET not in text_of(dom.body) and "The mean, not the sum" not in text_of(dom.body)
    assert dom.find(id="output") is None and dom.find(id="output-withheld") is not None
    browser.screenshot(written.pages["fatima"], tmp_path / "feedback-fatima.png")


def test_hidden_policy_shows_only_the_total(browser: Browser, tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as store:
        store.save(hw2_result("fatima"))
        written = write_reports(store, hw2_config(hidden="hidden", hidden_messages=True), tmp_path / "out")
    dom = browser.dom(written.pages["fatima"])
    assert [tr["data-test"] for tr in dom.select("tr.test")] == [
        "test_q1_softmax.py::test_slide_example", "test_q2_losses.py::test_cross_entropy_example"]
    assert "hidden" not in " ".join(tr["data-test"] for tr in dom.select("tr.test"))
    assert "test_cross_entropy_values" not in text_of(dom.body) and SECRET not in text_of(dom.body)
    assert text_of(dom.find(id="hidden-total")).startswith("1 / 2 points in all")
    assert text_of(dom.find(id="score")) == "2.5 / 6"


def hostile_notebook() -> dict:
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    evil = PAYLOADS[2]
    return {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": evil}},
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {"tags": [evil]},
             "attachments": {"a.png": {"image/png": png}},
             "source": f"# Softmax {evil}\n\n[click](javascript:document.title='pwned') {PAYLOADS[0]}\n\n"
                       f"![x](attachment:a.png) $x < y$ {PAYLOADS[4]}"},
            {"cell_type": "raw", "id": "r1", "metadata": {"raw_mimetype": "text/html", "grader_feedback": "x"},
             "source": evil},
            {"cell_type": "code", "id": f"c\" onmouseover=\"{evil}", "execution_count": 1, "metadata": {},
             "source": f"def cross_entropy(logits, y):\n    return 0  # {PAYLOADS[1]}\n",
             "outputs": [
                 {"output_type": "display_data", "metadata": {"image/png": {"width": "1 onerror=document.title=1"}},
                  "data": {"text/html": evil, "image/png": png, "text/plain": "<Figure>"}},
                 {"output_type": "display_data", "metadata": {},
                  "data": {"image/svg+xml": PAYLOADS[3], "application/javascript": "document.title='pwned'",
                           "text/markdown": PAYLOADS[0], "text/vnd.mermaid": evil}},
                 {"output_type": "stream", "name": "stdout", "text": f"printed {evil}\n"},
                 {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                  "data": {"text/plain": f"'{PAYLOADS[0]}'"}},
                 {"output_type": "error", "ename": "ValueError", "evalue": evil,
                  "traceback": [f"\x1b[0;31mValueError\x1b[0m: {evil}"]},
             ]},
        ],
    }  # fmt: skip


def test_student_strings_never_run_and_read_as_text(browser: Browser, tmp_path: Path):
    """A hostile id, submission message, test message, hint, output and notebook (--notebook): nothing runs,
    nothing becomes markup, every payload reads as text; the page names no external resource."""
    student = PAYLOADS[0]
    subs = tmp_path / "subs"
    subs.mkdir()
    notebook = hostile_notebook()
    with ResultStore.open(tmp_path / "grades.db") as store:
        store.save(hw2_result(student, message=PAYLOADS[1], output=PAYLOADS[2] + "\n" + PAYLOADS[4], extra=PAYLOADS[3]))
        config = hw2_config(hidden="after_published", hidden_messages=True)
        (subs / "evil.ipynb").write_text(json.dumps(notebook))
        store.save(hw2_result("evil", message=PAYLOADS[2]))
        written = write_reports(store, config, tmp_path / "out", notebook=True, submissions_dir=subs)
        plain = write_reports(store, config, tmp_path / "plain")
    assert written.problems == [f"{student}: no submitted file of {student} is in {subs} any more"]
    title = "Homework 2: softmax, losses and a linear classifier: feedback for "
    dom = browser.dom(plain.pages[student])
    assert_inert(dom, title + student)
    body = text_of(dom.body)
    for payload in PAYLOADS:
        assert payload in body, payload
    assert text_of(dom.find(id="student")) == student
    assert text_of(dom.find(id="submission-message")) == PAYLOADS[1]
    assert dom.find(id="output").get_text() == PAYLOADS[2] + "\n" + PAYLOADS[4]
    index = browser.dom(written.index)
    assert_inert(index, "Homework 2: softmax, losses and a linear classifier: feedback pages")
    assert student in text_of(index.body)
    assert [a["href"] for a in index.select("a")] == [plain.pages[student].name, plain.pages["evil"].name]

    dom = browser.dom(written.pages["evil"])
    assert_inert(dom, title + "evil")
    body = text_of(dom.body)
    for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]):
        assert payload in body, payload
    notebook_text = text_of(dom.find(id="notebook"))
    assert f"Softmax {PAYLOADS[2]}" in notebook_text and f"printed {PAYLOADS[2]}" in notebook_text
    assert f"# {PAYLOADS[1]}" in notebook_text  # the code, as highlighted text
    assert re.search(r"ValueError ?: " + re.escape(PAYLOADS[2]), notebook_text)  # the traceback
    assert "$x < y$" in notebook_text and "<Figure>" not in notebook_text  # the image wins over its text
    assert "[image: x]" in notebook_text  # a markdown image (an attachment here) is named, not loaded
    assert dom.find(id="notebook").find("img")["src"].startswith("data:image/png;base64,")
    assert "width" not in dom.find(id="notebook").find("img").attrs
    assert dom.select_one('.feedback-question[data-question="losses"]') is not None  # after cross_entropy's cell
    page_source = written.pages["evil"].read_text()
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page_source)  # nothing to load from elsewhere
    browser.screenshot(written.pages["evil"], tmp_path / "feedback-hostile-notebook.png")


# --------------------------------------------------------------------------- the leaderboard page


def lab_metrics(acc: float, **kw: float) -> dict[str, float]:
    return {"accuracy_mean": acc, "accuracy_std": 0.01, "n_params": 251, "train_time_s": 0.3,
            "permutation_accuracy": 0.35, "learns_from_labels": 1.0, "verified": 1.0, "shuffled_fit_p": 0.001,
            **{f"accuracy_run_{k:02d}": acc for k in range(1, 11)}, **kw}  # fmt: skip


def test_leaderboard_page_in_the_browser(browser: Browser, tmp_path: Path, write_files):
    db = tmp_path / "grades.db"
    picks = {"kate": "Setosa Slayer", "mallory": PAYLOADS[2]}  # the second is a payload of 39 characters
    with ResultStore.open(db) as store:
        for student, m in {
            "kate": lab_metrics(0.982), "bob": lab_metrics(0.979), "mallory": lab_metrics(0.95),
            PAYLOADS[0]: lab_metrics(0.9),
            "frank": lab_metrics(0.0, accuracy_std=0.0, learns_from_labels=0.0, permutation_accuracy=1.0),
            "dave": lab_metrics(0.976, architecture_ok=0.0),
        }.items():
            store.save(SubmissionResult("lab-iris", student, SubmissionStatus.GRADED, metrics=m, path="lab_iris.py"))
        store.save(SubmissionResult("lab-iris", "grace", SubmissionStatus.TIMEOUT, message=PAYLOADS[1]))
        last = max(r.graded_at for r in store.results("lab-iris"))  # the store stamps each result it saves
    last_shown = datetime.fromisoformat(last).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    subs = write_files(root=tmp_path / "subs", files={
        f"{s}/lab_iris.py": f"LEADERBOARD_NAME = {json.dumps(p)}\n" for s, p in picks.items()})
    page = tmp_path / "board.html"
    main(["leaderboard", "lab-iris", "--db", str(db), "--course", str(ROOT), "--submissions", str(subs),
          "-o", str(page)])
    dom = browser.dom(page)
    assert_inert(dom, "lab-iris leaderboard")
    dates = text_of(dom.find(id="dates"))
    assert re.fullmatch(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC, from results graded up to "
                        + re.escape(last_shown) + r"\. Names are pseudonyms: your feedback page tells you yours\.",
                        dates), dates
    assert "10 times" in text_of(dom.find(id="method")) and "300 new flowers" in text_of(dom.find(id="method"))
    assert "accuracy_mean" not in text_of(dom) and "n_params" not in text_of(dom)
    rows = [[text_of(td) for td in tr.find_all("td")] for tr in dom.select("#board tbody tr")]
    names = [row[1] for row in rows]
    assert names[0] == "Setosa Slayer" and names[2] == PAYLOADS[2]  # mallory's pick, a payload, reads as text
    for student in ("kate", "bob", "mallory", "frank", "dave", "grace", PAYLOADS[0]):
        assert student not in names
    salt = lb.load_salt(tmp_path / "grades.db-pseudonym-salt")
    generated = lb.pseudonyms(["kate", "bob", "mallory", PAYLOADS[0], "frank", "dave", "grace"], salt, picks)
    assert names == [generated[s] for s in ("kate", "bob", "mallory", PAYLOADS[0], "dave", "frank", "grace")]
    frank = rows[names.index(generated["frank"])]
    assert frank[0] == "—" and frank[2] == "not ranked" and "0.0%" not in " ".join(frank)
    assert "100%" in frank[6] and "shuffled labels" in frank[6]
    assert rows[0][:3] == ["1", "Setosa Slayer", "98.2% ± 1.0%"]
    assert dom.find(id="plot")["src"].startswith("data:image/png;base64,")
    browser.screenshot(page, tmp_path / "leaderboard.png", size="1100,1000")

    main(["leaderboard", "lab-iris", "--db", str(db), "--course", str(ROOT), "-o", str(page), "--no-anonymise"])
    dom = browser.dom(page)
    assert_inert(dom, "lab-iris leaderboard")
    names = [text_of(tr.find_all("td")[1]) for tr in dom.select("#board tbody tr")]
    assert names == ["kate", "bob", "mallory", PAYLOADS[0], "dave", "frank", "grace"]


def test_leaderboard_page_title_is_text(browser: Browser, tmp_path: Path):
    with ResultStore.open(tmp_path / "grades.db") as store:
        store.save(SubmissionResult("lab-iris", "a", SubmissionStatus.GRADED, metrics=lab_metrics(0.9)))
        df = lb.leaderboard(store, "lab-iris")
    page = write_html(df, tmp_path / "board.html", title=PAYLOADS[1], method=PAYLOADS[0])
    dom = browser.dom(page)
    assert_inert(dom, PAYLOADS[1])
    assert text_of(dom.find("h1")) == PAYLOADS[1] and text_of(dom.find(id="method")) == PAYLOADS[0]


# --------------------------------------------------------------------------- real grading, real pages


@pytest.mark.slow
@pytest.mark.sandbox
def test_graded_submissions_in_the_browser(browser: Browser, tmp_path: Path):
    """Shipped submissions graded for real (bubblewrap): hw2's fatima (a notebook, wrong losses) and ivan
    (a syntax error), and the Iris lab's judy (undertrained: ranked, below the accuracy bar), then
    ``grader report --notebook`` and the pages read in Chromium against the stored results."""
    from grader import grade

    db = tmp_path / "grades.db"
    grade.main("hw2", course=ROOT, db=db, jobs=2, students=("fatima", "ivan"))
    grade.main("lab-iris", course=ROOT, db=db, jobs=1, students=("judy",))
    with ResultStore.open(db, create=False) as store:
        fatima = store.get("hw2", "fatima")
        judy = store.get("lab-iris", "judy")
    main(["report", "hw2", "--db", str(db), "--course", str(ROOT), "-o", str(tmp_path / "hw2"), "--notebook"])
    main(["report", "lab-iris", "--db", str(db), "--course", str(ROOT), "-o", str(tmp_path / "iris"), "--notebook"])

    title = "Homework 2: softmax, losses and a linear classifier: feedback for "
    dom = browser.dom(tmp_path / "hw2" / "fatima.html")
    assert_inert(dom, title + "fatima")
    points = f"{fatima.score:.2f}".rstrip("0").rstrip(".")
    assert text_of(dom.find(id="score")) == f"{points} / {fatima.max_score:g}"
    failed_public = [t for t in fatima.tests if not t.passed and t.visibility is Visibility.PUBLIC]
    assert failed_public
    rows = {tr["data-test"]: text_of(tr) for tr in dom.select("tr.test")}
    for t in failed_public:
        assert " ".join(t.message.split())[:60] in rows[t.name]
    for t in fatima.tests:
        if t.visibility is Visibility.HIDDEN and t.message:
            assert " ".join(t.message.split())[:40] not in text_of(dom.body)
    block = dom.select_one('.feedback-question[data-question="losses"]')
    code = text_of(block.find_previous(class_="cell"))
    assert "def cross_entropy" in code or "def mse_loss" in code
    browser.screenshot(tmp_path / "hw2" / "fatima.html", tmp_path / "graded-fatima.png")

    dom = browser.dom(tmp_path / "hw2" / "ivan.html")
    assert_inert(dom, title + "ivan")
    assert text_of(dom.find(id="status")).startswith("invalid") and "SyntaxError" in text_of(dom.find(
        id="submission-message"))

    dom = browser.dom(tmp_path / "iris" / "judy.html")
    assert_inert(dom, "Lab: who can get the highest accuracy on Iris?: feedback for judy")
    runs = lb.run_accuracies(judy)
    assert [r for r, _ in runs] == list(range(1, 11))
    assert len(dom.select("#run-chart rect.run-bar")) == 10
    assert [text_of(t) for t in dom.select("#run-chart text.run-value")] == [f"{a:.0%}" for _, a in runs]
    assert text_of(dom.find(id="run-mean")) == f"mean {judy.metrics['accuracy_mean']:.1%}"
    assert text_of(dom.find(id="place")) == "Your place: 1 of 1 ranked network (1 submission)."
    assert text_of(dom.find(id="pseudonym")).startswith("On the public leaderboard you appear as ")
    browser.screenshot(tmp_path / "iris" / "judy.html", tmp_path / "graded-judy.png", size="1100,2400")
