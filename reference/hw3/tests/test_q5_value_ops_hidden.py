"""Hidden tests, question "value_ops" (17 points): each operation of Value and its local gradient.

Every test builds the same expression from your ``Value`` and from the
reference's, calls ``backward()`` on both, and compares the output's ``.data``
and every leaf's ``.grad``. The expressions are trees (no value is used twice),
so a mistake in how backward() walks the graph shows up in "value_backward",
not here; each operation has its own test. Where a mistake is common, the
failure message names it: 1 - v computed as v - 1, 2 / v as v / 2, the power
rule without its exponent, tanh's derivative taken as tanh.
"""

import math

import pytest

from grader.testing import as_numeric, assert_close

pytestmark = pytest.mark.question("value_ops")

RTOL, ATOL = 1e-7, 1e-10
POINTS = [(1.5, -0.5, 2.0), (-0.75, 2.5, 0.4)]


def _cases(*cases):
    """Parametrize cases (text, ..., expr), each named by its expression's text."""
    return [pytest.param(*case, id=case[0]) for case in cases]


def _run(Value, expr, point):
    """(out.data, [leaf.grad, ...]) after out.backward(), for out = expr(*leaves)."""
    leaves = [Value(v) for v in point]
    out = expr(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _close(actual, expected):
    try:
        a = float(as_numeric(actual))
    except (AssertionError, TypeError, ValueError):
        return False
    return math.isclose(a, expected, rel_tol=1e-6, abs_tol=1e-9)


def _check(submission, reference, text, expr, point, mistakes=None):
    """Compare expr at point; mistakes: {what: (data, grads)} of known wrong answers, named when matched."""
    data, grads = _run(submission.Value, expr, point)
    exp_data, exp_grads = _run(reference.Value, expr, point)
    right = _close(data, exp_data) and all(_close(g, e) for g, e in zip(grads, exp_grads))
    if not right:
        for what, (m_data, m_grads) in (mistakes or {}).items():
            if _close(data, m_data) and all(_close(g, e) for g, e in zip(grads, m_grads)):
                raise AssertionError(f"for {text} at {point}, your data and grads match {what}")
    assert_close(data, exp_data, rtol=RTOL, atol=ATOL, name=f"({text}).data at {point}")
    for name, g, e in zip("abc", grads, exp_grads):
        assert_close(g, e, rtol=RTOL, atol=ATOL, name=f"{name}.grad for {text} at {point}")


@pytest.mark.points(2)
@pytest.mark.hint("d(a + b)/da = d(a + b)/db = 1; d(a * b)/da = b, d(a * b)/db = a. "
                  "Wrap plain numbers in Value (v + 2, v * 3).")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("(a + b) * c", lambda a, b, c: (a + b) * c),
    ("a * b + c", lambda a, b, c: a * b + c),
    ("(a + 2) * 3 + b * c", lambda a, b, c: (a + 2) * 3 + b * c),
))
def test_add_mul(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.hint("2 + v and 3 * v call v.__radd__(2) and v.__rmul__(3): define them (return v + other, v * other).")
@pytest.mark.parametrize("text,expr", _cases(
    ("2 + a", lambda a, b, c: 2 + a),
    ("3 * a", lambda a, b, c: 3 * a),
    ("2.5 * (1.5 + a) + b", lambda a, b, c: 2.5 * (1.5 + a) + b),
))
def test_reflected_add_mul(submission, reference, text, expr):
    _check(submission, reference, text, expr, POINTS[0])


@pytest.mark.points(2)
@pytest.mark.hint("-v is v * -1, and a - b is a + (-b): d(a - b)/db = -1.")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("a - b", lambda a, b, c: a - b),
    ("-a", lambda a, b, c: -a),
    ("-(a * b) - c", lambda a, b, c: -(a * b) - c),
    ("a - 2", lambda a, b, c: a - 2),
))
def test_sub_neg(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.parametrize("text,expr", _cases(
    ("1 - a", lambda a, b, c: 1 - a),
    ("5 - a * b", lambda a, b, c: 5 - a * b),
))
@pytest.mark.hint("1 - v calls v.__rsub__(1), which must compute other - self = 1 - v (not v - 1).")
def test_rsub(submission, reference, text, expr):
    point = POINTS[0]
    wrong = None
    if text == "1 - a":
        wrong = {"a - 1 instead of 1 - a: __rsub__(self, other) must return other - self":
                 _run(reference.Value, lambda a, b, c: a - 1, point)}
    _check(submission, reference, text, expr, point, wrong)


@pytest.mark.points(2)
@pytest.mark.hint("a / b is a * b**-1: d(a / b)/da = 1/b, d(a / b)/db = -a/b**2.")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("a / b", lambda a, b, c: a / b),
    ("(a + c) / 4", lambda a, b, c: (a + c) / 4),
    ("a / (b * c)", lambda a, b, c: a / (b * c)),
))
def test_div(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.hint("2 / v calls v.__rtruediv__(2), which must compute other / self = 2 / v "
                  "(other * self**-1), not v / 2.")
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_rtruediv(submission, reference, point):
    wrong = {"a / 2 instead of 2 / a: __rtruediv__(self, other) must return other * self**-1":
             _run(reference.Value, lambda a, b, c: a / 2, point)}
    _check(submission, reference, "2 / a", lambda a, b, c: 2 / a, point, wrong)


@pytest.mark.points(2)
@pytest.mark.hint("d(a**n)/da = n * a**(n - 1), for int and float n.")
@pytest.mark.parametrize("text,n,expr", _cases(
    ("a**3", 3, lambda a, b, c: a**3),
    ("c**0.5", 0.5, lambda a, b, c: c**0.5),
    ("b**-2", -2, lambda a, b, c: b**-2),
    ("(a * b)**2 + c**1.5", None, lambda a, b, c: (a * b) ** 2 + c**1.5),
))
def test_pow(submission, reference, text, n, expr):
    point = POINTS[0]
    wrong = None
    if n is not None:
        a, b, c = point
        base = {"a**3": a, "c**0.5": c, "b**-2": b}[text]
        grads = [0.0, 0.0, 0.0]
        grads["abc".index(text[0])] = base ** (n - 1)
        wrong = {f"the power rule without the exponent, a**(n - 1) instead of n * a**(n - 1) (n = {n})":
                 (base**n, grads)}
    _check(submission, reference, text, expr, point, wrong)


@pytest.mark.hint("d tanh(a)/da = 1 - tanh(a)**2 (the output t, not the input: 1 - t*t).")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("a.tanh()", lambda a, b, c: a.tanh()),
    ("(a * b).tanh() + c", lambda a, b, c: (a * b).tanh() + c),
))
def test_tanh(submission, reference, text, expr, point):
    wrong = None
    if text == "a.tanh()":
        t = math.tanh(point[0])
        wrong = {"tanh(a) as the derivative; it is 1 - tanh(a)**2": (t, [t, 0.0, 0.0])}
    _check(submission, reference, text, expr, point, wrong)


@pytest.mark.hint("relu passes the gradient where its input is positive: d relu(a)/da = 1 if a > 0 else 0 "
                  "(0 at a = 0).")
@pytest.mark.parametrize("text,expr,point", [
    ("(a * b).relu() + c.relu()", lambda a, b, c: (a * b).relu() + c.relu(), (1.5, -0.5, 2.0)),
    ("(a * b).relu() + c.relu()", lambda a, b, c: (a * b).relu() + c.relu(), (0.75, 2.5, -0.4)),
    ("a.relu() at a = 0", lambda a, b, c: a.relu() * 3, (0.0, 1.0, 1.0)),
], ids=["a*b < 0, c > 0", "a*b > 0, c < 0", "a = 0"])
def test_relu(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.hint("d exp(a)/da = exp(a): the output's data, not the input's.")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("a.exp()", lambda a, b, c: a.exp()),
    ("(a * b).exp() + c", lambda a, b, c: (a * b).exp() + c),
))
def test_exp(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.hint("d sigmoid(a)/da = s * (1 - s) with s = sigmoid(a), the output.")
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", _cases(
    ("a.sigmoid()", lambda a, b, c: a.sigmoid()),
    ("(a * b).sigmoid() * c", lambda a, b, c: (a * b).sigmoid() * c),
))
def test_sigmoid(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.points(2)
@pytest.mark.hint("Check each operation's local rule: out.grad times the local derivative, added to each input.")
@pytest.mark.parametrize("point", POINTS + [(0.3, 1.7, -1.1)], ids=str)
def test_expression_of_all_ops(submission, reference, point):
    def expr(a, b, c):
        u = (a * 2 - 1.5) ** 2 / 3                # mul, sub, pow, truediv
        v = (1 - c).tanh() * 0.5                  # rsub, tanh
        w = (2 / (1 + (-b).exp())).relu()         # neg, exp, radd, rtruediv, relu
        return ((u + v) * 0.25).sigmoid() - w     # sigmoid, sub

    _check(submission, reference, "sigmoid(((2a - 1.5)**2 / 3 + tanh(1 - c) / 2) / 4) - relu(2 / (1 + exp(-b)))",
           expr, point)
