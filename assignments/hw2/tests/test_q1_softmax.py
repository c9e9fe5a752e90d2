"""Public tests, question "softmax": softmax and log_softmax.

softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m), m the row's maximum;
log_softmax(z)_k = (z_k - m) - log sum_j exp(z_j - m).
Run them with ``grader check hw2 hw2.ipynb``.
"""

import numpy as np
import pytest

from grader.testing import assert_close

pytestmark = pytest.mark.question("softmax")


@pytest.mark.points(2)
def test_slide_example(submission):
    # The lecture's slide: softmax([2.0, 4.3, 1.2, -3.1]) ~ [0.087492, 0.872661, 0.039312, 0.000533].
    z = np.array([2.0, 4.3, 1.2, -3.1])
    expected = np.array([0.08749206320289253, 0.8726618017338312, 0.03931271812743419, 0.0005334169358421117])
    assert_close(submission.softmax(z), expected, rtol=1e-5, name="softmax([2.0, 4.3, 1.2, -3.1])")


@pytest.mark.hint("A batch has one example per row: normalise each row (axis=-1, keepdims=True), not each column.")
def test_batch_rows_sum_to_one(submission):
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.array([[0.09003057317038046, 0.24472847105479764, 0.6652409557748218], [1 / 3, 1 / 3, 1 / 3]])
    assert_close(submission.softmax(z), expected, rtol=1e-5, name="softmax([[1, 2, 3], [0, 0, 0]])")


@pytest.mark.hint(
    "exp(1e4) overflows to inf and inf/inf is NaN: subtract each row's max before exponentiating; "
    "for log_softmax use log-sum-exp, not np.log(softmax(z))."
)
def test_large_logits_are_finite(submission):
    z = np.array([[1e4, 0.0], [-1e4, -1e4]])
    assert_close(submission.softmax(z), np.array([[1.0, 0.0], [0.5, 0.5]]), name="softmax([[1e4, 0], [-1e4, -1e4]])")
    assert_close(submission.log_softmax(np.array([0.0, -1e4])), np.array([0.0, -1e4]), rtol=1e-5,
                 name="log_softmax([0, -1e4])")
