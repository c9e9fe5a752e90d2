"""Hidden tests, question "value_backward" (10 points): how backward() walks the graph.

backward() seeds the output's grad with 1, orders the graph topologically and
calls each node's _backward in reverse order, so a node passes its gradient on
only after every node that uses it has added its contribution; gradients
accumulate (+=) over every path. These tests build graphs in the shapes that
tell a correct traversal from the common wrong ones: a value used twice
(overwritten gradients), a shared intermediate node (a recursion that visits a
node once per path, or before all its users), and a node reached by paths of
different lengths (a breadth-first order instead of a topological one).

The graphs are made of + and *, each checked alone first (on leaves, walked
with the reference traversal): if one of them is wrong (graded in
"value_ops"), the graphs are built from the other alone, so that mistake is
not charged here again.
"""

import math

import pytest

from grader.testing import Failure, as_numeric, assert_close
from grader.valuegraph import run, run_walked

pytestmark = pytest.mark.question("value_backward")

RTOL, ATOL = 1e-7, 1e-10


def _number(v):
    try:
        return float(as_numeric(v))
    except (AssertionError, TypeError, ValueError):
        return None


def _sound(submission, reference, op):
    """Whether the student's ``op`` (+ or *) is right on two leaves, walked with the reference
    traversal (or with the student's backward() where the engine cannot be walked)."""
    expr = (lambda a, b, c: a + b) if op == "+" else (lambda a, b, c: a * b)
    point = (1.5, -0.5, 2.0)
    expected = run(reference.Value, expr, point)
    try:
        got = run_walked(submission.Value, expr, point)
        if got is None:
            return True  # no _prev/_backward to walk: judge the graphs as they are
        return got.matches(expected)
    except AssertionError:
        return False


def _ops(submission, reference):
    """(add, mul, note) to build the graphs with: the student's + and *, or the sound one twice."""
    add_ok, mul_ok = _sound(submission, reference, "+"), _sound(submission, reference, "*")
    add, mul = (lambda x, y: x + y), (lambda x, y: x * y)
    if add_ok and not mul_ok:
        return add, add, " (built with + only: your * is graded in value_ops)"
    if mul_ok and not add_ok:
        return mul, mul, " (built with * only: your + is graded in value_ops)"
    return add, mul, ""


def _grads(Value, expr, point, add, mul):
    """(out.data, [leaf.grad, ...]) after out.backward(), for out = expr(add, mul, *leaves)."""
    leaves = [Value(v) for v in point]
    out = expr(add, mul, *leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _check(submission, reference, text, expr, point, hint_if=None):
    add, mul, note = _ops(submission, reference)
    data, grads = _grads(submission.Value, expr, point, add, mul)
    exp_data, exp_grads = _grads(reference.Value, expr, point, add, mul)
    if hint_if is not None and not note:
        hint_if(grads, exp_grads)
    assert_close(data, exp_data, rtol=RTOL, atol=ATOL, name=f"({text}).data{note}")
    for i, (g, e) in enumerate(zip(grads, exp_grads)):
        assert_close(g, e, rtol=RTOL, atol=ATOL, name=f"grad of leaf #{i + 1} for {text} at {point}{note}")


NO_SEED_HINT = "Start backward() with self.grad = 1 (d out / d out), then call the _backward functions."


@pytest.mark.hint("backward() sets the output's grad to 1 (d out / d out) and leaves it there; "
                  "every grad is 0 before.")
def test_output_grad_is_one(submission):
    """Seeding, on its own: a leaf's backward() gives it grad 1, with no operation involved."""
    v = submission.Value(3.0)
    assert_close(v.grad, 0.0, name="Value(3.0).grad before backward()")
    v.backward()
    g = _number(v.grad)
    if g == 0.0:
        raise Failure("v = Value(3.0); v.backward() leaves v.grad at 0: backward() never seeds the output's "
                      "gradient with 1, so every gradient it computes stays 0", hint=NO_SEED_HINT)
    assert_close(v.grad, 1.0, name="v.grad after v = Value(3.0); v.backward()")


@pytest.mark.hint("backward() sets the output's grad to 1 (d out / d out) and leaves it there.")
def test_output_grad_stays_one(submission, reference):
    """After backward() on a small graph (of a sound operation), the output's grad is still 1."""
    add, _, note = _ops(submission, reference)
    a, b = submission.Value(3.0), submission.Value(-2.0)
    out = add(a, b)
    out.backward()
    g = _number(out.grad)
    if g == 0.0 and _number(a.grad) == 0.0:
        raise Failure(f"out = a + b; out.backward() leaves every grad at 0{note}: backward() never seeds "
                      "out.grad = 1", hint=NO_SEED_HINT)
    assert_close(out.grad, 1.0, name=f"out.grad after out.backward(){note}")


OVERWRITTEN = {"a + a": lambda a: 1.0, "a * a": lambda a: a}  # what `grad = ...` instead of `+=` gives
ORDER_HINT = ("Call each node's _backward once, after every node that uses it has added its gradient: sort the "
              "graph topologically (depth-first, a node after its inputs) and walk that order in reverse.")


@pytest.mark.points(2)
@pytest.mark.hint("A value used more than once gets a gradient from every use: they add up.")
@pytest.mark.parametrize("text,expr,point", [
    ("a + a", lambda add, mul, a, b, c: add(a, a), (3.0, 0.0, 0.0)),
    ("a * a", lambda add, mul, a, b, c: mul(a, a), (-1.5, 0.0, 0.0)),
    ("a * b + a * c + a", lambda add, mul, a, b, c: add(add(mul(a, b), mul(a, c)), a), (0.5, -2.0, 3.0)),
    ("(a + b) * (a + c)", lambda add, mul, a, b, c: mul(add(a, b), add(a, c)), (1.25, -0.5, 2.0)),
], ids=["a + a", "a * a", "a*b + a*c + a", "(a + b) * (a + c)"])
def test_value_used_twice(submission, reference, text, expr, point):
    def overwritten(grads, expected):
        a = _number(grads[0])
        if text in OVERWRITTEN and a is not None and not math.isclose(a, expected[0]) \
                and math.isclose(a, OVERWRITTEN[text](point[0])):
            raise Failure(f"a.grad is {a:.6g} for {text} at a = {point[0]}, expected {expected[0]:.6g}: "
                          "the second use overwrote the first one's gradient",
                          hint="Accumulate in every _backward: self.grad += ..., never self.grad = ...")

    _check(submission, reference, text, expr, point, overwritten)


def _diamond(add, mul, x, a, b):
    """y = x * a is used by p, by q and by the last product; p and q are used twice."""
    y = mul(x, a)
    p = mul(y, b)
    q = mul(mul(y, a), b)
    return add(add(p, q), mul(y, add(p, q)))


@pytest.mark.points(2)
@pytest.mark.hint(ORDER_HINT)
@pytest.mark.parametrize("point", [(0.7, -1.3, 2.1), (-1.2, 0.4, 0.9)], ids=str)
def test_shared_intermediate_node(submission, reference, point):
    _check(submission, reference, "a graph where y = x*a is used by several nodes", _diamond, point)


def _paths_of_different_lengths(add, mul, x, a, b):
    """y is reached from the output in 2 steps (via p) and in 4 (via q -> r -> s)."""
    y = mul(x, a)
    p = mul(y, b)
    s = mul(y, a)
    r = mul(s, b)
    q = mul(r, a)
    return add(p, q)


@pytest.mark.points(2)
@pytest.mark.hint(ORDER_HINT)
@pytest.mark.parametrize("point", [(0.8, 1.3, -0.6), (-1.1, -0.7, 1.9)], ids=str)
def test_paths_of_different_lengths(submission, reference, point):
    _check(submission, reference, "a graph where y is 2 and 4 steps from the output",
           _paths_of_different_lengths, point)


def _chain(add, mul, x, w, c):
    """s = x; 25 times s = s * w + x * c: x is used at every step, deep in the graph."""
    s = x
    for _ in range(25):
        s = add(mul(s, w), mul(x, c))
    return s


@pytest.mark.hint(ORDER_HINT)
def test_long_chain_with_reuse(submission, reference):
    _check(submission, reference, "s = s*w + x*c, 25 times", _chain, (0.5, 0.9, 0.3))


def _micrograd_sanity(add, mul, x, two, one):
    """micrograd's test_sanity_check with + and * only (2 and -1 as Values)."""
    z = add(add(mul(two, x), two), x)
    q = add(mul(z, z), mul(z, x))
    h = mul(z, z)
    y = add(add(h, q), mul(q, x))
    return mul(y, one)


def test_micrograd_sanity_check(submission, reference):
    _check(submission, reference, "micrograd's sanity check", _micrograd_sanity, (-4.0, 2.0, 1.0))
