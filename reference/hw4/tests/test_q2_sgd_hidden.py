"""Hidden tests, question "sgd" (6 points): vanilla gradient descent, w - lr*dw.

The CS231n signature: ``next_w, config = sgd(w, dw, config=None)``, with the
default ``learning_rate = 1e-2`` filled into ``config`` when it is missing
(config None, empty, or holding other keys).

Mistakes these catch: a step uphill (``w + lr*dw``), a learning rate read
from nowhere (the default ignored, or the given one ignored), a default that
is not written into the returned config, a config argument without a default.

``w`` and ``dw`` must be left as they were (test_inputs_unchanged: ``w -= ...``
or ``dw /= ...`` changes the caller's arrays). The config dict and the state
arrays in it may be updated in place: the rule returns its config, and
CS231n's ``config.setdefault`` changes it.
"""

import pytest

from grader.remote import CallTimeout, WorkerCrashed
from grader.rulecheck import NO_CONFIG as _NO_CONFIG
from grader.rulecheck import (check_steps as _check_steps, matches as _matches, mistakes as _mistakes,
                              run as _run, step as _step)
from grader.testing import Failure, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("sgd")

RTOL, ATOL = 1e-5, 1e-7  # float32 arithmetic passes; a wrong step is off by far more
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _uphill(w, dw, config=None):
    config = {"learning_rate": 1e-2, **(config or {})}
    return w + config["learning_rate"] * dw, config


def _fixed_rate(w, dw, config=None):
    return w - 1e-2 * dw, {"learning_rate": 1e-2, **(config or {})}


MISTAKES = {
    "w + lr*dw, a step uphill": (_uphill, "Gradient descent subtracts the gradient: next_w = w - lr*dw."),
    "the default learning rate 1e-2, whatever config['learning_rate'] says": (
        _fixed_rate, "Read the learning rate from config: config.setdefault('learning_rate', 1e-2), then "
                     "w - config['learning_rate'] * dw."),
}
DEFAULTS = {"learning_rate": 1e-2}


# ----------------------------------------------------------------------------- helpers
# Stepping a rule, comparing steps and naming known mistakes: grader/rulecheck.py (shared by
# every update rule's tests). The config crosses the sandbox as plain data: each step sends it
# to the student's rule and the rule's returned config is what the next step sends.


def _blame_defaults(rule, reference_rule, w, grads, config, name):
    """Raise a :class:`Failure` naming the defaults when ``rule`` fails with ``config`` (a
    config lacking some keys) but is right with every key given; return otherwise."""
    full = {**DEFAULTS, **config}
    try:
        actual, _ = _run(rule, w, grads, full, name)
    except (CallTimeout, WorkerCrashed):
        raise
    except AssertionError:
        return
    expected, _ = _run(reference_rule, w, grads, full, "reference")
    if _matches(actual, expected):
        missing = [k for k in DEFAULTS if k not in config]
        raise Failure(f"{name} is right with every hyperparameter given, but not with config {config}: the "
                      f"defaults of {', '.join(missing)} are not used when config lacks them",
                      hint="Fill in each missing key, whatever else config holds: "
                           + ", ".join(f"config.setdefault({k!r}, {DEFAULTS[k]!r})" for k in missing) + ".") from None


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("shape", SHAPES, ids=str)


def test_one_step_with_config_none(submission, reference, rng, shape):
    w, dw = rng.normal(size=shape), rng.normal(size=shape)
    actual, _ = _run(submission.sgd, w, [dw], None, "sgd(w, dw, None)")
    expected, _ = _run(reference.sgd, w, [dw], None, "reference")
    _check_steps(actual, expected, f"sgd(w, dw, None), w of shape {shape}", _mistakes(MISTAKES, w, [dw], None))


@pytest.mark.hint("next_w = w - config['learning_rate'] * dw.")


@pytest.mark.parametrize("lr", [0.5, 1e-3])


def test_learning_rate_from_config(submission, reference, rng, lr):
    w, grads = rng.normal(size=(4, 3)), [rng.normal(size=(4, 3)) for _ in range(3)]
    config = {"learning_rate": lr}
    actual, _ = _run(submission.sgd, w, grads, config, "sgd")
    expected, _ = _run(reference.sgd, w, grads, config, "reference")
    _check_steps(actual, expected, f"sgd with learning_rate={lr}, 3 steps", _mistakes(MISTAKES, w, grads, config))


@pytest.mark.hint("sgd(w, dw) returns the config with the default learning_rate 1e-2 in it.")


def test_default_is_written_into_config(submission, rng):
    w, dw = rng.normal(size=5), rng.normal(size=5)
    _, config = _step(submission.sgd, w, dw, _NO_CONFIG, "sgd(w, dw)")
    if "learning_rate" not in config:
        raise Failure(f"sgd(w, dw) returned config {sorted(config)}, without 'learning_rate'",
                      hint="Write the default into config: config.setdefault('learning_rate', 1e-2).")
    assert_close(config["learning_rate"], 1e-2, name="sgd(w, dw) config['learning_rate']")


@pytest.mark.parametrize("config", [{}, {"momentum": 0.9}], ids=["empty", "other-keys"])


def test_missing_learning_rate_uses_the_default(submission, reference, rng, config):
    w, grads = rng.normal(size=7), [rng.normal(size=7) for _ in range(2)]
    try:
        actual, _ = _run(submission.sgd, w, grads, config, f"sgd(w, dw, {config})")
        expected, _ = _run(reference.sgd, w, grads, config, "reference")
        _check_steps(actual, expected, f"sgd with config {config}", _mistakes(MISTAKES, w, grads, config))
    except (CallTimeout, WorkerCrashed):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.sgd, reference.sgd, w, grads, config, "sgd")
        raise


@pytest.mark.parametrize("scale", [0.0, 1e8], ids=["zero-gradient", "large"])


def test_zero_and_large_gradients(submission, reference, rng, scale):
    w = (1.0 if scale == 0 else 1e6) * rng.normal(size=(2, 5))
    grads = [scale * rng.normal(size=(2, 5)) for _ in range(2)]
    actual, _ = _run(submission.sgd, w, grads, {"learning_rate": 0.1}, "sgd")
    expected, _ = _run(reference.sgd, w, grads, {"learning_rate": 0.1}, "reference")
    _check_steps(actual, expected, f"sgd with gradients of size {scale:g}")


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.sgd, w, dw, config, name=f"sgd (step {k + 1})",
                                      reference_fn=reference.sgd, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
