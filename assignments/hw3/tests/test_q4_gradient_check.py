"""Public tests, question "gradient_check": numerical_gradient by centred differences.

df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), one element at a time, with
x restored after each element. The test passes its own f, and sees every x
your code evaluates it at.
"""

import numpy as np
import pytest

from grader.remote import call_with_args
from grader.testing import assert_close

pytestmark = pytest.mark.question("gradient_check")

X0 = np.array([1.0, -2.0, 3.0])


class Recorder:
    """f(x) = sum(x**2), remembering every x it is called with."""

    def __init__(self):
        self.points = []

    def __call__(self, x):
        x = np.array(x, dtype=float)
        self.points.append(x)
        return float(np.sum(x**2))


@pytest.mark.points(2)
def test_gradient_of_sum_of_squares(submission):
    grad = submission.numerical_gradient(Recorder(), X0.copy())
    assert_close(grad, 2 * X0, rtol=1e-6, atol=1e-8, name="numerical_gradient(sum(x**2), [1, -2, 3])")


@pytest.mark.hint("Put x[i] back to its old value after evaluating f(x + h) and f(x - h), before moving on: "
                  "every evaluation moves one element, and x is unchanged when you return.")
def test_each_evaluation_moves_one_element(submission):
    f = Recorder()
    record = call_with_args(submission.numerical_gradient, f, X0.copy())  # also returns x as the call left it
    if not f.points:
        raise AssertionError("numerical_gradient never called f")
    for p in f.points:
        moved = np.flatnonzero(np.abs(p - X0) > 1e-9)
        if len(moved) > 1:
            raise AssertionError(f"f was called at x = {p.tolist()}: elements {moved.tolist()} differ from the "
                                 f"original x = {X0.tolist()}. Was x restored after each element?")
    assert_close(record.args[1], X0, rtol=1e-12, atol=1e-15, name="x after numerical_gradient returned")
