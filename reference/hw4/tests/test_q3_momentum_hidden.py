"""Hidden tests, question "momentum" (11 points): the lecture's momentum.

    v = beta*v + (1 - beta)*dw,   w = w - lr*v

``config``: ``learning_rate`` (1e-2), ``momentum`` (beta, 0.9) and the state
``velocity`` (zeros at first), all stored in the returned config.

This is the velocity as an exponential moving average of the gradients. It
is *not* the classical form ``v = mu*v - lr*dw; w = w + v`` (CS231n's
``sgd_momentum``) and not PyTorch's default ``v = mu*v + dw``: the factor
(1 - beta) makes the first step ten times smaller than theirs (beta = 0.9).
The failure messages name these when the student's steps match them.

``w`` and ``dw`` must be left as they were (test_inputs_unchanged: ``w -= ...``
or ``dw /= ...`` changes the caller's arrays). The config dict and the state
arrays in it may be updated in place: the rule returns its config, and
CS231n's ``config.setdefault`` changes it.
"""


import numpy as np
import pytest

from grader.remote import CallTimeout, WorkerCrashed
from grader.rulecheck import NO_CONFIG as _NO_CONFIG
from grader.rulecheck import (blame_shared_state as _blame_shared_state, check_steps as _check_steps, matches as _matches,
                              mistakes as _mistakes, run as _run, step as _step)
from grader.testing import Failure, assert_close, assert_inputs_unchanged

# sgd_momentum may take its step with your sgd (sgd(w, v, config)): a failing test is run again with the
# reference's sgd in its place, so an sgd mistake is charged in question "sgd" only.
pytestmark = [pytest.mark.question("momentum"), pytest.mark.reference_helpers("sgd")]

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _hyper(config):
    return {"learning_rate": 1e-2, "momentum": 0.9, **(config or {})}


def _classical(w, dw, config=None):
    c = _hyper(config)
    v = c["momentum"] * c.get("velocity", np.zeros_like(w)) - c["learning_rate"] * dw
    return w + v, {**c, "velocity": v}


def _undampened(w, dw, config=None):
    c = _hyper(config)
    v = c["momentum"] * c.get("velocity", np.zeros_like(w)) + dw
    return w - c["learning_rate"] * v, {**c, "velocity": v}


def _step_before_velocity(w, dw, config=None):
    c = _hyper(config)
    v_old = c.get("velocity", np.zeros_like(w))
    v = c["momentum"] * v_old + (1 - c["momentum"]) * dw
    return w - c["learning_rate"] * v_old, {**c, "velocity": v}


def _velocity_not_stored(w, dw, config=None):
    c = _hyper(config)
    v = c["momentum"] * c.get("velocity", np.zeros_like(w)) + (1 - c["momentum"]) * dw
    return w - c["learning_rate"] * v, c


MISTAKES = {
    "classical momentum (v = mu*v - lr*dw, w = w + v)": (
        _classical, "This assignment's velocity is a moving average: v = beta*v + (1 - beta)*dw, then w - lr*v."),
    "momentum without the factor (1 - beta) (v = beta*v + dw, PyTorch's default)": (
        _undampened, "This assignment uses v = beta*v + (1 - beta)*dw, then w - lr*v."),
    "a step with the old velocity (w - lr*v before v is updated)": (
        _step_before_velocity, "Update v first, then step with the new v: w - lr*v."),
    "a velocity that is not stored back into config (every step starts again from v = 0)": (
        _velocity_not_stored, "Store the new velocity in the config you return: config['velocity'] = v."),
}
DEFAULTS = {"learning_rate": 1e-2, "momentum": 0.9}


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


def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = rng.normal(size=shape), rng.normal(size=shape)
    actual, _ = _run(submission.sgd_momentum, w, [dw], None, "sgd_momentum(w, dw, None)")
    expected, _ = _run(reference.sgd_momentum, w, [dw], None, "reference")
    _check_steps(actual, expected, f"sgd_momentum(w, dw, None), w of shape {shape}",
                 _mistakes(MISTAKES, w, [dw], None))


@pytest.mark.hint("After sgd_momentum(w, dw), config holds learning_rate 1e-2, momentum 0.9 and "
                  "velocity v = 0.9*0 + 0.1*dw.")


def test_config_holds_defaults_and_velocity(submission, reference, rng):
    w, dw = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    _, config = _step(submission.sgd_momentum, w, dw, _NO_CONFIG, "sgd_momentum(w, dw)")
    _, expected = reference.sgd_momentum(w, dw)
    for key in ("learning_rate", "momentum", "velocity"):
        if key not in config:
            raise Failure(f"sgd_momentum(w, dw) returned config {sorted(config)}, without {key!r}",
                          hint="Fill in the defaults and store the state in config: config.setdefault('momentum', "
                               "0.9), ..., config['velocity'] = v.")
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=ATOL,
                     name=f"sgd_momentum(w, dw) config[{key!r}]")


@pytest.mark.points(3)


@pytest.mark.parametrize("hyper", [{"learning_rate": 0.1, "momentum": 0.9}, {"learning_rate": 0.05, "momentum": 0.5}],
                         ids=["beta=0.9", "beta=0.5"])


def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(6)]
    actual, _ = _run(submission.sgd_momentum, w, grads, hyper, "sgd_momentum")
    expected, _ = _run(reference.sgd_momentum, w, grads, hyper, "reference")
    _check_steps(actual, expected, f"sgd_momentum with {hyper}, 6 steps", _mistakes(MISTAKES, w, grads, hyper))


def test_velocity_is_the_moving_average(submission, reference, rng):
    w, grads = rng.normal(size=5), [rng.normal(size=5) for _ in range(4)]
    _, config = _run(submission.sgd_momentum, w, grads, {"momentum": 0.8}, "sgd_momentum")
    _, expected = _run(reference.sgd_momentum, w, grads, {"momentum": 0.8}, "reference")
    assert "velocity" in config, f"sgd_momentum returned config {sorted(config)}, without 'velocity'"
    assert_close(config["velocity"], expected["velocity"], rtol=STATE_RTOL, atol=ATOL,
                 name="config['velocity'] after 4 steps (beta = 0.8)")


@pytest.mark.parametrize("config", [{"momentum": 0.5}, {"learning_rate": 0.2}], ids=["no-lr", "no-momentum"])


def test_missing_keys_use_the_defaults(submission, reference, rng, config):
    w, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(3)]
    try:
        actual, _ = _run(submission.sgd_momentum, w, grads, config, "sgd_momentum")
        expected, _ = _run(reference.sgd_momentum, w, grads, config, "reference")
        _check_steps(actual, expected, f"sgd_momentum with config {config}", _mistakes(MISTAKES, w, grads, config))
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.sgd_momentum, reference.sgd_momentum, w, grads, config, "sgd_momentum")
        raise


def test_continues_from_a_given_velocity(submission, reference, rng):
    w, grads = rng.normal(size=(2, 2)), [rng.normal(size=(2, 2)) for _ in range(2)]
    config = {"learning_rate": 0.1, "momentum": 0.9, "velocity": rng.normal(size=(2, 2))}
    actual, _ = _run(submission.sgd_momentum, w, grads, config, "sgd_momentum")
    expected, _ = _run(reference.sgd_momentum, w, grads, config, "reference")
    from_zero = {k: v for k, v in config.items() if k != "velocity"}
    ignored = ("the given velocity ignored (a start from v = 0)", _run(reference.sgd_momentum, w, grads, from_zero,
                                                                         "reference")[0],
               "Start from the velocity in config when it is there; zeros only when it is missing.")
    _check_steps(actual, expected, "sgd_momentum from a given velocity",
                 _mistakes(MISTAKES, w, grads, config) + [ignored])


def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(rng.normal(size=3), [rng.normal(size=3) for _ in range(3)]),
                (rng.normal(size=(2, 2)), [rng.normal(size=(2, 2)) for _ in range(3)])]
    try:
        ws, configs = [w for w, _ in problems], [None, None]
        for k in range(3):  # interleaved, as a training loop updates W1, b1, W2, ... in turn
            for i, (_, grads) in enumerate(problems):
                ws[i], configs[i] = _step(submission.sgd_momentum, ws[i], grads[k], configs[i], "sgd_momentum")
        for i, (w0, grads) in enumerate(problems):
            expected, _ = _run(reference.sgd_momentum, w0, grads, None, "reference")
            assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                         name=f"parameter {i + 1} of 2 after 3 interleaved steps")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: is state shared between calls?
        _blame_shared_state(submission, reference.sgd_momentum, problems, "sgd_momentum")
        raise


def test_zero_gradient_keeps_moving(submission, reference, rng):
    """With dw = 0 the velocity decays (v = beta*v) and w keeps moving along it."""
    w = rng.normal(size=6)
    config = {"learning_rate": 0.1, "momentum": 0.9, "velocity": rng.normal(size=6)}
    grads = [np.zeros(6)] * 3
    actual, _ = _run(submission.sgd_momentum, w, grads, config, "sgd_momentum")
    expected, _ = _run(reference.sgd_momentum, w, grads, config, "reference")
    _check_steps(actual, expected, "sgd_momentum with zero gradients and a given velocity",
                 _mistakes(MISTAKES, w, grads, config))


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.sgd_momentum, w, dw, config, name=f"sgd_momentum (step {k + 1})",
                                      reference_fn=reference.sgd_momentum, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
