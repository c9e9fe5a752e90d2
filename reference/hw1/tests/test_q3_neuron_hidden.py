"""Hidden tests, question "neuron" (15 points): y_hat = g(b + x . w).

Each mistake loses its own test: the activation argument ignored
(test_single_example), a wrong default (test_default_activation), a missing
bias (test_bias, test_lecture_example), an (N, 1) or flattened result for a
batch (test_batch_shape), x or w changed in place (test_inputs_unchanged).
All but the bias tests use b = 0 so that a missing bias costs only the bias
points.
"""

import numpy as np
import pytest

from grader.testing import assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("neuron")

RTOL, ATOL = 1e-4, 1e-6
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]


def _xw(rng, n, m):
    """A batch of n examples with m features (n = None: one example of shape (m,)), and weights."""
    shape = (m,) if n is None else (n, m)
    return rng.normal(0.0, 1.0, size=shape), rng.normal(0.0, 1.0, size=m)


@pytest.mark.points(2)
def test_lecture_example(submission, reference):
    x, w, b = np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0
    assert_close(submission.neuron(x, w, b), reference.neuron(x, w, b), rtol=RTOL, atol=ATOL,
                 name="neuron(x=[-1, 2], w=[3, -2], b=1)")


@pytest.mark.points(4)
@pytest.mark.hint("Apply the activation named by `activation`; 'linear' means no activation (g(z) = z).")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_single_example(submission, reference, rng, activation):
    x, w = _xw(rng, None, 4)
    assert_close(
        submission.neuron(x, w, 0.0, activation=activation),
        reference.neuron(x, w, 0.0, activation=activation),
        rtol=RTOL,
        atol=ATOL,
        name=f"neuron(x, w, 0.0, activation={activation!r}), x of shape (4,)",
    )


@pytest.mark.points(2)
@pytest.mark.hint("The default activation is the sigmoid.")
def test_default_activation(submission, reference, rng):
    x, w = _xw(rng, None, 5)
    assert_close(submission.neuron(x, w, 0.0), reference.neuron(x, w, 0.0), rtol=RTOL, atol=ATOL,
                 name="neuron(x, w, 0.0)")


@pytest.mark.points(3)
@pytest.mark.hint("The bias is added before the activation: g(b + x . w).")
@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh"])
def test_bias(submission, reference, rng, activation):
    x, w = _xw(rng, 4, 3)
    for b in (1.5, -0.75):
        assert_close(
            submission.neuron(x, w, b, activation=activation),
            reference.neuron(x, w, b, activation=activation),
            rtol=RTOL,
            atol=ATOL,
            name=f"neuron(x, w, b={b}, activation={activation!r}), x of shape (4, 3)",
        )


@pytest.mark.points(3)
@pytest.mark.hint("x of shape (N, m) gives shape (N,): use x @ w with w of shape (m,), not (m, 1).")
@pytest.mark.parametrize("n", [1, 5, 20])
def test_batch_shape(submission, reference, rng, n):
    x, w = _xw(rng, n, 3)
    assert_close(
        submission.neuron(x, w, 0.0, activation="sigmoid"),
        reference.neuron(x, w, 0.0, activation="sigmoid"),
        rtol=RTOL,
        atol=ATOL,
        name=f"neuron(x, w, 0.0, activation='sigmoid'), x of shape ({n}, 3)",
    )


@pytest.mark.hint("Do not change x or w in place (x *= w, w += b): the caller still needs them. "
                  "Compute with new arrays: z = x @ w + b.")
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "linear"])
def test_inputs_unchanged(submission, reference, rng, activation):
    for n in (None, 5):
        x, w = _xw(rng, n, 4)
        assert_inputs_unchanged(submission.neuron, x, w, 0.5, activation=activation, name="neuron",
                                reference_fn=reference.neuron, rtol=RTOL, atol=ATOL)
