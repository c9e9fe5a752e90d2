"""``grader grade``: batch-grade every submission of an assignment.

The main process finds the submissions, skips those already graded with the
same files and the same tests (unless ``force``), and hands the rest to
``jobs`` grading processes. Each grading process is trusted: it runs a
:class:`~grader.harness.session.GradingSession` (pytest plus the reference)
and starts one sandboxed worker per submission in its own slot. Results come
back as plain dicts and are saved to the store one by one as they arrive, so
a run that is killed loses nothing already graded and the next run resumes.
With ``cluster``, the same grading processes run on the workers of a Dask cluster
instead (:mod:`grader.cluster`); the skipping and the saving stay here.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import queue
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

from . import repos
from .config import AssignmentConfig, load_assignment, slot_limits
from .course import Course, CourseError
from .late import days_late, penalty_points
from .results import SubmissionResult, SubmissionStatus
from .sandbox import SandboxError, backend_class, make_backend
from .store import ResultStore
from .submissions import Submission, discover

MAX_RESPAWNS = 3


@dataclasses.dataclass
class BatchReport:
    """What a batch did: ``results`` graded now, ``skipped`` reused from the store."""

    results: list[SubmissionResult]
    skipped: list[SubmissionResult]
    db: Path

    @property
    def all(self) -> list[SubmissionResult]:
        return sorted(self.results + self.skipped, key=lambda r: r.student)


def limit_trusted_memory(nbytes: int) -> None:
    """Bound this (trusted grading) process's data segment to ``nbytes`` (``RLIMIT_DATA``,
    soft limit only; 0: no limit). Values a hostile worker returns and what the tests
    compute from them live there: past the limit an allocation raises ``MemoryError``
    in the test (a failed test), instead of the process growing without bound. The
    hard limit stays, so workers started from here raise their own soft limit again
    (see :func:`grader.sandbox.base.rlimits`). ``RLIMIT_DATA``, not ``RLIMIT_AS``:
    torch and the BLAS threads reserve far more address space than they use.
    A grading process that imports numpy, pytest and torch needs about 300 MiB."""
    import resource

    if nbytes <= 0:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        nbytes = min(nbytes, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (nbytes, hard))


def _slot_main(course_root: str, assignment: str, backend_name: str, hide: list[str], options: dict[str, Any],
               slot: int, jobs: int, tasks: Any, events: Any) -> None:
    """Body of one grading process: grade submissions from ``tasks`` until a None arrives.
    ``options`` are the backend's (``image``, ``gpus``; see :func:`grader.sandbox.make_backend`)."""
    from .harness.session import GradingSession, HarnessError

    try:
        config = slot_limits(load_assignment(Course.at(course_root), assignment), jobs)
        limit_trusted_memory(config.limits.trusted_memory)
        backend = make_backend(backend_name, hide=[Path(h) for h in hide], **options)
        session = GradingSession(config, backend, include_hidden=True, slot=slot)
    except Exception as exc:
        events.put(("fatal", slot, f"{type(exc).__name__}: {exc}"))
        return

    def submissions() -> Iterator[Submission]:
        while True:
            sub = tasks.get()
            if sub is None:
                return
            events.put(("started", slot, sub.student))
            yield sub

    try:
        session.run(submissions(), lambda r: events.put(("result", slot, r.to_dict())))
    except HarnessError as exc:
        events.put(("fatal", slot, str(exc)))
    except BaseException:
        events.put(("fatal", slot, traceback.format_exc()[-3000:]))
    finally:
        session.close()
        backend.close()
        events.put(("done", slot, None))


def with_submission_facts(result: SubmissionResult, sub: Submission, config: AssignmentConfig) -> SubmissionResult:
    """``result`` with what is known of the submission itself: the commit graded, its time,
    the flags, and the lateness and its penalty under ``config.deadline`` (changed in place)."""
    result.commit_sha = sub.commit_sha
    if sub.commit_sha and sub.path is not None:  # where in the repository the graded file is
        result.path = str(sub.path)
    result.submitted_at = sub.submitted_at.isoformat() if sub.submitted_at else ""
    result.flags = "\n".join(sub.flags)
    result.days_late = days_late(sub.submitted_at, config.deadline)
    result.late_penalty = round(penalty_points(result.raw_score, result.max_score, result.days_late,
                                               config.deadline), 6)
    return result


def probe_sandbox(backend: str, hide: list[Path], options: dict[str, Any]) -> str:
    """Check, once before a batch, that this machine can start ``backend``'s workers, and return
    the backend's name (``auto`` resolved). ``options`` are :func:`grader.sandbox.make_backend`'s.

    Raises:
        grader.sandbox.SandboxError: no such sandbox here, or ``auto`` found only the unisolated
            subprocess (bubblewrap is missing).
    """
    probe = make_backend(backend, hide=hide, **options)
    try:
        if not probe.isolated and backend == "auto":
            raise SandboxError("bubblewrap is not installed: install it (apt-get install -y bubblewrap), "
                               "or pass --sandbox docker (see docs/docker.md), or --sandbox subprocess "
                               "to grade without isolation")
        probe.preflight()
    finally:
        probe.close()
    return probe.name


def worker_python(course: Course, config: AssignmentConfig,
                  notify: Callable[[str, Any], None] = lambda kind, value: None) -> dict[str, str]:
    """The sandbox option naming the interpreter ``config``'s students run with: its worker
    environment (:mod:`grader.workerenv`) when one is built, else none (the grader's own Python,
    with a ``("note", message)`` event saying so).

    Raises:
        grader.course.CourseError: the interpreter lacks a package the assignment declares.
    """
    from . import workerenv
    from .imports import unavailable_packages

    env = workerenv.env_for(course, config)
    if env is None:
        notify("note", f"no worker environment is built for {config.name}: student code runs with the grader's "
                       "own Python and can import its packages (run `grader env build` to give it its own)")
    missing = unavailable_packages(config, python=env.python if env else None)
    if missing:
        where = (f"its worker environment {env.path} lacks" if env else
                 "this Python, which runs student code, lacks")
        raise CourseError(f"{config.name} declares packages student code may import that {where}: "
                          f"{', '.join(missing)} (run `grader env build`)")
    return {"python": str(env.python)} if env else {}


def _internal_error(config: AssignmentConfig, sub: Submission, message: str) -> SubmissionResult:
    return SubmissionResult(assignment=config.name, student=sub.student, status=SubmissionStatus.INTERNAL_ERROR,
                            message=message, path=sub.main_name, sha256=sub.sha256)


def main(assignment: str, *, course: str | Path | None = None, submissions: str | Path | None = None,
         db: str | Path | None = None, jobs: int | None = None, force: bool = False, backend: str = "auto",
         image: str | None = None, gpus: str | None = None, students: tuple[str, ...] = (),
         on_event: Callable[[str, Any], None] | None = None, at_deadline: bool = False,
         repo_prefix: str | None = None, cluster: str | None = None) -> BatchReport:
    """Grade the submissions of ``assignment`` and store the results.

    Args:
        assignment: the assignment name (a folder of ``assignments/``).
        course: the course root (default: the current directory).
        submissions: the submissions folder (default ``submissions/<assignment>/``).
        db: the results store (default ``grades.db`` in the course root).
        jobs: parallel grading processes (default: one per CPU core, at most
            the number of submissions).
        force: re-grade submissions already graded with the same files and tests.
        backend: ``auto`` (bubblewrap; Docker when ``gpus`` is given), ``bwrap``,
            ``docker``, or ``subprocess`` (no isolation; only when asked for by name).
        image: the Docker backend's grading image (default ``$GRADER_DOCKER_IMAGE``,
            else ``grader-worker:latest``).
        gpus: GPUs for Docker workers: ``all``, ``N`` or ``device=0,1``; each worker
            gets one, grading slot k the k-th (mod their number). See :mod:`grader.sandbox.gpus`.
        students: grade only these student ids.
        at_deadline: in a folder of git repositories (:mod:`grader.repos`), grade each one's last
            commit at or before the deadline's cutoff instead of HEAD.
        repo_prefix: the repositories' name prefix before the username (default: the one they share).
        cluster: grade on a Dask cluster instead of local processes (:mod:`grader.cluster`):
            ``tcp://HOST:PORT`` (a running scheduler) or ``local:N`` (N local worker processes).
            ``jobs`` is then unused: the workers' threads decide. Each worker machine needs the
            course folder at the same path and its own sandbox.
        on_event: progress callback, called as ``("total", n)``, ``("started", student)``,
            ``("result", SubmissionResult)`` and ``("note", message)``.

    Raises:
        grader.course.CourseError: bad course folder or assignment settings.
        grader.sandbox.SandboxError: no usable sandbox.
        grader.harness.session.HarnessError: the tests cannot be collected.
        FileNotFoundError: no submissions folder.
        grader.cluster.ClusterError: the cluster cannot be reached, has no workers, or a worker
            cannot grade (no course folder, another copy of the tests, no sandbox).
    """
    from .harness.session import suite_hash

    notify = on_event or (lambda kind, value: None)
    course_obj = Course.at(course)
    config = load_assignment(course_obj, assignment)
    options = {k: v for k, v in (("image", image), ("gpus", gpus)) if v}
    backend_name = backend
    if cluster is None:  # with a cluster, each worker machine checks its own sandbox and environment
        backend_name = probe_sandbox(backend, [course_obj.root], options)
        if backend_name != "docker":
            options.update(worker_python(course_obj, config, notify))
    folder = Path(submissions) if submissions else course_obj.submissions_dir(assignment)
    if at_deadline and config.deadline is None:
        raise CourseError(f"--at-deadline: {assignment} has no [deadline] in its assignment.toml")
    if folder.is_dir() and repos.is_repos_folder(folder):
        subs = repos.discover_repos(folder.resolve(), config, prefix=repo_prefix,
                                    before=config.deadline.cutoff if at_deadline and config.deadline else None)
    else:
        subs = discover(folder.resolve(), config)
    if students:
        wanted = set(students)
        missing = wanted - {s.student for s in subs}
        if missing:
            raise FileNotFoundError(f"no submission for {', '.join(sorted(missing))} in {folder}")
        subs = [s for s in subs if s.student in wanted]
    db_path = Path(db) if db else course_obj.default_db
    store = ResultStore.open(db_path)
    try:
        current_suite = suite_hash(config, include_hidden=config.hidden_tests_dir.is_dir())
        todo, skipped = [], []
        for sub in subs:
            done = store.graded_hash(assignment, sub.student)
            if not force and sub.sha256 and done == (sub.sha256, current_suite):
                skipped.append(store.get(assignment, sub.student))
            else:
                todo.append(sub)
        notify("total", len(todo))
        # everything secret or belonging to others stays invisible even if it lies under /usr
        hide = [str(p.resolve()) for p in (course_obj.root, folder, db_path.parent)]
        if cluster is not None:
            from .cluster import grade_on_cluster

            results = grade_on_cluster(cluster, course=course_obj, config=config, backend=backend_name, hide=hide,
                                       options=options, todo=todo, store=store, suite=current_suite,
                                       notify=notify) if todo else []
        else:
            try:
                results = _run_pool(course_obj, config, backend_name, hide, options, todo, jobs, store, notify) \
                    if todo else []
            finally:
                backend_class(backend_name).sweep()  # what a grading process killed before its clean-up left
    finally:
        store.close()
    return BatchReport(results=results, skipped=[s for s in skipped if s is not None], db=db_path)


def _run_pool(course: Course, config: AssignmentConfig, backend_name: str, hide: list[str], options: dict[str, Any],
              todo: list[Submission], jobs: int | None, store: ResultStore,
              notify: Callable[[str, Any], None]) -> list[SubmissionResult]:
    from .harness.session import HarnessError

    n = max(1, min(jobs or (os.cpu_count() or 1), len(todo)))
    ctx = mp.get_context("spawn")
    tasks, events = ctx.Queue(), ctx.Queue()
    for sub in todo:
        tasks.put(sub)
    for _ in range(n):
        tasks.put(None)
    by_student = {s.student: s for s in todo}
    args = (str(course.root), config.name, backend_name, hide, options)
    procs = {slot: ctx.Process(target=_slot_main, args=(*args, slot, n, tasks, events), daemon=True)
             for slot in range(n)}
    for p in procs.values():
        p.start()
    in_flight: dict[int, str] = {}
    respawns = 0
    done_slots: set[int] = set()
    results: list[SubmissionResult] = []
    fatal: str | None = None

    def save(result: SubmissionResult) -> None:
        sub = by_student.get(result.student)
        if sub is not None:
            with_submission_facts(result, sub, config)
        store.save(result)
        results.append(result)
        notify("result", result)

    try:
        while len(done_slots) < len(procs):
            try:
                kind, slot, value = events.get(timeout=1.0)
            except queue.Empty:
                for slot, p in list(procs.items()):
                    if slot in done_slots or p.is_alive():
                        continue
                    # the grading process died without saying goodbye (a crash in trusted code)
                    student = in_flight.pop(slot, None)
                    if student is not None:
                        save(_internal_error(config, by_student[student],
                                             f"the grading process died (exit code {p.exitcode})"))
                    if respawns < MAX_RESPAWNS * n and fatal is None:
                        respawns += 1
                        # it may have taken its stop sentinel before dying (in its clean-up): the
                        # new process needs its own, or it waits for a task forever. A spare
                        # sentinel is queued after every task, so it is never read.
                        tasks.put(None)
                        procs[slot] = ctx.Process(target=_slot_main, args=(*args, slot, n, tasks, events),
                                                  daemon=True)
                        procs[slot].start()
                    else:
                        done_slots.add(slot)
                continue
            if kind == "started":
                in_flight[slot] = value
                notify("started", value)
            elif kind == "result":
                in_flight.pop(slot, None)
                save(SubmissionResult.from_dict(value))
            elif kind == "fatal":
                fatal = fatal or value
                student = in_flight.pop(slot, None)
                if student is not None and "could not be collected" not in value:
                    save(_internal_error(config, by_student[student], f"the grading process failed: {value}"))
            elif kind == "done":
                done_slots.add(slot)
    finally:
        for p in procs.values():
            if p.is_alive():
                p.join(timeout=5)
            if p.is_alive():
                p.kill()
        # a stop sentinel no process took (one failed to start, or a spare after a respawn) would
        # keep the queue's feeder thread, and so this process's exit, waiting for a reader forever
        tasks.cancel_join_thread()
    if fatal and not results:
        raise HarnessError(fatal)
    graded = {r.student for r in results}
    for sub in todo:  # anything no process got to (all of them died) still ends as a result
        if sub.student not in graded:
            save(_internal_error(config, sub, f"not graded: {fatal or 'the grading processes stopped'}"))
    return results
