"""grader: sandboxed autograding for neural-network courses.

The data flow, one module per arrow::

    submissions.py (find files) -> notebook.py (cells) -> sandbox/ (worker process)
    -> worker/ (runs student code) <-> remote/ (channel, session, proxies: plain data only)
    -> harness/ (pytest + reference, scoring) -> results.py -> store.py
    -> gradebook.py, leaderboard.py (ranking) -> leaderboard_render.py
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
