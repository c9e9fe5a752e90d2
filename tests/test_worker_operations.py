"""The worker's table of operations (grader/worker/server.py, OPERATIONS): every request the
trusted side sends has an entry with a docstring, and an unknown one is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.worker import server

ROOT = Path(__file__).resolve().parent.parent
#: Requests the zygote answers itself (grader/worker/zygote.py), not the worker's table.
ZYGOTE_OPS = {"zygote", "spawn", "end"}


def _sent_by_the_trusted_side() -> set[str]:
    """Every ``{"op": ...}`` request literal of the trusted side (``op`` first: the network
    descriptions' nodes also have an ``op``, after their ``name``)."""
    paths = [*(ROOT / "grader" / "remote").glob("*.py"), *(ROOT / "grader" / "testing").glob("*.py"),
             ROOT / "grader" / "submissions.py", ROOT / "grader" / "network.py"]
    return {op for path in paths for op in re.findall(r'\{"op": "([a-z_]+)"', path.read_text())}


def test_every_request_sent_has_an_operation():
    sent = _sent_by_the_trusted_side()
    assert {"call", "getattr", "load", "seed", "export_module", "describe_module"} <= sent  # the scan finds them
    assert sent - ZYGOTE_OPS <= set(server.OPERATIONS), sent - ZYGOTE_OPS - set(server.OPERATIONS)


@pytest.mark.parametrize("op", sorted(server.OPERATIONS))
def test_each_operation_says_what_it_does(op):
    assert (server.OPERATIONS[op].__doc__ or "").strip(), f"{op} has no docstring"


def test_an_unknown_operation_is_refused():
    worker = server.Worker.__new__(server.Worker)
    with pytest.raises(ValueError, match="unknown operation 'exec'"):
        worker.dispatch({"op": "exec"})
