"""Public tests, question "minibatches": iterate_minibatches.

Run them with ``grader check hw5 hw5.ipynb``. The hidden tests check the same
behaviours on more sizes: every sample exactly once per epoch, the last
smaller batch kept, X and y paired, seeds (0 included) and seed=None.
"""

import numpy as np
import pytest

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
@pytest.mark.hint("Shuffle one permutation of the indices and take X[idx] and y[idx] with it.")
def test_shuffled_epoch_covers_every_sample_once(submission):
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    batches = list(submission.iterate_minibatches(X, y, 3, shuffle=True, seed=0))
    assert [len(yb) for _, yb in batches] == [3, 3, 3, 1], "batch sizes for N=10, batch_size=3 are 3, 3, 3, 1"
    order = np.concatenate([yb for _, yb in batches])
    assert sorted(order.tolist()) == list(range(10)), f"every sample exactly once; visited {order.tolist()}"
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb, X[yb], err_msg="the rows of Xb must go with the labels in yb")
