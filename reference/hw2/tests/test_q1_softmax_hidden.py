"""Hidden tests, question "softmax" (15 points): softmax and log_softmax.

softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m) and
log_softmax(z)_k = (z_k - m) - log sum_j exp(z_j - m), with m the row's max,
over the last axis, for a batch (N, C) or one example (C,).

Each behaviour has its own test: values on batches with N != C, N == C, a
batch of one and a single class (test_softmax_values, test_log_softmax_values),
one example of shape (C,) (the *_1d tests), |z| up to 1e4 (the *_large_logits
tests), rows of very different scale, which catch a max taken over the whole
batch instead of each row (test_softmax_shifts_each_row), all-zero logits, and
z left as it was (test_inputs_unchanged: z -= z.max(...) shifts the caller's
logits).
When a wrong answer matches a known mistake (softmax over axis 0, a
normalisation over the whole batch, a missing keepdims, a column max, the raw
logits exponentiated, one max for the whole batch, log of the softmax), the
failure message names it and the hint says how to fix that mistake; NaN or
infinity for large logits gets the hint about the max shift. A test's fixed
hint only states what is right, whatever the mistake.

Tolerances: float32 arithmetic passes; every mistake we know of is off by far more.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("softmax")

RTOL, ATOL = 1e-4, 1e-6
SHAPES_2D = [(4, 3), (3, 5), (5, 5), (1, 6), (6, 1), (32, 10)]
SHAPES_1D = [(7,), (3,), (1,)]
LARGE = {
    "1e4": np.array([[1e4, 0.0, -1e4]]),
    "all-1e4": np.array([[1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]]),
    "near-1e4": np.array([[1e4, 1e4 - 1.0, 1e4 - 3.0], [-1e4 + 2.0, -1e4, -1e4 + 1.0]]),
    "710": np.array([[710.0, -710.0], [-800.0, 800.0]]),
    "1d": np.array([1e4, -1e4, 0.0, 1e4 - 2.0]),
}
# Rows whose maxima are far apart: a max over the whole batch leaves a row with only exp(-huge) = 0 terms.
ROW_SCALES = np.array([[1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4 + 2.0, -1e4 + 1.0], [0.5, -0.5, 1.5]])


# --------------------------------------------------------------------------- recognising mistakes


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


SHIFT_HINT = ("Subtract each row's own max before exponentiating, z - z.max(axis=-1, keepdims=True): then every "
              "exponent is <= 0 (no overflow) and each row has a term exp(0) = 1 (no 0/0).")
SOFTMAX_NONFINITE = ("NaN or infinity where every probability is finite: exp overflowed (exp(z) is inf for "
                     "z > 709), or a row's terms all underflowed to 0 (0/0)", SHIFT_HINT)
LOG_SOFTMAX_NONFINITE = ("NaN or infinity where log_softmax is finite: exp(z) overflowed, or log(0) of a "
                         "probability that underflowed",
                         "Use log-sum-exp: (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)), "
                         "m = z.max(axis=-1, keepdims=True); never np.log(softmax(z)).")


def _softmax_mistakes(z):
    """(wrong answer, what it is, hint[, True for NaN or infinity]) for the softmax mistakes we know, on ``z``."""
    if z.ndim != 2:
        return []
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        e0 = np.exp(z - z.max(axis=0, keepdims=True))
        eg = np.exp(z - z.max())
        out = [
            (e0 / e0.sum(axis=0, keepdims=True), "the softmax over axis 0 (each column sums to 1)",
             "A batch has one example per row: normalise over the classes, axis=-1."),
            (eg / eg.sum(), "a normalisation over the whole batch (all entries sum to 1 together)",
             "Each row must sum to 1: sum over axis=-1 with keepdims=True."),
            (e0 / e0.sum(axis=-1, keepdims=True), "each column's max (axis 0) subtracted, which changes the answer",
             "Subtract each row's max: z.max(axis=-1, keepdims=True)."),
            (eg / eg.sum(axis=-1, keepdims=True), "one max of the whole batch subtracted (a row far below it "
             "underflows to 0/0)", "Subtract the max of each row, z.max(axis=-1, keepdims=True), not one max "
             "of the whole batch.", True),
            (np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), "the raw logits exponentiated (exp(z) overflows "
             "to inf for z > 709, and inf/inf is NaN)", SHIFT_HINT, True),
        ]
        if z.shape[0] == z.shape[1]:
            out.append((e / e.sum(axis=-1), "row i divided by the sum of row j: the sum lost its axis",
                        "Use keepdims=True (or s[:, None]) so that each row is divided by its own sum."))
    return out


def _log_softmax_mistakes(z):
    with np.errstate(all="ignore"):
        s = z - z.max(axis=-1, keepdims=True)
        e = np.exp(s)
        out = [
            (np.log(e / e.sum(axis=-1, keepdims=True)), "np.log(softmax(z)): log(0) = -inf where a probability "
             "underflows", LOG_SOFTMAX_NONFINITE[1], True),
            (z - np.log(np.exp(z).sum(axis=-1, keepdims=True)), "log(sum(exp(z))) without the max shift: exp "
             "overflows for z > 709", LOG_SOFTMAX_NONFINITE[1], True),
        ]
        if z.ndim == 2:
            s0 = z - z.max(axis=0, keepdims=True)
            out += [
                (s0 - np.log(np.exp(s0).sum(axis=0, keepdims=True)), "the log-softmax over axis 0",
                 "Normalise each row (axis=-1): one example per row."),
                (s, "z - max(z) without the log-sum-exp term", "Subtract log(sum(exp(z - max))) too."),
            ]
    return out


# --------------------------------------------------------------------------- softmax


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", SHAPES_2D, ids=str)
def test_softmax_values(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.softmax(z), reference.softmax(z), name=f"softmax(z), z of shape {shape}",
          mistakes=_softmax_mistakes(z))


@pytest.mark.points(2)
@pytest.mark.hint("One example of shape (C,) is a single row: softmax(z) has shape (C,) and sums to 1.")
@pytest.mark.parametrize("shape", SHAPES_1D, ids=str)
def test_softmax_1d(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.softmax(z), reference.softmax(z), name=f"softmax(z), z of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint("softmax(z) = softmax(z - max(z)) is finite for every z: each row is a probability distribution, "
                  "even for |z| = 1e4.")
@pytest.mark.parametrize("z", LARGE.values(), ids=LARGE.keys())
def test_softmax_large_logits(submission, reference, z):
    check(submission.softmax(z), reference.softmax(z), name="softmax(z), |z| up to 1e4",
          mistakes=_softmax_mistakes(z), nonfinite=SOFTMAX_NONFINITE)


@pytest.mark.hint("Each row is a probability distribution of its own, whatever the other rows hold.")
def test_softmax_shifts_each_row(submission, reference):
    check(submission.softmax(ROW_SCALES), reference.softmax(ROW_SCALES),
          name="softmax(z), rows with maxima 1e4, -1e4 + 2 and 1.5", mistakes=_softmax_mistakes(ROW_SCALES),
          nonfinite=SOFTMAX_NONFINITE)


@pytest.mark.parametrize("shape", [(3, 4), (5,)], ids=str)
def test_softmax_zeros(submission, reference, shape):
    z = np.zeros(shape)
    check(submission.softmax(z), reference.softmax(z), name=f"softmax(zeros{shape})", mistakes=_softmax_mistakes(z))


# --------------------------------------------------------------------------- log_softmax


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", SHAPES_2D, ids=str)
def test_log_softmax_values(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.log_softmax(z), reference.log_softmax(z), name=f"log_softmax(z), z of shape {shape}",
          mistakes=_log_softmax_mistakes(z))


@pytest.mark.hint("One example of shape (C,) is a single row: log_softmax(z) has shape (C,).")
@pytest.mark.parametrize("shape", SHAPES_1D, ids=str)
def test_log_softmax_1d(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.log_softmax(z), reference.log_softmax(z), name=f"log_softmax(z), z of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint("log_softmax(z) = (z - m) - log(sum(exp(z - m))), m = the row's max, is finite for every "
                  "finite z: log_softmax([0, -1e4]) = [0, -1e4].")
@pytest.mark.parametrize(
    "z",
    [np.array([[0.0, -1e4]]), np.array([[1e4, 0.0, -1e4]]), np.array([[-1e4, -1e4], [1e4, 1e4]]),
     np.array([[800.0, -800.0, 0.0]]), np.array([0.0, -1e3, 1e3])],
    ids=["0,-1e4", "1e4,0,-1e4", "equal-1e4", "800", "1d"],
)
def test_log_softmax_large_logits(submission, reference, z):
    check(submission.log_softmax(z), reference.log_softmax(z), name="log_softmax(z), |z| up to 1e4",
          mistakes=_log_softmax_mistakes(z), nonfinite=LOG_SOFTMAX_NONFINITE)


# --------------------------------------------------------------------------- both


IN_PLACE = ("Do not change z in place (z -= z.max(axis=-1, keepdims=True), np.exp(z, out=z)): the caller "
            "still needs the logits. Shift into a new array: shifted = z - z.max(axis=-1, keepdims=True).")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_inputs_unchanged(submission, reference, rng, name):
    for shape in [(4, 5), (6,)]:
        assert_inputs_unchanged(getattr(submission, name), rng.normal(1.0, 3.0, size=shape), name=name,
                                reference_fn=getattr(reference, name), rtol=RTOL, atol=ATOL, hint=IN_PLACE)
