"""Resource abuse: gigantic return values.

Attack: the functions return, in turn, a 200 MiB array (just under the
message limit, so the trusted side must receive and compare it), a 300 MiB
array (over the limit), a 100 MiB ``bytes``, a list of 3 million floats
(over the limit on values), a 20 MiB string (a JSON header over its limit),
and a tuple of 100,000 small arrays, each kind twice (then plain wrong
answers, to keep the suite quick); every value is wrong (12345.678). A
trusted side that buffered without limits, or built the values before
checking their size, would run out of memory and take the batch with it.

Success would look like: the grader failing (internal_error), honest students
after it failing, or any points.
Backends: bwrap, docker, subprocess
"""

import numpy as np

W = 12345.678
_n = [0]


def _huge(*args, **kwargs):
    _n[0] += 1
    kind = _n[0] % 5
    if _n[0] > 10:
        return W
    if kind == 1:
        return np.full(200 * 2**20 // 8, W)
    if kind == 2:
        return np.full(300 * 2**20 // 8, W)
    if kind == 3:
        return b"\x00" * (100 * 2**20)
    if kind == 4:
        return [W] * 3_000_000 if _n[0] % 2 else "x" * (20 * 2**20)
    return tuple(np.full(2, W) for _ in range(100_000))


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _huge
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _huge
