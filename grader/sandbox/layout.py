"""Where things live inside an isolating sandbox: the same paths under bubblewrap and in Docker.

Kept apart from :mod:`.bwrap`, which needs Linux-only modules (``fcntl``), so that
the Docker backend (and the command line, which names its defaults) imports on
any platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Limits

SANDBOX_HOME = "/home/student"  # the worker's home and working directory (a tmpfs)
SANDBOX_SUBMISSION = "/opt/submission"  # the submission's files, read-only; copied into the home
SANDBOX_LIB = "/opt/grader"  # the worker package, read-only


def home_size(limits: Limits) -> int:
    """Size of the worker's home (a tmpfs): the largest submission the grader accepts (its
    main file plus four times as much in other files, see :mod:`grader.submissions`), plus
    ``disk`` for what the worker writes."""
    return int(limits.disk + 5 * limits.max_file_size)
