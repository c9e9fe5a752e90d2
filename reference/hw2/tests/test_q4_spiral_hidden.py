"""Hidden tests, question "spiral" (8 points): the lecture's spiral data set.

For class j of K, with N points per class:
r = linspace(0, 1, N), t = linspace(4j, 4(j+1), N) + 0.2 * randn(N),
x = (r sin t, r cos t), rows j*N ... (j+1)*N - 1, label j.

The API fixes the seed argument but not which generator it seeds
(np.random.seed + randn, RandomState, default_rng are all right), so nothing
here depends on the random stream. What is checked: the shapes and the labels,
the radii (exactly linspace(0, 1, N): they carry no noise), the angles (the
lecture's arm plus noise whose mean is about 0 and whose spread is about 0.2,
within 6 standard errors, bounds that hold for any generator), and the seed's meaning: the same
seed gives the same data, whatever the state of the global generator; another
seed gives other data.
"""

import numpy as np
import pytest

import grader.remote
from grader.testing import Failure, as_numeric, assert_close, assert_equal

pytestmark = pytest.mark.question("spiral")


def require(condition, message):
    """Fail with ``message`` alone (a bare assert would add pytest's introspection of the condition)."""
    if not condition:
        raise AssertionError(message)


CASES = [(100, 3, 0), (50, 4, 1), (40, 2, 7)]


def _spiral(submission, n, k, seed):
    result = submission.spiral_data(n, k, seed)
    shapes = "spiral_data returns the pair (X, y): X of shape (N*K, 2), one row per point, and y of shape (N*K,)."
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise Failure(f"spiral_data must return the pair (X, y), not {type(result).__name__}", hint=shapes)
    X, y = as_numeric(result[0], "X"), as_numeric(result[1], "y")
    if X.shape != (n * k, 2):
        raise Failure(f"X should have shape (N*K, 2) = {(n * k, 2)}, not {X.shape}", hint=shapes)
    if y.shape != (n * k,):
        raise Failure(f"y should have shape (N*K,) = {(n * k,)}, not {y.shape}", hint=shapes)
    return X.astype(np.float64), y


def _arm_angles(k, n):
    return np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), n) for j in range(k)])


def _wrap(a):
    """Angles in (-pi, pi]."""
    return np.angle(np.exp(1j * a))


def _noise(X, k, n):
    """The angular noise of every point but the centre ones (r = 0 has no angle)."""
    radius = np.hypot(X[:, 0], X[:, 1])
    keep = radius > 1e-9
    return _wrap(np.arctan2(X[:, 0], X[:, 1]) - _arm_angles(k, n))[keep]


@pytest.mark.parametrize("n,k,seed", CASES)
def test_shapes_and_dtypes(submission, n, k, seed):
    _X, y = _spiral(submission, n, k, seed)
    require(y.dtype.kind in "iu", f"y should hold integer class labels, not {y.dtype} values")


@pytest.mark.hint("Class j fills rows j*N ... (j+1)*N - 1 and has label j, as in the lecture's loop over j.")
@pytest.mark.parametrize("n,k,seed", CASES)
def test_labels(submission, n, k, seed):
    _X, y = _spiral(submission, n, k, seed)
    assert_equal(y, np.repeat(np.arange(k), n), name="y")


@pytest.mark.points(2)
@pytest.mark.hint("r = linspace(0, 1, N) for every class, without noise (the noise goes on the angle t).")
@pytest.mark.parametrize("n,k,seed", CASES)
def test_radius(submission, n, k, seed):
    X, _y = _spiral(submission, n, k, seed)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert_close(radius, np.tile(np.linspace(0.0, 1.0, n), k), rtol=1e-5, atol=1e-6,
                 name="the radius |x| of each point, in row order")


@pytest.mark.points(2)
@pytest.mark.hint("t = linspace(4j, 4(j+1), N) + 0.2 * randn(N), and x = (r sin t, r cos t).")
@pytest.mark.parametrize("n,k,seed", CASES)
def test_angles_follow_the_arms(submission, n, k, seed):
    X, _y = _spiral(submission, n, k, seed)
    noise = _noise(X, k, n)
    swapped = _wrap(np.arctan2(X[:, 1], X[:, 0]) - _arm_angles(k, n))[np.hypot(X[:, 0], X[:, 1]) > 1e-9]
    if np.std(swapped) < 0.3 and np.std(noise) > 0.3:
        raise Failure("the points follow the arms with x = (r cos t, r sin t): sin and cos swapped",
                      hint="The lecture's generator has x = (r sin t, r cos t): X[:, 0] = r*sin(t), "
                           "X[:, 1] = r*cos(t).")
    # The noise is 0.2 * N(0, 1) over m >= 78 points. For any generator its sample mean is within
    # 6 standard errors of 0 (0.2 / sqrt(m)) and its standard deviation within 6 standard errors of
    # 0.2 (0.2 / sqrt(2m)), except with a probability below 1e-8.
    m = noise.size
    mean, std = float(np.mean(noise)), float(np.std(noise))
    require(std > 0.01, "the angles carry no noise: add 0.2 * randn(N) to t")
    require(abs(std - 0.2) < 6 * 0.2 / np.sqrt(2 * m), (
        f"the angular noise has a standard deviation of {std:.3f}; t = linspace(4j, 4(j+1), N) + 0.2 * randn(N) "
        "gives 0.2 (normal noise, scaled by 0.2)"
    ))
    require(abs(mean) < 6 * 0.2 / np.sqrt(m), (
        f"the angles are off the lecture's arms by {mean:.3f} rad on average: each arm j starts at t = 4j "
        "and ends at t = 4(j+1), and the noise has mean 0"
    ))


def test_same_seed_same_data(submission):
    """The seed argument alone decides the data: not the global generator's state."""
    grader.remote.seed(submission, 1)
    X1, y1 = _spiral(submission, 30, 3, 5)
    grader.remote.seed(submission, 2)
    X2, y2 = _spiral(submission, 30, 3, 5)
    require(np.array_equal(X1, X2), (
        "spiral_data(30, 3, seed=5) gave different X in two calls: seed the noise's generator with the "
        "seed argument (e.g. rng = np.random.default_rng(seed), or np.random.seed(seed))"
    ))
    assert_equal(y1, y2, name="y of the second call")


def test_other_seed_other_data(submission):
    X1, _ = _spiral(submission, 30, 3, 5)
    X2, _ = _spiral(submission, 30, 3, 6)
    require(not np.allclose(X1, X2), (
        "spiral_data(30, 3, seed=5) and spiral_data(30, 3, seed=6) gave the same X: use the seed argument"
    ))
