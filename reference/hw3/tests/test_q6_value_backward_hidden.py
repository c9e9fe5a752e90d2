"""Hidden tests, question "value_backward" (11 points): how backward() walks the graph.

backward() seeds the output's grad with 1, orders the graph topologically and
calls each node's _backward in reverse order, so a node passes its gradient on
only after every node that uses it has added its contribution; gradients
accumulate (+=) over every path. These tests build graphs from Values with +
and * only (the operations themselves are graded in "value_ops"), in the
shapes that tell a correct traversal from the common wrong ones: a value used
twice (overwritten gradients), a shared intermediate node (a recursion that
visits a node once per path, or before all its users), and a node reached by
paths of different lengths (a breadth-first order instead of a topological one).
"""

import math

import pytest

from grader.testing import as_numeric, assert_close

pytestmark = pytest.mark.question("value_backward")

RTOL, ATOL = 1e-7, 1e-10


def _grads(Value, expr, point):
    """(out.data, [leaf.grad, ...]) after out.backward(), for out = expr(Value, *leaves)."""
    leaves = [Value(v) for v in point]
    out = expr(Value, *leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _check(submission, reference, text, expr, point, hint_if=None):
    data, grads = _grads(submission.Value, expr, point)
    exp_data, exp_grads = _grads(reference.Value, expr, point)
    if hint_if is not None:
        hint_if(grads, exp_grads)
    assert_close(data, exp_data, rtol=RTOL, atol=ATOL, name=f"({text}).data")
    for i, (g, e) in enumerate(zip(grads, exp_grads)):
        assert_close(g, e, rtol=RTOL, atol=ATOL, name=f"grad of leaf #{i + 1} for {text} at {point}")


def _number(v):
    try:
        return float(as_numeric(v))
    except (AssertionError, TypeError, ValueError):
        return None


@pytest.mark.hint("backward() starts from out.grad = 1 (d out / d out); every grad is 0 before.")
def test_output_grad_is_one(submission):
    a, b = submission.Value(3.0), submission.Value(-2.0)
    assert_close(a.grad, 0.0, name="Value(3.0).grad before backward()")
    out = a * b + b
    out.backward()
    assert_close(out.grad, 1.0, name="out.grad after out.backward()")
    assert_close(a.grad, -2.0, name="a.grad for out = a*b + b")


OVERWRITTEN = {"a + a": lambda a: 1.0, "a * a": lambda a: a}  # what `grad = ...` instead of `+=` gives


@pytest.mark.points(3)
@pytest.mark.hint("A value used more than once gets a gradient from every use: accumulate with +=, never =.")
@pytest.mark.parametrize("text,expr,point", [
    ("a + a", lambda V, a, b, c: a + a, (3.0, 0.0, 0.0)),
    ("a * a", lambda V, a, b, c: a * a, (-1.5, 0.0, 0.0)),
    ("a * b + a * c + a", lambda V, a, b, c: a * b + a * c + a, (0.5, -2.0, 3.0)),
    ("(a + b) * (a + c)", lambda V, a, b, c: (a + b) * (a + c), (1.25, -0.5, 2.0)),
], ids=["a + a", "a * a", "a*b + a*c + a", "(a + b) * (a + c)"])
def test_value_used_twice(submission, reference, text, expr, point):
    def overwritten(grads, expected):
        a = _number(grads[0])
        if text in OVERWRITTEN and a is not None and not math.isclose(a, expected[0]) \
                and math.isclose(a, OVERWRITTEN[text](point[0])):
            raise AssertionError(f"a.grad is {a:.6g} for {text} at a = {point[0]}, expected {expected[0]:.6g}: "
                                 "the second use overwrote the first one's gradient; accumulate with +=, not =")

    _check(submission, reference, text, expr, point, overwritten)


def _diamond(V, x, a, b):
    """y = x * a is used by p, by q and by the last product; p and q are used twice."""
    y = x * a
    p = y * b
    q = (y * a) * b
    return p + q + y * (p + q)


@pytest.mark.points(3)
@pytest.mark.hint("Call each node's _backward once, after every node that uses it: build a topological "
                  "order (inputs before outputs) and walk it in reverse. A recursion that calls _backward "
                  "once per path counts the gradient twice.")
@pytest.mark.parametrize("point", [(0.7, -1.3, 2.1), (-1.2, 0.4, 0.9)], ids=str)
def test_shared_intermediate_node(submission, reference, point):
    _check(submission, reference, "a graph where y = x*a is used by several nodes", _diamond, point)


def _paths_of_different_lengths(V, x, a, b):
    """y is reached from the output in 2 steps (via p) and in 4 (via q -> r -> s)."""
    y = x * a
    p = y * b
    s = y * a
    r = s * b
    q = r * a
    return p + q


@pytest.mark.points(2)
@pytest.mark.hint("A breadth-first order (level by level from the output) is not a topological order: "
                  "a node reached by a short and a long path is visited before the long path's gradient "
                  "arrives. Sort topologically (depth-first, append a node after its inputs) and reverse.")
@pytest.mark.parametrize("point", [(0.8, 1.3, -0.6), (-1.1, -0.7, 1.9)], ids=str)
def test_paths_of_different_lengths(submission, reference, point):
    _check(submission, reference, "a graph where y is 2 and 4 steps from the output",
           _paths_of_different_lengths, point)


def _chain(V, x, w, c):
    """s = x; 25 times s = s * w + x * c: x is used at every step, deep in the graph."""
    s = x
    for _ in range(25):
        s = s * w + x * c
    return s


@pytest.mark.hint("Every node's gradient must be complete before it is passed on; "
                  "x is used at every step of this chain.")
def test_long_chain_with_reuse(submission, reference):
    _check(submission, reference, "s = s*w + x*c, 25 times", _chain, (0.5, 0.9, 0.3))


def _micrograd_sanity(V, x, two, one):
    """micrograd's test_sanity_check with + and * only (2 and -1 as Values)."""
    z = two * x + two + x
    q = z * z + z * x
    h = z * z
    y = h + q + q * x
    return y * one


def test_micrograd_sanity_check(submission, reference):
    _check(submission, reference, "micrograd's sanity check", _micrograd_sanity, (-4.0, 2.0, 1.0))
