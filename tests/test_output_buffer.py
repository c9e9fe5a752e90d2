"""OutputBuffer: the capped capture of a worker's stdout and stderr, and how a warm
sandbox's one stream is cut into each submission's output at the zygote's marker."""

from __future__ import annotations

from grader.sandbox.base import OutputBuffer
from grader.worker.wire import end_marker


def test_text_keeps_the_head_and_tail_and_says_what_was_dropped():
    out = OutputBuffer(10)
    out.feed(b"0123456789" + b"x" * 100 + b"abcdefghij")
    assert out.text() == "0123456789\n[... 100 bytes of output dropped ...]\nabcdefghij"


def test_cut_returns_the_text_before_the_marker_and_starts_afresh():
    out = OutputBuffer(1000)
    marker = end_marker("a" * 32)
    out.feed(b"first student\n" + marker)
    assert out.cut(marker) == "first student\n"
    assert out.text() == ""
    out.feed(b"second student\n")
    assert out.text() == "second student\n"


def test_cut_waits_for_the_marker():
    out = OutputBuffer(1000)
    marker = end_marker("b" * 32)
    out.feed(b"still running")
    assert out.cut(marker) is None
    assert out.text() == "still running"  # nothing is lost while waiting


def test_a_forged_marker_with_another_nonce_does_not_cut():
    out = OutputBuffer(1000)
    out.feed(b"x" + end_marker("0" * 32))  # a child guessing: it never sees the real nonce
    assert out.cut(end_marker("c" * 32)) is None


def test_cut_after_output_was_dropped_keeps_the_cap():
    out = OutputBuffer(100)
    marker = end_marker("d" * 32)
    out.feed(b"h" * 100 + b"m" * 500 + b"t" * 40 + marker)
    text = out.cut(marker)
    assert text is not None and text.startswith("h" * 100) and text.endswith("m" * 11 + "t" * 40)
    assert "bytes of output dropped" in text and "\x00" not in text
    assert out.text() == ""


def test_cut_when_the_marker_straddles_head_and_tail():
    out = OutputBuffer(100)
    marker = end_marker("e" * 32)
    out.feed(b"y" * 95 + marker)  # the head fills up inside the marker
    assert out.cut(marker) == "y" * 95
