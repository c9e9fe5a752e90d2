"""The pytest plugin that grades: fixtures for test authors, and a test loop
that runs every collected test once per submission.

pytest collects the assignment's tests once. Then, instead of pytest's own
loop, :meth:`GraderPlugin.pytest_runtestloop` takes submissions one at a time,
starts their worker, and runs every item with ``runtestprotocol`` (the same
re-run mechanism pytest-rerunfailures uses). The last item of a submission is
run with ``nextitem=None``, which tears down every fixture, session-scoped ones
included, so nothing leaks from one submission into the next. So ``submission``,
``reference`` and ``record_metric`` are session-scoped: one per submission,
usable from module-scoped fixtures (to train a model once per submission).
"""

from __future__ import annotations

import hashlib
import math
import types
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import pytest
from _pytest.runner import runtestprotocol

from ..results import TestResult, TestStatus
from ..testing import rerun_with_reference
from . import scoring
from .watchdog import TrustedTimeout, Watchdog

if TYPE_CHECKING:
    from .session import GradingSession

PLUGIN_KEY = pytest.StashKey["GraderPlugin"]()
#: Characters of an exception's text kept in a failed test's pytest report.
MAX_REPORT_TEXT = 4000

MARKERS = {
    "points(n)": "the test's points, split across its parametrized cases (default 1)",
    "question(name)": "the gradebook question this test belongs to (default: file name minus test_)",
    "hint(text)": "a hint shown to the student when the test fails",
    "call_timeout(seconds)": "time limit of each call into the student's code in this test",
    "max_elements(n, message=m)": "most elements of one array (and, with message=, of all arrays of one "
                                  "reply) this test accepts from the student's code",
    "reference_helpers(*names)": "student functions this test's function calls that other questions grade: "
                                 "a failing test is run again with the reference's in their place, and "
                                 "passes if that run passes",
}


class Context:
    """What the fixtures see while one submission is graded."""

    def __init__(self, proxy: Any, session: Any) -> None:
        self.proxy = proxy
        self.session = session
        self.metrics: dict[str, float] = {}


class GraderPlugin:
    """Hooks that replace pytest's run loop with a loop over submissions.

    Args:
        grading: the :class:`~grader.harness.session.GradingSession` that owns
            the backend, the reference module and the per-submission work.
        submissions: iterator of submissions to grade.
        on_result: called with each :class:`~grader.results.SubmissionResult`.
    """

    def __init__(self, grading: GradingSession, submissions: Iterator[Any], on_result: Callable[[Any], None]):
        self.grading = grading
        self.submissions = submissions
        self.on_result = on_result
        self.collect_errors: list[str] = []
        self.specs: dict[str, scoring.TestSpec] = {}
        self.items: list[pytest.Item] = []
        self.context: Context | None = None
        self.excinfos: dict[str, Any] = {}
        self.current_spec: scoring.TestSpec | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[PLUGIN_KEY] = self
        for marker, text in MARKERS.items():
            config.addinivalue_line("markers", f"{marker}: {text}")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid or 'collection'}: {report.longreprtext[-3000:]}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        try:
            self.specs = scoring.make_specs(items, self.grading.hidden_dir, self.grading.public_dir)
        except ValueError as exc:
            self.collect_errors.append(str(exc))
        self.items = list(items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """Keep each phase's exception for :func:`scoring.score`, and report a failure without
        pytest's traceback text. Grades never show that text (messages come from the exception),
        and formatting it parses the source of every frame: about 20 ms per failing test, most of
        a wrong submission's grading time. Skips, and items that are not plain test functions
        (unittest cases), get pytest's own report."""
        excinfo, when = call.excinfo, call.when
        if excinfo is None or when == "collect":
            return None
        self.excinfos[call.when] = excinfo
        if type(item) is not pytest.Function or isinstance(excinfo.value, (pytest.skip.Exception,
                                                                             BaseExceptionGroup)):
            return None
        sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                                 excinfo.exconly()[:MAX_REPORT_TEXT], when, sections, call.duration,
                                 call.start, call.stop, user_properties=item.user_properties)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """Run a test marked ``reference_helpers(*names)`` through
        :func:`grader.testing.rerun_with_reference`: one mistake, charged in one question."""
        marker = pyfuncitem.get_closest_marker("reference_helpers")
        if marker is None or self.context is None:
            return None
        reference = self.grading.reference_module()
        if reference is None:  # a student's copy of the course: the plain run
            return None
        runs = 0

        def check() -> None:
            nonlocal runs
            kwargs = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
            if runs and "rng" in kwargs:  # the same inputs as the first run
                kwargs["rng"] = _seeded_rng(self, pyfuncitem.nodeid)
            runs += 1
            pyfuncitem.obj(**kwargs)

        rerun_with_reference(check, self.context.proxy, reference, [str(n) for n in marker.args])
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.collect_errors:
            return True
        if not self.items:
            self.collect_errors.append("no tests were collected for this assignment")
            return True
        for submission in self.submissions:
            self.on_result(self.grading.grade_submission(submission, self))
        return True

    def run_items(self, context: Context) -> list:
        """Run every collected item against the current submission, in order.

        Each item gets its own limits on the session (``call_timeout``, the
        element limits) and runs under a watchdog set to the submission's
        deadline: if the test's trusted code runs past it, the item ends as
        ``timeout``, the session is expired (worker killed) and the remaining
        items are not run. Trusted callbacks the item registered are forgotten
        after it.
        """
        self.context = context
        session = context.session
        limits = self.grading.config.limits
        watchdog = Watchdog()
        results: list = []
        expired: str | None = None
        try:
            for i, item in enumerate(self.items):
                spec = self.specs[item.nodeid]
                if expired is not None:
                    results.append(scoring.not_run(spec, TestStatus.TIMEOUT, f"not run: {expired}"))
                    continue
                self.current_spec = spec
                session.call_timeout = spec.call_timeout or limits.call_timeout
                session.max_elements = spec.max_elements or limits.max_elements
                session.max_message_elements = max(spec.max_message_elements or limits.max_message_elements,
                                                   session.max_elements)
                self.excinfos = {}
                nextitem = self.items[i + 1] if i + 1 < len(self.items) else None
                reports = None
                try:
                    with watchdog.armed(session.remaining()):
                        reports = runtestprotocol(item, nextitem=nextitem, log=False)
                except TrustedTimeout:  # it fired outside the phases pytest guards (between them)
                    pass
                finally:
                    watchdog.disarm()
                    session.clear_callbacks()
                    _forget_last_exception()
                if watchdog.fired:
                    session.expire()
                    expired = session.dead_reason or "the submission used up its total time limit"
                    results.append(TestResult(name=spec.name, question=spec.question, score=0.0,
                                              max_score=spec.points, status=TestStatus.TIMEOUT,
                                              visibility=spec.visibility,
                                              message=f"{scoring.TRUSTED_TIMEOUT_MESSAGE} "
                                                      f"({limits.total_timeout:g} s)"))
                    _teardown_all(item)
                else:
                    results.append(scoring.score(spec, reports or [], self.excinfos))
                self.excinfos = {}  # their tracebacks hold the test's frames, and so its arrays
        finally:
            self.context = None
            self.current_spec = None
        return results


def _forget_last_exception() -> None:
    """pytest keeps a failed test's exception in ``sys.last_*`` (for debuggers); its
    traceback holds the test's frames and every array they held. Drop it."""
    import sys

    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            try:
                delattr(sys, name)
            except AttributeError:
                pass


def _teardown_all(item: pytest.Item) -> None:
    """Tear down every fixture still set up (the remaining items will not run), with
    the watchdog off: a failing or interrupted finalizer is ignored."""
    try:
        item.session._setupstate.teardown_exact(None)
    except (Exception, TrustedTimeout):  # noqa: BLE001 - the submission is over; nothing to report it to
        pass


def _seeded_rng(plugin: GraderPlugin, nodeid: str) -> np.random.Generator:
    name = plugin.current_spec.name if plugin.current_spec else nodeid
    digest = hashlib.sha256(f"{plugin.grading.config.seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def fixtures_for(plugin: GraderPlugin) -> types.ModuleType:
    """The fixtures test authors use (``submission``, ``reference``, ``rng``,
    ``record_metric``), bound to ``plugin``, as a module for pytest to register.

    They are closures over the plugin rather than fixtures that ask for pytest's
    ``request`` to find it: pytest makes a new definition of ``request`` each time
    a fixture asks for it, in every test, even when the fixture's value is cached
    (about 800 per hw1 submission, 20 ms).
    """
    module = types.ModuleType("grader_fixtures")

    def context() -> Context:
        if plugin.context is None:
            raise RuntimeError("grader fixtures only work inside a grading session (grader check / grade)")
        return plugin.context

    @pytest.fixture(scope="session")
    def submission() -> Any:
        """Proxy to the student's notebook or module in the sandboxed worker."""
        return context().proxy

    @pytest.fixture(scope="session")
    def reference() -> Any:
        """The reference solution module, imported in the trusted process."""
        context()
        module = plugin.grading.reference_module()
        if module is None:
            pytest.fail("this test needs the reference solution, which this copy of the course does not have",
                        pytrace=False)
        return module

    @pytest.fixture
    def rng() -> np.random.Generator:
        """A numpy Generator seeded from the assignment seed and the test's name:
        every submission gets the same inputs."""
        context()
        if plugin.current_spec is None:
            raise RuntimeError("the rng fixture only works inside a graded test")
        return _seeded_rng(plugin, plugin.current_spec.name)

    @pytest.fixture(scope="session")
    def record_metric() -> Callable[[str, float], None]:
        """``record_metric(name, value)``: store a number with the submission's result.

        Raises:
            ValueError: if ``value`` is not a real number or ``name`` is empty.
        """
        metrics = context().metrics

        def record(name: str, value: float) -> None:
            if not isinstance(name, str) or not name:
                raise ValueError("a metric needs a non-empty name")
            if isinstance(value, bool):
                value = float(value)
            if not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"metric {name!r} must be a number, got {type(value).__qualname__}")
            value = float(value)
            if math.isinf(value):
                raise ValueError(f"metric {name!r} is infinite")
            metrics[name] = value

        return record

    for fixture in (submission, reference, rng, record_metric):
        setattr(module, fixture.__name__, fixture)
    return module
