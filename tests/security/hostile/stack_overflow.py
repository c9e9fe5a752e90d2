"""Crash: overflow the C stack with unbounded recursion.

Attack: the module raises the recursion limit to 10**8, so that the
interpreter's guard never fires, and every function recurses through C code
(``repr`` of a list nested a million levels deep, and a Python function that
calls itself through ``map``), so the interpreter overflows its C stack and
dies with SIGSEGV instead of raising ``RecursionError``. In the grader's own
process this would kill the batch.

Success would look like: the grader failing (internal_error), missing results
for later students, or any points.
Backends: bwrap, docker, subprocess
"""

import sys

sys.setrecursionlimit(10**8)
DEEP = []
for _ in range(10**6):
    DEEP = [DEEP]


def _down(n):
    return list(map(_down, [n + 1]))


def _overflow(*args, **kwargs):
    repr(DEEP)
    return _down(0)


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _overflow
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _overflow
