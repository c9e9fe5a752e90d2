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
normalisation over the whole batch, a missing keepdims, a column max), the
failure message names it.

Tolerances: float32 arithmetic passes; every mistake we know of is off by far more.
"""

import numpy as np
import pytest

from grader.testing import as_numeric, assert_close, assert_inputs_unchanged

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


def check(actual, expected, *, name, mistakes=()):
    """``assert_close``; on failure, name the first known mistake that ``actual`` matches.

    ``mistakes``: pairs (the wrong answer, the explanation), or triples with True last for a
    mistake whose answer is NaN or infinite."""
    try:
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=name)
    except AssertionError as exc:
        why = next((m[1] for m in mistakes if _matches(actual, m[0], *m[2:])), None)
        raise AssertionError(f"{exc}. {why}" if why else str(exc)) from None


def _softmax_mistakes(z):
    """(wrong answer, explanation) for the softmax mistakes we know, on input ``z``."""
    if z.ndim != 2:
        return []
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        e0 = np.exp(z - z.max(axis=0, keepdims=True))
        out = [
            (e0 / e0.sum(axis=0, keepdims=True),
             "This is the softmax over axis 0 (each column sums to 1): a batch has one example per row, "
             "so normalise over the classes, axis=-1."),
            (np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
             "This normalises over the whole batch (all entries sum to 1 together): each row must sum to 1 "
             "(sum over axis=-1 with keepdims=True)."),
            (e0 / e0.sum(axis=-1, keepdims=True),
             "This subtracts each column's max (axis 0), which changes the answer: subtract each row's max, "
             "z.max(axis=-1, keepdims=True)."),
        ]
        if z.shape[0] == z.shape[1]:
            out.append((e / e.sum(axis=-1),
                        "Row i is divided by the sum of row j: the sum lost its axis. Use keepdims=True "
                        "(or s[:, None]) so that each row is divided by its own sum."))
    return out


def _log_softmax_mistakes(z):
    if z.ndim != 2:
        return []
    with np.errstate(all="ignore"):
        s0 = z - z.max(axis=0, keepdims=True)
        s = z - z.max(axis=-1, keepdims=True)
        return [
            (s0 - np.log(np.exp(s0).sum(axis=0, keepdims=True)),
             "This is the log-softmax over axis 0: normalise each row (axis=-1), one example per row."),
            (s, "This is z - max(z) without the log-sum-exp term: subtract log(sum(exp(z - max))) too."),
        ]


# --------------------------------------------------------------------------- softmax


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", SHAPES_2D, ids=str)
def test_softmax_values(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.softmax(z), reference.softmax(z), name=f"softmax(z), z of shape {shape}",
          mistakes=_softmax_mistakes(z))


@pytest.mark.points(2)
@pytest.mark.hint("One example of shape (C,) must work too: take the max and the sum over axis=-1.")
@pytest.mark.parametrize("shape", SHAPES_1D, ids=str)
def test_softmax_1d(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.softmax(z), reference.softmax(z), name=f"softmax(z), z of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint(
    "np.exp(z) overflows to inf for z > 709, and inf/inf is NaN. Subtract each row's max before "
    "exponentiating: softmax(z) = softmax(z - max(z)), and then every exponent is <= 0."
)
@pytest.mark.parametrize("z", LARGE.values(), ids=LARGE.keys())
def test_softmax_large_logits(submission, reference, z):
    check(submission.softmax(z), reference.softmax(z), name="softmax(z), |z| up to 1e4",
          mistakes=_softmax_mistakes(z))


@pytest.mark.hint("Subtract the max of each row (z.max(axis=-1, keepdims=True)), not one max of the whole batch.")
def test_softmax_shifts_each_row(submission, reference):
    check(submission.softmax(ROW_SCALES), reference.softmax(ROW_SCALES),
          name="softmax(z), rows with maxima 1e4, -1e4 + 2 and 1.5", mistakes=_softmax_mistakes(ROW_SCALES))


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


@pytest.mark.hint("One example of shape (C,) must work too: reduce over axis=-1.")
@pytest.mark.parametrize("shape", SHAPES_1D, ids=str)
def test_log_softmax_1d(submission, reference, rng, shape):
    z = rng.normal(0.0, 3.0, size=shape)
    check(submission.log_softmax(z), reference.log_softmax(z), name=f"log_softmax(z), z of shape {shape}")


@pytest.mark.points(2)
@pytest.mark.hint(
    "np.log(softmax(z)) is log(0) = -inf as soon as a probability underflows (softmax([0, -1e4])[1] is 0), "
    "and log(sum(exp(z))) overflows for z > 709. Use log-sum-exp: (z - m) - log(sum(exp(z - m))), m = max(z)."
)
@pytest.mark.parametrize(
    "z",
    [np.array([[0.0, -1e4]]), np.array([[1e4, 0.0, -1e4]]), np.array([[-1e4, -1e4], [1e4, 1e4]]),
     np.array([[800.0, -800.0, 0.0]]), np.array([0.0, -1e3, 1e3])],
    ids=["0,-1e4", "1e4,0,-1e4", "equal-1e4", "800", "1d"],
)
def test_log_softmax_large_logits(submission, reference, z):
    check(submission.log_softmax(z), reference.log_softmax(z), name="log_softmax(z), |z| up to 1e4",
          mistakes=_log_softmax_mistakes(z))


# --------------------------------------------------------------------------- both


@pytest.mark.hint("Do not change z in place (z -= z.max(axis=-1, keepdims=True), np.exp(z, out=z)): the caller "
                  "still needs the logits. Shift into a new array: shifted = z - z.max(axis=-1, keepdims=True).")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_inputs_unchanged(submission, reference, rng, name):
    for shape in [(4, 5), (6,)]:
        assert_inputs_unchanged(getattr(submission, name), rng.normal(1.0, 3.0, size=shape), name=name,
                                reference_fn=getattr(reference, name), rtol=RTOL, atol=ATOL)
