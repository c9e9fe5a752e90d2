"""Hidden tests, question "neuron" (15 points): y_hat = g(b + x . w).

Each mistake loses its own test: the activation argument ignored
(test_single_example), a wrong default (test_default_activation), a missing
bias or one added after the activation (test_bias, test_lecture_example), an
(N, 1) or flattened result for a batch (test_batch_shape), x or w changed in
place (test_inputs_unchanged). All but the bias tests use b = 0 so that a
missing bias costs only the bias points. A wrong answer that matches a known
mistake is named in the message, with its hint; any other gets the formula.

The neuron calls an activation of question "activations": an activation's
mistake is charged there, not here. A failing test is run again with the
reference's activations in place of the student's (for a neuron that looks
its activation up by name when it runs); and a neuron whose result is the
student's own activation, wrong as it is, of the right b + x . w passes (for
a neuron that keeps its activations in a dict made when the module loaded,
which the rerun cannot reach).
"""

import numpy as np
import pytest

from grader.remote import StudentError
from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged, responds_to_input

# the neuron may call your activations of question 1: a failing test is run again with the reference's
# activations in their place, so an activation's mistake is charged in its own question only.
pytestmark = [pytest.mark.question("neuron"),
              pytest.mark.reference_helpers("sigmoid", "tanh", "relu", "leaky_relu")]

RTOL, ATOL = 1e-4, 1e-6
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
FORMULA_HINT = ("neuron(x, w, b, activation) = g(b + x @ w), with g the activation that `activation` names "
                "('linear': g(z) = z).")
SHAPE_HINT = "x of shape (N, m) gives shape (N,) and x of shape (m,) a number: use x @ w with w of shape (m,), not (m, 1)."


def _xw(rng, n, m):
    """A batch of n examples with m features (n = None: one example of shape (m,)), and weights."""
    shape = (m,) if n is None else (n, m)
    return rng.normal(0.0, 1.0, size=shape), rng.normal(0.0, 1.0, size=m)


def _numeric(value):
    try:
        return as_numeric(value).astype(float)
    except AssertionError:
        return None


def _close(a, expected):
    e = np.asarray(expected, dtype=float)
    return a is not None and a.shape == e.shape and np.allclose(a, e, rtol=RTOL, atol=ATOL)


def _own_activation(submission, reference, name, z):
    """The student's own activation ``name`` on z, where it differs from the reference's; else None."""
    if name == "linear" or not responds_to_input(getattr(submission, name)):
        return None  # a constant "activation" does no work: it stands in for nothing
    try:
        own = _numeric(getattr(submission, name)(z))
    except StudentError:
        return None
    return None if own is None or _close(own, getattr(reference, name)(z)) else own


def _mistakes(reference, x, w, b, activation, default):
    """(what the answer matches, the mistaken answer, the hint) for the mistakes we know of."""
    g = getattr(reference, activation) if activation != "linear" else (lambda t: t)
    dot = np.asarray(x, dtype=float) @ w
    out = [
        ("g(x @ w) + b: the bias added after the activation", np.asarray(g(dot)) + b,
         "The bias is added before the activation: g(b + x @ w)."),
        ("g(x @ w): the bias is missing", g(dot), "Add the bias before the activation: g(b + x @ w)."),
    ] if b != 0 else []
    z = dot + b
    for other in ACTIVATIONS:
        if other == activation:
            continue
        f = getattr(reference, other) if other != "linear" else (lambda t: t)
        if default:
            what = f"{'no activation' if other == 'linear' else 'the ' + other}: the default activation is the sigmoid"
            hint = "Without an `activation` argument the neuron applies the sigmoid: activation=\"sigmoid\" by default."
        elif activation == "linear":
            what = f"the {other}, but activation='linear' means no activation"
            hint = "activation='linear' means g(z) = z: return b + x @ w as it is."
        else:
            what = f"{'no activation' if other == 'linear' else 'the ' + other} instead of the {activation}"
            hint = "Apply the activation that `activation` names."
        out.append((what, f(z), hint))
    return out


def _judge(submission, reference, actual, x, w, b, label, activation=None):
    """The student's neuron(x, w, b[, activation=...]) result against the reference's, or against the student's
    own activation of the right b + x @ w (the activation's mistake is charged in its own question)."""
    kwargs = {} if activation is None else {"activation": activation}
    name = activation or "sigmoid"
    expected = reference.neuron(x, w, b, **kwargs)
    a = _numeric(actual)
    if _close(a, expected):
        return
    z = np.asarray(x, dtype=float) @ w + b
    own = _own_activation(submission, reference, name, z)
    if own is not None and a is not None and a.shape == own.shape and np.allclose(a, own, rtol=RTOL, atol=ATOL):
        return  # the student's own activation, of the right b + x @ w: its mistake costs points in "activations"
    if a is not None:
        e = np.asarray(expected, dtype=float)
        if a.shape != e.shape and a.size == e.size and np.allclose(a.reshape(e.shape), e, rtol=RTOL, atol=ATOL):
            raise Failure(f"{label} has the right values but shape {a.shape}, expected "
                          f"{'a number' if e.shape == () else e.shape}", hint=SHAPE_HINT)
        for what, wrong, hint in _mistakes(reference, x, w, b, name, default=activation is None):
            if _close(a, wrong):
                raise Failure(f"{label} is wrong: it matches {what}", hint=hint)
    try:
        assert_close(actual, expected, rtol=RTOL, atol=ATOL, name=label)
    except AssertionError as exc:
        raise Failure(str(exc), hint=FORMULA_HINT) from None


def _check_neuron(submission, reference, x, w, b, label, activation=None):
    kwargs = {} if activation is None else {"activation": activation}
    _judge(submission, reference, submission.neuron(x, w, b, **kwargs), x, w, b, label, activation)


@pytest.mark.points(2)
def test_lecture_example(submission, reference):
    x, w, b = np.array([-1.0, 2.0]), np.array([3.0, -2.0]), 1.0
    _check_neuron(submission, reference, x, w, b, "neuron(x=[-1, 2], w=[3, -2], b=1)")


@pytest.mark.points(4)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_single_example(submission, reference, rng, activation):
    x, w = _xw(rng, None, 4)
    _check_neuron(submission, reference, x, w, 0.0,
                  f"neuron(x, w, 0.0, activation={activation!r}), x of shape (4,)", activation)


@pytest.mark.points(2)
def test_default_activation(submission, reference, rng):
    x, w = _xw(rng, None, 5)
    _check_neuron(submission, reference, x, w, 0.0, "neuron(x, w, 0.0)")


@pytest.mark.points(3)
@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh"])
def test_bias(submission, reference, rng, activation):
    x, w = _xw(rng, 4, 3)
    for b in (1.5, -0.75):
        _check_neuron(submission, reference, x, w, b,
                      f"neuron(x, w, b={b}, activation={activation!r}), x of shape (4, 3)", activation)


@pytest.mark.points(3)
@pytest.mark.parametrize("n", [1, 5, 20])
def test_batch_shape(submission, reference, rng, n):
    x, w = _xw(rng, n, 3)
    _check_neuron(submission, reference, x, w, 0.0, f"neuron(x, w, 0.0, activation='sigmoid'), x of shape ({n}, 3)",
                  "sigmoid")


IN_PLACE_HINT = ("Do not change x or w in place (x *= w, w += b): the caller still needs them. "
                 "Compute with new arrays: z = x @ w + b.")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "linear"])
def test_inputs_unchanged(submission, reference, rng, activation):
    for n in (None, 5):
        x, w = _xw(rng, n, 4)
        result = assert_inputs_unchanged(submission.neuron, x, w, 0.5, activation=activation, name="neuron",
                                         hint=IN_PLACE_HINT)
        # leaving x and w alone earns its point only with a right result (a constant leaves them alone too)
        try:
            _judge(submission, reference, result, x, w, 0.5, "neuron(x, w, 0.5)", activation)
        except AssertionError as exc:
            raise Failure(f"neuron left x and w alone, but its result is wrong, so this test does not count yet "
                          f"(the other tests say what is wrong): {exc}") from None
