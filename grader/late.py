"""Deadlines and late work: when a submission is late, and what that costs.

An assignment may set, in ``assignment.toml``::

    [deadline]
    due = 2026-12-18T23:59:00+01:00   # a TOML date-time with its UTC offset
    grace_minutes = 15                 # late by less than this is on time (default 0)
    penalty_per_day = 0.10             # share of the maximum score lost per started day late (default 0)
    penalty_cap = 0.50                 # the most that lateness can cost, as a share (default 1)

Days late are counted as nbgrader does, per started day after the grace
period: a submission 1 hour late is 1 day late, one 25 hours late is 2. The
penalty is ``min(cap, per_day * days) * max_score`` points, never more than
the score itself. A submission's time is the time of the commit graded (see
:mod:`grader.repos`); a submission without one (a plain file) is not judged late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DAY_S = 86400.0


@dataclass(frozen=True)
class Deadline:
    """An assignment's deadline. ``due`` is timezone-aware."""

    due: datetime
    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0
    penalty_cap: float = 1.0

    @property
    def cutoff(self) -> datetime:
        """The last on-time moment: the due time plus the grace period."""
        return self.due + timedelta(minutes=self.grace_minutes)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Deadline:
        """The ``[deadline]`` table.

        Raises:
            ValueError: an unknown key, a due time without a UTC offset, or a negative or
                out-of-range number.
        """
        unknown = set(d) - {"due", "grace_minutes", "penalty_per_day", "penalty_cap"}
        if unknown:
            raise ValueError(f"unknown [deadline] settings: {', '.join(sorted(unknown))}")
        due = d.get("due")
        if isinstance(due, str):
            due = datetime.fromisoformat(due)
        if not isinstance(due, datetime):
            raise ValueError("[deadline] due must be a date-time such as 2026-12-18T23:59:00+01:00")
        if due.tzinfo is None:
            raise ValueError("[deadline] due needs its UTC offset (e.g. 2026-12-18T23:59:00+01:00): "
                             "a time without one means different moments on different machines")
        deadline = cls(due=due, grace_minutes=float(d.get("grace_minutes", 0)),
                       penalty_per_day=float(d.get("penalty_per_day", 0)), penalty_cap=float(d.get("penalty_cap", 1)))
        if deadline.grace_minutes < 0 or not 0 <= deadline.penalty_per_day <= 1 or not 0 <= deadline.penalty_cap <= 1:
            raise ValueError("[deadline] grace_minutes must be >= 0, penalty_per_day and penalty_cap in [0, 1]")
        return deadline


def days_late(submitted_at: datetime | None, deadline: Deadline | None) -> int:
    """Started days after the cutoff (0 when on time, or when there is no time or no deadline)."""
    if submitted_at is None or deadline is None or submitted_at <= deadline.cutoff:
        return 0
    return math.ceil((submitted_at - deadline.cutoff).total_seconds() / DAY_S)


def penalty_points(score: float, max_score: float, days: int, deadline: Deadline | None) -> float:
    """Points lost for ``days`` late: ``min(cap, per_day * days) * max_score``, at most ``score``."""
    if deadline is None or days <= 0:
        return 0.0
    return min(score, min(deadline.penalty_cap, deadline.penalty_per_day * days) * max_score)
