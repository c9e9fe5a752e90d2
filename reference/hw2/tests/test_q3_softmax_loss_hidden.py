"""Hidden tests, question "softmax_loss" (17 points): CS231n's softmax_loss(x, y) -> (loss, dx).

    loss = mean_i -log p[i, y_i],  p = softmax(x)
    dx   = (p - onehot(y)) / N

The loss and the gradient are scored in separate tests, so a mistake in dx
costs only the dx points. Also: the pair and its shapes, a batch of one,
logits as large as 1e4, and x and y left as they were (test_inputs_unchanged:
x -= x.max(...), or dx = x then dx[range(N), y] -= 1, change the caller's x). When dx matches a known mistake (not divided by N, the
wrong sign, the 1 never subtracted, dx[:, y] -= 1), the message names it
and the hint says how to fix that mistake; a test's fixed hint only states what
is right. softmax_loss may use your softmax, log_softmax or cross_entropy
(questions "softmax" and "losses"): a failing test is run again with the
reference's in their place, so their mistakes are charged there only.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = [pytest.mark.question("softmax_loss"),
              pytest.mark.reference_helpers("softmax", "log_softmax", "cross_entropy")]


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


RTOL, ATOL = 1e-4, 1e-6
SHAPES = [(4, 3), (3, 4), (6, 6), (50, 10)]
LARGE = {
    "1e4": (np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4 + 2.0]]), np.array([2, 0])),
    "equal-1e4": (np.array([[1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]]), np.array([1, 2])),
    "800": (np.array([[800.0, -800.0], [-710.0, 710.0], [0.5, 0.0]]), np.array([1, 1, 0])),
}


def _matches(actual, wrong, nonfinite=False) -> bool:
    """Whether ``actual`` equals the answer a known mistake gives. NaN and infinity match
    only for a mistake that is about them (``nonfinite``): any unstable formula gives them."""
    try:
        a = as_numeric(actual).astype(np.float64)
    except AssertionError:
        return False
    w = np.asarray(wrong, dtype=np.float64)
    if a.shape != w.shape or (not nonfinite and not np.all(np.isfinite(a))):
        return False
    return bool(np.allclose(a, w, rtol=RTOL, atol=ATOL, equal_nan=True))


def _nonfinite(actual) -> bool:
    try:
        return not bool(np.all(np.isfinite(as_numeric(actual).astype(np.complex128))))
    except AssertionError:
        return False


def check(actual, expected, *, name, mistakes=(), nonfinite=None):
    """``assert_close``; on failure, a :class:`Failure` naming the first known mistake that
    ``actual`` matches, with that mistake's hint; a plain failure when it matches none.

    ``mistakes``: triples (the wrong answer, what it is, the hint), or quadruples with True last
    for a mistake whose answer is NaN or infinite. ``nonfinite``: (what, hint) for NaN or
    infinity that no mistake matched (where the right answer is finite)."""
    try:
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=name)
    except AssertionError as exc:
        for wrong, what, fix, *special in mistakes:
            if _matches(actual, wrong, *special):
                raise Failure(f"{exc}. This matches {what}.", hint=fix) from None
        if nonfinite is not None and _nonfinite(actual):
            raise Failure(f"{exc}: {nonfinite[0]}", hint=nonfinite[1]) from None
        raise


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss_mistakes(x, y):
    n, c = x.shape
    s = x - x.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    with np.errstate(all="ignore"):
        return [
            (-np.sum(logp[np.arange(n), y]), "the sum over the batch",
             "The loss is the mean over the N examples: np.mean, not np.sum."),
            (-np.mean(np.eye(c)[y] * logp), "an average over N*C entries",
             "Average over the N examples only: -np.mean(logp[np.arange(N), y])."),
            (-np.mean(logp[:, y]), "logp[:, y]", "Pick one entry per row: logp[np.arange(N), y]."),
        ]


def _dx_mistakes(x, y):
    n, c = x.shape
    p, onehot = _softmax(x), np.eye(c)[y]
    column = p.copy()
    column[:, y] -= 1
    return [
        (p - onehot, f"dx not divided by N = {n}",
         "The loss is a mean over the batch, so dx = (p - onehot(y)) / N."),
        ((onehot - p) / n, "dx with the wrong sign", "dx = (p - onehot(y)) / N: p minus the one-hot labels."),
        (p / n, "dx without the 1 subtracted", "Subtract 1 at each row's class: dx[i, y_i] = (p[i, y_i] - 1) / N."),
        (column / n, "dx[:, y] -= 1, which subtracts in whole columns", "Use dx[np.arange(N), y] -= 1."),
        ((p - onehot) / c, "dx divided by the number of classes C", "Divide by the batch size N = x.shape[0]."),
        ((p - onehot) / (n * c), "dx divided by N*C (dx.size)", "Divide by the batch size N = x.shape[0] only."),
    ]


def _pair(submission, x, y):
    result = submission.softmax_loss(x, y)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise Failure(f"softmax_loss must return the pair (loss, dx), not {type(result).__name__}",
                      hint="Return the pair (loss, dx): loss a number, dx an array of x's shape (N, C).")
    return result


def _xy(rng, n, c):
    return rng.normal(0.0, 3.0, size=(n, c)), rng.integers(0, c, size=n)


@pytest.mark.hint("Return the pair (loss, dx): loss a number, dx an array of x's shape (N, C).")
@pytest.mark.parametrize("n,c", [(4, 3), (3, 5)])
def test_returns_loss_and_dx(submission, rng, n, c):
    x, y = _xy(rng, n, c)
    loss, dx = _pair(submission, x, y)
    loss = as_numeric(loss, "loss")
    require(loss.shape == (), f"loss should be a number, but it has shape {loss.shape}")
    dx = as_numeric(dx, "dx")
    require(dx.shape == (n, c), f"dx should have x's shape {(n, c)}, not {dx.shape}")


@pytest.mark.points(4)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_loss_values(submission, reference, rng, shape):
    x, y = _xy(rng, *shape)
    loss, _dx = _pair(submission, x, y)
    check(loss, reference.softmax_loss(x, y)[0], name=f"loss, x of shape {shape}", mistakes=_loss_mistakes(x, y))


@pytest.mark.points(6)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_dx_values(submission, reference, rng, shape):
    x, y = _xy(rng, *shape)
    _loss, dx = _pair(submission, x, y)
    check(dx, reference.softmax_loss(x, y)[1], name=f"dx, x of shape {shape}", mistakes=_dx_mistakes(x, y))


@pytest.mark.points(2)
@pytest.mark.hint("For x of shape (1, C): loss = -log p[0, y_0] and dx = p - onehot(y), of shape (1, C).")
def test_batch_of_one(submission, reference, rng):
    x, y = _xy(rng, 1, 4)
    loss, dx = _pair(submission, x, y)
    expected_loss, expected_dx = reference.softmax_loss(x, y)
    check(loss, expected_loss, name="loss, x of shape (1, 4)", mistakes=_loss_mistakes(x, y))
    check(dx, expected_dx, name="dx, x of shape (1, 4)", mistakes=_dx_mistakes(x, y))


LARGE_NONFINITE = ("NaN or infinity where the loss and dx are finite: exp overflowed, or log(0) of a probability "
                   "that underflowed", "Shift each row by its max before exponentiating, and take -log p with "
                   "log-sum-exp, not np.log(softmax(x)).")


@pytest.mark.points(3)
@pytest.mark.hint("loss and dx are finite for every finite x: loss = mean_i (log sum_j exp(x_ij) - x_i,y_i), "
                  "dx = (softmax(x) - onehot(y)) / N.")
@pytest.mark.parametrize("case", LARGE.values(), ids=LARGE.keys())
def test_large_logits(submission, reference, case):
    x, y = case
    loss, dx = _pair(submission, x, y)
    expected_loss, expected_dx = reference.softmax_loss(x, y)
    check(loss, expected_loss, name="loss, |x| up to 1e4", mistakes=_loss_mistakes(x, y), nonfinite=LARGE_NONFINITE)
    check(dx, expected_dx, name="dx, |x| up to 1e4", mistakes=_dx_mistakes(x, y), nonfinite=LARGE_NONFINITE)


IN_PLACE = ("Do not change x or y in place (x -= x.max(axis=1, keepdims=True); dx = x, then dx[range(N), y] -= 1): "
            "the caller still needs them. Shift into a new array and build dx from the new probabilities.")


@pytest.mark.parametrize("n,c", [(4, 3), (6, 6)])
def test_inputs_unchanged(submission, reference, rng, n, c):
    x, y = _xy(rng, n, c)
    assert_inputs_unchanged(submission.softmax_loss, x, y, name="softmax_loss", reference_fn=reference.softmax_loss,
                            rtol=RTOL, atol=ATOL, hint=IN_PLACE)
