"""Where a grading session's workers come from: a private folder and a sandbox per
submission, with the next submission's worker started ahead of time (a warm spare),
or, on a real sandbox, the previous submission's sandbox again (a warm sandbox).

A warm sandbox is a zygote (:mod:`grader.worker.zygote`) that has already imported
Python, numpy and the assignment's preloads, and forks one child per submission.
After a submission the zygote kills every process of the run and removes all it
left (files, IPC objects, keyrings, rlimits, descriptor flags) before the
session hands the sandbox back with :meth:`WorkerSupply.give_back`; the next
submission's files then replace the previous one's in the same read-only
folder. It saves the start of a sandbox and of Python per submission.

Kept apart from :mod:`.session` and light to import (no pytest, no numpy), so that
``grader check`` can start its one worker first and import the tests' machinery
while the worker's Python starts: the two overlap instead of adding up.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ..config import AssignmentConfig
from ..sandbox import Backend, WorkerProcess, WorkerSpec


class WorkerSupply:
    """Private working folders and started workers for one grading slot.

    Args:
        config: the assignment's settings (its limits and preloaded modules).
        backend: the sandbox backend that starts workers.
        slot: parallel slot index (isolated backends map it to a uid).
        work_root: where private working folders are made (default: a new
            temporary folder, removed by :meth:`close`).
        prestart: after each worker is taken, start the next one (a spare that
            holds no student files until it is used). ``grader check`` grades one
            submission and starts its one worker with :meth:`start_spare` instead.
            With ``prestart`` on a real sandbox (``backend.isolated``) and a
            ``warm_submissions`` limit above 1, sandboxes are also reused
            (:attr:`warm`): a spare is then started only when no warm one came back.

    Attributes:
        warm: whether sessions should make their workers zygotes and give them back.
        reused: submissions that got a warm sandbox so far.
    """

    def __init__(self, config: AssignmentConfig, backend: Backend, *, slot: int = 0,
                 work_root: Path | None = None, prestart: bool = True) -> None:
        self.config = config
        self.backend = backend
        self.slot = slot
        self.prestart = prestart
        self._own_root = work_root is None
        self.work_root = Path(work_root or tempfile.mkdtemp(prefix="grader-work-"))
        self._count = 0
        self._spare: tuple[WorkerSpec, WorkerProcess] | None = None
        self._thread: threading.Thread | None = None
        self.warm = prestart and backend.isolated and config.limits.warm_submissions > 1
        self._kept: tuple[WorkerSpec, WorkerProcess] | None = None
        self.reused = 0

    def new_spec(self) -> WorkerSpec:
        """A fresh private folder, and the sandbox slot (uid) for it.

        Each grading slot alternates between two sandbox uids, so that a
        worker started early for the next submission never shares a uid with
        the current one (the clean-up kills every process of a uid).
        """
        self._count += 1
        workdir = self.work_root / f"s{self.slot}-{self._count}"
        workdir.mkdir(parents=True)
        return WorkerSpec(workdir=workdir, limits=self.config.limits, slot=2 * self.slot + self._count % 2,
                          preload=self.config.preload)

    def start_spare(self) -> None:
        """Start the next submission's worker now (unless one is waiting), so that its
        start-up (Python and numpy imports) is off the critical path. A backend whose
        start itself takes long (``start_in_background``: Docker's engine needs about
        0.2 s) is called from a thread."""
        if self._spare is None and self._thread is None:
            spec = self.new_spec()
            if self.backend.start_in_background:
                self._thread = threading.Thread(target=self._launch, args=(spec,), daemon=True)
                self._thread.start()
            else:
                self._launch(spec)

    def after_start(self) -> None:
        """Called once a submission's worker answered: start the next one if prestarting
        (but not while sandboxes are reused: the current one is likely to come back)."""
        if self.prestart and not self.warm:
            self.start_spare()

    def take(self) -> tuple[WorkerSpec, WorkerProcess | None, bool]:
        """The folder and worker for the next submission, and whether the worker is a
        warm sandbox (an idle zygote; its folder is emptied for the new files). Else the
        spare's folder and worker, if one is waiting and alive; else a fresh folder and
        None (the caller starts the worker when it needs it)."""
        if self._kept is not None:
            spec, proc = self._kept
            self._kept = None
            if proc.poll() is None and empty_folder(spec.workdir):
                self.reused += 1
                return spec, proc, True
            proc.close()
            remove_workdir(spec.workdir)
        self._join()
        if self._spare is not None:
            spec, proc = self._spare
            self._spare = None
            if proc.poll() is None:
                return spec, proc, False
            proc.close()
            return spec, None, False
        return self.new_spec(), None, False

    def give_back(self, spec: WorkerSpec, proc: WorkerProcess | None, *, warm: bool) -> None:
        """Called when a submission is done with its folder and worker. ``warm``: the
        session ended the run and the zygote vouched for a clean state (see
        :meth:`grader.remote.RemoteSession.detach`), so the sandbox may serve the next
        submission, up to ``warm_submissions`` in all; otherwise the worker is closed,
        the folder removed, and (when prestarting) a spare started for the next one."""
        if proc is not None:
            proc.submissions += 1
            if warm and self.warm and spec.workdir.is_dir() \
                    and proc.submissions < self.config.limits.warm_submissions:
                self._kept = (spec, proc)
                return
            proc.close()
        remove_workdir(spec.workdir)
        if self.warm:
            self.start_spare()

    def close(self) -> None:
        """Stop a waiting spare or warm sandbox and remove the working folders (if this
        supply made their root)."""
        if self._kept is not None:
            spec, proc = self._kept
            self._kept = None
            proc.close()
            remove_workdir(spec.workdir)
        self._join()
        if self._spare is not None:
            spec, proc = self._spare
            self._spare = None
            proc.close()
            remove_workdir(spec.workdir)
        if self._own_root:
            rmtree(self.work_root)

    def _launch(self, spec: WorkerSpec) -> None:
        try:
            self._spare = (spec, self.backend.start(spec))
        except Exception:  # noqa: BLE001 - OSError, or anything from a thread: the next start tries again
            rmtree(spec.workdir)

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def remove_workdir(workdir: Path) -> None:
    """Remove a submission's private folder and its ``-tmp`` sibling."""
    rmtree(workdir)
    rmtree(workdir.parent / (workdir.name + "-tmp"))


def empty_folder(path: Path) -> bool:
    """Remove everything inside ``path`` (the grader's own folder, read-only to the sandbox),
    keeping the folder; True if it is then empty."""
    try:
        for entry in path.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        return not any(path.iterdir())
    except OSError:
        return False


def rmtree(path: Path) -> None:
    """Remove a folder that student code may have filled, ignoring errors.

    ``shutil.rmtree`` recurses once per level, so a tree deeper than the
    recursion limit (a student makes one in a fraction of a second) raises
    RecursionError even with ``ignore_errors``; ``rm -rf`` has no such limit.
    """
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        try:
            subprocess.run(["rm", "-rf", "--", str(path)], check=False, capture_output=True)
        except OSError:
            pass
