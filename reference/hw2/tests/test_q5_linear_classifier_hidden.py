"""Hidden tests, question "linear_classifier" (20 points): l2_penalty and train_linear_softmax.

    l2_penalty(W, reg) = 0.5 * reg * sum(W**2)
    train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0) -> (W, b, losses)

Training is full-batch gradient descent on the softmax cross-entropy plus the
penalty, from W = 0.01 * randn(D, K) (seeded by ``seed``) and b = 0;
``losses[i]`` is the loss before step i.

The API does not fix which generator ``seed`` seeds, so no test depends on the
random stream. The gradient-descent test reads the student's own W0 first (a
call with step_size = 0, which leaves W at its initial value), then replays
gradient descent from that W0 here and compares every step; the worker's
global generator is seeded the same way before both calls, so an
implementation that draws W0 from np.random also gets the same W0 twice. The
seed's meaning is tested on its own (test_same_seed_same_result,
test_seed_changes_initialisation). The lecture's plateau (about 0.75 on the
spiral) is compared with the reference's: after 200 steps the convex problem
has forgotten its 0.01-scale initialisation (to 1e-5).

b may have shape (K,) or CS231n's (1, K).

train_linear_softmax may use your softmax_loss, softmax, log_softmax or
cross_entropy (graded in their own questions): a failing test is run again with
the reference's in their place, so their mistakes are charged there only. A
known mistake is named in the message, with its own hint.
"""

import math

import numpy as np
import pytest

import grader.remote
from grader.testing import Failure, as_numeric, assert_close

pytestmark = [pytest.mark.question("linear_classifier"),
              pytest.mark.reference_helpers("softmax_loss", "softmax", "log_softmax", "cross_entropy")]


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


RTOL, ATOL = 1e-4, 1e-6
WORKER_SEED = 1234


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


def check(actual, expected, *, name, mistakes=(), nonfinite=None, rtol=RTOL, atol=ATOL):
    """``assert_close``; on failure, a :class:`Failure` naming the first known mistake that
    ``actual`` matches, with that mistake's hint; a plain failure when it matches none.

    ``mistakes``: triples (the wrong answer, what it is, the hint), or quadruples with True last
    for a mistake whose answer is NaN or infinite. ``nonfinite``: (what, hint) for NaN or
    infinity that no mistake matched (where the right answer is finite)."""
    try:
        assert_close(actual, expected, rtol=rtol, atol=atol, name=name)
    except AssertionError as exc:
        for wrong, what, fix, *special in mistakes:
            if _matches(actual, wrong, *special):
                raise Failure(f"{exc}. This matches {what}.", hint=fix) from None
        if nonfinite is not None and _nonfinite(actual):
            raise Failure(f"{exc}: {nonfinite[0]}", hint=nonfinite[1]) from None
        raise


# --------------------------------------------------------------------------- l2_penalty


def _l2_mistakes(W, reg):
    return [
        (reg * np.sum(W**2), "reg * sum(W**2), without the factor 1/2",
         "The lecture's penalty has a factor 1/2: 0.5 * reg * sum(W**2)."),
        (0.5 * reg * np.mean(W**2), "the mean of W**2", "The penalty sums over every weight: np.sum(W**2)."),
        (0.5 * reg * np.sqrt(np.sum(W**2)), "the norm ||W||", "The penalty uses the squared norm, sum(W**2)."),
        (0.5 * reg * np.sum(W) ** 2, "the square of the sum of W", "Square each weight, then sum."),
        (0.5 * np.sum(W**2), "the penalty without reg", "Multiply by the regularisation strength reg."),
    ]


@pytest.mark.points(3)
@pytest.mark.parametrize("shape,reg", [((2, 3), 1e-3), ((50, 10), 0.5), ((4,), 2.0), ((3, 3), 0.1)], ids=str)
def test_l2_penalty_values(submission, reference, rng, shape, reg):
    W = rng.normal(size=shape)
    check(submission.l2_penalty(W, reg), reference.l2_penalty(W, reg),
          name=f"l2_penalty(W, {reg:g}), W of shape {shape}", mistakes=_l2_mistakes(W, reg))


@pytest.mark.parametrize(
    "W,reg", [(np.zeros((3, 2)), 1.0), (np.ones((2, 2)), 0.0), (np.full((2, 3), 1e4), 1e-3)],
    ids=["zeros", "reg0", "1e4"],
)
def test_l2_penalty_edges(submission, reference, W, reg):
    check(submission.l2_penalty(W, reg), reference.l2_penalty(W, reg),
          name=f"l2_penalty(W, {reg:g}), W = {W.ravel()[0]:g} everywhere", mistakes=_l2_mistakes(W, reg))


# --------------------------------------------------------------------------- training: helpers


def _random_problem(n=30, d=5, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)  # every class present
    return X, y


def _train(submission, X, y, *args, **kwargs):
    """The student's (W, b, losses) as arrays, after checking the returned structure."""
    result = submission.train_linear_softmax(X, y, *args, **kwargs)
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise Failure(f"train_linear_softmax must return the triple (W, b, losses), not {type(result).__name__}",
                      hint="Return (W, b, losses): W of shape (D, K), b of shape (K,), losses a list of n_iters "
                           "numbers.")
    d, k = X.shape[1], int(y.max()) + 1
    W, b, losses = (as_numeric(v, name) for v, name in zip(result, ("W", "b", "losses")))
    require(W.shape == (d, k), f"W should have shape (D, K) = {(d, k)}, not {W.shape}")
    require(b.shape in ((k,), (1, k)), f"b should have shape (K,) = {(k,)} (or (1, K)), not {b.shape}")
    require(losses.ndim == 1, f"losses should be a list of numbers, one per iteration, not shape {losses.shape}")
    return W.astype(np.float64), b.reshape(-1).astype(np.float64), losses.astype(np.float64)


def _initial_w(submission, X, y, seed):
    """The student's W0: with step_size 0 gradient descent never moves."""
    grader.remote.seed(submission, WORKER_SEED)
    W0, b0, _ = _train(submission, X, y, step_size=0.0, reg=0.0, n_iters=1, seed=seed)
    return W0, b0


def _gd(X, y, W0, step_size, reg, n_iters, *, grad_scale=None, reg_grad=1.0, update_b=True,
        record_after=False, penalty=0.5):
    """Gradient descent as the lecture does it, with switches that reproduce known mistakes."""
    n = X.shape[0]
    k = W0.shape[1]
    scale = 1.0 / n if grad_scale is None else grad_scale
    W, b, losses = W0.copy(), np.zeros(k), []
    onehot = np.eye(k)[y]

    def loss_of(W, b):
        s = X @ W + b
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -np.mean(logp[np.arange(n), y]) + penalty * reg * np.sum(W * W)

    with np.errstate(all="ignore"):
        for _ in range(n_iters):
            if not record_after:
                losses.append(loss_of(W, b))
            s = X @ W + b
            e = np.exp(s - s.max(axis=1, keepdims=True))
            dscores = (e / e.sum(axis=1, keepdims=True) - onehot) * scale
            W = W - step_size * (X.T @ dscores + reg_grad * reg * W)
            if update_b:
                b = b - step_size * dscores.sum(axis=0)
            if record_after:
                losses.append(loss_of(W, b))
    return W, b, np.array(losses)


def _gd_mistakes(n):
    """(switches of :func:`_gd`, explanation) for the training mistakes we know, N = n."""
    return [
        (dict(grad_scale=1.0), f"a gradient that is not divided by N = {n}",
         "The data loss is a mean: dscores = (p - onehot(y)) / N."),
        (dict(reg_grad=0.0), "a gradient without the penalty's term", "dW = X.T @ dscores + reg * W."),
        (dict(reg_grad=2.0), "dW += 2 * reg * W", "The gradient of 0.5 * reg * sum(W**2) is reg * W."),
        (dict(update_b=False), "b that is never updated", "b -= step_size * dscores.sum(axis=0) at each step."),
        (dict(record_after=True), "losses recorded after each step",
         "losses[i] is the loss before step i (losses[0] is the loss at initialisation)."),
        (dict(penalty=0.0), "losses without the penalty",
         "The loss is the data loss + 0.5 * reg * sum(W**2)."),
        (dict(penalty=1.0), "a penalty of reg * sum(W**2) in the losses", "Use 0.5 * reg * sum(W**2)."),
        (dict(reg_grad=-1.0), "a penalty gradient with the wrong sign", "dW = X.T @ dscores + reg * W."),
    ]


def _compare_run(actual, expected, X, y, W0, step_size, reg, n_iters, what):
    """Compare (W, b, losses) with the replayed run, naming a matching mistake."""
    wrong = [(_gd(X, y, W0, step_size, reg, n_iters, **sw), what_, fix)
             for sw, what_, fix in _gd_mistakes(X.shape[0])]
    for i, name in ((2, "losses"), (0, "W"), (1, "b")):
        check(actual[i], expected[i], name=f"{name} after {n_iters} steps, {what}",
              mistakes=[(w[i], what_, fix) for w, what_, fix in wrong])


# --------------------------------------------------------------------------- training


@pytest.mark.points(2)
@pytest.mark.hint("Return (W, b, losses): W of shape (D, K), b of shape (K,), losses a list of n_iters numbers.")
@pytest.mark.parametrize("n,d,k,n_iters", [(30, 5, 4, 7), (12, 3, 2, 1)])
def test_returns(submission, n, d, k, n_iters):
    X, y = _random_problem(n, d, k)
    _W, _b, losses = _train(submission, X, y, step_size=0.1, reg=1e-3, n_iters=n_iters, seed=0)
    require(losses.shape == (n_iters,), f"losses should hold one loss per iteration ({n_iters}), not {losses.size}")
    require(np.all(np.isfinite(losses)), "the losses should be finite numbers")


@pytest.mark.points(2)
@pytest.mark.hint("Initialise W = 0.01 * randn(D, K) (a standard normal, scaled by 0.01) and b = 0.")
def test_initialisation(submission):
    X, y = _random_problem(60, 50, 10, seed=1)  # 500 weights: their spread is measured to about 3%
    W0, b0 = _initial_w(submission, X, y, seed=3)
    assert_close(b0, np.zeros(10), rtol=0, atol=0, name="b at initialisation")
    std, mean = float(np.std(W0)), float(np.mean(W0))
    require(std > 0, "W starts with all weights equal: draw it at random, W = 0.01 * randn(D, K)")
    require(0.008 < std < 0.012, f"the initial weights have a standard deviation of {std:.4g}, expected 0.01")
    require(abs(mean) < 0.0025, f"the initial weights have a mean of {mean:.4g}, expected about 0 (randn, not rand)")


@pytest.mark.points(2)
@pytest.mark.hint("losses[i] is the data loss plus 0.5 * reg * sum(W**2), for the W and b before step i.")
def test_initial_loss(submission):
    X, y = _random_problem(60, 50, 10, seed=2)
    reg = 1.0  # large, so that the penalty of the small initial W shows
    W0, _ = _initial_w(submission, X, y, seed=4)
    grader.remote.seed(submission, WORKER_SEED)
    _W, _b, losses = _train(submission, X, y, step_size=0.0, reg=reg, n_iters=2, seed=4)
    expected = _gd(X, y, W0, 0.0, reg, 2)[2]
    check(losses, expected, name="losses with step_size = 0 (the loss at initialisation, twice)",
          mistakes=[(_gd(X, y, W0, 0.0, reg, 2, **sw)[2], what, fix)
                    for sw, what, fix in _gd_mistakes(X.shape[0]) if "penalty" in sw])


GD_CASES = {
    "spiral": (None, 1.0, 1e-3, 25),
    "random-N30-D5-K4": ((30, 5, 4, 3), 0.5, 0.1, 15),
    "random-N8-D12-K3": ((8, 12, 3, 4), 0.2, 0.05, 20),
}


@pytest.mark.points(5)
@pytest.mark.hint(
    "Each step: scores = X @ W + b; dscores = (p - onehot(y)) / N; dW = X.T @ dscores + reg * W; "
    "db = dscores.sum(axis=0); W -= step_size * dW; b -= step_size * db. Record the loss before the step."
)
@pytest.mark.parametrize("case", GD_CASES.values(), ids=GD_CASES.keys())
def test_gradient_descent_steps(submission, reference, case):
    problem, step_size, reg, n_iters = case
    X, y = reference.spiral_data(30, 3, 0) if problem is None else _random_problem(*problem)
    W0, _ = _initial_w(submission, X, y, seed=7)
    grader.remote.seed(submission, WORKER_SEED)
    actual = _train(submission, X, y, step_size, reg, n_iters, 7)
    expected = _gd(X, y, W0, step_size, reg, n_iters)
    _compare_run(actual, expected, X, y, W0, step_size, reg, n_iters,
                 what=f"step_size={step_size:g}, reg={reg:g}, from your own initial W")


def test_same_seed_same_result(submission):
    """The seed argument alone decides W0: not the global generator's state."""
    X, y = _random_problem()
    grader.remote.seed(submission, 1)
    W1, _, _ = _train(submission, X, y, 0.5, 1e-3, 3, 11)
    grader.remote.seed(submission, 2)
    W2, _, _ = _train(submission, X, y, 0.5, 1e-3, 3, 11)
    require(np.array_equal(W1, W2), (
        "two runs with seed=11 gave different W: draw the initial W from a generator seeded with the seed "
        "argument (e.g. np.random.default_rng(seed), or np.random.seed(seed))"
    ))


def test_seed_changes_initialisation(submission):
    X, y = _random_problem()
    W1, _ = _initial_w(submission, X, y, seed=11)
    W2, _ = _initial_w(submission, X, y, seed=12)
    require(not np.allclose(W1, W2), "seed=11 and seed=12 gave the same initial W: use the seed argument")


@pytest.mark.points(3)
@pytest.mark.hint("With the defaults (step_size=1.0, reg=1e-3, n_iters=200) the lecture's loss plateaus around 0.75.")
def test_lecture_spiral_plateau(submission, reference, record_metric):
    X, y = reference.spiral_data(100, 3, 0)
    W, b, losses = _train(submission, X, y)
    W_ref, b_ref, losses_ref = reference.train_linear_softmax(X, y)
    require(losses.shape == (200,), f"the default n_iters is 200: losses should hold 200 numbers, not {losses.size}")
    record_metric("spiral_final_loss", float(losses[-1]))
    check(losses[-1], losses_ref[-1], rtol=0, atol=2e-4,
          name="the last loss on the lecture's spiral (N=100, K=3, step 1.0, reg 1e-3)")
    accuracy = float(np.mean(np.argmax(X @ W + b, axis=1) == y))
    ref_accuracy = float(np.mean(np.argmax(X @ W_ref + b_ref, axis=1) == y))
    record_metric("spiral_train_accuracy", accuracy)
    require(abs(accuracy - ref_accuracy) <= 0.02, (
        f"the trained (W, b) classify {accuracy:.1%} of the spiral correctly; the lecture's classifier "
        f"gets {ref_accuracy:.1%}"
    ))
    require(losses[-1] < losses[0], "the loss should go down during training")
