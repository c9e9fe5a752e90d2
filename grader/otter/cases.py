"""Grading one imported otter-grader test case: what the tests written by ``grader import otter`` call.

Each case has a ``mode``, chosen once at import by running the instructor's solution
(:mod:`grader.otter.classify`), never by what a submission does:

* ``plain``: the case runs in this trusted process (:func:`grader.otter.doctests.run_trusted`),
  the student's names are handles to the worker and every value they give back must be plain data;
* ``handles``: the same, but student objects may stay in the worker behind handles (the
  solution's own results are objects: a model, a ``Value`` node);
* ``worker``: the fallback, for a case that fails both ways with the solution (it prints a
  tensor, seeds numpy's global generator for the student's code, mutates an argument in place):
  its examples run in the student's namespace in the worker, as otter runs them, and only their
  printed text comes back to be compared here. Such a case is as easy to fool as in otter; its
  test's name ends in ``_in_worker`` and ``grader validate`` counts them.

``auto`` (a case not yet classified) runs as ``plain``, except while ``grader import otter``
classifies the solution (``GRADER_OTTER_CLASSIFY`` names the file the modes are written to).
"""

from __future__ import annotations

import doctest
import json
import os
import traceback
import weakref
from typing import Any

from ..remote import RemoteError, StudentError, SubmissionProxy
from ..remote.proxies import _session_of
from ..testing import Failure
from . import doctests
from .namespace import CaseNamespace, NotPlainData

MODES = ("plain", "handles", "worker")
#: The environment variable that turns ``auto`` cases into a classification run (a JSON-lines file).
CLASSIFY_ENV = "GRADER_OTTER_CLASSIFY"

_NAMESPACES: weakref.WeakKeyDictionary[Any, CaseNamespace] = weakref.WeakKeyDictionary()


def run_case(submission: SubmissionProxy, case: dict, modules: dict[str, str], request: Any = None) -> None:
    """Run one case against the submission; return if it passes.

    Args:
        submission: the ``submission`` fixture.
        case: ``{"name", "code", "mode", "success_message", "failure_message", ...}`` as written by
            ``grader import otter``.
        modules: the solution's imports, ``{"np": "numpy"}`` (:class:`CaseNamespace`).
        request: pytest's ``request`` fixture: a passing case's ``success_message`` becomes the
            test's message (its item's ``user_properties``, which :mod:`grader.harness.scoring` reads).

    Raises:
        grader.testing.Failure: the case failed: doctest's report of the failing example, with
            otter's ``failure_message`` as the hint.
        grader.remote.RemoteError: a timeout, a crashed worker, a value too large (not a student's
            exception: that is the example's outcome).
    """
    mode = case.get("mode", "plain")
    classify_to = os.environ.get(CLASSIFY_ENV)
    if mode == "auto" and classify_to:
        result, mode = _classify(submission, case, modules)
        with open(classify_to, "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": case["name"], "mode": mode if result.passed else "failing",
                                "report": result.report}) + "\n")
    else:
        result = evaluate(submission, case, modules, "plain" if mode == "auto" else mode)
    if not result.passed:
        raise Failure(result.report, hint=str(case.get("failure_message") or ""))
    if case.get("success_message") and request is not None:
        request.node.user_properties.append(("message", str(case["success_message"])))


def evaluate(submission: SubmissionProxy, case: dict, modules: dict[str, str], mode: str) -> doctests.CaseResult:
    """The outcome of ``case`` run in ``mode`` (one of :data:`MODES`).

    Raises:
        ValueError: an unknown mode, or malformed doctest text.
        grader.remote.RemoteError: as :func:`run_case`.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for otter case {case.get('name')!r} (one of {', '.join(MODES)})")
    name = str(case.get("name", "case"))
    if mode == "worker":
        return doctests.run_case(str(case["code"]), name, lambda ex, fn: _in_worker(submission, ex, fn))
    namespace = namespace_for(submission, modules)
    namespace.plain = mode == "plain"
    return doctests.run_case(str(case["code"]), name,
                             lambda ex, fn: doctests.run_trusted(ex, fn, namespace, _exception_line))


def namespace_for(submission: SubmissionProxy, modules: dict[str, str]) -> CaseNamespace:
    """The submission's :class:`CaseNamespace`: one per worker session, so one per submission,
    shared by its cases in order (what one case assigns, the next reads, as in otter)."""
    session = _session_of(submission)
    namespace = _NAMESPACES.get(session)
    if namespace is None:
        namespace = _NAMESPACES[session] = CaseNamespace(submission, modules)
    return namespace


def _classify(submission: SubmissionProxy, case: dict, modules: dict[str, str]) -> tuple[doctests.CaseResult, str]:
    result = doctests.CaseResult(False)
    for mode in MODES:
        result = evaluate(submission, case, modules, mode)
        if result.passed:
            return result, mode
    return result, "worker"


def _exception_line(exc: BaseException) -> str | None:
    """An example's exception as doctest's last traceback line; None for the ones that end the test."""
    if isinstance(exc, StudentError):
        return f"{exc.exc_type}: {exc.exc_message}\n" if exc.exc_message else f"{exc.exc_type}\n"
    if isinstance(exc, RemoteError):
        return None
    if isinstance(exc, NotPlainData):
        return f"NotPlainData: {exc}\n"
    return traceback.format_exception_only(type(exc), exc)[-1]


def _in_worker(submission: SubmissionProxy, example: doctest.Example, filename: str) -> doctests.Outcome:
    session = _session_of(submission)
    reply = session.request({"op": "run_example", "source": example.source, "filename": filename},
                            what=f"otter case example {example.source.strip()[:60]!r}")
    if not isinstance(reply, dict):
        raise Failure("the worker's reply to an otter case was not a result")
    output, exception = reply.get("output"), reply.get("exception")
    if type(output) is not str or (exception is not None and type(exception) is not str):
        raise Failure("the worker's reply to an otter case was malformed")
    return doctests._capped(output), exception
