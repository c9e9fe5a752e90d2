"""Hidden tests, question "adadelta" (12 points): Adadelta (Zeiler 2012, Algorithm 1).

    cache = rho*cache + (1 - rho)*dw**2                        (E[g^2], with this step's gradient)
    dx    = -sqrt(delta + eps) / sqrt(cache + eps) * dw         (RMS[dx] of the previous steps / RMS[g])
    delta = rho*delta + (1 - rho)*dx**2                        (E[dx^2], after the step)
    w     = w + dx

``config``: ``rho`` (0.95), ``epsilon`` (1e-6) and the state ``cache`` and
``delta`` (zeros at first). There is no learning rate. Epsilon sits *inside*
both square roots (Zeiler's RMS[x] = sqrt(E[x^2] + eps)); in the numerator it
is what makes the first step non-zero (about sqrt(eps) / sqrt(1 - rho) = 4.5e-3).

Mistakes named in the failure messages when the student's steps match them:
the gradient accumulator updated after its use, epsilon outside the roots
(a first step a thousand times smaller), the ratio upside down, a step
uphill (w - dx), and a ``delta`` that is never accumulated or not stored.

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

pytestmark = pytest.mark.question("adadelta")

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _adadelta(*, cache_first=True, eps_inside=True, inverted=False, sign=1.0, accumulate_delta=True):
    """Adadelta with one mistake switched on."""
    def rule(w, dw, config=None):
        c = {"rho": 0.95, "epsilon": 1e-6, **(config or {})}
        rho, eps = c["rho"], c["epsilon"]
        cache, delta = c.get("cache", np.zeros_like(w)), c.get("delta", np.zeros_like(w))
        new_cache = rho * cache + (1 - rho) * dw**2
        rms_g = new_cache if cache_first else cache
        rms = (lambda e: np.sqrt(e + eps)) if eps_inside else (lambda e: np.sqrt(e) + eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = rms(rms_g) / rms(delta) if inverted else rms(delta) / rms(rms_g)
        dx = -ratio * dw
        if accumulate_delta:
            delta = rho * delta + (1 - rho) * dx**2
        return w + sign * dx, {**c, "cache": new_cache, "delta": delta}
    return rule


MISTAKES = {
    "Adadelta with the gradient accumulator updated after its use": (
        _adadelta(cache_first=False),
        "Update cache = rho*cache + (1 - rho)*dw**2 first, then compute the step with it."),
    "epsilon outside the square roots, sqrt(E) + eps": (
        _adadelta(eps_inside=False), "Zeiler's RMS is sqrt(E + eps), for both accumulators: "
                                     "dx = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw."),
    "the ratio upside down": (
        _adadelta(inverted=True), "The step is dx = -np.sqrt(delta + eps) / np.sqrt(cache + eps) * dw."),
    "a step uphill (w - dx with dx = -ratio*dw)": (_adadelta(sign=-1.0), "Add the step: next_w = w + dx."),
    "a delta that is never accumulated or not stored (every step uses E[dx^2] = 0)": (
        _adadelta(accumulate_delta=False),
        "After the step, delta = rho*delta + (1 - rho)*dx**2, stored in config['delta']."),
}
DEFAULTS = {'rho': 0.95, 'epsilon': 1e-06}


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


def _compare(submission, reference, w, grads, config, what, extra=()):
    """The student's steps against the reference's, naming a known mistake (``extra``: more
    triples (description, steps, hint) for this test)."""
    actual, _ = _run(submission.adadelta, w, grads, config, "adadelta")
    expected, _ = _run(reference.adadelta, w, grads, config, "reference")
    _check_steps(actual, expected, what, _mistakes(MISTAKES, w, grads, config) + list(extra))


@pytest.mark.parametrize("shape", SHAPES, ids=str)


def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = rng.normal(size=shape), rng.normal(size=shape)
    _compare(submission, reference, w, [dw], None, f"adadelta(w, dw, None), w of shape {shape}")


@pytest.mark.hint("After adadelta(w, dw), config holds the defaults and the state of one step: "
                  "rho, epsilon, cache, delta.")


def test_config_holds_defaults_and_state(submission, reference, rng):
    w, dw = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    _, config = _step(submission.adadelta, w, dw, _NO_CONFIG, "adadelta(w, dw)")
    _, expected = reference.adadelta(w, dw)
    for key in ("rho", "epsilon", "cache", "delta"):
        if key not in config:
            raise Failure(f"adadelta(w, dw) returned config {sorted(config)}, without {key!r}",
                          hint="Fill in the defaults and store the state in the config you return: "
                               "config.setdefault(...) for each hyperparameter, config[...] = ... for the state.")
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=1e-12, name=f"adadelta(w, dw) config[{key!r}]")


@pytest.mark.points(3)


@pytest.mark.parametrize("hyper", [{"rho": 0.9}, {"rho": 0.5, "epsilon": 1e-4}], ids=["rho=0.9", "rho=0.5"])


def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) * s for s in (1.0, 0.5, 2.0, 1.0, 0.1, 3.0, 1.0, 0.3)]
    _compare(submission, reference, w, grads, hyper, f"adadelta with {hyper}, 8 steps")


@pytest.mark.hint("After the step, accumulate it: delta = rho*delta + (1 - rho)*dx**2, stored in config.")


def test_delta_is_the_average_of_squared_steps(submission, reference, rng):
    w, grads = rng.normal(size=5), [rng.normal(size=5) for _ in range(4)]
    _, config = _run(submission.adadelta, w, grads, None, "adadelta")
    _, expected = _run(reference.adadelta, w, grads, None, "reference")
    assert "delta" in config, f"adadelta returned config {sorted(config)}, without 'delta'"
    assert_close(config["delta"], expected["delta"], rtol=STATE_RTOL, atol=1e-12, name="config['delta'] after 4 steps")


@pytest.mark.parametrize("config", [{"rho": 0.9}, {"epsilon": 1e-4}], ids=["no-eps", "no-rho"])


def test_missing_keys_use_the_defaults(submission, reference, rng, config):
    w, grads = rng.normal(size=5), [rng.normal(size=5) for _ in range(3)]
    try:
        _compare(submission, reference, w, grads, config, f"adadelta with config {config}")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.adadelta, reference.adadelta, w, grads, config, "adadelta")
        raise


@pytest.mark.points(2)


def test_continues_from_a_given_state(submission, reference, rng):
    w, grads = rng.normal(size=(2, 3)), [rng.normal(size=(2, 3)) for _ in range(3)]
    config = {"cache": rng.uniform(0.1, 2.0, size=(2, 3)), "delta": rng.uniform(1e-4, 1e-2, size=(2, 3))}
    from_zero = {k: v for k, v in config.items() if k not in ('cache', 'delta',)}
    ignored = ("the given state ignored (a start from zeros)", _run(reference.adadelta, w, grads, from_zero, "reference")[0],
               "Start from cache and delta in config when they are there; zeros only when they are missing.")
    _compare(submission, reference, w, grads, config, "adadelta from a given cache and delta", extra=[ignored])


def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(rng.normal(size=3), [rng.normal(size=3) for _ in range(3)]),
                (rng.normal(size=(2, 2)), [rng.normal(size=(2, 2)) for _ in range(3)])]
    try:
        ws, configs = [w for w, _ in problems], [None, None]
        for k in range(3):
            for i, (_, grads) in enumerate(problems):
                ws[i], configs[i] = _step(submission.adadelta, ws[i], grads[k], configs[i], "adadelta")
        for i, (w0, grads) in enumerate(problems):
            expected, _ = _run(reference.adadelta, w0, grads, None, "reference")
            assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                         name=f"parameter {i + 1} of 2 after 3 interleaved steps")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: is state shared between calls?
        _blame_shared_state(submission, reference.adadelta, problems, "adadelta")
        raise


@pytest.mark.parametrize("scale", [0.0, 1e6], ids=["zero-gradient", "large"])


def test_zero_and_large_gradients(submission, reference, rng, scale):
    w, grads = rng.normal(size=(2, 5)), [scale * rng.normal(size=(2, 5)) for _ in range(3)]
    _compare(submission, reference, w, grads, None, f"adadelta with gradients of size {scale:g}")


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.adadelta, w, dw, config, name=f"adadelta (step {k + 1})",
                                      reference_fn=reference.adadelta, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
