"""Public tests, question "spiral": the lecture's spiral data set.

For class j: r = linspace(0, 1, N), t = linspace(4j, 4(j+1), N) + 0.2 * randn(N),
x = (r sin t, r cos t), label j. The noise is random, so these tests check what
does not depend on it.
"""

import numpy as np
import pytest

from grader.testing import as_numeric, assert_close, assert_equal

pytestmark = pytest.mark.question("spiral")


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


@pytest.mark.hint("X has one row per point, shape (N*K, 2); y holds the integer label of each row, class j in rows j*N ... (j+1)*N - 1.")
def test_shapes_and_labels(submission):
    X, y = submission.spiral_data(100, 3)
    X = as_numeric(X, "X")
    require(X.shape == (300, 2), f"X should have shape (300, 2), not {X.shape}")
    assert_equal(as_numeric(y, "y"), np.repeat(np.arange(3), 100), name="y")


@pytest.mark.hint("r = linspace(0, 1, N) in every class, so each arm's radii go from 0 to 1 in N equal steps.")
def test_radius(submission):
    X, _y = submission.spiral_data(5, 2)
    X = as_numeric(X, "X")
    require(X.shape == (10, 2), f"X should have shape (10, 2), not {X.shape}")
    radius = np.hypot(X[:, 0], X[:, 1])
    assert_close(radius, np.array([0.0, 0.25, 0.5, 0.75, 1.0] * 2), atol=1e-6, name="the radius of each point |x|")
