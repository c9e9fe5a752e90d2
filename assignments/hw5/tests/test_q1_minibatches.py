"""Public tests, question "minibatches": iterate_minibatches.

Run them with ``grader check hw5 hw5.ipynb``. The hidden tests check the same
behaviours on more sizes: every sample exactly once per epoch, the last
smaller batch kept, X and y paired, seeds (0 included) and seed=None.
"""

import numpy as np
import pytest

from grader.testing import Failure

pytestmark = pytest.mark.question("minibatches")


@pytest.mark.points(2)
def test_without_shuffle_in_order_with_a_smaller_last_batch(submission):
    X = np.arange(10.0).reshape(5, 2)  # row i is [2i, 2i + 1]
    y = np.array([0, 1, 2, 3, 4])
    batches = list(submission.iterate_minibatches(X, y, 2, shuffle=False))
    assert len(batches) == 3, f"5 samples in batches of 2 make 3 batches (2, 2 and 1), got {len(batches)}"
    for (Xb, yb), start, stop in zip(batches, [0, 2, 4], [2, 4, 5]):
        np.testing.assert_array_equal(Xb, X[start:stop])
        np.testing.assert_array_equal(yb, y[start:stop])


@pytest.mark.points(2)
def test_shuffled_epoch_covers_every_sample_once(submission):
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    batches = list(submission.iterate_minibatches(X, y, 3, shuffle=True, seed=0))
    sizes = [len(yb) for _, yb in batches]
    if sizes == [3, 3, 3]:
        raise Failure("batch sizes for N=10, batch_size=3 are 3, 3, 3, 1: the last, smaller batch is missing",
                      hint="Yield the leftover N % batch_size samples too, as a last smaller batch.")
    assert sizes == [3, 3, 3, 1], f"batch sizes for N=10, batch_size=3 are 3, 3, 3, 1, got {sizes}"
    order = np.concatenate([yb for _, yb in batches])
    if sorted(order.tolist()) != list(range(10)):
        raise Failure(f"every sample exactly once; visited {order.tolist()}",
                      hint="Shuffle one permutation of the indices (np.random.default_rng(seed).permutation(N)), "
                           "not indices drawn with replacement.")
    for Xb, yb in batches:
        if not np.array_equal(Xb, X[yb]):
            raise Failure(f"the rows of Xb must go with the labels in yb: for yb = {np.asarray(yb).tolist()}, "
                          f"Xb = {np.asarray(Xb).tolist()}",
                          hint="Take X[idx] and y[idx] with the same permutation idx.")
