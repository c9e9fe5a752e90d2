"""Checking an optimizer's update rule step by step (hw4's hidden tests).

An update rule is called as ``rule(w, dw, config)`` and returns ``(next_w, config)``; the
config crosses the sandbox as plain data, so each step sends it to the student's rule and
the rule's returned config is what the next step sends. These helpers run a rule over a
list of gradients, compare the steps with the reference's, and name a known mistake when
the student's steps match a mistaken rule's (:class:`grader.testing.Failure`, with its hint).

Tolerances: ``RTOL``/``ATOL`` (float32 arithmetic passes; a wrong step is off by far more).
"""

from __future__ import annotations

import copy

import numpy as np

from .remote.errors import CallTimeout, WorkerCrashed
from .testing import Failure, assert_close, fresh_run

RTOL, ATOL = 1e-5, 1e-7
#: Pass as ``config`` to call the rule with two arguments, ``rule(w, dw)``.
NO_CONFIG = object()


def step(rule, w, dw, config, what):
    """One call ``rule(w, dw, config)``, checked to return the pair ``(next_w, config)``."""
    out = rule(w, dw) if config is NO_CONFIG else rule(w, dw, config)
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
        got = f"a value of type {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list))
                                                          else "")
        raise Failure(f"{what} should return the pair (next_w, config) with config a dict; got {got}",
                      hint="Return the pair (next_w, config): the new parameters and the config with the new state.")
    return out[0], out[1]


def run(rule, w, grads, config, what):
    """Steps of ``rule`` over ``grads``, passing each returned config back in: (list of next_w, last config)."""
    ws = []
    for dw in grads:
        w, config = step(rule, w, dw, copy.deepcopy(config) if isinstance(config, dict) else config, what)
        ws.append(w)
    return ws, config


def matches(actual, expected, rtol=RTOL, atol=ATOL):
    """Whether every step in ``actual`` equals the one in ``expected`` (shapes, and values within
    ``rtol``/``atol``; linear regression's tests pass their own, tighter ``atol``)."""
    try:
        return all(np.shape(a) == np.shape(e) and np.allclose(np.asarray(a, dtype=float), e, rtol=rtol, atol=atol,
                                                              equal_nan=True) for a, e in zip(actual, expected))
    except (TypeError, ValueError):  # not numbers: assert_close has said so already
        return False


def check_steps(actual, expected, what, known=()):
    """``assert_close`` step by step; on a failure, a :class:`Failure` naming the known mistake
    the student's steps match, with its hint (``known``: triples (description, steps of the
    mistaken rule, hint), as :func:`mistakes` makes them); a plain failure when they match none."""
    for k, (a, e) in enumerate(zip(actual, expected)):
        try:
            assert_close(a, e, rtol=RTOL, atol=ATOL, name=f"{what}: next_w after step {k + 1}")
        except AssertionError as exc:
            for label, wrong, fix in known:
                if matches(actual, wrong) and not matches(expected, wrong):
                    raise Failure(f"{exc}. This matches {label}.", hint=fix) from None
            raise


def mistakes(rules, w, grads, config):
    """(description, steps, hint) of each mistaken rule (``rules``: description -> (rule, hint))
    on the same problem."""
    return [(label, run(rule, w, grads, config, label)[0], fix) for label, (rule, fix) in rules.items()]


def blame_shared_state(submission, reference_rule, problems, name):
    """Raise a :class:`Failure` naming state kept outside config when each parameter's steps, run
    on their own in a fresh copy of the submission, are right: a rule that keeps its state in the
    config it returns takes the same steps whatever other calls came in between. Return otherwise."""
    for w0, grads in problems:
        expected, _ = run(reference_rule, w0, grads, None, "reference")
        try:
            with fresh_run(submission):
                alone, _ = run(getattr(submission, name), w0, grads, None, name)
                right = matches(alone, expected)
        except (CallTimeout, WorkerCrashed):
            raise
        except AssertionError:
            return
        if not right:
            return
    raise Failure(f"{name} takes the right steps for each parameter on its own, but not when another parameter's "
                  "steps come in between (or after other calls): its state is kept outside the config it returns",
                  hint="Keep the state in the config you return, not in a global: each parameter has its own "
                       "config.") from None
