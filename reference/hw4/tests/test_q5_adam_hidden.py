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
after use (1 - beta**0 = 0 divides by zero at the first step), ``t`` not
stored (every step corrects as if t = 1), the corrected m_hat and v_hat stored
in place of m and v, epsilon inside the square root (visible with gradients of
about 1e-6, where sqrt(v_hat) ~ 1e-6 meets sqrt(eps) = 1e-4, or with a large
epsilon: the epsilon test; elsewhere the gradients are kept away from 0).

``w`` and ``dw`` must be left as they were (test_inputs_unchanged: ``w -= ...``
or ``dw /= ...`` changes the caller's arrays). The config dict and the state
arrays in it may be updated in place: the rule returns its config, and
CS231n's ``config.setdefault`` changes it.
"""

import copy

import numpy as np
import pytest

from grader.testing import assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("adam")

RTOL, ATOL = 1e-5, 1e-7
STATE_RTOL = 1e-4  # state in float32: 1 - 0.999 is off by 1.3e-5 relative there
SHAPES = [(1,), (6,), (3, 4), (2, 3, 4)]
_NO_CONFIG = object()


def _grad(rng, shape, scale=1.0):
    """Random entries of size 0.5 to 2 (times ``scale``) with random signs: away from 0, so that
    where epsilon sits only matters in the epsilon test (sqrt(cache) is never near eps elsewhere)."""
    return scale * rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _adam(*, correct=True, t_after=False, store_t=True, store_hat=False, eps_inside=False):
    """Adam with one mistake switched on."""
    def rule(w, dw, config=None):
        c = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, **(config or {})}
        b1, b2, eps = c["beta1"], c["beta2"], c["epsilon"]
        t = c.get("t", 0) + (0 if t_after else 1)
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


MISTAKES = {
    "Adam without bias correction (m and v used as they are); divide by 1 - beta1**t and 1 - beta2**t":
        _adam(correct=False),
    "Adam with t incremented after use (at t = 0, 1 - beta**t = 0); increment t first": _adam(t_after=True),
    "Adam with t not stored back into config (every step corrects as if t = 1)": _adam(store_t=False),
    "Adam storing the corrected m_hat and v_hat in config; store m and v, correct a copy": _adam(store_hat=True),
    "epsilon inside the square root, sqrt(v_hat + eps); put it outside: sqrt(v_hat) + eps": _adam(eps_inside=True),
}


# ----------------------------------------------------------------------------- helpers
# The config crosses the sandbox as plain data: each step sends it to the
# student's rule and the rule's returned config is what the next step sends.


def _step(rule, w, dw, config, what):
    """One call ``rule(w, dw, config)``, checked to return the pair ``(next_w, config)``."""
    out = rule(w, dw) if config is _NO_CONFIG else rule(w, dw, config)
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
        got = f"a value of type {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list))
                                                          else "")
        raise AssertionError(f"{what} should return the pair (next_w, config) with config a dict; got {got}")
    return out[0], out[1]


def _run(rule, w, grads, config, what):
    """Steps of ``rule`` over ``grads``, passing each returned config back in: (list of next_w, last config)."""
    ws = []
    for dw in grads:
        w, config = _step(rule, w, dw, copy.deepcopy(config) if isinstance(config, dict) else config, what)
        ws.append(w)
    return ws, config


def _matches(actual, expected):
    try:
        return all(np.shape(a) == np.shape(e) and np.allclose(np.asarray(a, dtype=float), e, rtol=RTOL, atol=ATOL,
                                                              equal_nan=True) for a, e in zip(actual, expected))
    except (TypeError, ValueError):  # not numbers: assert_close has said so already
        return False


def _check_steps(actual, expected, what, mistakes=()):
    """``assert_close`` step by step; on a failure, name the known mistake the student's
    steps match (``mistakes``: pairs (description, steps of the mistaken rule))."""
    for k, (a, e) in enumerate(zip(actual, expected)):
        try:
            assert_close(a, e, rtol=RTOL, atol=ATOL, name=f"{what}: next_w after step {k + 1}")
        except AssertionError as exc:
            for label, wrong in mistakes:
                if _matches(actual, wrong) and not _matches(expected, wrong):
                    raise AssertionError(f"{exc}. This matches {label}.") from None
            raise


def _mistakes(rules, w, grads, config):
    """The steps each mistaken rule takes on the same problem."""
    return [(label, _run(rule, w, grads, config, label)[0]) for label, rule in rules.items()]


# ----------------------------------------------------------------------------- tests


def _compare(submission, reference, w, grads, config, what):
    actual, _ = _run(submission.adam, w, grads, config, "adam")
    expected, _ = _run(reference.adam, w, grads, config, "reference")
    _check_steps(actual, expected, what, _mistakes(MISTAKES, w, grads, config))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_first_step_with_config_none(submission, reference, rng, shape):
    w, dw = _grad(rng, shape), _grad(rng, shape)
    _compare(submission, reference, w, [dw], None, f"adam(w, dw, None), w of shape {shape}")


@pytest.mark.hint("Fill in the defaults and store the state: config.setdefault('beta1', 0.9), ..., "
                  "config['m'] = m, config['v'] = v, config['t'] = t.")
def test_config_holds_defaults_and_state(submission, reference, rng):
    w, dw = _grad(rng, (2, 3)), _grad(rng, (2, 3))
    _, config = _step(submission.adam, w, dw, _NO_CONFIG, "adam(w, dw)")
    _, expected = reference.adam(w, dw)
    for key in ("learning_rate", "beta1", "beta2", "epsilon", "m", "v", "t"):
        assert key in config, f"adam(w, dw) returned config {sorted(config)}, without {key!r}"
        assert_close(config[key], expected[key], rtol=STATE_RTOL, atol=1e-12, name=f"adam(w, dw) config[{key!r}]")


@pytest.mark.points(4)
@pytest.mark.parametrize("hyper", [{"learning_rate": 0.01},
                                   {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.9}],
                         ids=["lr", "betas"])
def test_sequence_with_given_hyperparameters(submission, reference, rng, hyper):
    w = _grad(rng, (3, 4))
    grads = [_grad(rng, (3, 4)) * s for s in (1.0, 0.5, 2.0, 1.0, 0.1, 3.0, 1.0, 0.3)]
    _compare(submission, reference, w, grads, hyper, f"adam with {hyper}, 8 steps")


@pytest.mark.hint("t counts the steps taken: increment config['t'] once per call and store it.")
def test_t_counts_the_steps(submission, rng):
    w, grads = _grad(rng, 4), [_grad(rng, 4) for _ in range(5)]
    _, config = _run(submission.adam, w, grads, None, "adam")
    assert "t" in config, f"adam returned config {sorted(config)}, without 't'"
    assert_close(config["t"], 5, name="config['t'] after 5 steps from config=None")


@pytest.mark.hint("A config without some keys still uses their defaults (learning_rate 1e-3, beta1 0.9, "
                  "beta2 0.999, epsilon 1e-8).")
def test_missing_keys_use_the_defaults(submission, reference, rng):
    w, grads = _grad(rng, 5), [_grad(rng, 5) for _ in range(3)]
    _compare(submission, reference, w, grads, {"beta1": 0.8}, "adam with config {'beta1': 0.8}")


@pytest.mark.points(2)
@pytest.mark.hint("Start from m, v and t in config when they are there; zeros and 0 only when they are missing.")
def test_continues_from_a_given_state(submission, reference, rng):
    """As if 10 steps were taken already: the correction uses t = 11, 12, 13."""
    w, grads = _grad(rng, (2, 3)), [_grad(rng, (2, 3)) for _ in range(3)]
    config = {"learning_rate": 0.01, "m": 0.3 * _grad(rng, (2, 3)), "v": rng.uniform(0.01, 0.1, size=(2, 3)),
              "t": 10}
    _compare(submission, reference, w, grads, config, "adam from a given state with t = 10")


@pytest.mark.hint("Keep the state in the config you return, not in a global: each parameter has its own config.")
def test_two_parameters_have_separate_state(submission, reference, rng):
    problems = [(_grad(rng, 3), [_grad(rng, 3) for _ in range(3)]),
                (_grad(rng, (2, 2)), [_grad(rng, (2, 2)) for _ in range(3)])]
    ws, configs = [w for w, _ in problems], [None, None]
    for k in range(3):
        for i, (_, grads) in enumerate(problems):
            ws[i], configs[i] = _step(submission.adam, ws[i], grads[k], configs[i], "adam")
    for i, (w0, grads) in enumerate(problems):
        expected, _ = _run(reference.adam, w0, grads, None, "reference")
        assert_close(ws[i], expected[-1], rtol=RTOL, atol=ATOL,
                     name=f"parameter {i + 1} of 2 after 3 interleaved steps")


@pytest.mark.parametrize("scale", [0.0, 1e6], ids=["zero-gradient", "large"])
def test_zero_and_large_gradients(submission, reference, rng, scale):
    w, grads = _grad(rng, (2, 5)), [scale * _grad(rng, (2, 5)) for _ in range(3)]
    _compare(submission, reference, w, grads, {"learning_rate": 0.01}, f"adam with gradients of size {scale:g}")


@pytest.mark.hint("Epsilon is added outside the square root, m_hat / (sqrt(v_hat) + eps), with the epsilon in config.")
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


@pytest.mark.hint("Do not change w or dw in place (w -= lr * dw, or next_w = w and then next_w -= ...): the caller "
                  "still needs them. Return a new array, next_w = w - step (updating config and the state arrays "
                  "in it is fine).")
def test_inputs_unchanged(submission, reference, rng):
    """w and dw are left alone at the first step (config None) and at the next (the state in config)."""
    config = None
    for k in range(2):
        w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        out = assert_inputs_unchanged(submission.adam, w, dw, config, name=f"adam (step {k + 1})",
                                      reference_fn=reference.adam, rtol=RTOL, atol=ATOL)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
            return  # the pair (next_w, config) is scored by the other tests
        config = out[1]
