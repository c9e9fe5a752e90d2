"""Hidden tests, question "rmsprop" (11 points).

    cache = rho*cache + (1 - rho)*dw**2,   w = w - lr*dw / (sqrt(cache) + eps)

``config``: ``learning_rate`` (1e-2), ``decay_rate`` (rho, 0.99), ``epsilon``
(1e-8) and the state ``cache`` (zeros at first). Epsilon is added *outside*
the square root, as in the table (and in ``torch.optim.RMSprop``).

Where epsilon sits only shows when sqrt(cache) is comparable to it, so one
test (1 point) is about epsilon: gradients of about 1e-6 (sqrt(cache) ~ 1e-7,
where eps inside the root gives steps a hundred times smaller) and a given
epsilon of 0.1. Everywhere else the gradients are kept away from 0, so that
a student who put epsilon inside the root loses that point only. The other
mistakes (no square root, rho and 1 - rho swapped, a cache that is not
stored) show everywhere.

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

pytestmark = pytest.mark.question("rmsprop")

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _grad(rng, shape, scale=1.0):
    """Random entries of size 0.5 to 2 (times ``scale``) with random signs: away from 0, so that
    where epsilon sits only matters in the epsilon test (sqrt(cache) is never near eps elsewhere)."""
    return scale * rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _rmsprop(*, sqrt=np.sqrt, eps_inside=False, swapped=False, store=True):
    """RMSprop with one mistake switched on."""
    def rule(w, dw, config=None):
        c = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8, **(config or {})}
        rho, eps = c["decay_rate"], c["epsilon"]
        if swapped:
            rho = 1 - rho
        cache = rho * c.get("cache", np.zeros_like(w)) + (1 - rho) * dw**2
        denom = sqrt(cache + eps) if eps_inside else sqrt(cache) + eps
        return w - c["learning_rate"] * dw / denom, ({**c, "cache": cache} if store else c)
    return rule


MISTAKES = {
    "RMSprop without the square root (dw / (cache + eps))": (
        _rmsprop(sqrt=lambda c: c), "Divide by the root of the cache: w - lr*dw / (np.sqrt(cache) + eps)."),
    "epsilon inside the square root, sqrt(cache + eps)": (
        _rmsprop(eps_inside=True), "The table puts epsilon outside the root: dw / (np.sqrt(cache) + eps)."),
    "rho and 1 - rho swapped (cache = (1 - rho)*cache + rho*dw**2)": (
        _rmsprop(swapped=True), "The old cache keeps the weight rho: cache = rho*cache + (1 - rho)*dw**2."),
    "a cache that is not stored back into config (every step starts again from cache = 0)": (
        _rmsprop(store=False), "Store the new cache in the config you return: config['cache'] = cache."),
}
DEFAULTS = {'learning_rate': 0.01, 'decay_rate': 0.99, 'epsilon': 1e-08}


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
    actual, _ = _run(submission.rmsprop, w, grads, config, "rmsprop")
    expected, _ = _run(reference.rmsprop, w, grads, config, "reference")
    _check_steps(actual, expected, what, _mistakes(MISTAKES, w, grads, config) + list(extra))


@pytest.mark.parametrize("shape", SHAPES, ids=str)


def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = _grad(rng, shape), _grad(rng, shape)
    _compare(submission, reference, w, [dw], None, f"rmsprop(w, dw, None), w of shape {shape}")


@pytest.mark.hint("After rmsprop(w, dw), config holds the defaults and the state of one step: "
                  "learning_rate, decay_rate, epsilon, cache.")


def test_config_holds_defaults_and_cache(submission, reference, rng):
    w, dw = _grad(rng, (2, 3)), _grad(rng, (2, 3))
    _, config = _step(submission.rmsprop, w, dw, _NO_CONFIG, "rmsprop(w, dw)")
    _, expected = reference.rmsprop(w, dw)
    for key in ("learning_rate", "decay_rate", "epsilon", "cache"):
        if key not in config:
            raise Failure(f"rmsprop(w, dw) returned config {sorted(config)}, without {key!r}",
                          hint="Fill in the defaults and store the state in the config you return: "
                               "config.setdefault(...) for each hyperparameter, config[...] = ... for the state.")
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=1e-12, name=f"rmsprop(w, dw) config[{key!r}]")


@pytest.mark.points(3)


@pytest.mark.parametrize("hyper", [{"learning_rate": 0.05, "decay_rate": 0.9},
                                   {"learning_rate": 0.01, "decay_rate": 0.5}],
                         ids=["rho=0.9", "rho=0.5"])


def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w = _grad(rng, (3, 4))
    grads = [_grad(rng, (3, 4)) * s for s in (1.0, 0.5, 2.0, 1.0, 0.1, 3.0)]
    _compare(submission, reference, w, grads, hyper, f"rmsprop with {hyper}, 6 steps")


def test_missing_keys_use_the_defaults(submission, reference, rng):
    w, grads = _grad(rng, 5), [_grad(rng, 5) for _ in range(3)]
    try:
        _compare(submission, reference, w, grads, {"learning_rate": 0.1}, "rmsprop with config {'learning_rate': 0.1}")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.rmsprop, reference.rmsprop, w, grads, {"learning_rate": 0.1}, "rmsprop")
        raise


def test_continues_from_a_given_cache(submission, reference, rng):
    w, grads = _grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(2)]
    config = {"learning_rate": 0.1, "decay_rate": 0.9, "cache": rng.uniform(0.5, 4.0, size=(2, 2))}
    from_zero = {k: v for k, v in config.items() if k not in ('cache',)}
    ignored = ("the given state ignored (a start from zeros)", _run(reference.rmsprop, w, grads, from_zero, "reference")[0],
               "Start from the cache in config when it is there; zeros only when it is missing.")
    _compare(submission, reference, w, grads, config, "rmsprop from a given cache", extra=[ignored])


def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(_grad(rng, 3), [_grad(rng, 3) for _ in range(3)]),
                (_grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(3)])]
    try:
        ws, configs = [w for w, _ in problems], [None, None]
        for k in range(3):
            for i, (_, grads) in enumerate(problems):
                ws[i], configs[i] = _step(submission.rmsprop, ws[i], grads[k], configs[i], "rmsprop")
        for i, (w0, grads) in enumerate(problems):
            expected, _ = _run(reference.rmsprop, w0, grads, None, "reference")
            assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                         name=f"parameter {i + 1} of 2 after 3 interleaved steps")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: is state shared between calls?
        _blame_shared_state(submission, reference.rmsprop, problems, "rmsprop")
        raise


@pytest.mark.hint("With dw = 0 the step is 0 / (0 + eps) = 0; for large gradients the step is about "
                  "lr * dw / sqrt(cache), whatever the scale of dw.")


@pytest.mark.parametrize("scale", [0.0, 1e6], ids=["zero-gradient", "large"])


def test_zero_and_large_gradients(submission, reference, rng, scale):
    w, grads = _grad(rng, (2, 5)), [scale * _grad(rng, (2, 5)) for _ in range(3)]
    _compare(submission, reference, w, grads, {"learning_rate": 0.01}, f"rmsprop with gradients of size {scale:g}")


@pytest.mark.parametrize("case", ["tiny-gradients", "given-epsilon"])


def test_epsilon_outside_the_root(submission, reference, rng, case):
    """Where epsilon sits shows only when the root is comparable to it: gradients of about 1e-6
    (sqrt(cache) ~ 1e-7 meets the default eps = 1e-8), or a large epsilon (sqrt(cache) = 0.1*|dw| meets eps = 0.1)."""
    w = np.zeros(8)  # so that next_w is minus the step, compared relatively
    if case == "tiny-gradients":
        grads, config = [_grad(rng, 8, 1e-6) for _ in range(2)], None
    else:
        grads, config = [_grad(rng, 8) for _ in range(2)], {"epsilon": 0.1}
    _compare(submission, reference, w, grads, config, f"rmsprop with w = 0, {case}")


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.rmsprop, w, dw, config, name=f"rmsprop (step {k + 1})",
                                      reference_fn=reference.rmsprop, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
