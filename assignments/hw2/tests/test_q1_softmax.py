"""Public tests, question "softmax": softmax and log_softmax.

softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m), m the row's maximum;
log_softmax(z)_k = (z_k - m) - log sum_j exp(z_j - m).
Run them with ``grader check hw2 hw2.ipynb``.
"""

import numpy as np
import pytest

from grader.testing import Failure, assert_close

pytestmark = pytest.mark.question("softmax")


def _near(actual, expected, nonfinite=False):
    """Whether ``actual`` is numeric data close to ``expected`` (for naming a known mistake)."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    if nonfinite:
        return a.shape == np.shape(expected) and not bool(np.all(np.isfinite(a)))
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=1e-5, atol=1e-8))


@pytest.mark.points(2)
def test_slide_example(submission):
    # The lecture's slide: softmax([2.0, 4.3, 1.2, -3.1]) ~ [0.087492, 0.872661, 0.039312, 0.000533].
    z = np.array([2.0, 4.3, 1.2, -3.1])
    expected = np.array([0.08749206320289253, 0.8726618017338312, 0.03931271812743419, 0.0005334169358421117])
    assert_close(submission.softmax(z), expected, rtol=1e-5, name="softmax([2.0, 4.3, 1.2, -3.1])")


@pytest.mark.hint("A batch has one example per row: each row of softmax(z) is the softmax of that row "
                  "(max and sum over axis=-1, keepdims=True).")
def test_batch_rows_sum_to_one(submission):
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.array([[0.09003057317038046, 0.24472847105479764, 0.6652409557748218], [1 / 3, 1 / 3, 1 / 3]])
    out = submission.softmax(z)
    e = np.exp(z - z.max(axis=0))
    if _near(out, e / e.sum(axis=0)):
        raise Failure("softmax([[1, 2, 3], [0, 0, 0]]) sums to 1 down each column: this is the softmax over axis 0",
                      hint="A batch has one example per row: normalise each row, over axis=-1 with keepdims=True.")
    assert_close(out, expected, rtol=1e-5, name="softmax([[1, 2, 3], [0, 0, 0]])")


@pytest.mark.hint("softmax and log_softmax are finite for every finite z: softmax([[1e4, 0]]) = [[1, 0]], "
                  "log_softmax([0, -1e4]) = [0, -1e4].")
def test_large_logits_are_finite(submission):
    z = np.array([[1e4, 0.0], [-1e4, -1e4]])
    out = submission.softmax(z)
    if _near(out, z, nonfinite=True):
        raise Failure("softmax([[1e4, 0], [-1e4, -1e4]]) has NaN or infinity: exp(1e4) overflows to inf (inf/inf is "
                      "NaN), and exp(-1e4) underflows to 0 (0/0)",
                      hint="Subtract each row's max before exponentiating: z - z.max(axis=-1, keepdims=True).")
    assert_close(out, np.array([[1.0, 0.0], [0.5, 0.5]]), name="softmax([[1e4, 0], [-1e4, -1e4]])")
    out = submission.log_softmax(np.array([0.0, -1e4]))
    if _near(out, np.zeros(2), nonfinite=True):
        raise Failure("log_softmax([0, -1e4]) has NaN or infinity: log(0) of a probability that underflowed, or exp "
                      "that overflowed",
                      hint="Use log-sum-exp: (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)), "
                           "m = z.max(axis=-1, keepdims=True); not np.log(softmax(z)).")
    assert_close(out, np.array([0.0, -1e4]), rtol=1e-5, name="log_softmax([0, -1e4])")
