"""Running a test again with the reference's code swapped in, or in a fresh run of the submission:
one mistake is charged in one question (the reference stands in for the student's other functions),
and a test that needs a clean module gets a new process.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from ..remote.errors import CallTimeout, MissingName, RemoteError, WorkerCrashed
from ..remote.proxies import SubmissionProxy, _session_of
from .calls import bind_name


@contextmanager
def reference_in_place(submission: SubmissionProxy, reference: Any, names: Iterable[str]) -> Iterator[list[str]]:
    """Inside the block, the student's top-level functions ``names`` are the reference's.

    A function of another question that the function under test calls (``affine_backward``
    inside ``two_layer_net``) is then the reference's, so that question's mistake is not
    charged twice. The student's code calls the reference back on the trusted side, with
    plain data both ways. Names the submission or the reference does not define are left
    alone. Yields the names it replaced. The student's own functions are put back on
    leaving (a worker restarted meanwhile has them already).

    Raises:
        the errors of a call into the worker (:class:`~grader.remote.RemoteError`).
    """
    session = _session_of(submission)
    saved: list[tuple[str, Any]] = []
    generation = session.generation
    try:
        for name in names:
            fn = getattr(reference, name, None)
            if not callable(fn):
                continue
            try:
                own = getattr(submission, name)
            except MissingName:
                continue
            bind_name(submission, name, fn)
            saved.append((name, own))
        yield [name for name, _ in saved]
    finally:
        if session.generation == generation and not session.dead_reason:
            for name, own in reversed(saved):
                try:
                    bind_name(submission, name, own)
                except RemoteError:
                    break


def rerun_with_reference(check: Callable[[], Any], submission: SubmissionProxy, reference: Any,
                         names: Iterable[str]) -> Any:
    """``check()``; if it fails, ``check()`` again with ``names`` bound to the reference's
    functions (:func:`reference_in_place`). Passes when either run passes; otherwise
    raises the first run's failure, which describes the student's own code.

    A timeout or a crash of the first run is raised as it is (the worker was restarted).
    """
    try:
        return check()
    except (CallTimeout, WorkerCrashed):
        raise
    except AssertionError as first:
        try:
            with reference_in_place(submission, reference, names) as replaced:
                if not replaced:
                    raise first
                return check()
        except (CallTimeout, WorkerCrashed):
            raise
        except AssertionError:
            raise first from None


@contextmanager
def fresh_run(submission: SubmissionProxy) -> Iterator[SubmissionProxy]:
    """Run the block against a fresh copy of the submission, discarded afterwards.

    Inside the block, ``submission`` is the student's code loaded anew in a
    process that shares nothing with any earlier run: no module state, no file
    in its home, ``/tmp`` or ``/dev/shm``, no leftover process, no IPC object.
    So a submission cannot remember one training run's data in the next (a
    fold's held-out labels, say). After the block that process is killed and
    cleaned away, and objects obtained inside it can no longer be used.

    With ``fresh_runs = true`` in ``assignment.toml`` (and ``preload = ["torch"]``)
    a run is a child forked from a clean, pre-imported worker: it costs the
    submission's own load time plus a few milliseconds. Without it, a run is a
    whole new worker (imports included).

    Example::

        for k, (train, test) in enumerate(folds):
            with fresh_run(submission):
                model = submission.train_model(submission.build_model(), X[train], y[train])

    Raises:
        CallTimeout, WorkerCrashed: the fresh copy could not be started or loaded.
    """
    session = _session_of(submission)
    session.new_run()
    try:
        yield submission
    finally:
        try:
            session.end_run()
        except RemoteError:
            pass
