"""Hidden tests, question "adam" (14 points): Adam (Kingma & Ba 2015, Algorithm 1).

    t = t + 1
    m = beta1*m + (1 - beta1)*dw,   v = beta2*v + (1 - beta2)*dw**2
    m_hat = m / (1 - beta1**t),     v_hat = v / (1 - beta2**t)
    w = w - lr*m_hat / (sqrt(v_hat) + eps)

``config``: ``learning_rate`` (1e-3), ``beta1`` (0.9), ``beta2`` (0.999),
``epsilon`` (1e-8) and the state ``m``, ``v`` (zeros) and ``t`` (0), all
stored in the returned config.

Mistakes named in the failure messages when the student's steps match them:
no bias correction (a first step about 3 times too large), ``t`` incremented
after use (1 - beta**0 = 0 divides by zero at the first step), ``t``
starting at 1 (the first step corrects with t = 2), ``t`` not stored or never
incremented (every step corrects as if t = 1; the message says which, from the
returned config), the corrected m_hat and v_hat stored
in place of m and v, epsilon inside the square root (visible with gradients of
about 1e-6, where sqrt(v_hat) ~ 1e-6 meets sqrt(eps) = 1e-4, or with a large
epsilon: the epsilon test; elsewhere the gradients are kept away from 0).

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

pytestmark = pytest.mark.question("adam")

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]


def _grad(rng, shape, scale=1.0):
    """Random entries of size 0.5 to 2 (times ``scale``) with random signs: away from 0, so that
    where epsilon sits only matters in the epsilon test (sqrt(cache) is never near eps elsewhere)."""
    return scale * rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _adam(*, correct=True, t_after=False, t_start=0, t_step=1, store_t=True, store_hat=False, eps_inside=False):
    """Adam with one mistake switched on (``t_start``: t's value when config has none; ``t_step``:
    what each call adds to t before using it)."""
    def rule(w, dw, config=None):
        c = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **(config or {})}
        b1, b2, eps = c["beta1"], c["beta2"], c["epsilon"]
        t = c.get("t", t_start) + (0 if t_after else t_step)
        m = b1 * c.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * c.get("v", np.zeros_like(w)) + (1 - b2) * dw**2
        with np.errstate(divide="ignore", invalid="ignore"):
            m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
            denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            next_w = w - c["learning_rate"] * m_hat / denom
        new_t = t + 1 if t_after else t
        c.update(m=m_hat if store_hat else m, v=v_hat if store_hat else v)
        if store_t:
            c["t"] = new_t
        return next_w, c
    return rule


# Every step corrects the bias as if t = 1: t not stored, or (from config None) never incremented. The
# message names which one from the student's last config (see _frozen_t).
T_FROZEN = "Adam whose t never advances (every step corrects the bias as if t = 1)"
T_HINT = ("t counts the steps: start from config.get('t', 0), add 1 before using it (the first step uses t = 1), "
          "and store it: config['t'] = t.")
MISTAKES = {
    "Adam without bias correction (m and v used as they are)": (
        _adam(correct=False), "Correct the bias: m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t)."),
    "Adam with t incremented after use (at t = 0, 1 - beta**t = 0)": (_adam(t_after=True), T_HINT),
    "Adam with t starting at 1 (the first step corrects the bias with t = 2)": (_adam(t_start=1), T_HINT),
    T_FROZEN: (_adam(store_t=False), T_HINT),
    "Adam with t never incremented (every step corrects the bias with the same t)": (
        _adam(t_start=1, t_step=0), T_HINT),
    "Adam storing the corrected m_hat and v_hat in config": (
        _adam(store_hat=True), "Store m and v themselves in config; correct copies: m_hat = m / (1 - beta1**t)."),
    "epsilon inside the square root, sqrt(v_hat + eps)": (
        _adam(eps_inside=True), "Put epsilon outside the root: m_hat / (np.sqrt(v_hat) + eps)."),
}
DEFAULTS = {'learning_rate': 0.001, 'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-08}


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
    actual, last = _run(submission.adam, w, grads, config, "adam")
    expected, _ = _run(reference.adam, w, grads, config, "reference")
    mistakes = [(f"{label}: {_frozen_t(last)}" if label == T_FROZEN else label, steps, fix)
                for label, steps, fix in _mistakes(MISTAKES, w, grads, config)]
    _check_steps(actual, expected, what, mistakes + list(extra))


def _frozen_t(config):
    """Why t does not advance, read from the config the student's last step returned."""
    t = config.get("t") if isinstance(config, dict) else None
    if t is None or (np.ndim(t) == 0 and float(t) == 0):
        return "t is not stored back into config"
    return f"t is never incremented (config['t'] stays {t!r})"


@pytest.mark.parametrize("shape", SHAPES, ids=str)


def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = _grad(rng, shape), _grad(rng, shape)
    _compare(submission, reference, w, [dw], None, f"adam(w, dw, None), w of shape {shape}")


@pytest.mark.hint("After adam(w, dw), config holds the defaults and the state of one step: "
                  "learning_rate, beta1, beta2, epsilon, m, v, t.")


def test_config_holds_defaults_and_state(submission, reference, rng):
    w, dw = _grad(rng, (2, 3)), _grad(rng, (2, 3))
    _, config = _step(submission.adam, w, dw, _NO_CONFIG, "adam(w, dw)")
    _, expected = reference.adam(w, dw)
    for key in ("learning_rate", "beta1", "beta2", "epsilon", "m", "v", "t"):
        if key not in config:
            raise Failure(f"adam(w, dw) returned config {sorted(config)}, without {key!r}",
                          hint="Fill in the defaults and store the state in the config you return: "
                               "config.setdefault(...) for each hyperparameter, config[...] = ... for the state.")
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=1e-12, name=f"adam(w, dw) config[{key!r}]")


@pytest.mark.points(4)


@pytest.mark.parametrize("hyper", [{"learning_rate": 0.01},
                                   {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.9}],
                         ids=["lr", "betas"])


def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w = _grad(rng, (3, 4))
    grads = [_grad(rng, (3, 4)) * s for s in (1.0, 0.5, 2.0, 1.0, 0.1, 3.0, 1.0, 0.3)]
    _compare(submission, reference, w, grads, hyper, f"adam with {hyper}, 8 steps")


@pytest.mark.hint("config['t'] is the number of steps taken: 0 before the first call, 5 after five calls.")


def test_t_counts_the_steps(submission, rng):
    w, grads = _grad(rng, 4), [_grad(rng, 4) for _ in range(5)]
    _, config = _run(submission.adam, w, grads, None, "adam")
    if "t" not in config:
        raise Failure(f"adam returned config {sorted(config)}, without 't': t is not stored back into config",
                      hint=T_HINT)
    t = config["t"]
    known = {6: "t starting at 1 (one more than the steps taken)", 0: "t never stored back into config",
             1: "t never incremented"}
    try:
        assert_close(t, 5, name="config['t'] after 5 steps from config=None")
    except AssertionError as exc:
        if np.ndim(t) == 0 and isinstance(t, (int, float, np.number)) and float(t) in known:
            raise Failure(f"{exc}: this matches {known[float(t)]}", hint=T_HINT) from None
        raise


def test_missing_keys_use_the_defaults(submission, reference, rng):
    w, grads = _grad(rng, 5), [_grad(rng, 5) for _ in range(3)]
    try:
        _compare(submission, reference, w, grads, {"beta1": 0.8}, "adam with config {'beta1': 0.8}")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: are the defaults the cause?
        _blame_defaults(submission.adam, reference.adam, w, grads, {"beta1": 0.8}, "adam")
        raise


@pytest.mark.points(2)


def test_continues_from_a_given_state(submission, reference, rng):
    """As if 10 steps were taken already: the correction uses t = 11, 12, 13."""
    w, grads = _grad(rng, (2, 3)), [_grad(rng, (2, 3)) for _ in range(3)]
    config = {"learning_rate": 0.01, "m": 0.3 * _grad(rng, (2, 3)), "v": rng.uniform(0.01, 0.1, size=(2, 3)),
              "t": 10}
    from_zero = {k: v for k, v in config.items() if k not in ('m', 'v', 't',)}
    ignored = ("the given state ignored (a start from zeros)", _run(reference.adam, w, grads, from_zero, "reference")[0],
               "Start from m, v and t in config when they are there; zeros and 0 only when they are missing.")
    _compare(submission, reference, w, grads, config, "adam from a given state with t = 10", extra=[ignored])


def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(_grad(rng, 3), [_grad(rng, 3) for _ in range(3)]),
                (_grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(3)])]
    try:
        ws, configs = [w for w, _ in problems], [None, None]
        for k in range(3):
            for i, (_, grads) in enumerate(problems):
                ws[i], configs[i] = _step(submission.adam, ws[i], grads[k], configs[i], "adam")
        for i, (w0, grads) in enumerate(problems):
            expected, _ = _run(reference.adam, w0, grads, None, "reference")
            assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                         name=f"parameter {i + 1} of 2 after 3 interleaved steps")
    except (CallTimeout, WorkerCrashed, Failure):
        raise
    except AssertionError:  # a wrong step or an exception of the student's: is state shared between calls?
        _blame_shared_state(submission, reference.adam, problems, "adam")
        raise


@pytest.mark.parametrize("scale", [0.0, 1e6], ids=["zero-gradient", "large"])


def test_zero_and_large_gradients(submission, reference, rng, scale):
    w, grads = _grad(rng, (2, 5)), [scale * _grad(rng, (2, 5)) for _ in range(3)]
    _compare(submission, reference, w, grads, {"learning_rate": 0.01}, f"adam with gradients of size {scale:g}")


@pytest.mark.parametrize("case", ["tiny-gradients", "given-epsilon"])


def test_epsilon_outside_the_root(submission, reference, rng, case):
    """Where epsilon sits shows only when the root is comparable to it: gradients of about 1e-6
    (sqrt(v_hat) ~ 1e-6 while sqrt(eps) = 1e-4), or a large epsilon (sqrt(v_hat) ~ |dw| meets eps = 0.1)."""
    w = np.zeros(8)  # so that next_w is minus the step, compared relatively
    if case == "tiny-gradients":
        grads, config = [_grad(rng, 8, 1e-6) for _ in range(2)], {"learning_rate": 0.1}
    else:
        grads, config = [_grad(rng, 8) for _ in range(2)], {"learning_rate": 0.1, "epsilon": 0.1}
    _compare(submission, reference, w, grads, config, f"adam with w = 0, {case}")


IN_PLACE = ("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
            "still needs them. Return a new array, next_w = w - step (updating config and the state arrays in it "
            "is fine).")


def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.adam, w, dw, config, name=f"adam (step {k + 1})",
                                      reference_fn=reference.adam, rtol=RTOL, atol=ATOL, hint=IN_PLACE)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
