"""Hidden tests, question "minibatches" (14 points): iterate_minibatches.

One call is one epoch: the batches must cover every sample exactly once, in
slices of ``batch_size`` with a smaller last batch (not dropped), rows of X
and labels of y paired; ``shuffle=False`` keeps the order; the same seed
(0 included) gives the same batches, and ``seed=None`` a fresh order on
every call.

The student's generator comes back as a remote iterator; ``list()`` of it
gives the (Xb, yb) pairs as plain arrays. The data are built so that every
row says which sample it is: ``y[i] = i`` and ``X[i, 0] = 10 * i``. No
particular random generator is required, so the shuffle is tested by its
properties, never against the reference's permutation.

A wrong answer that matches a known mistake (the last batch dropped,
np.array_split, indices drawn with replacement, seed=0 treated as no seed, no
shuffle at all) is named in the message, with its hint; a wrong answer of
another kind gets its message only.
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric

pytestmark = pytest.mark.question("minibatches")

SIZES = [(10, 3), (100, 32), (7, 7), (5, 10), (1, 1), (64, 16), (9, 1)]


def _data(n, d=2, extra=()):
    """X of shape (n, d, *extra) whose row i starts with 10*i; y = 0..n-1."""
    X = np.zeros((n, d, *extra))
    X.reshape(n, -1)[:, 0] = 10.0 * np.arange(n)
    X.reshape(n, -1)[:, 1:] = np.arange(n)[:, None] + 0.5
    return X, np.arange(n)


def _batches(submission, X, y, batch_size, **kwargs):
    """The epoch's batches as a list of (Xb, yb) numeric arrays, checked for form."""
    batches = list(submission.iterate_minibatches(X, y, batch_size, **kwargs))
    out = []
    for i, pair in enumerate(batches):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise Failure(f"batch {i} should be a pair (Xb, yb), got {type(pair).__name__}")
        try:
            out.append((as_numeric(pair[0], f"Xb of batch {i}"), as_numeric(pair[1], f"yb of batch {i}")))
        except AssertionError as exc:
            raise Failure(str(exc)) from None
    return out


def _order(batches):
    """The sample indices in the order the epoch visits them."""
    return np.concatenate([yb.reshape(-1) for _, yb in batches]).astype(np.int64) if batches else np.array([])


def _expected_sizes(n, batch_size):
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def _check_sizes(sizes, n, batch_size, message):
    """Assert the batch sizes; a Failure naming the mistake when they match a known one."""
    expected = _expected_sizes(n, batch_size)
    if sizes == expected:
        return
    if sizes == [batch_size] * (n // batch_size):
        raise Failure(f"{message}: the last, smaller batch is missing",
                      hint="Yield the leftover N % batch_size samples too, as a last smaller batch.")
    k = max(1, n // batch_size)
    if sizes == [len(a) for a in np.array_split(np.arange(n), k)]:
        raise Failure(f"{message}: this is np.array_split(indices, N // batch_size)",
                      hint="np.array_split spreads the samples evenly over the batches; cut consecutive slices "
                           "of batch_size instead.")
    raise AssertionError(message)


@pytest.mark.points(3)
@pytest.mark.parametrize("n,batch_size", SIZES, ids=lambda v: str(v))
def test_epoch_covers_every_sample_once(submission, n, batch_size):
    X, y = _data(n)
    order = _order(_batches(submission, X, y, batch_size, shuffle=True, seed=3))
    counts = np.bincount(order, minlength=n) if order.size else np.zeros(n, int)
    missing = np.flatnonzero(counts == 0)
    repeated = np.flatnonzero(counts > 1)
    message = (f"one epoch over N={n} samples with batch_size={batch_size} should visit each sample once; "
               f"it visited {order.size} samples, missed {missing.size} (e.g. {missing[:5].tolist()}) "
               f"and repeated {repeated.size} (e.g. {repeated[:5].tolist()})")
    if order.size == n and repeated.size:
        raise Failure(message + ": indices drawn with replacement",
                      hint="Drawing indices with replacement repeats samples: shuffle one permutation of 0..N-1.")
    assert order.size == n and not missing.size and not repeated.size, message


@pytest.mark.points(2)
@pytest.mark.parametrize("n,batch_size", SIZES, ids=lambda v: str(v))
def test_batch_sizes_keep_the_last_partial_batch(submission, n, batch_size):
    X, y = _data(n)
    batches = _batches(submission, X, y, batch_size, shuffle=True, seed=4)
    sizes = [len(yb) for _, yb in batches]
    expected = _expected_sizes(n, batch_size)
    _check_sizes(sizes, n, batch_size, f"N={n}, batch_size={batch_size}: batch sizes should be {expected}, got {sizes}")


@pytest.mark.points(2)
@pytest.mark.parametrize("shape", [(12, 2), (10, 2, 3), (6, 1)], ids=str)
def test_rows_and_labels_stay_paired(submission, shape):
    n = shape[0]
    X, y = _data(n, shape[1], shape[2:])
    for k, (Xb, yb) in enumerate(_batches(submission, X, y, 4, shuffle=True, seed=5)):
        assert Xb.shape == (len(yb), *shape[1:]), (
            f"batch {k}: Xb should have shape {(len(yb), *shape[1:])} (one row of X per label), got {Xb.shape}"
        )
        assert yb.shape == (len(yb),), f"batch {k}: yb should be 1-d, got shape {yb.shape}"
        np.testing.assert_array_equal(
            Xb, X[yb.astype(np.int64)],
            err_msg=f"batch {k}: the rows of Xb are not the rows of X for the labels in yb "
                    "(shuffle X and y with the same permutation)",
        )


@pytest.mark.points(2)
@pytest.mark.parametrize("n,batch_size", [(10, 3), (8, 8), (5, 1)], ids=lambda v: str(v))
def test_without_shuffle_the_order_is_kept(submission, n, batch_size):
    X, y = _data(n)
    batches = _batches(submission, X, y, batch_size, shuffle=False)
    order = _order(batches)
    assert order.tolist() == list(range(n)), f"shuffle=False should keep the order 0..{n - 1}, got {order.tolist()}"
    sizes = [len(yb) for _, yb in batches]
    _check_sizes(sizes, n, batch_size, f"shuffle=False, N={n}, batch_size={batch_size}: batch sizes should be "
                                       f"{_expected_sizes(n, batch_size)}, got {sizes}")


def test_shuffle_changes_the_order(submission):
    X, y = _data(50)
    order = _order(_batches(submission, X, y, 10, seed=6))  # shuffle=True by default
    assert sorted(order.tolist()) == list(range(50)), "the epoch should visit each of the 50 samples once"
    if order.tolist() == list(range(50)):
        raise Failure("shuffle=True (the default) returned the samples in their original order",
                      hint="With shuffle=True (the default) the samples must be visited in a random order.")


@pytest.mark.points(2)
@pytest.mark.hint("The same seed must give the same order: draw the permutation from np.random.default_rng(seed).")
@pytest.mark.parametrize("seed", [0, 7])
def test_same_seed_same_batches(submission, seed):
    X, y = _data(40)
    first = _order(_batches(submission, X, y, 8, shuffle=True, seed=seed))
    second = _order(_batches(submission, X, y, 8, shuffle=True, seed=seed))
    message = (f"two epochs with seed={seed} should visit the samples in the same order; got "
               f"{first[:10].tolist()}... and {second[:10].tolist()}...")
    if first.tolist() != second.tolist() and seed == 0:
        other = [_order(_batches(submission, X, y, 8, shuffle=True, seed=1)).tolist() for _ in range(2)]
        if other[0] == other[1]:  # seed=1 is repeatable, seed=0 is not: `if seed:`
            raise Failure(message + ", though seed=1 gives the same order twice: seed=0 is treated as no seed",
                          hint="`if seed:` is False for seed=0: test `seed is not None`, or pass the seed straight "
                               "to the generator.")
    assert first.tolist() == second.tolist(), message


def test_different_seeds_different_orders(submission):
    X, y = _data(40)
    orders = {tuple(_order(_batches(submission, X, y, 8, shuffle=True, seed=s)).tolist()) for s in (1, 2, 3)}
    assert len(orders) == 3, "seeds 1, 2 and 3 gave the same order: the seed must choose the permutation"


@pytest.mark.hint("Without a seed, every epoch must be shuffled afresh (e.g. np.random.default_rng(None)).")
def test_no_seed_gives_a_fresh_order_each_epoch(submission):
    X, y = _data(40)
    orders = {tuple(_order(_batches(submission, X, y, 8, shuffle=True)).tolist()) for _ in range(3)}
    assert len(orders) > 1, "three epochs with seed=None visited the samples in the same order"
