"""Hidden tests, question "losses" (20 points): mse_loss, binary_cross_entropy, cross_entropy.

    mse_loss(y_pred, y)        = mean (y - y_pred)^2
    binary_cross_entropy(p, y) = -mean [y log p + (1 - y) log(1 - p)], p clipped to [eps, 1 - eps]
    cross_entropy(logits, y)   = mean_i -log softmax(logits_i)[y_i]

Each loss is a number (a float or a 0-d array). Each behaviour has its own
test: values on several shapes (N != C, N == C, a batch of one), the edges
(equal inputs, zeros, large magnitudes, p exactly 0 or 1), the eps argument
passed by position and by keyword, logits as large as 1e4, and the arguments
left as they were (test_inputs_unchanged: np.clip(p, eps, 1 - eps, out=p) or
logits -= logits.max(...) change the caller's arrays). When a wrong
answer matches a known mistake (a sum instead of a mean, 1/2 MSE, RMSE, a
missing minus sign, log10, an eps inside the log, logp[:, y] instead of
logp[range(N), y], ...), the failure message names it and the hint says how to
fix that mistake; a test's fixed hint only states what is right. cross_entropy
may use your log_softmax or softmax (question "softmax"): a failing test is
run again with the reference's in their place, so their mistakes are charged
there only.

Binary cross-entropy at p = 1 is tested with eps = 1e-3 and 1e-4 only: in
float32, 1 - 1e-12 rounds to 1, so the default eps cannot protect log(1 - p)
there (0 * log 0 is NaN even for y = 1), and float32 work must pass. p = 0 is
tested with the default eps too (1e-12 is a normal float32).
"""

import math

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = [pytest.mark.question("losses"), pytest.mark.reference_helpers("softmax", "log_softmax")]

RTOL, ATOL = 1e-4, 1e-6


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


# --------------------------------------------------------------------------- mse_loss


def _mse_mistakes(y_pred, y):
    d = y - y_pred
    mse = np.mean(d**2)
    return [
        (np.sum(d**2), "the sum of the squared errors", "The MSE is the mean of the squared errors: np.mean."),
        (0.5 * mse, "1/2 MSE", "The lecture's MSE has no factor 1/2: np.mean((y - y_pred)**2)."),
        (np.sqrt(mse), "the root of the MSE (RMSE)", "The MSE is not rooted: np.mean((y - y_pred)**2)."),
        (np.mean(np.abs(d)), "the mean absolute error", "Square the errors: np.mean((y - y_pred)**2)."),
        (np.mean(d) ** 2, "the square of the mean error", "Square each error, then average."),
        (np.mean(d**2, axis=0), "an average over axis 0 only",
         "The MSE is the mean over every entry: one number, np.mean with no axis."),
    ]


@pytest.mark.points(3)
@pytest.mark.parametrize("shape", [(10,), (4, 3), (1,), (2, 3, 4)], ids=str)
def test_mse_values(submission, reference, rng, shape):
    y_pred, y = rng.normal(size=shape), rng.normal(size=shape)
    check(submission.mse_loss(y_pred, y), reference.mse_loss(y_pred, y),
          name=f"mse_loss(y_pred, y), shape {shape}", mistakes=_mse_mistakes(y_pred, y))


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "y_pred,y",
    [(np.array([1.5, -2.0, 3.0]), np.array([1.5, -2.0, 3.0])),
     (np.zeros((3, 2)), np.zeros((3, 2))),
     (np.array([1e4, -1e4, 0.0]), np.array([-1e4, 1e4, 1.0])),
     (np.array([[2.5]]), np.array([[-0.5]]))],
    ids=["equal", "zeros", "1e4", "one-entry"],
)
def test_mse_edges(submission, reference, y_pred, y):
    check(submission.mse_loss(y_pred, y), reference.mse_loss(y_pred, y),
          name=f"mse_loss({y_pred.tolist()}, {y.tolist()})", mistakes=_mse_mistakes(y_pred, y))


# --------------------------------------------------------------------------- binary_cross_entropy


def _bce(p, y, log=np.log):
    return -np.mean(y * log(p) + (1 - y) * log(1 - p))


BCE_NONFINITE = ("NaN or infinity where the clipped loss is finite: a log(0)",
                 "Clip p to [eps, 1 - eps] before the logs: p = np.clip(p, eps, 1 - eps).")


def _bce_mistakes(p, y, eps=1e-12):
    with np.errstate(all="ignore"):
        pc = np.clip(p, eps, 1 - eps)
        clip = "Clip p to [eps, 1 - eps] before the logs: p = np.clip(p, eps, 1 - eps)."
        return [
            (-np.sum(y * np.log(pc) + (1 - y) * np.log(1 - pc)), "the sum over the entries",
             "BCE is the mean over the entries: np.mean, not np.sum."),
            (-_bce(pc, y), "the wrong sign", "BCE = -mean[y log p + (1 - y) log(1 - p)] is >= 0."),
            (_bce(pc, y, np.log10), "log10", "The cross-entropy uses the natural log, np.log."),
            (_bce(pc, y, np.log2), "log2", "The cross-entropy uses the natural log, np.log."),
            (-np.mean(y * np.log(1 - pc) + (1 - y) * np.log(pc)), "the two terms swapped",
             "y goes with log p and (1 - y) with log(1 - p)."),
            (_bce(p, y), "p not clipped to [eps, 1 - eps] before the logs (log(0) = -inf, 0 * log(0) = NaN)",
             clip, True),
            *[(_bce(np.clip(p, other, 1 - other), y), f"eps = {other:g}, a constant of your own",
               "Clip with the eps argument (default 1e-12): np.clip(p, eps, 1 - eps).")
              for other in (1e-12, 1e-15, 1e-7, 1e-8, 1e-10) if other != eps],
            (_bce(np.clip(p, eps, None), y), "p clipped from below only (log(1 - p) = -inf at p = 1)", clip, True),
        ]


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(12,), (5, 3), (1,)], ids=str)
def test_bce_values(submission, reference, rng, shape):
    p = rng.uniform(0.02, 0.98, size=shape)
    y = rng.integers(0, 2, size=shape).astype(np.float64)
    check(submission.binary_cross_entropy(p, y), reference.binary_cross_entropy(p, y),
          name=f"binary_cross_entropy(p, y), shape {shape}", mistakes=_bce_mistakes(p, y))


@pytest.mark.points(2)
@pytest.mark.hint("BCE = -mean[y log p + (1 - y) log(1 - p)] with p clipped to [eps, 1 - eps] first (eps = 1e-12 "
                  "by default): finite even at p = 0 or 1.")
@pytest.mark.parametrize(
    "p,y",
    [([0.0], [1.0]), ([0.0, 0.0], [1.0, 0.0]), ([0.0, 0.3, 0.9], [1.0, 0.0, 1.0]), ([[0.0, 0.0]], [[1.0, 0.0]])],
    ids=["p0-y1", "p0-both-labels", "mixed", "2d"],
)
def test_bce_clips_default_eps(submission, reference, p, y):
    p, y = np.array(p), np.array(y)
    check(submission.binary_cross_entropy(p, y), reference.binary_cross_entropy(p, y),
          name=f"binary_cross_entropy(p={p.tolist()}, y={y.tolist()})", mistakes=_bce_mistakes(p, y),
          nonfinite=BCE_NONFINITE)


@pytest.mark.points(2)
@pytest.mark.hint("BCE = -mean[y log p + (1 - y) log(1 - p)] with p = np.clip(p, eps, 1 - eps), eps the argument.")
@pytest.mark.parametrize("eps,how", [(1e-3, "positional"), (1e-4, "keyword")])
def test_bce_eps_argument(submission, reference, eps, how):
    p, y = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    actual = submission.binary_cross_entropy(p, y, eps) if how == "positional" else \
        submission.binary_cross_entropy(p, y, eps=eps)
    check(actual, reference.binary_cross_entropy(p, y, eps),
          name=f"binary_cross_entropy(p=[0, 1, 0.5], y=[1, 0, 1], eps={eps:g})", mistakes=_bce_mistakes(p, y, eps),
          nonfinite=BCE_NONFINITE)


# --------------------------------------------------------------------------- cross_entropy


def _log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


CE_NONFINITE = ("NaN or infinity where the cross-entropy is finite: exp overflowed, or log(0) of a "
                "probability that underflowed",
                "Compute -log softmax with log-sum-exp (your log_softmax), not np.log(softmax(...)).")


def _ce_mistakes(logits, y):
    n, c = logits.shape
    with np.errstate(all="ignore"):
        logp = _log_softmax(logits)
        picked = logp[np.arange(n), y]
        p = np.exp(logp)
        out = [
            (-np.sum(picked), "the sum over the batch",
             "The cross-entropy is the mean over the N examples: np.mean, not np.sum."),
            (-np.mean(np.eye(c)[y] * logp), "an average over N*C entries (np.mean(onehot * log p))",
             "Average over the N examples only: -np.mean(logp[np.arange(N), y])."),
            (-np.mean(logp[:, y]), "logp[:, y], an N x N block",
             "Pick one entry per row: logp[np.arange(N), y]."),
            (np.mean(picked), "the wrong sign", "The loss is -log p of the correct class, >= 0."),
            (-np.mean(logits[np.arange(n), y]), "-mean(logits[range(N), y])",
             "Apply log_softmax to the logits first."),
            (-np.mean(np.log(p[np.arange(n), y])), "-log(softmax(logits)): log(0) = -inf where a probability "
             "underflows", CE_NONFINITE[1], True),
        ]
        for eps in (1e-12, 1e-15, 1e-10, 1e-8, 1e-7):
            out.append((-np.mean(np.log(p[np.arange(n), y] + eps)),
                        f"-log(p + {eps:g}): an eps inside the log caps each term at -log(eps)",
                        "Compute log p with log_softmax (log-sum-exp), without an eps."))
    return out


@pytest.mark.points(5)
@pytest.mark.parametrize("n,c", [(4, 3), (3, 4), (6, 6), (1, 5), (50, 10)])
def test_cross_entropy_values(submission, reference, rng, n, c):
    logits = rng.normal(0.0, 3.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    check(submission.cross_entropy(logits, y), reference.cross_entropy(logits, y),
          name=f"cross_entropy(logits, y), logits of shape {(n, c)}", mistakes=_ce_mistakes(logits, y))


@pytest.mark.points(3)
@pytest.mark.hint("cross_entropy = mean_i (log sum_j exp(logits_ij) - logits_i,y_i), finite for every finite "
                  "logits: [[1e4, 0]] with y = [1] costs 1e4.")
@pytest.mark.parametrize(
    "logits,y",
    [([[1e4, 0.0]], [1]), ([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4 + 2.0]], [2, 0]),
     ([[710.0, -710.0], [0.0, 800.0], [3.0, 1.0]], [0, 0, 0]), ([[1e4, 1e4, 1e4]], [1])],
    ids=["1e4-wrong", "1e4-mixed", "800", "equal-1e4"],
)
def test_cross_entropy_large_logits(submission, reference, logits, y):
    logits, y = np.array(logits), np.array(y)
    check(submission.cross_entropy(logits, y), reference.cross_entropy(logits, y),
          name=f"cross_entropy(logits={logits.tolist()}, y={y.tolist()})", mistakes=_ce_mistakes(logits, y),
          nonfinite=CE_NONFINITE)


# --------------------------------------------------------------------------- all three


IN_PLACE = ("Do not change your arguments in place (np.clip(p, eps, 1 - eps, out=p), p[p == 0] = eps, "
            "logits -= logits.max(...)): the caller still needs them. Clip or shift into a new array: "
            "p = np.clip(p, eps, 1 - eps).")


@pytest.mark.parametrize("name", ["mse_loss", "binary_cross_entropy", "cross_entropy"])
def test_inputs_unchanged(submission, reference, rng, name):
    if name == "mse_loss":
        args = (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))
    elif name == "binary_cross_entropy":  # p exactly 0 and 1, where clipping changes it
        args = (np.array([0.0, 1.0, 0.3, 0.9, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]))
    else:
        args = (rng.normal(1.0, 3.0, size=(5, 4)), rng.integers(0, 4, size=5))
    # eps = 1e-3 for binary cross-entropy: in float32, 1 - 1e-12 rounds to 1 (and 1 - 1e-6 is 6% off in
    # log(1 - p)), and the value must be right too
    kwargs = {"eps": 1e-3} if name == "binary_cross_entropy" else {}
    assert_inputs_unchanged(getattr(submission, name), *args, name=name, reference_fn=getattr(reference, name),
                            rtol=RTOL, atol=ATOL, hint=IN_PLACE, **kwargs)
