"""Hidden tests, question "dropout" (16 points): dropout_forward.

Inverted dropout with PyTorch's ``p`` (the probability of dropping a unit):
in training each unit is zeroed with probability p and every kept unit is
multiplied by exactly 1/(1-p); in test mode the layer is the identity.

The mask is random and no particular generator is required, so the
statistics are checked on large arrays (1e5 or 5e5 units) within 5 binomial
standard deviations (a correct implementation fails a bound with probability
below 1e-6), and the scaling of the kept units exactly. The inputs have no
zeros, so a zero in the output is a dropped unit.

Hints name the mistakes we know, each only where the answer matches it: p
used as the keep probability (CS231n's convention), kept units not rescaled,
rescaled by (1-p) or 1/p, the mask applied in test mode, or test-time
scaling (non-inverted dropout). A wrong answer of another kind gets its
message only. x must be
left as it was (test_inputs_unchanged: x *= mask changes the caller's array);
dropout_param is not checked (it is the layer's own settings dict).
"""

import numpy as np
import pytest

from grader.testing import Failure, as_numeric, assert_close, assert_inputs_unchanged

pytestmark = pytest.mark.question("dropout")

N_STAT = 500_000


def _x(rng, shape):
    """Inputs with no zeros (|x| >= 0.5) and both signs."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _forward(submission, x, **param):
    result = submission.dropout_forward(x, param)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise Failure(f"dropout_forward must return the pair (out, cache), not {type(result).__name__}")
    try:
        out = as_numeric(result[0], "out")
    except AssertionError as exc:
        raise Failure(str(exc)) from None
    if out.shape != np.shape(x):
        raise Failure(f"out should have x's shape {np.shape(x)}, got {out.shape}")
    return out


def _dropped_fraction(out):
    return float(np.mean(out == 0))


def _bound(p, n):
    return 5.0 * np.sqrt(p * (1.0 - p) / n)


def _test_mode_mistake(out, x, p):
    """(what the output matches, hint) for a known mistake in test mode, or None."""
    if np.any(out == 0):
        return "there are zeros: units were dropped", "In test mode no unit is dropped: return x as it is."
    if np.allclose(out, x * (1 - p)):
        return ("it is x * (1 - p), non-inverted dropout's test-time scaling",
                "With inverted dropout the scaling happens in training, and test mode is the identity.")
    if np.allclose(out, x / (1 - p)):
        return "it is x / (1 - p)", "Test mode must not rescale: return x as it is."
    return None


def _scale_mistake(ratio, p):
    """(what the kept units' scale matches, hint) for a known mistake, or None."""
    if np.allclose(ratio, 1.0):
        return ("the kept units are not rescaled",
                "Multiply the kept units by 1 / (1 - p): inverted dropout keeps the expected value.")
    if np.allclose(ratio, 1.0 - p):
        return "the kept units are multiplied by (1 - p)", "Divide the kept units by (1 - p), not multiply."
    if np.allclose(ratio, 1.0 / p):
        return ("the kept units are divided by p, as if p were the keep probability",
                "p is the probability of dropping a unit: divide the kept units by 1 - p.")
    return None


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(50, 40), (2, 3, 4, 5), (1, 7)], ids=str)
def test_test_mode_is_the_identity(submission, rng, p, shape):
    x = _x(rng, shape)
    out = _forward(submission, x, p=p, mode="test")
    if not np.allclose(out, x, rtol=1e-6, atol=0):
        mistake = _test_mode_mistake(out, x, p)
        if mistake:
            raise Failure(f"in test mode dropout_forward must return x unchanged (p={p}), but {mistake[0]}",
                          hint=mistake[1])
        raise AssertionError(f"in test mode dropout_forward must return x unchanged (p={p})")


@pytest.mark.points(3)
@pytest.mark.parametrize("p", [0.1, 0.3, 0.75])
def test_fraction_dropped_is_p(submission, rng, p):
    x = _x(rng, (500, N_STAT // 500))
    out = _forward(submission, x, p=p, mode="train", seed=11)
    frac = _dropped_fraction(out)
    message = (f"with p={p}, a fraction of about {p} of the units should be zero; got {frac:.4f} "
               f"(allowed: {p} +- {_bound(p, x.size):.4f})")
    if abs(frac - p) > _bound(p, x.size) and abs(frac - (1 - p)) <= _bound(p, x.size):
        raise Failure(message + ", about 1 - p: p looks like it was used as the keep probability",
                      hint="Here p is the probability of dropping a unit, as in torch.nn.Dropout(p): a unit is "
                           "kept with probability 1 - p.")
    assert abs(frac - p) <= _bound(p, x.size), message


@pytest.mark.points(3)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_kept_units_are_scaled_by_one_over_one_minus_p(submission, rng, p):
    x = _x(rng, (200, 100))
    out = _forward(submission, x, p=p, mode="train", seed=12)
    kept = out != 0
    assert kept.any(), f"with p={p} every unit was dropped"
    ratio = out[kept] / x[kept]
    message = (f"with p={p} every kept unit should be x / (1 - p) = {1 / (1 - p):.6g} * x; "
               f"out / x ranges over [{ratio.min():.6g}, {ratio.max():.6g}]")
    if not np.allclose(ratio, 1.0 / (1.0 - p), rtol=1e-5, atol=0):
        mistake = _scale_mistake(ratio, p)
        if mistake:
            raise Failure(f"{message}: {mistake[0]}", hint=mistake[1])
        raise AssertionError(message)


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.3, 0.8])
def test_mean_is_preserved(submission, p):
    x = np.ones(N_STAT // 5)
    out = _forward(submission, x, p=p, mode="train", seed=13)
    bound = 5.0 * np.sqrt(p / ((1.0 - p) * x.size))
    mean = float(out.mean())
    message = (f"inverted dropout keeps the expected value: the mean of dropout(ones) with p={p} should be about 1, "
               f"got {mean:.4f} (allowed: 1 +- {bound:.4f})")
    if abs(mean - 1.0) > bound:
        if abs(mean - (1.0 - p)) <= bound:
            raise Failure(message + ", that is 1 - p: the kept units are not rescaled",
                          hint="Multiply the kept units by 1 / (1 - p): inverted dropout keeps the expected value.")
        if abs(mean - p / (1.0 - p)) <= bound:
            raise Failure(message + ", that is p / (1 - p): p looks like it was used as the keep probability",
                          hint="p is the probability of dropping a unit: keep a unit with probability 1 - p.")
        raise AssertionError(message)


def test_p_zero_keeps_every_unit(submission, rng):
    x = _x(rng, (30, 20))
    out = _forward(submission, x, p=0.0, mode="train", seed=14)
    if np.isnan(out).any():
        raise Failure("with p=0 the output has NaN: 0/0, a division by p?",
                      hint="p is the drop probability: with p = 0 every unit is kept and the scale 1 / (1 - p) is 1.")
    assert_close(out, x, rtol=1e-6, atol=0, name="dropout_forward(x, p=0, mode='train')")


def test_same_seed_same_mask(submission, rng):
    x = _x(rng, (40, 50))
    a = _forward(submission, x, p=0.4, mode="train", seed=21)
    b = _forward(submission, x, p=0.4, mode="train", seed=21)
    assert np.array_equal(a == 0, b == 0), "two calls with the same seed dropped different units"


@pytest.mark.points(2)
@pytest.mark.hint(
    "The seed is optional: seed the mask's generator with dropout_param['seed'] when it is given, "
    "and draw a fresh mask on every call when it is not."
)
def test_masks_differ_between_seeds_and_calls(submission, rng):
    x = _x(rng, (40, 50))
    seeded = [(_forward(submission, x, p=0.4, mode="train", seed=s) == 0) for s in (22, 23)]
    assert not np.array_equal(*seeded), "seeds 22 and 23 gave the same mask: the seed must choose the mask"
    unseeded = [(_forward(submission, x, p=0.4, mode="train") == 0) for _ in range(2)]
    assert not np.array_equal(*unseeded), (
        "two calls without a seed dropped the same units: without a seed, draw a fresh mask on every call"
    )


PER_UNIT_HINT = "Draw one independent Bernoulli per unit: a mask of x's full shape."


def test_each_unit_is_dropped_independently(submission, rng):
    x = _x(rng, (200, 10, 10))
    dropped = _forward(submission, x, p=0.5, mode="train", seed=31) == 0
    per_row = dropped.reshape(200, -1).mean(axis=1)
    per_col = dropped.reshape(200, -1).mean(axis=0)
    assert 0.35 < dropped.mean() < 0.65, f"with p=0.5 about half the units should be dropped, got {dropped.mean():.3f}"
    if not (np.ptp(per_row) < 0.6 and np.ptp(per_col) < 0.6):
        raise Failure("the mask is not drawn per unit: whole rows or columns are dropped together", hint=PER_UNIT_HINT)
    if np.all(dropped[:, :, :1] == dropped):
        raise Failure("the mask repeats along the last axis", hint=PER_UNIT_HINT)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_inputs_unchanged(submission, rng, mode):
    x = _x(rng, (20, 30))
    result = assert_inputs_unchanged(submission.dropout_forward, x, {"p": 0.5, "mode": mode, "seed": 51},
                                     name="dropout_forward",
                                     hint="Do not change x in place (x *= mask, x[~keep] = 0): the caller still "
                                          "needs its input. Return a new array: out = x * mask.")
    # leaving x alone earns its point only with a right output (a constant leaves x alone too):
    # x itself in test mode; in training, every unit either dropped or scaled by 1 / (1 - p) = 2
    assert isinstance(result, (tuple, list)) and len(result) == 2, "dropout_forward must return the pair (out, cache)"
    out = as_numeric(result[0], "dropout_forward's out")
    if mode == "test":
        assert_close(out, x, rtol=1e-6, atol=0, name="dropout_forward's out in test mode")
    else:
        assert out.shape == x.shape, f"dropout_forward's out has shape {out.shape}, expected {x.shape}"
        kept = np.isclose(out, 2 * x, rtol=1e-5, atol=0)
        assert np.all(kept | (out == 0)), "in training, each unit must be dropped (0) or scaled by 1 / (1 - p)"
        assert 0.3 < kept.mean() < 0.7, f"with p = 0.5, {kept.mean():.0%} of the units were kept"
