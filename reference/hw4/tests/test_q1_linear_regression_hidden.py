"""Hidden tests, question "linear_regression" (15 points): gradient descent on the MSE.

    L = mean((y - (beta0 + beta1*x))**2)
    dL/dbeta0 = -2 * mean(y - y_hat),   dL/dbeta1 = -2 * mean(x * (y - y_hat))
    beta_j = beta_j - lr * dL/dbeta_j    (both from the same y_hat, starting at 0)

The lecture's conventions, all stated in the template: both coefficients start
at 0; the update is simultaneous; the factor 2 of the derivative is kept
(it is not folded into the learning rate); ``losses[k]`` is the MSE *before*
the k-th update, so ``losses[0] = mean(y**2)``.

What each convention fixes, and how it is tested: the factor 2 and the sign
fix the first epoch exactly (beta0 = 2*lr*mean(y), beta1 = 2*lr*mean(x*y));
the simultaneous update fixes beta1 from the first epoch on; the loss
convention fixes ``losses``. Long runs reach the least-squares line whatever
the factor (so they cannot tell a missing 2 apart), which is why the short
runs carry most of the points. x and y must be left as they were
(test_inputs_unchanged).
"""

import numpy as np
import pytest

from grader.remote import CallTimeout, WorkerCrashed
from grader.rulecheck import matches
from grader.testing import Failure, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("linear_regression")

RTOL, ATOL = 1e-5, 1e-8


def _gd(x, y, learning_rate=0.01, n_epochs=1000, *, factor=2.0, sign=1.0, simultaneous=True,
        loss_after=False, mean=np.mean):
    """Gradient descent on the MSE with one mistake switched on."""
    b0 = b1 = 0.0
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(n_epochs):
            r = y - (b0 + b1 * x)
            if not loss_after:
                losses.append(np.mean(r**2))
            b0 = b0 - sign * learning_rate * (-factor * mean(r))
            if not simultaneous:
                r = y - (b0 + b1 * x)
            b1 = b1 - sign * learning_rate * (-factor * mean(x * r))
            if loss_after:
                losses.append(np.mean((y - (b0 + b1 * x)) ** 2))
    return b0, b1, np.array(losses)


MISTAKES = {  # what the student did: (the switches of _gd that do it, the hint)
    "the derivative without its factor 2 (dL/dbeta = -mean(...))": (
        dict(factor=1.0), "The lecture keeps the factor 2: dL/dbeta0 = -2 * mean(y - y_hat)."),
    "the gradient's sign flipped (a step uphill: beta + lr*dL/dbeta)": (
        dict(sign=-1.0), "Subtract the gradient: beta = beta - lr * dL/dbeta."),
    "a sequential update (beta1's gradient computed after beta0 changed)": (
        dict(simultaneous=False), "Compute both gradients from the same predictions, then update both."),
    "the gradient summed instead of averaged": (
        dict(mean=np.sum), "The MSE is a mean, so its gradient is -2 * mean(...), not -2 * sum(...)."),
    "the loss recorded after the update": (
        dict(loss_after=True), "losses[k] is the MSE before the k-th update (losses[0] = mean(y**2))."),
}
IN_PLACE = ("Do not change x or y in place (x -= x.mean(), y -= y_hat): the caller still needs the data. "
            "Compute the residuals into a new array: r = y - (beta0 + beta1 * x).")


def _fit(submission, *args, **kwargs):
    out = submission.linear_regression_gd(*args, **kwargs)
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        raise Failure("linear_regression_gd should return (beta0, beta1, losses); got a value of type "
                      f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""),
                      hint="Return the triple (beta0, beta1, losses).")
    return out


def _check(actual, expected, what, x, y, kwargs, *, part="betas"):
    """Compare (beta0, beta1) or the losses; on a failure name the known mistake they match."""
    def pick(result):
        return [result[0], result[1]] if part == "betas" else [result[2]]

    names = ["beta0", "beta1"] if part == "betas" else ["losses"]
    try:
        for a, e, n in zip(pick(actual), pick(expected), names):
            assert_close(a, e, rtol=RTOL, atol=ATOL, name=f"{what}: {n}")
    except AssertionError as exc:
        for label, (mistake, fix) in MISTAKES.items():
            wrong = pick(_gd(x, y, **kwargs, **mistake))
            if _matches(pick(actual), wrong) and not _matches(pick(expected), wrong):
                raise Failure(f"{exc}. This matches {label}.", hint=fix) from None
        raise


def _matches(actual, expected):
    return matches(actual, expected, rtol=RTOL, atol=ATOL)


def _line(rng, n=40, slope=-0.7, intercept=1.5):
    x = rng.uniform(-1.0, 2.0, size=n)
    return x, intercept + slope * x + 0.1 * rng.normal(size=n)


# ----------------------------------------------------------------------------- tests


@pytest.mark.points(2)
@pytest.mark.hint("From beta = 0 the first update is beta0 = 2*lr*mean(y), beta1 = 2*lr*mean(x*y).")
def test_first_epoch(submission, reference, rng):
    x, y = _line(rng)
    kwargs = {"learning_rate": 0.05, "n_epochs": 1}
    _check(_fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs),
           "linear_regression_gd(x, y, learning_rate=0.05, n_epochs=1)", x, y, kwargs)


@pytest.mark.points(2)
@pytest.mark.parametrize("lr, n_epochs", [(0.1, 5), (0.02, 30)])
def test_few_epochs(submission, reference, rng, lr, n_epochs):
    x, y = _line(rng, n=25, slope=2.0, intercept=-1.0)
    kwargs = {"learning_rate": lr, "n_epochs": n_epochs}
    _check(_fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs),
           f"linear_regression_gd(x, y, learning_rate={lr}, n_epochs={n_epochs})", x, y, kwargs)


@pytest.mark.points(2)
@pytest.mark.hint("losses[k] is the MSE computed before the k-th update: one value per epoch, "
                  "losses[0] = mean(y**2).")
def test_losses(submission, reference, rng):
    x, y = _line(rng, n=30)
    kwargs = {"learning_rate": 0.05, "n_epochs": 20}
    _check(_fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs),
           "linear_regression_gd(x, y, learning_rate=0.05, n_epochs=20)", x, y, kwargs, part="losses")


@pytest.mark.points(2)
def test_default_arguments(submission, reference, rng):
    x, y = _line(rng, n=50)
    actual, expected = _fit(submission, x, y), reference.linear_regression_gd(x, y)
    try:
        _check(actual, expected, "linear_regression_gd(x, y)", x, y, {})
        _check(actual, expected, "linear_regression_gd(x, y)", x, y, {}, part="losses")
    except Failure:
        raise
    except AssertionError as first:  # are the defaults the cause? the same call with them given says
        if isinstance(first, (CallTimeout, WorkerCrashed)):
            raise
        try:
            given = _fit(submission, x, y, learning_rate=0.01, n_epochs=1000)
        except (CallTimeout, WorkerCrashed):
            raise
        except AssertionError:
            raise first from None
        if _matches([given[0], given[1], given[2]], [expected[0], expected[1], expected[2]]):
            raise Failure("linear_regression_gd(x, y) is wrong, but right with learning_rate=0.01 and "
                          "n_epochs=1000 given: its defaults are not those",
                          hint="The defaults are learning_rate=0.01 and n_epochs=1000.") from None
        raise


def test_positional_arguments(submission, reference, rng):
    x, y = _line(rng, n=20)
    _check(_fit(submission, x, y, 0.03, 15), reference.linear_regression_gd(x, y, 0.03, 15),
           "linear_regression_gd(x, y, 0.03, 15)", x, y, {"learning_rate": 0.03, "n_epochs": 15})


@pytest.mark.points(2)
def test_converges_to_least_squares(submission, rng):
    x, y = _line(rng, n=100, slope=0.8, intercept=-0.4)
    beta0, beta1, _ = _fit(submission, x, y, learning_rate=0.1, n_epochs=3000)
    slope, intercept = np.polyfit(x, y, 1)
    assert_close(beta0, intercept, rtol=1e-4, atol=1e-6, name="beta0 after 3000 epochs at lr 0.1 (least squares)")
    assert_close(beta1, slope, rtol=1e-4, atol=1e-6, name="beta1 after 3000 epochs at lr 0.1 (least squares)")


def test_a_single_data_point(submission, reference):
    x, y = np.array([2.0]), np.array([3.0])
    kwargs = {"learning_rate": 0.05, "n_epochs": 40}
    _check(_fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs),
           "linear_regression_gd on one point (x = 2, y = 3)", x, y, kwargs)


def test_zero_inputs(submission, reference, rng):
    """x = 0 everywhere: beta1's gradient is 0, so beta1 stays 0 while beta0 moves towards mean(y)."""
    x, y = np.zeros(10), rng.normal(2.0, 1.0, size=10)
    kwargs = {"learning_rate": 0.1, "n_epochs": 25}
    _check(_fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs),
           "linear_regression_gd with x = 0", x, y, kwargs)


def test_large_magnitudes(submission, reference, rng):
    x = rng.uniform(100.0, 300.0, size=30)
    y = 50.0 * x + 1000.0 + rng.normal(size=30)
    kwargs = {"learning_rate": 1e-5, "n_epochs": 20}
    actual, expected = _fit(submission, x, y, **kwargs), reference.linear_regression_gd(x, y, **kwargs)
    _check(actual, expected, "linear_regression_gd with x ~ 200, y ~ 1e4", x, y, kwargs)
    _check(actual, expected, "linear_regression_gd with x ~ 200, y ~ 1e4", x, y, kwargs, part="losses")


def test_inputs_unchanged(submission, reference, rng):
    x, y = _line(rng, n=20)
    assert_inputs_unchanged(submission.linear_regression_gd, x, y, learning_rate=0.05, n_epochs=10,
                            reference_fn=reference.linear_regression_gd, rtol=RTOL, atol=ATOL,
                            name="linear_regression_gd", hint=IN_PLACE)
