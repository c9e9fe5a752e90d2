"""A grading session: one assignment's tests, collected once, run against a
stream of submissions in this (trusted) process.

For each submission: place its files in a fresh private directory, start a
sandboxed worker there, load the notebook or module, run every test, stop the
worker, wipe the directory, and return a :class:`SubmissionResult`. A
submission that cannot be read, loaded or run still yields a result, with a
status and a message: nothing a submission does stops the session.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable

import pytest

from .. import __version__
from ..config import AssignmentConfig
from ..notebook import cells_to_skip
from ..remote import RemoteError, RemoteSession, SubmissionProxy
from ..results import SubmissionResult, SubmissionStatus, TestStatus
from ..sandbox import Backend, WorkerProcess
from ..submissions import Submission
from . import plugin as plugin_module
from . import scoring
from .workers import WorkerSupply

#: pytest's own plugins that a grading run never needs (tests may still use tmp_path,
#: monkeypatch, capsys, caplog and recwarn).
UNUSED_PYTEST_PLUGINS = ("cacheprovider", "stepwise", "terminal", "junitxml", "doctest", "pastebin",
                         "setuponly", "setupplan")


class HarnessError(Exception):
    """The assignment's tests cannot run at all (a broken test file, no tests)."""


def suite_hash(config: AssignmentConfig, include_hidden: bool) -> str:
    """A hash of everything a grade depends on besides the submission: the
    tests, the reference solution, the settings and the grader's version."""
    h = hashlib.sha256(f"grader {__version__}\n".encode())
    paths = [config.assignment_dir / "assignment.toml"]
    dirs = [config.public_tests_dir] + ([config.hidden_tests_dir] if include_hidden else [])
    for d in dirs:
        if d.is_dir():
            paths += sorted(p for p in d.rglob("*.py") if "__pycache__" not in p.parts)
    if include_hidden and config.reference_path:
        paths.append(config.reference_path)
    paths += config.data_paths()
    for p in paths:
        if p.is_file():
            h.update(str(p.relative_to(config.course.root) if config.course else p).encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


class GradingSession:
    """Grades submissions of one assignment with its public (and hidden) tests.

    Args:
        config: the assignment's settings.
        backend: the sandbox backend that runs workers.
        include_hidden: run ``reference/<hw>/tests`` too (``grade``); False
            runs only the public tests (``check``).
        slot: parallel slot index (isolated backends map it to a uid).
        work_root: where private working directories are made (default: a
            new temporary directory, removed by :meth:`close`).
        prestart: start each next worker while the current submission is
            graded (a warm spare; it holds no student files until it is used).
        workers: where workers come from, made by the caller (who may have
            started one already); then ``slot``, ``work_root`` and ``prestart``
            are its own and are ignored here.
    """

    def __init__(self, config: AssignmentConfig, backend: Backend, *, include_hidden: bool = True,
                 slot: int = 0, work_root: Path | None = None, prestart: bool = True,
                 workers: WorkerSupply | None = None) -> None:
        self.config = config
        self.backend = backend
        self.include_hidden = include_hidden and config.hidden_tests_dir.is_dir()
        self.public_dir = config.public_tests_dir.resolve() if config.public_tests_dir.is_dir() else None
        self.hidden_dir = config.hidden_tests_dir.resolve() if self.include_hidden else None
        self.workers = workers or WorkerSupply(config, backend, slot=slot, work_root=work_root, prestart=prestart)
        self.work_root = self.workers.work_root
        self.suite_hash = suite_hash(config, self.include_hidden)
        self._reference: ModuleType | None = None
        self._reference_loaded = False
        self.public_fixture_users: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ reference
    def reference_module(self) -> ModuleType | None:
        """The reference solution, imported once (None if this copy lacks it, or if it is a notebook:
        an imported otter assignment's solution is graded like a submission, never imported here)."""
        if not self._reference_loaded:
            self._reference_loaded = True
            path = self.config.reference_path
            if path is not None and path.suffix != ".ipynb":
                name = f"grader_reference_{self.config.name.replace('-', '_')}"
                spec = importlib.util.spec_from_file_location(name, path)
                if spec is None or spec.loader is None:
                    raise HarnessError(f"the reference solution {path} cannot be imported (not a Python file?)")
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                self._reference = module
        return self._reference

    # ------------------------------------------------------------------ running
    def pytest_args(self) -> list[str]:
        dirs = [str(d) for d in (self.public_dir, self.hidden_dir) if d is not None]
        if not dirs:
            raise HarnessError(f"assignment {self.config.name!r} has no tests folder")
        ini = self.work_root / "pytest.ini"
        ini.write_text("[pytest]\n")
        root = self.config.course.root if self.config.course else self.work_root
        # no plugins from installed packages (a student's pytest-randomly would reseed the tests), and
        # none of pytest's own that grading never uses: each costs import time in every grader check
        unused = [a for p in UNUSED_PYTEST_PLUGINS for a in ("-p", f"no:{p}")]
        return [*dirs, "-c", str(ini), "--rootdir", str(root), "--disable-plugin-autoload", *unused,
                "--capture=sys",
                "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"]

    def run(self, submissions: Iterable[Submission], on_result: Callable[[SubmissionResult], None]) -> None:
        """Grade each submission in turn, calling ``on_result`` as each finishes.

        Raises:
            HarnessError: if the tests cannot be collected (before any grading).
        """
        if self.include_hidden and self.config.reference is not None:
            if self.config.reference_path is None:
                raise HarnessError(f"the reference solution reference/{self.config.name}/{self.config.reference} "
                                   "is missing: hidden tests cannot run without it")
            try:
                self.reference_module()
            except Exception as exc:
                raise HarnessError(f"the reference solution {self.config.reference_path} failed to import: "
                                   f"{type(exc).__name__}: {exc}") from exc
        plugin = plugin_module.GraderPlugin(self, iter(submissions), on_result)
        test_dirs = [d for d in (self.public_dir, self.hidden_dir) if d is not None]
        _forget_modules(test_dirs)
        try:
            pytest.main(self.pytest_args(), plugins=[plugin, plugin_module, plugin_module.fixtures_for(plugin)])
        finally:
            _forget_modules(test_dirs)
        for item in plugin.items:
            spec = plugin.specs.get(item.nodeid)
            if spec is not None and spec.visibility.value == "public":
                for name in getattr(item, "fixturenames", ()):
                    self.public_fixture_users.setdefault(name, []).append(spec.name)
        if plugin.collect_errors:
            raise HarnessError("the assignment's tests could not be collected:\n" + "\n".join(plugin.collect_errors))

    def grade(self, submissions: list[Submission]) -> list[SubmissionResult]:
        """Grade a list of submissions and return their results in order."""
        results: list[SubmissionResult] = []
        self.run(submissions, results.append)
        return results

    def close(self) -> None:
        self.workers.close()

    # ------------------------------------------------------------------ one submission
    def grade_submission(self, sub: Submission, plugin: plugin_module.GraderPlugin) -> SubmissionResult:
        """Grade one submission. Never raises: a failure of the grader itself
        becomes an ``internal_error`` result."""
        started = time.monotonic()
        result = SubmissionResult(assignment=self.config.name, student=sub.student,
                                  status=SubmissionStatus.GRADED, path=sub.main_name, sha256=sub.sha256,
                                  suite_hash=self.suite_hash, backend=self.backend.name)
        specs = [plugin.specs[item.nodeid] for item in plugin.items]
        try:
            if sub.problem:
                result.status, result.message = SubmissionStatus.INVALID, sub.problem
                result.tests = [scoring.not_run(s, TestStatus.ERROR, f"not run: {sub.problem}") for s in specs]
            else:
                self._run_worker(sub, plugin, specs, result)
        except Exception as exc:  # a bug in the grader must not stop the batch
            result.status = SubmissionStatus.INTERNAL_ERROR
            result.message = f"the grader failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()[-2000:]}"
            result.tests = [scoring.not_run(s, TestStatus.ERROR, "not run: the grader failed") for s in specs]
        result.wall_time_s = round(time.monotonic() - started, 6)
        result.graded_at = datetime.now(UTC).isoformat(timespec="seconds")
        return result

    # ------------------------------------------------------------------ workers
    def _run_worker(self, sub: Submission, plugin: plugin_module.GraderPlugin, specs: list,
                    result: SubmissionResult) -> None:
        limits = self.config.limits
        spec, ready, warm = self.workers.take()
        workdir = spec.workdir
        kept: WorkerProcess | None = ready  # the session's own once it exists
        idle_zygote = warm
        try:
            sub.write_to(workdir)
            self.backend.prepare_workdir(spec)
            waiting = [ready] if ready is not None and not warm else []

            def start_worker() -> WorkerProcess:
                return waiting.pop() if waiting else self.backend.start(spec)

            # a warm sandbox (see WorkerSupply): the worker is a zygote, which forks this submission's
            # child and cleans up after it, and the session hands it back for the next submission
            session = RemoteSession(start_worker, sub.load_request(limits.cell_timeout),
                                    limits, what=sub.main_name or sub.student,
                                    fork=self.config.fresh_runs or self.workers.warm,
                                    preload=self.config.preload, isolated=self.backend.isolated,
                                    warm=ready if warm else None)
            kept = None
            try:
                try:
                    session.ensure()
                    self.workers.after_start()
                except RemoteError as exc:
                    status = TestStatus.TIMEOUT if session.dead_kind == "timeout" else TestStatus.CRASHED
                    result.tests = [scoring.not_run(s, status, f"not run: {exc}") for s in specs]
                else:
                    syntax = _syntax_error(session.load_report)
                    if syntax:
                        result.status, result.message = SubmissionStatus.INVALID, syntax
                        result.tests = [scoring.not_run(s, TestStatus.ERROR, f"not run: {syntax}") for s in specs]
                        return
                    if sub.kind == "notebook" and self.config.fresh_runs:
                        session.run_skip = cells_to_skip(sub.cells, session.load_report,
                                                         roots=self.config.graded_names)
                    context = plugin_module.Context(SubmissionProxy(session), session)
                    result.tests = plugin.run_items(context)
                    result.metrics = dict(context.metrics)
            finally:
                if self.workers.warm:  # its zygote's own CPU time spans every submission it serves
                    kept = session.detach(cpu_budget=(limits.total_timeout + 5) / 2)
                    idle_zygote = kept is not None
                else:
                    session.close()
                result.output = session.output[: limits.output]
                result.peak_memory_bytes = session.peak_memory_bytes or None
                result.cpu_time_s = round(session.cpu_time_s, 6) if session.cpu_time_s else None
                result.device = session.device
            result.status = scoring.submission_status(session.events)
            cells = _cell_problems(session.load_report, sub.kind)
            if any(c["status"] == "timeout" for c in (session.load_report or {}).get("cells", [])) \
                    and result.status is SubmissionStatus.GRADED:
                result.status = SubmissionStatus.TIMEOUT
            result.message = "; ".join([*cells, *_counted(e.message for e in session.events)])[:4000]
        finally:
            self.workers.give_back(spec, kept, warm=idle_zygote)


def _forget_modules(dirs: list[Path]) -> None:
    """Drop the test modules and conftests imported from ``dirs``. pytest's importlib mode
    reuses a module already in ``sys.modules`` under the same name, so without this a second
    run in this process would run the first run's tests: stale after an edit, or another
    course's tests with the same layout (``assignments.<hw>.tests.test_x``)."""
    prefixes = tuple(f"{d}{os.sep}" for d in dirs)  # pytest imports them by the paths it was given
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if prefixes and isinstance(file, str) and file.startswith(prefixes):
            sys.modules.pop(name, None)


def _counted(messages: Iterable[str]) -> list[str]:
    """Messages in first-seen order, a repeated one once with its count."""
    counts: dict[str, int] = {}
    for m in messages:
        counts[m] = counts.get(m, 0) + 1
    return [m if n == 1 else f"{m} ({n} times)" for m, n in counts.items()]


def _cells(report: Any) -> list[dict]:
    cells = report.get("cells") if isinstance(report, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def _error_of(cell: dict) -> dict:
    """A cell report's ``error`` (a dict the worker wrote), or an empty one."""
    err = cell.get("error")
    return err if isinstance(err, dict) else {}


def _syntax_error(report: Any) -> str | None:
    for cell in _cells(report):
        if cell.get("status") == "syntax_error":
            err = _error_of(cell)
            return f"SyntaxError: {str(err.get('message', ''))[:500]}"
    return None


def _cell_problems(report: Any, kind: str) -> list[str]:
    out = []
    for cell in _cells(report):
        status = cell.get("status")
        if status not in ("error", "timeout"):
            continue
        err = _error_of(cell)
        label = f"cell {cell.get('index')}" if kind == "notebook" else "the module"
        if status == "timeout":
            out.append(f"{label} {err.get('message', 'timed out')}")
        else:
            where = f" ({err['where']})" if kind == "module" and err.get("where") else ""
            out.append(f"{label} raised {str(err.get('type', 'an error'))[:100]}: "
                       f"{str(err.get('message', ''))[:300]}{where}")
    return out
