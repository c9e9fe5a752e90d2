"""Result records: what grading one submission produces.

These are small typed records. Scores are derived (``SubmissionResult.score``
is the sum of its tests), never stored twice. Export formats live in their own
modules (:mod:`grader.gradebook`, :mod:`grader.leaderboard`), not here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TestStatus(StrEnum):
    """Outcome of one test case on one submission."""

    PASSED = "passed"
    FAILED = "failed"  # an assertion failed, or the student's code raised
    ERROR = "error"  # the test could not run (invalid submission, a bug in the test)
    TIMEOUT = "timeout"  # the student's code did not return in time
    CRASHED = "crashed"  # the worker died (segfault, exit, memory limit)
    SKIPPED = "skipped"


class SubmissionStatus(StrEnum):
    """Outcome of grading one submission as a whole.

    ``graded`` means the tests ran; the score may still be anything. The other
    states say why the score is what it is: the submission could not be read
    (``invalid``), its code hung (``timeout``) or killed its worker
    (``crashed``), or the grader itself failed (``internal_error``).
    """

    GRADED = "graded"
    INVALID = "invalid"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    INTERNAL_ERROR = "internal_error"


class Visibility(StrEnum):
    PUBLIC = "public"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class TestResult:
    """One test case (one parametrized case counts as one test).

    Attributes:
        name: pytest-style id relative to its tests folder,
            e.g. ``"test_activations.py::test_sigmoid[large]"``.
        question: the question this test belongs to (gradebook column).
        score, max_score: points earned and available (floats; partial
            credit splits a test's points across its parametrized cases).
        status: see :class:`TestStatus`.
        visibility: ``public`` tests are the ones students run with
            ``grader check``; ``hidden`` ones run only in ``grader grade``.
        message: why the test failed, capped in length; for a passing test, empty or what the test
            put in its item's ``user_properties`` as ``("message", text)`` (an otter case's success
            message).
        hint: the test author's hint, shown when the test fails.
        duration_s: wall time of the test in seconds.
    """

    name: str
    question: str
    score: float
    max_score: float
    status: TestStatus
    visibility: Visibility
    message: str = ""
    hint: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is TestStatus.PASSED

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["status"] = str(self.status)
        d["visibility"] = str(self.visibility)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestResult:
        fields = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in fields}
        kw["status"] = TestStatus(kw["status"])
        kw["visibility"] = Visibility(kw["visibility"])
        return cls(**kw)


@dataclass
class SubmissionResult:
    """Everything grading one submission produced.

    Attributes:
        assignment, student: identify the submission (student id is the
            folder name or file stem under ``submissions/<assignment>/``).
        status, message: see :class:`SubmissionStatus`; ``message`` explains
            anything that is not a clean run (cells that raised, a timeout).
        tests: one :class:`TestResult` per test case, in collection order.
        metrics: named numbers a test recorded with the ``record_metric``
            fixture, e.g. ``{"accuracy_mean": 0.96, "n_params": 451}``.
        path: the submitted file, relative to the submissions folder.
        sha256: hash of the submitted files (hex), used to resume a batch.
        suite_hash: hash of the tests and settings it was graded with.
        graded_at: ISO 8601 UTC timestamp.
        wall_time_s, cpu_time_s: seconds spent grading it (cpu: the worker's).
        peak_memory_bytes: the worker's peak resident memory, in bytes.
        backend: the sandbox backend that ran it (``bwrap``, ``docker``, ``subprocess``).
        device: where the student's code computed, as its worker reported:
            ``"cpu"``, or ``"cuda:0 (NVIDIA H200)"`` if it used a GPU ("" if unknown).
        output: the worker's captured stdout/stderr, capped.
        commit_sha: the git commit graded, for a submission from a repository ("" otherwise).
        submitted_at: when it was submitted (ISO 8601): the graded commit's time ("" if unknown).
        days_late: started days after the deadline's grace period (0: on time, or no deadline).
        late_penalty: points taken off for lateness; :attr:`score` is after it.
        flags: what grading noticed about the submission, one per line (a public test or the
            workflow changed from the release: they are never used for grading, but a student
            may have changed them to pass CI).
    """

    assignment: str
    student: str
    status: SubmissionStatus
    message: str = ""
    tests: list[TestResult] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    path: str = ""
    sha256: str = ""
    suite_hash: str = ""
    graded_at: str = ""
    wall_time_s: float = 0.0
    cpu_time_s: float | None = None
    peak_memory_bytes: int | None = None
    backend: str = ""
    device: str = ""
    output: str = ""
    commit_sha: str = ""
    submitted_at: str = ""
    days_late: int = 0
    late_penalty: float = 0.0
    flags: str = ""

    @property
    def raw_score(self) -> float:
        """The tests' points, before any late penalty."""
        return round(sum(t.score for t in self.tests), 6)

    @property
    def score(self) -> float:
        """The points after the late penalty (never below 0)."""
        return round(max(0.0, self.raw_score - self.late_penalty), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable form printed by ``--json``."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "status": str(self.status),
            "message": self.message,
            "score": self.score,
            "max_score": self.max_score,
            "tests": [t.to_dict() for t in self.tests],
            "metrics": dict(self.metrics),
            "path": self.path,
            "sha256": self.sha256,
            "suite_hash": self.suite_hash,
            "graded_at": self.graded_at,
            "wall_time_s": self.wall_time_s,
            "cpu_time_s": self.cpu_time_s,
            "peak_memory_bytes": self.peak_memory_bytes,
            "backend": self.backend,
            "device": self.device,
            "output": self.output,
            "raw_score": self.raw_score,
            "commit_sha": self.commit_sha,
            "submitted_at": self.submitted_at,
            "days_late": self.days_late,
            "late_penalty": self.late_penalty,
            "flags": self.flags,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SubmissionResult:
        fields = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in fields}
        kw["status"] = SubmissionStatus(kw["status"])
        kw["tests"] = [TestResult.from_dict(t) for t in kw.get("tests", [])]
        return cls(**kw)
