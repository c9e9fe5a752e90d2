"""Hidden tests, question "value_composition" (4 points): the operations and backward() together.

Expressions that combine several operations, as a network's forward pass does,
with backward() over the whole graph, one of them with a node used several times. A wrong operation or a wrong backward()
loses points here as well as in its own question (this is where the pieces
meet). When an expression is wrong, the message says which pieces are wrong,
found by checking each operation alone on two leaves and backward()'s seeding
on a single leaf (:func:`grader.valuegraph.diagnose`).
"""

import pytest

from grader.remote import StudentError
from grader.testing import Failure, assert_close
from grader.valuegraph import diagnose

pytestmark = pytest.mark.question("value_composition")

RTOL, ATOL = 1e-7, 1e-10
POINTS = [(1.5, -0.5, 2.0), (-0.75, 2.5, 0.4)]


def _run(Value, expr, point):
    leaves = [Value(v) for v in point]
    out = expr(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def _wrong_pieces(submission, what):
    """A Failure that names the pieces of the engine that are wrong alone, if any."""
    wrong = diagnose(submission.Value)
    if wrong:
        first = wrong[0].split(":", 1)[0]
        return Failure(f"{what}. Checked one at a time, these pieces are wrong: " + "; ".join(wrong),
                       hint=f"Fix {first} first (its own test says more); this expression uses it.")
    return None


def _check(submission, reference, text, expr, point):
    exp_data, exp_grads = _run(reference.Value, expr, point)
    try:
        data, grads = _run(submission.Value, expr, point)
    except StudentError as exc:
        failure = _wrong_pieces(submission, f"({text}) at {point}: {exc}"[:500])
        if failure is None:
            raise
        raise failure from None
    try:
        assert_close(data, exp_data, rtol=RTOL, atol=ATOL, name=f"({text}).data at {point}")
        for name, g, e in zip("abc", grads, exp_grads):
            assert_close(g, e, rtol=RTOL, atol=ATOL, name=f"{name}.grad for {text} at {point}")
    except AssertionError as exc:
        failure = _wrong_pieces(submission, str(exc))
        if failure is not None:
            raise failure from None
        raise Failure(f"{exc}. Each operation is right on its own and backward() seeds 1, so the pieces "
                      "do not work together", hint="Check that every operation wraps plain numbers in Value "
                      "and that every _backward uses out.grad (the gradient from above)") from None


@pytest.mark.points(3)
@pytest.mark.parametrize("point", POINTS, ids=str)
@pytest.mark.parametrize("text,expr", [
    pytest.param(text, expr, id=text) for text, expr in [
        ("(a + b) * c", lambda a, b, c: (a + b) * c),
        ("(a + 2) * 3 + b * c", lambda a, b, c: (a + 2) * 3 + b * c),
        ("2.5 * (1.5 + a) + b", lambda a, b, c: 2.5 * (1.5 + a) + b),
        ("-(a * b) - c", lambda a, b, c: -(a * b) - c),
        ("5 - a * b", lambda a, b, c: 5 - a * b),
        ("(a + c) / 4", lambda a, b, c: (a + c) / 4),
        ("a / (b * c)", lambda a, b, c: a / (b * c)),
        ("(a * b)**2 + c**1.5", lambda a, b, c: (a * b) ** 2 + c**1.5),
        ("(a * b).tanh() + c", lambda a, b, c: (a * b).tanh() + c),
        ("(a * b).exp() + c", lambda a, b, c: (a * b).exp() + c),
        ("(a * b).sigmoid() * c", lambda a, b, c: (a * b).sigmoid() * c),
        ("(a * b).relu() + c.relu()", lambda a, b, c: (a * b).relu() + c.relu()),
        # a shared node used three times, as a network reuses its activations: backward() must add every use
        ("u = a * b; (u + u.tanh()) * u + c", lambda a, b, c: (lambda u: (u + u.tanh()) * u + c)(a * b)),
        # u's two users are siblings: a walk that calls a node's _backward when first reached (depth-first from
        # the output) always reaches u through one of them before the other has added its gradient
        ("u = a * b; (u.tanh() + u.exp()) * c", lambda a, b, c: (lambda u: (u.tanh() + u.exp()) * c)(a * b)),
    ]])
def test_compound_expressions(submission, reference, text, expr, point):
    _check(submission, reference, text, expr, point)


@pytest.mark.parametrize("point", POINTS + [(0.3, 1.7, -1.1)], ids=str)
def test_expression_of_all_ops(submission, reference, point):
    def expr(a, b, c):
        u = (a * 2 - 1.5) ** 2 / 3                # mul, sub, pow, truediv
        v = (1 - c).tanh() * 0.5                  # rsub, tanh
        w = (2 / (1 + (-b).exp())).relu()         # neg, exp, radd, rtruediv, relu
        return ((u + v) * 0.25).sigmoid() - w     # sigmoid, sub

    _check(submission, reference, "sigmoid(((2a - 1.5)**2 / 3 + tanh(1 - c) / 2) / 4) - relu(2 / (1 + exp(-b)))",
           expr, point)
