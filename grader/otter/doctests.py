"""One OK-format test case, run the way otter-grader runs it: its doctest examples in order, each
compared with its expected output by :mod:`doctest`'s own :class:`~doctest.OutputChecker`.

otter (``otter/test_files/ok_test.py``) hands the case's text to :class:`doctest.DocTestRunner`
with the student's global namespace. Here the runner is ours, because an example runs in one of
two places (:mod:`grader.otter.cases` chooses):

* :func:`run_trusted`: ``exec`` in this (trusted) process, in a namespace whose student names are
  remote handles (:class:`grader.otter.namespace.CaseNamespace`): what the example prints, and the
  repr of its value, are computed here from plain data;
* :func:`run_in_worker`: the example's source is sent to the worker, which runs it in the
  student's namespace and sends back only the text it printed and the exception's last line.

Either way the comparison with the expected output happens here, so a hidden case's expected
output never reaches the worker. The outcome rules follow ``DocTestRunner.__run`` (Python 3.11):
an example passes when its output matches ``want`` and it raised nothing, or when it raised and
``want`` is a traceback whose last line matches the exception's; the option directives
(``# doctest: +ELLIPSIS`` ...) apply to their example.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass

#: What one example produced: the text it printed (with the repr of an expression's value, as
#: the interactive prompt shows it) and, if it raised, ``traceback.format_exception_only``'s last
#: line (``"ValueError: labels out of range\n"``), else None.
Outcome = tuple[str, str | None]

#: Most characters of printed output kept per example (a student's loop of prints stays bounded).
MAX_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class CaseResult:
    """The result of one case: ``passed``, and for a failure, doctest's report of the first failing
    example (``Failed example: / Expected: / Got:``), as otter shows it."""

    passed: bool
    report: str = ""


def examples_of(code: str, name: str = "case") -> list[doctest.Example]:
    """The doctest examples of an OK case's ``code`` (``>>> `` prompts, expected output below).

    Raises:
        ValueError: malformed doctest text (doctest's own message, e.g. a prompt without a space).
    """
    return [e for e in doctest.DocTestParser().parse(code, name) if isinstance(e, doctest.Example)]


def run_case(code: str, name: str, execute: Callable[[doctest.Example, str], Outcome]) -> CaseResult:
    """Run every example of ``code`` with ``execute`` and compare each outcome with its ``want``.

    Like ``DocTestRunner`` (and so otter), a failing example does not stop the case: later examples
    still run (they may set up state the next case reads), and the case fails if any example did.

    Args:
        code: the case's doctest text.
        name: names the examples' pseudo-file (``<doctest q1 0[2]>``) in tracebacks.
        execute: runs one example and returns its :data:`Outcome`; the second argument is the
            example's file name.
    """
    flags = 0
    failures: list[str] = []
    for i, example in enumerate(examples_of(code, name)):
        options = flags
        for flag, on in example.options.items():
            options = options | flag if on else options & ~flag
        if options & doctest.SKIP:
            continue
        got, exc_msg = execute(example, f"<doctest {name}[{i}]>")
        if not _matches(example, got, exc_msg, options):
            failures.append(_report(example, got, exc_msg, options))
    if failures:
        return CaseResult(False, failures[0] if len(failures) == 1 else
                          failures[0] + f"\n({len(failures) - 1} more failing example(s) in this case)")
    return CaseResult(True)


def _matches(example: doctest.Example, got: str, exc_msg: str | None, options: int) -> bool:
    check = doctest.OutputChecker().check_output
    if exc_msg is None:
        return check(example.want, got, options)
    if example.exc_msg is None:
        return False
    if check(example.exc_msg, exc_msg, options):
        return True
    if options & doctest.IGNORE_EXCEPTION_DETAIL:
        strip = doctest._strip_exception_details  # type: ignore[attr-defined]
        return bool(check(strip(example.exc_msg), strip(exc_msg), options))
    return False


def _report(example: doctest.Example, got: str, exc_msg: str | None, options: int) -> str:
    source = "".join("    " + line + "\n" for line in example.source.rstrip("\n").split("\n"))
    if exc_msg is not None and example.exc_msg is None:
        return f"Failed example:\n{source}Exception raised:\n    {exc_msg.rstrip()}"
    if exc_msg is not None:
        got = got + exc_msg
    diff = doctest.OutputChecker().output_difference(example, got, options)
    return f"Failed example:\n{source}{diff}".rstrip()


def run_trusted(example: doctest.Example, filename: str, namespace: dict,
                on_exception: Callable[[BaseException], str | None]) -> Outcome:
    """Run ``example`` here, in ``namespace``, capturing what it prints.

    Args:
        on_exception: turns an exception into its last traceback line, or returns None to let it
            propagate (a timeout or a crashed worker ends the test, it is not a wrong answer).
    """
    out = io.StringIO()
    hook = sys.displayhook
    try:
        with contextlib.redirect_stdout(out):
            sys.displayhook = sys.__displayhook__
            try:
                exec(compile(example.source, filename, "single", 0, True), namespace)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:
                line = on_exception(exc)
                if line is None:
                    raise
                return _capped(out.getvalue()), line
    finally:
        sys.displayhook = hook
    return _capped(out.getvalue()), None


def _capped(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + "\n... (output cut)\n"
