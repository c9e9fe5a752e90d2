"""Hidden tests, question "early_stopping" (15 points): EarlyStopping.

The rule (stated in the template): the calls to ``step`` are numbered 0, 1,
2, ...; a loss is an improvement when ``val_loss < best - min_delta``
(strictly; an equal loss is not, a NaN never is); an improvement sets
``best = val_loss``, ``best_epoch = `` the call's index and the count of bad
calls to 0; any other call adds 1 to the count and leaves best and
best_epoch alone; ``step`` returns True once the count reaches ``patience``.

Each test feeds a hand-made sequence of losses to a fresh EarlyStopping in
the worker and compares every return value (and best, best_epoch after
every step) with the rule, written out again here as ``_rule``. When the
student's answers match a known mistake instead (an off-by-one in patience,
min_delta ignored or with the wrong sign, an equal loss counted as an
improvement, bad epochs counted in total rather than in a row, best_epoch
counted from 1 or never updated), the message says so and the hint says
how to fix it; a wrong answer of another kind gets its message only.
"""

import math

import numpy as np
import pytest

from grader.testing import Failure

pytestmark = pytest.mark.question("early_stopping")


def _rule(losses, patience=5, min_delta=0.0, mistake=None):
    """What step() returns after each loss, and (best, best_epoch) after each step.

    ``mistake`` simulates a known wrong rule, to name it in the message.
    """
    best, best_epoch, bad = math.inf, None, 0
    stops, states = [], []
    for epoch, loss in enumerate(losses):
        if mistake == "ignores_min_delta":
            improved = loss < best
        elif mistake == "min_delta_wrong_sign":
            improved = loss < best + min_delta
        elif mistake == "equal_is_improvement":
            improved = loss <= best - min_delta
        else:
            improved = loss < best - min_delta
        if improved:
            best = loss
            if mistake != "best_epoch_not_updated" or best_epoch is None:
                best_epoch = epoch + (1 if mistake == "one_based" else 0)
            if mistake != "no_reset":
                bad = 0
        else:
            bad += 1
        stops.append(bad > patience if mistake == "off_by_one" else bad >= patience)
        states.append((best, best_epoch))
    return stops, states


MISTAKES = {  # name: (what the answers match, how to fix it)
    "off_by_one": ("it stops one step late", "Stop when the count of bad epochs reaches patience (>=, not >)."),
    "ignores_min_delta": ("min_delta is ignored", "An improvement must beat best - min_delta: val_loss < best - min_delta."),
    "min_delta_wrong_sign": ("min_delta has the wrong sign", "An improvement is val_loss < best - min_delta, not best + min_delta."),
    "equal_is_improvement": ("an equal loss counts as an improvement",
                             "An improvement must be strictly lower: val_loss < best - min_delta (<, not <=)."),
    "no_reset": ("bad epochs are counted in total, not in a row", "Reset the count to 0 after an improvement."),
    "one_based": ("best_epoch is counted from 1", "The first call to step is epoch 0."),
    "best_epoch_not_updated": ("best_epoch is not updated when a new best loss arrives",
                               "On an improvement set best_epoch to this call's index (0, 1, 2, ...)."),
}


def _run(submission, losses, *args, **kwargs):
    """Feed ``losses`` to a fresh EarlyStopping(*args, **kwargs); returns (stops, states)."""
    es = submission.EarlyStopping(*args, **kwargs)
    stops, states = [], []
    for k, loss in enumerate(losses):
        r = es.step(loss)
        assert type(r) in (bool, np.bool_), f"step() should return True or False, got {r!r} at call {k}"
        stops.append(bool(r))
        states.append((es.best, es.best_epoch))
    return stops, states


def _fail(message, losses, patience, min_delta, stops, states):
    """Raise a Failure naming the known mistake that explains every answer (what step() returned and
    (best, best_epoch) after each step), with its fix as the hint, when exactly one does; else an
    AssertionError with ``message`` (no hint: a fix for another mistake would mislead)."""
    right_stops, right_states = _rule(losses, patience, min_delta)
    matches = []
    for name, (text, fix) in MISTAKES.items():
        m_stops, m_states = _rule(losses, patience, min_delta, mistake=name)
        if m_stops == right_stops and _same_states(m_states, right_states):
            continue  # this mistake changes nothing on these losses
        if stops == m_stops and _same_states(states, m_states):
            matches.append((text, fix))
    if len(matches) == 1:
        text, fix = matches[0]
        raise Failure(f"{message} It looks like {text}.", hint=fix)
    raise AssertionError(message)


def _same_states(a, b):
    return len(a) == len(b) and all(_same(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b))


def _same(u, v):
    if u is None or v is None:
        return u is v
    try:
        return math.isclose(float(u), float(v), rel_tol=1e-6) or (math.isinf(u) and math.isinf(v))
    except (TypeError, ValueError):
        return False


def _check_stops(submission, losses, patience=5, min_delta=0.0):
    """Assert that step() returns what the rule says after each loss; returns (best, best_epoch) per step."""
    stops, states = _run(submission, losses, patience=patience, min_delta=min_delta)
    expected, _ = _rule(losses, patience, min_delta)
    first = next((i for i, (a, b) in enumerate(zip(stops, expected)) if a != b), None)
    if stops != expected:
        _fail(f"EarlyStopping(patience={patience}, min_delta={min_delta}) on losses {losses}: step() should return "
              f"{expected}, got {stops} (first difference at call {first}).",
              losses, patience, min_delta, stops, states)
    return states


@pytest.mark.points(4)
@pytest.mark.parametrize("patience", [1, 2, 3, 5])
def test_stops_after_exactly_patience_bad_epochs(submission, patience):
    # improving for 6 calls (no stop), then patience + 2 bad calls (stop from the patience-th on)
    losses = [1.0 - 0.05 * k for k in range(6)] + [0.8 + 0.01 * k for k in range(patience + 2)]
    _check_stops(submission, losses, patience=patience)


def test_default_patience_is_5(submission):
    losses = [2.0, 1.5] + [1.6] * 7
    stops, _ = _run(submission, losses)
    expected, _ = _rule(losses)
    assert stops == expected, (
        f"EarlyStopping() (patience=5, min_delta=0.0) on {losses}: step() should return {expected}, got {stops}"
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("losses", [[1.0, 1.0, 1.0, 1.0], [0.5, 0.4, 0.4, 0.4, 0.4, 0.3]], ids=["flat", "plateau"])
def test_an_equal_loss_is_not_an_improvement(submission, losses):
    states = _check_stops(submission, losses, patience=3)
    _, expected = _rule(losses, 3)
    assert states[-1][1] == expected[-1][1], (
        f"on {losses}, best_epoch should be {expected[-1][1]} (the first time the best loss was reached), "
        f"got {states[-1][1]}"
    )


@pytest.mark.points(2)
@pytest.mark.parametrize("patience", [2, 3])
def test_the_count_resets_after_an_improvement(submission, patience):
    # bad epochs come in runs of patience - 1, separated by improvements: never stops
    losses = [1.0]
    for k in range(4):
        losses += [1.5] * (patience - 1) + [0.9 - 0.1 * k]
    losses += [1.5] * patience
    _check_stops(submission, losses, patience=patience)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "losses,patience,min_delta",
    [
        ([1.0, 0.95, 0.91, 0.89, 0.8], 2, 0.1),  # 0.95, 0.91 are not improvements; 0.89 is (< 0.9)
        ([1.0, 0.99, 0.98, 0.97, 0.96, 0.94], 3, 0.05),  # creeping down by less than min_delta
        ([1.0, 0.98, 1.01, 0.979, 0.97, 0.96], 2, 0.025),
        ([1.0, 0.7, 0.68, 0.5, 0.49, 0.48], 2, 0.1),
    ],
)
def test_min_delta(submission, losses, patience, min_delta):
    states = _check_stops(submission, losses, patience=patience, min_delta=min_delta)
    _, expected = _rule(losses, patience, min_delta)
    if not _same_states(states, expected):
        _fail(f"EarlyStopping(patience={patience}, min_delta={min_delta}) on {losses}: (best, best_epoch) after "
              f"each step should be {expected}, got {states}. A decrease smaller than min_delta does not move best.",
              losses, patience, min_delta, _rule(losses, patience, min_delta)[0], states)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "losses",
    [[0.9, 0.7, 0.8, 0.6, 0.65, 0.66], [3.0, 2.0, 1.0, 1.5], [0.5], [1.0, 2.0, 3.0, 0.5, 0.6]],
    ids=["zigzag", "down_then_up", "one_step", "late_best"],
)
def test_best_and_best_epoch(submission, losses):
    stops, states = _run(submission, losses, patience=10)
    _, expected = _rule(losses, 10)
    if not _same_states(states, expected):
        _fail(f"on {losses}, (best, best_epoch) after each step should be {expected} (epochs counted from 0), "
              f"got {states}.", losses, 10, 0.0, stops, states)


def test_positional_arguments(submission):
    losses = [1.0, 0.95, 0.97, 0.96, 0.7]
    stops, states = _run(submission, losses, 2, 0.1)
    expected, expected_states = _rule(losses, 2, 0.1)
    assert stops == expected and _same_states(states, expected_states), (
        f"EarlyStopping(2, 0.1), i.e. patience=2, min_delta=0.1, on {losses}: step() should return {expected} "
        f"with (best, best_epoch) {expected_states}; got {stops} with {states}"
    )


def test_nan_is_not_an_improvement(submission):
    losses = [1.0, float("nan"), float("nan")]
    stops, states = _run(submission, losses, patience=2)
    if any(isinstance(b, float) and math.isnan(b) for b, _ in states):
        raise Failure(f"after the losses {losses}, best is NaN: a NaN loss counted as an improvement",
                      hint="A NaN loss (a diverged run) is never an improvement: test val_loss < best - min_delta "
                           "(False for NaN), not the negation of val_loss >= best - min_delta (True for NaN).")
    states = _check_stops(submission, losses, patience=2)
    assert _same(states[-1][0], 1.0) and states[-1][1] == 0, (
        f"after the losses {losses}, best should be 1.0 and best_epoch 0, got {states[-1]}"
    )
