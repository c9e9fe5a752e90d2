"""Public tests, question "affine_backward": the backward pass of out = x.reshape(N, D) @ w + b.

dx = dout @ w.T (reshaped to x's shape), dw = x.reshape(N, D).T @ dout,
db = dout summed over the batch (axis 0). The expected values are worked out
by hand. Run them with ``grader check hw3 hw3.ipynb``.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("affine_backward")

X = np.array([[1.0, 2.0], [3.0, -1.0]])
W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
B = np.array([0.5, -1.0, 2.0])
DOUT = np.array([[1.0, -1.0, 2.0], [3.0, 1.0, -1.0]])


@pytest.mark.points(2)
@pytest.mark.hint("dx = dout @ w.T, dw = x.T @ dout (x flattened to (N, D)), db = dout.sum(axis=0): "
                  "each gradient has the shape of what it is the gradient of.")
def test_affine_backward_values(submission):
    dx, dw, db = submission.affine_backward(DOUT, (X, W, B))
    assert_close(dx, np.array([[-1.0, 1.0], [4.0, 7.0]]), name="dx")  # dout @ w.T
    assert_close(dw, np.array([[10.0, 2.0, -1.0], [-1.0, -3.0, 5.0]]), name="dw")  # x.T @ dout
    assert_close(db, np.array([4.0, 0.0, 1.0]), name="db")  # dout.sum(axis=0)


@pytest.mark.hint("dx must have the shape of the original x: reshape dout @ w.T with .reshape(x.shape).")
def test_affine_backward_dx_has_the_shape_of_x(submission):
    x = X.reshape(2, 1, 2)  # each example is a (1, 2) array, flattened to 2 features
    dx, dw, _db = submission.affine_backward(DOUT, (x, W, B))
    assert_close(dx, np.array([[[-1.0, 1.0]], [[4.0, 7.0]]]), name="dx for x of shape (2, 1, 2)")
    assert_close(dw, np.array([[10.0, 2.0, -1.0], [-1.0, -3.0, 5.0]]), name="dw for x of shape (2, 1, 2)")
