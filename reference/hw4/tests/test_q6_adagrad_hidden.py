"""Hidden tests, question "adagrad" (11 points).

    cache = cache + dw**2,   w = w - lr*dw / (sqrt(cache) + eps)

``config``: ``learning_rate`` (1e-2), ``epsilon`` (1e-8) and the state
``cache`` (zeros at first): the running *sum* of all squared gradients, so
the effective step only shrinks. Epsilon is added outside the square root,
as in the table (and in ``torch.optim.Adagrad``).

Mistakes named in the failure messages when the student's steps match them:
no square root; a cache overwritten (``cache = dw**2``) or not stored, so every step is a
first step of size lr; RMSprop's decaying average in place of the sum;
epsilon inside the root (visible with gradients of about 1e-6 or a large
epsilon: the epsilon test; elsewhere the gradients are kept away from 0); no
epsilon at all (0/0 for a zero gradient).

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

pytestmark = pytest.mark.question("adagrad")

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _grad(rng, shape, scale=1.0):
    """Random entries of size 0.5 to 2 (times ``scale``) with random signs: away from 0, so that
    where epsilon sits only matters in the epsilon test (sqrt(cache) is never near eps elsewhere)."""
    return scale * rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _adagrad(*, accumulate=lambda cache, g2: cache + g2, eps_inside=False, use_eps=True, sqrt=np.sqrt):
    """Adagrad with one mistake switched on."""
    def rule(w, dw, config=None):
        c = {"learning_rate": 1e-2, "epsilon": 1e-8, **(config or {})}
        eps = c["epsilon"] if use_eps else 0.0
        cache = accumulate(c.get("cache", np.zeros_like(w)), dw**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            denom = sqrt(cache + eps) if eps_inside else sqrt(cache) + eps
            return w - c["learning_rate"] * dw / denom, {**c, "cache": cache}
    return rule


MISTAKES = {
    "Adagrad without the square root (dw / (cache + eps))": (
        _adagrad(sqrt=lambda c: c), "Divide by the root of the cache: w - lr*dw / (np.sqrt(cache) + eps)."),
    "an Adagrad cache that is overwritten (cache = dw**2) or not stored, not accumulated": (
        _adagrad(accumulate=lambda cache, g2: g2),
        "Accumulate and store: cache = cache + dw**2, config['cache'] = cache."),
    "RMSprop's decaying average (cache = 0.99*cache + 0.01*dw**2)": (
        _adagrad(accumulate=lambda cache, g2: 0.99 * cache + 0.01 * g2), "Adagrad sums: cache = cache + dw**2."),
    "epsilon inside the square root, sqrt(cache + eps)": (
        _adagrad(eps_inside=True), "The table puts epsilon outside the root: dw / (np.sqrt(cache) + eps)."),
    "Adagrad without epsilon (0 / 0 for a zero gradient)": (
        _adagrad(use_eps=False), "Divide by np.sqrt(cache) + eps, with the epsilon in config."),
}
DEFAULTS = {'learning_rate': 0.01, 'epsilon': 1e-08}


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
    actual, _ = _run(submission.adagrad, w, grads, config, "adagrad")
    expected, _ = _run(reference.adagrad, w, grads, config, "reference")
    _check_steps(actual, expected, what, _mistakes(MISTAKES, w, grads, config) + list(extra))


@pytest.mark.parametrize("shape", SHAPES, ids=str)


def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = _grad(rng, shape), _grad(rng, shape)
    _compare(submission, reference, w, [dw], None, f"adagrad(w, dw, None), w of shape {shape}")


@pytest.mark.hint("After adagrad(w, dw), config holds the defaults and the state of one step: "
                  "learning_rate, epsilon, cache.")


def test_config_holds_defaults_and_cache(submission, reference, rng):
    w, dw = _grad(rng, (2, 3)), _grad(rng, (2, 3))
    _, config = _step(submission.adagrad, w, dw, _NO_CONFIG, "adagrad(w, dw)")
    _, expected = reference.adagrad(w, dw)
    for key in ("learning_rate", "epsilon", "cache"):
        if key not in config:
            raise Failure(f"adagrad(w, dw) returned config {sorted(config)}, without {key!r}",
                          hint="Fill in the defaults and store the state in the config you return: "
                               "config.setdefault(...) for each hyperparameter, config[...] = ... for the state.")
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=1e-12, name=f"adagrad(w, dw) config[{key!r}]")


@pytest.mark.points(2)


@pytest.mark.parametrize("hyper", [{"learning_rate": 0.1}, {"learning_rate": 0.5}],
                         ids=["lr=0.1", "lr=0.5"])


def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w = _grad(rng, (3, 4))
    grads = [_grad(rng, (3, 4)) * s for s in (1.0, 0.5, 2.0, 1.0, 0.1, 3.0)]
    _compare(submission, reference, w, grads, hyper, f"adagrad with {hyper}, 6 steps")


@pytest.mark.hint("The cache is the sum of all squared gradients so far: cache += dw**2, stored in config.")


def test_cache_is_the_sum_of_squared_gradients(submission, rng):
    w, grads = _grad(rng, 5), [_grad(rng, 5) for _ in range(4)]
    _, config = _run(submission.adagrad, w, grads, None, "adagrad")
    assert "cache" in config, f"adagrad returned config {sorted(config)}, without 'cache'"
    assert_close(config["cache"], sum(g**2 for g in grads), rtol=STATE_RTOL, atol=1e-12,
                 name="config['cache'] after 4 steps")


def test_missing_keys_use_the_defaults(submission, reference, rng):
    w, grads = _grad(rng, 5), [_grad(rng, 5) for _ in range(3)]
    try:
        _compare(submission, reference, w, grads, {"learning_rate": 0.3}, "adagrad with config {'learning_rate': 0.3}")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.adagrad, reference.adagrad, w, grads, {"learning_rate": 0.3}, "adagrad")
        raise


def test_continues_from_a_given_cache(submission, reference, rng):
    w, grads = _grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(2)]
    config = {"learning_rate": 0.1, "cache": rng.uniform(1.0, 10.0, size=(2, 2))}
    from_zero = {k: v for k, v in config.items() if k not in ('cache',)}
    ignored = ("the given state ignored (a start from zeros)", _run(reference.adagrad, w, grads, from_zero, "reference")[0],
               "Start from the cache in config when it is there; zeros only when it is missing.")
    _compare(submission, reference, w, grads, config, "adagrad from a given cache", extra=[ignored])


def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(_grad(rng, 3), [_grad(rng, 3) for _ in range(3)]),
                (_grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(3)])]
    try:
        ws, configs = [w for w, _ in problems], [None, None]
        for k in range(3):
            for i, (_, grads) in enumerate(problems):
                ws[i], configs[i] = _step(submission.adagrad, ws[i], grads[k], configs[i], "adagrad")
        for i, (w0, grads) in enumerate(problems):
            expected, _ = _run(reference.adagrad, w0, grads, None, "reference")
            assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                         name=f"parameter {i + 1} of 2 after 3 interleaved steps")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: is state shared between calls?
        _blame_shared_state(submission, reference.adagrad, problems, "adagrad")
        raise


@pytest.mark.hint("With dw = 0 the step is 0 / (sqrt(cache) + eps) = 0; for large gradients it is "
                  "about lr * dw / sqrt(cache), whatever the scale of dw.")


@pytest.mark.parametrize("scale", [0.0, 1e6], ids=["zero-gradient", "large"])


def test_zero_and_large_gradients(submission, reference, rng, scale):
    w, grads = _grad(rng, (2, 5)), [scale * _grad(rng, (2, 5)) for _ in range(3)]
    _compare(submission, reference, w, grads, {"learning_rate": 0.1}, f"adagrad with gradients of size {scale:g}")


@pytest.mark.parametrize("case", ["tiny-gradients", "given-epsilon"])


def test_epsilon_outside_the_root(submission, reference, rng, case):
    """Where epsilon sits shows only when the root is comparable to it: gradients of about 1e-6
    (sqrt(cache) ~ 1e-6 while sqrt(eps) = 1e-4), or a large epsilon (sqrt(cache) ~ |dw| meets eps = 0.1)."""
    w = np.zeros(8)  # so that next_w is minus the step, compared relatively
    if case == "tiny-gradients":
        grads, config = [_grad(rng, 8, 1e-6) for _ in range(2)], None
    else:
        grads, config = [_grad(rng, 8) for _ in range(2)], {"epsilon": 0.1}
    _compare(submission, reference, w, grads, config, f"adagrad with w = 0, {case}")


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.adagrad, w, dw, config, name=f"adagrad (step {k + 1})",
                                      reference_fn=reference.adagrad, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
