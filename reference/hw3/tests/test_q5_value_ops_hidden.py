"""Hidden tests, question "value_ops" (14 points): each operation of Value and its local gradient, alone.

Each test applies ONE operation to leaves (``Value``s made from numbers, or a
plain number), calls ``backward()``, and compares the output's ``.data`` and
each leaf's ``.grad`` with the reference's. So a mistake in one operation
costs that operation's test only:

* the graph has one operation, so no other operation of yours is involved;
* if your ``backward()`` is wrong (it is graded in "value_backward"), the
  graph is walked again here with the reference traversal over your own nodes
  (``_prev``, seed ``out.grad = 1``, each node's ``_backward``): an operation
  whose local rule is right passes;
* a derived operation (``-a``, ``2 + a``, ``a - b``, ``1 - a``, ``3 * a``,
  ``a / b``, ``2 / a``) built from your primitives as the notebook says
  (``a + (-b)``, ``a * b**-1``, ...) passes when it gives what that
  construction gives with your own primitives: a wrong ``__mul__`` is charged
  in ``test_mul``, not again in ``test_neg``, ``test_sub`` and ``test_truediv``.

Compound expressions are graded in "value_composition"; how ``backward()``
walks a graph (a value used twice, shared nodes) in "value_backward". Where a
mistake is common, the failure message names it.
"""

import math

import pytest

from grader.valuegraph import Outcome, judge, run

pytestmark = pytest.mark.question("value_ops")

RTOL, ATOL = 1e-7, 1e-10
P0, P1 = (1.5, -0.5, 2.0), (-0.75, 2.5, 0.4)
PRIMITIVE, DERIVED = 1.5, 0.5  # points of a primitive's test and of a derived operation's


def _judge(submission, reference, text, expr, point, *, n=1, forms=(), mistakes=None):
    """:func:`grader.valuegraph.judge` against the reference's numbers."""
    expected = run(reference.Value, expr, point)
    judge(submission.Value, text, expr, point, expected, n=n, forms=forms, mistakes=mistakes, rtol=RTOL, atol=ATOL)


def _cases(*cases):
    return [pytest.param(*case, id=case[0]) for case in cases]


# ----------------------------------------------------------------------------- primitives


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d(a + b)/da = d(a + b)/db = 1: add out.grad to both inputs. Wrap a plain number in Value.")
@pytest.mark.parametrize("text,expr,point", _cases(
    ("a + b", lambda a, b, c: a + b, P0),
    ("a + b ", lambda a, b, c: a + b, P1),
    ("a + 2", lambda a, b, c: a + 2, P0),
))
def test_add(submission, reference, text, expr, point):
    _judge(submission, reference, text.strip(), expr, point, n=1 if "2" in text else 2)


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d(a * b)/da = b and d(a * b)/db = a: each input gets out.grad times the OTHER input's data.")
@pytest.mark.parametrize("text,expr,point", _cases(
    ("a * b", lambda a, b, c: a * b, P0),
    ("a * b ", lambda a, b, c: a * b, P1),
    ("a * 3", lambda a, b, c: a * 3, P0),
))
def test_mul(submission, reference, text, expr, point):
    a, b, _ = point
    swapped = None
    if "b" in text:
        swapped = {"the product rule with the factors swapped (d(a*b)/da taken as a)":
                   ("self.grad += other.data * out.grad; other.grad += self.data * out.grad",
                    Outcome(a * b, (a, b)))}
    _judge(submission, reference, text.strip(), expr, point, n=1 if "3" in text else 2, mistakes=swapped)


def _pow_mistake(point, n, base):
    return {f"the power rule without its exponent, a**(n - 1) instead of n * a**(n - 1) (n = {n})":
            ("d(a**n)/da = n * a**(n - 1): multiply by the exponent", Outcome(base**n, (base ** (n - 1),)))}


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d(a**n)/da = n * a**(n - 1), for int and float n.")
@pytest.mark.parametrize("text,n,point", _cases(
    ("a**3", 3, (1.5, 0, 0)),
    ("a**0.5", 0.5, (2.0, 0, 0)),
    ("a**-2", -2, (-0.5, 0, 0)),
))
def test_pow(submission, reference, text, n, point):
    _judge(submission, reference, text, lambda a, b, c: a**n, point, mistakes=_pow_mistake(point, n, point[0]))


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d exp(a)/da = exp(a): the output's data times out.grad.")
@pytest.mark.parametrize("point", [P0, P1], ids=str)
def test_exp(submission, reference, point):
    a = point[0]
    mistakes = {"exp's derivative taken as the input a instead of exp(a)":
                ("use out.data (= exp(a)), not self.data", Outcome(math.exp(a), (a,)))}
    _judge(submission, reference, "a.exp()", lambda a, b, c: a.exp(), point, mistakes=mistakes)


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d tanh(a)/da = 1 - tanh(a)**2 (with t the output: 1 - t*t).")
@pytest.mark.parametrize("point", [P0, P1], ids=str)
def test_tanh(submission, reference, point):
    t = math.tanh(point[0])
    mistakes = {"tanh(a) as its own derivative": ("the derivative is 1 - t**2, with t = tanh(a)", Outcome(t, (t,)))}
    _judge(submission, reference, "a.tanh()", lambda a, b, c: a.tanh(), point, mistakes=mistakes)


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("relu passes out.grad where its input is positive and nothing elsewhere: "
                  "d relu(a)/da = 1 if a > 0 else 0 (0 at a = 0).")
@pytest.mark.parametrize("a", [1.5, -0.5, 0.0], ids=["a > 0", "a < 0", "a = 0"])
def test_relu(submission, reference, a):
    mistakes = None
    if a <= 0:
        mistakes = {"relu passing the gradient where its input is not positive":
                    ("mask the gradient: (out.data > 0) * out.grad", Outcome(0.0, (1.0,)))}
    _judge(submission, reference, "a.relu()", lambda a, b, c: a.relu(), (a, 0.0, 0.0), mistakes=mistakes)
    if a == 0.0:  # a grad of 0 at a = 0 counts only from an engine that gives 1 where a > 0
        _judge(submission, reference, "a.relu()", lambda a, b, c: a.relu(), (0.5, 0.0, 0.0))


@pytest.mark.points(PRIMITIVE)
@pytest.mark.hint("d sigmoid(a)/da = s * (1 - s) with s = sigmoid(a), the output.")
@pytest.mark.parametrize("point", [P0, P1], ids=str)
def test_sigmoid(submission, reference, point):
    a = point[0]
    s = 1 / (1 + math.exp(-a))
    mistakes = {"the sigmoid's derivative computed from the input, a * (1 - a), instead of s * (1 - s)":
                ("use s = out.data: s * (1 - s)", Outcome(s, (a * (1 - a),)))}
    _judge(submission, reference, "a.sigmoid()", lambda a, b, c: a.sigmoid(), point, mistakes=mistakes)


# ----------------------------------------------------------------------------- derived operations


@pytest.mark.points(DERIVED)
@pytest.mark.hint("-a is a * -1.")
@pytest.mark.parametrize("point", [P0, P1], ids=str)
def test_neg(submission, reference, point):
    _judge(submission, reference, "-a", lambda a, b, c: -a, point,
           forms=[lambda V, a, b, c: a * -1, lambda V, a, b, c: -1 * a, lambda V, a, b, c: V(-1.0) * a])


@pytest.mark.points(DERIVED)
@pytest.mark.hint("2 + a calls a.__radd__(2): return a + 2.")
def test_radd(submission, reference):
    _judge(submission, reference, "2 + a", lambda a, b, c: 2 + a, P0,
           forms=[lambda V, a, b, c: a + 2, lambda V, a, b, c: V(2.0) + a])


@pytest.mark.points(DERIVED)
@pytest.mark.hint("a - b is a + (-b): d(a - b)/da = 1, d(a - b)/db = -1.")
@pytest.mark.parametrize("text,expr,point", _cases(
    ("a - b", lambda a, b, c: a - b, P0),
    ("a - b ", lambda a, b, c: a - b, P1),
    ("a - 2", lambda a, b, c: a - 2, P0),
))
def test_sub(submission, reference, text, expr, point):
    if "2" in text:
        forms = [lambda V, a, b, c: a + (-2), lambda V, a, b, c: a + -V(2.0), lambda V, a, b, c: a + V(2.0) * -1]
    else:
        forms = [lambda V, a, b, c: a + (-b), lambda V, a, b, c: a + b * -1, lambda V, a, b, c: a + -1 * b,
                 lambda V, a, b, c: -b + a]
    _judge(submission, reference, text.strip(), expr, point, n=1 if "2" in text else 2, forms=forms)


@pytest.mark.points(DERIVED)
@pytest.mark.hint("1 - a calls a.__rsub__(1), which must compute other - self = 1 + (-a).")
def test_rsub(submission, reference):
    a = P0[0]
    mistakes = {"a - 1 instead of 1 - a": ("__rsub__(self, other) must return other - self, "
                                           "e.g. other + (-self)", Outcome(a - 1, (1.0,)))}
    _judge(submission, reference, "1 - a", lambda a, b, c: 1 - a, P0, mistakes=mistakes,
           forms=[lambda V, a, b, c: 1 + (-a), lambda V, a, b, c: -a + 1, lambda V, a, b, c: V(1.0) + (-a),
                  lambda V, a, b, c: V(1.0) - a, lambda V, a, b, c: a * -1 + 1])


@pytest.mark.points(DERIVED)
@pytest.mark.hint("3 * a calls a.__rmul__(3): return a * 3.")
def test_rmul(submission, reference):
    _judge(submission, reference, "3 * a", lambda a, b, c: 3 * a, P0,
           forms=[lambda V, a, b, c: a * 3, lambda V, a, b, c: V(3.0) * a])


@pytest.mark.points(DERIVED)
@pytest.mark.hint("a / b is a * b**-1: d(a / b)/da = 1/b, d(a / b)/db = -a/b**2.")
@pytest.mark.parametrize("text,expr,point", _cases(
    ("a / b", lambda a, b, c: a / b, P0),
    ("a / b ", lambda a, b, c: a / b, P1),
    ("a / 4", lambda a, b, c: a / 4, P0),
))
def test_truediv(submission, reference, text, expr, point):
    if "4" in text:
        forms = [lambda V, a, b, c: a * 0.25, lambda V, a, b, c: a * 4**-1, lambda V, a, b, c: a * V(4.0) ** -1]
    else:
        forms = [lambda V, a, b, c: a * b**-1, lambda V, a, b, c: a * b**-1.0, lambda V, a, b, c: b**-1 * a]
    _judge(submission, reference, text.strip(), expr, point, n=1 if "4" in text else 2, forms=forms)


@pytest.mark.points(DERIVED)
@pytest.mark.hint("2 / a calls a.__rtruediv__(2), which must compute other / self = other * self**-1.")
@pytest.mark.parametrize("point", [P0, P1], ids=str)
def test_rtruediv(submission, reference, point):
    a = point[0]
    mistakes = {"a / 2 instead of 2 / a": ("__rtruediv__(self, other) must return other * self**-1",
                                           Outcome(a / 2, (0.5,)))}
    _judge(submission, reference, "2 / a", lambda a, b, c: 2 / a, point, mistakes=mistakes,
           forms=[lambda V, a, b, c: 2 * a**-1, lambda V, a, b, c: a**-1 * 2, lambda V, a, b, c: V(2.0) * a**-1,
                  lambda V, a, b, c: V(2.0) / a])
