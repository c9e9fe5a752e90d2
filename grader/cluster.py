"""``grader grade --cluster``: the same trusted grading, spread over the workers of a Dask cluster.

Who does what:

* **the client** (:func:`grade_on_cluster`, called by :func:`grader.grade.main`) finds the
  submissions, skips those already graded, and submits one Dask task per submission. A task
  carries plain data only: the course root, the assignment, the sandbox's name and options, the
  paths to hide, the suite hash the client expects, and the submission itself (its file bytes,
  so a worker on another machine needs no copy of ``submissions/``). Results stream back with
  :class:`distributed.as_completed`; the client adds what it knows of the submission
  (:func:`grader.grade.with_submission_facts`) and saves each to its own store as it arrives.
* **a Dask worker** (a trusted process on a grading machine) grades nothing itself. It keeps,
  per (course, assignment, sandbox, suite), a *grading process* (:mod:`grader.slot_process`) and
  hands it one submission at a time over a private socket pair. The cache lives in a worker
  plugin (:class:`GradingSlots`) and is closed with the worker.
* **the grading process** is the one ``grader grade`` runs locally (:func:`grader.grade._slot_main`):
  a :class:`~grader.harness.session.GradingSession` with its own sandbox backend, the tests'
  watchdog in its main thread and the trusted memory limit on it alone. Dask's worker processes
  are daemonic and may not start :mod:`multiprocessing` children, so it is a plain subprocess
  (``python -m grader.slot_process FD``) that talks over a :mod:`multiprocessing.connection`.
* **student code** runs only in the sandbox the grading process starts, never in a Dask process.

Nothing is lost or counted twice. A task whose worker dies is run again on another worker by
the scheduler (up to ``distributed.scheduler.allowed-failures`` times, default 3; after that it
ends as an ``internal_error`` for that student, as a task that raises does). The client takes at
most one result per student per batch (a future's result arrives once; a second one for the
same student would be dropped), and the store keeps one row per (assignment, student), replaced
in one transaction. A result graded with another copy of the tests (another suite hash) is not
saved as graded. Resume and ``--force`` are the client's, as without a cluster.

Security: Dask's protocol pickles, so the scheduler port must be reachable only from trusted
machines (see ``docs/cluster.md``).
"""

from __future__ import annotations

import collections
import json
import queue
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from distributed.diagnostics.plugin import WorkerPlugin

from .config import AssignmentConfig
from .course import Course
from .results import SubmissionResult
from .slot_process import GradingProcess, submission_data
from .submissions import Submission

if TYPE_CHECKING:
    from distributed import Client

    from .store import ResultStore

PLUGIN_NAME = "grader-grading-slots"
#: how long the client waits for a first worker of a scheduler that has none
WAIT_FOR_WORKERS_S = 60.0


class ClusterError(Exception):
    """The cluster cannot grade: a bad ``--cluster`` value, no scheduler or no worker there, or a
    worker that cannot grade (the message names the worker and what it lacks)."""


def parse_cluster(value: str) -> tuple[str, int]:
    """Split a ``--cluster`` value: ``("local", N)`` for ``local:N``, ``("address", 0)`` for a
    scheduler's address (``tcp://HOST:PORT``, or any address Dask's ``Client`` takes).

    Raises:
        ClusterError: ``local:`` without a positive number, or an address without a protocol.
    """
    if value.startswith("local:"):
        n = value[len("local:"):]
        if not n.isdigit() or int(n) < 1:
            raise ClusterError(f"--cluster {value}: local:N needs a number of worker processes N >= 1")
        return "local", int(n)
    if "://" not in value:
        raise ClusterError(f"--cluster {value}: expected a scheduler address tcp://HOST:PORT, or local:N")
    return "address", 0


def _slot_key(job: dict[str, Any]) -> tuple[str, ...]:
    """Which cached grading process a task may use: same course, assignment, sandbox and tests."""
    return (job["course"], job["assignment"], job["backend"], json.dumps(job["options"], sort_keys=True),
            json.dumps(job["hide"]), job["suite"])


# ------------------------------------------------------------------------ on each Dask worker


def prepare(job: dict[str, Any], notify: Callable[[str, Any], None]) -> tuple[str, dict[str, Any], list[str]]:
    """Check that this machine can grade ``job`` and return ``(backend name, sandbox options,
    paths to hide)`` for its grading processes: the course folder is here at the same path, with
    the same tests, reference, data and settings (the same suite hash as the client's), the sandbox
    works, and the worker environment is built (else a ``("note", ...)``, as locally).

    Raises:
        grader.course.CourseError: no course folder or assignment here, or another copy of it,
            or its worker environment lacks a declared package.
        grader.sandbox.SandboxError: no usable sandbox here.
    """
    from .config import load_assignment
    from .course import CourseError
    from .grade import probe_sandbox, worker_python
    from .harness.session import suite_hash

    course = Course.at(job["course"])
    config = load_assignment(course, job["assignment"])
    here = suite_hash(config, include_hidden=config.hidden_tests_dir.is_dir())
    if here != job["suite"]:
        raise CourseError(f"the course folder {course.root} on this machine differs from the one grading was "
                          f"started from (its tests, reference, data or settings for {config.name}: suite hash "
                          f"{here[:12]}, expected {job['suite'][:12]}): copy the same course folder here")
    hide = [*job["hide"], str(course.root)]
    options = dict(job["options"])
    backend = probe_sandbox(job["backend"], [Path(h) for h in hide], options)
    if backend != "docker":
        options.update(worker_python(course, config, notify))
    return backend, options, hide


def preflight(job: dict[str, Any]) -> dict[str, Any]:
    """Run on every worker (``Client.run``) before a batch: :func:`prepare`, and what it noted.

    Raises:
        grader.course.CourseError, grader.sandbox.SandboxError: as :func:`prepare`.
    """
    notes: list[str] = []
    backend, _, _ = prepare(job, lambda kind, value: notes.append(str(value)))
    return {"backend": backend, "notes": notes, "host": socket.gethostname()}


class GradingSlots(WorkerPlugin):
    """A Dask worker plugin: this worker's idle grading processes, by :func:`_slot_key`.

    A task takes an idle process for its key (or starts one) and gives it back when done, so a
    worker with one thread keeps one process and a session's collected tests across a batch.
    Taking a key closes the idle processes of the same course and assignment with other tests
    (an edited suite). :meth:`release` closes idle ones at a batch's end; ``teardown`` closes all
    when the worker closes (a worker that is killed leaves its processes to notice: they stop
    when their parent is gone).
    """

    name = PLUGIN_NAME
    idempotent = True  # registering it again (the next batch) keeps the worker's processes

    def setup(self, worker: Any) -> None:
        """Dask's hook, when the plugin reaches a worker: start with no processes."""
        self._idle: dict[tuple[str, ...], list[GradingProcess]] = {}
        self._lock = threading.Lock()
        self._started = 0

    def teardown(self, worker: Any) -> None:
        """Dask's hook, when the worker closes: close every idle process."""
        self.release(None)

    def take(self, key: tuple[str, ...], start: Callable[[int], GradingProcess]) -> GradingProcess:
        """An idle live process for ``key``, or ``start(n)``'s new one (n counts this worker's
        processes from 0). Raises what ``start`` raises."""
        stale: list[GradingProcess] = []
        with self._lock:
            for other in [k for k in self._idle if k != key and k[:2] == key[:2]]:
                stale += self._idle.pop(other)
            idle = self._idle.get(key, [])
            found = None
            while idle and found is None:
                proc = idle.pop()
                if proc.alive():
                    found = proc
                else:
                    stale.append(proc)
            n = self._started
            if found is None:
                self._started += 1  # counted under the lock: two threads never get the same n
        for proc in stale:
            proc.close()
        return found if found is not None else start(n)

    def give(self, key: tuple[str, ...], proc: GradingProcess) -> None:
        """Return ``proc`` after a task: kept for the next if it lives, else closed."""
        if proc.alive():
            with self._lock:
                self._idle.setdefault(key, []).append(proc)
        else:
            proc.close()

    def release(self, key: tuple[str, ...] | None) -> int:
        """Close the idle processes of ``key`` (None: all); returns how many."""
        with self._lock:
            keys = list(self._idle) if key is None else [key]
            procs = [p for k in keys for p in self._idle.pop(k, [])]
        for proc in procs:
            proc.close()
        return len(procs)


def _plugin(worker: Any) -> GradingSlots:
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None:  # registered by the client before any task; a worker that missed it gets one
        plugin = GradingSlots()
        plugin.setup(worker)
        worker.plugins[PLUGIN_NAME] = plugin
    return plugin


def grade_task(job: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: grade one submission on this worker. Returns :meth:`GradingProcess.grade`'s
    reply with ``worker`` (this worker's address) added; a grading process that cannot be started
    here is a ``fatal`` reply naming the worker.

    Raises:
        Exception: only from a bug here (the client makes it an ``internal_error`` result).
    """
    from distributed import get_worker

    worker = get_worker()
    plugin = _plugin(worker)
    key = _slot_key(job)

    def start(n: int) -> GradingProcess:
        backend, options, hide = prepare(job, lambda kind, value: None)
        host_slot, host_jobs = job["host_slots"].get(worker.address, (0, worker.state.nthreads))
        slot = host_slot * worker.state.nthreads + n % max(1, worker.state.nthreads)
        return GradingProcess.start([job["course"], job["assignment"], backend, hide, options, slot, host_jobs])

    try:
        proc = plugin.take(key, start)
    except Exception as exc:  # noqa: BLE001 - whatever stops this worker from grading is the reply
        return {"fatal": f"worker {worker.address} cannot grade: {type(exc).__name__}: {exc}",
                "worker": worker.address}

    def started(student: str) -> None:
        worker.log_event(job["topic"], {"student": student, "worker": worker.address})

    try:
        reply = proc.grade(data, started)
    finally:
        plugin.give(key, proc)
    reply["worker"] = worker.address
    return reply


def release_slots(job: dict[str, Any], dask_worker: Any = None) -> int:
    """Run on every worker (``Client.run``, which passes ``dask_worker``) after a batch: close its
    idle grading processes for ``job`` and sweep what killed ones left (Docker containers).
    Returns how many were closed."""
    from .sandbox import backend_class

    closed = _plugin(dask_worker).release(_slot_key(job))
    if job["backend"] in ("docker", "bwrap", "subprocess"):
        backend_class(job["backend"]).sweep()
    return closed


# ----------------------------------------------------------------------------------- the client


def grade_on_cluster(cluster: str, *, course: Course, config: AssignmentConfig, backend: str, hide: list[str],
                     options: dict[str, Any], todo: list[Submission], store: ResultStore, suite: str,
                     notify: Callable[[str, Any], None]) -> list[SubmissionResult]:
    """Grade ``todo`` on the Dask cluster ``cluster`` and save each result to ``store`` as it arrives.

    Args:
        cluster: ``tcp://HOST:PORT`` (a running scheduler) or ``local:N`` (a
            :class:`distributed.LocalCluster` of N worker processes with one thread each, closed after).
        course, config: the course and the assignment, as the client sees them.
        backend: the sandbox (``auto``, ``bwrap``, ``docker``, ``subprocess``), resolved on each worker.
        hide: paths no sandbox may show (the client's course, submissions and store folders).
        options: the sandbox's options (``image``, ``gpus``); each worker adds its worker environment.
        todo: the submissions to grade.
        store: where results are saved.
        suite: the suite hash the client expects (:func:`grader.harness.session.suite_hash`).
        notify: ``grader.grade.main``'s ``on_event``: ``("started", student)``, ``("result", result)``
            and ``("note", message)`` are called from this thread.

    Returns:
        the results saved, one per submission of ``todo``.

    Raises:
        ClusterError: no scheduler at ``cluster``, no worker within :data:`WAIT_FOR_WORKERS_S`, or a
            worker that cannot grade (each is named, with what it lacks).
        grader.harness.session.HarnessError: every worker failed to collect the tests before any
            submission was graded (nothing is saved then, as without a cluster).
    """
    from distributed import Client, LocalCluster

    kind, n = parse_cluster(cluster)
    local = None
    try:
        if kind == "local":
            local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address="127.0.0.1:0")
            client = Client(local)
        else:
            client = Client(cluster, timeout="30s")
    except OSError as exc:
        if local is not None:
            local.close()
        raise ClusterError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from exc
    try:
        job = {"course": str(course.root), "assignment": config.name, "backend": backend, "options": options,
               "hide": list(hide), "suite": suite, "topic": f"grader-started-{uuid.uuid4().hex}"}
        batch = _Batch(client, job, config, todo, store, notify)
        try:
            return batch.run()
        finally:
            try:
                client.run(release_slots, job, on_error="ignore")
            except Exception:  # noqa: BLE001 - the scheduler is gone: its workers close their own
                pass
    finally:
        client.close()
        if local is not None:
            local.close()


class _Batch:
    """One batch on a cluster: the workers' preflight, then a sliding window of tasks."""

    def __init__(self, client: Client, job: dict[str, Any], config: AssignmentConfig, todo: list[Submission],
                 store: ResultStore, notify: Callable[[str, Any], None]) -> None:
        self.client = client
        self.job = job
        self.config = config
        self.todo = todo
        self.store = store
        self.notify = notify
        self.results: list[SubmissionResult] = []
        self.saved: set[str] = set()
        self.fatal: str | None = None
        self.fatal_students: list[Submission] = []
        self.started: queue.Queue[dict[str, Any]] = queue.Queue()
        self.by_student = {s.student: s for s in todo}

    # -- before the first task ---------------------------------------------------------------

    def workers(self) -> dict[str, Any]:
        """The scheduler's workers now (address -> info), waiting for a first one."""
        try:
            self.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        except TimeoutError as exc:
            address = getattr(self.client.scheduler, "address", "?")
            raise ClusterError(f"the Dask scheduler at {address} has no worker "
                               f"(waited {WAIT_FOR_WORKERS_S:g} s): start some with "
                               "`dask worker ADDRESS --nthreads 1 --nworkers N`") from exc
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def preflight(self) -> None:
        """Check every worker at once (course, tests, sandbox, environment) and pass on their notes.

        Raises:
            ClusterError: naming each worker that cannot grade and why.
        """
        workers = self.workers()
        by_host: dict[str, list[str]] = {}
        for address, info in sorted(workers.items()):
            by_host.setdefault(info.get("host", address), []).append(address)
        self.job["host_slots"] = {
            address: (i, sum(workers[a].get("nthreads", 1) for a in addresses))
            for addresses in by_host.values() for i, address in enumerate(addresses)
        }
        replies = self.client.run(preflight, self.job, on_error="return")
        problems = [f"{address}: {type(r).__name__}: {r}" for address, r in sorted(replies.items())
                    if isinstance(r, BaseException)]
        if problems:
            raise ClusterError("these Dask workers cannot grade " + self.config.name + ":\n" + "\n".join(problems))
        notes = collections.Counter(note for r in replies.values() for note in r["notes"])
        for note, count in notes.items():
            self.notify("note", f"{note} (on {count} of {len(replies)} workers)")

    # -- the batch -----------------------------------------------------------------------------

    def run(self) -> list[SubmissionResult]:
        from distributed import as_completed

        from .harness.session import HarnessError

        self.preflight()
        self.client.register_plugin(GradingSlots())
        self.client.subscribe_topic(self.job["topic"], lambda event: self.started.put(event[1]))
        pending = collections.deque(self.todo)
        live: dict[str, tuple[Any, Submission]] = {}
        done = as_completed()
        run_id = uuid.uuid4().hex[:12]

        def top_up() -> None:
            window = max(2, 2 * sum(self.client.nthreads().values()))
            while pending and len(live) < window:
                sub = pending.popleft()
                future = self.client.submit(grade_task, self.job, submission_data(sub), pure=False,
                                            key=f"grade-{self.config.name}-{run_id}-{len(self.todo) - len(pending)}")
                live[str(future.key)] = (future, sub)
                done.add(future)

        try:
            top_up()
            while live:
                batch = done.next_batch(block=False)
                for future in batch:
                    self.handle(future, live.pop(future.key)[1])
                    future.release()
                self.pass_on_started()
                if self.fatal is not None and not self.results and len(self.fatal_students) >= len(
                        self.job["host_slots"]):
                    # every worker failed the same way before grading anything: the tests are broken
                    self.client.cancel([future for future, _ in live.values()])
                    raise HarnessError(self.fatal)
                if batch:
                    top_up()
                else:
                    time.sleep(0.05)
        finally:
            self.client.unsubscribe_topic(self.job["topic"])
        self.pass_on_started()
        for sub in self.fatal_students:
            self.save(_not_graded(self.config, sub, f"not graded: {self.fatal}"))
        return self.results

    def pass_on_started(self) -> None:
        while True:
            try:
                event = self.started.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, dict) and isinstance(event.get("student"), str):
                self.notify("started", event["student"])

    def handle(self, future: Any, sub: Submission) -> None:
        """Turn one finished task into a saved result (or, for a ``fatal`` reply, into a student to
        mark as not graded at the end)."""
        from distributed import KilledWorker

        if future.status == "finished":
            reply = future.result()
            where = reply.get("worker", "a worker")
            if "result" in reply:
                result = SubmissionResult.from_dict(reply["result"])
                if result.student != sub.student or result.assignment != self.config.name:
                    result = _not_graded(self.config, sub, f"the grader failed: {where} answered for "
                                         f"{result.assignment}/{result.student}")
                elif result.suite_hash != self.job["suite"]:
                    result = _not_graded(self.config, sub, f"graded on {where} with another copy of the tests "
                                         f"(suite hash {result.suite_hash[:12]}, expected "
                                         f"{self.job['suite'][:12]}): copy the same course folder there")
                self.save(result)
            elif "died" in reply:
                self.save(_not_graded(self.config, sub, f"{reply['died']} on {where}"))
            else:
                self.fatal = self.fatal or reply.get("fatal", "no reply")
                self.fatal_students.append(sub)
        elif future.status == "error":
            exc = future.exception()
            if isinstance(exc, KilledWorker):
                message = (f"not graded: the Dask workers grading it were lost too many times "
                           f"(distributed.scheduler.allowed-failures): {exc}")
            else:
                message = f"the grading task failed on a Dask worker: {type(exc).__name__}: {exc}"
            self.save(_not_graded(self.config, sub, message[:4000]))
        else:
            self.save(_not_graded(self.config, sub, f"not graded: the grading task was {future.status}"))

    def save(self, result: SubmissionResult) -> None:
        """Save ``result`` unless its student already has one from this batch (then it is dropped)."""
        from .grade import with_submission_facts

        if result.student in self.saved:
            return
        sub = self.by_student.get(result.student)
        if sub is None:
            return
        with_submission_facts(result, sub, self.config)
        self.store.save(result)
        self.saved.add(result.student)
        self.results.append(result)
        self.notify("result", result)


def _not_graded(config: AssignmentConfig, sub: Submission, message: str) -> SubmissionResult:
    from .grade import _internal_error

    return _internal_error(config, sub, message)

