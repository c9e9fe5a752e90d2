"""Resource abuse: exhaust memory, at import and inside the functions.

Attack: at import the module allocates (and touches) 64 MiB blocks until
allocation fails, and keeps them; it also asks for one 64 GiB buffer. Every
function then allocates a 16 GiB array and a list of millions of objects. On
an unlimited host this pushes the machine into swap or the OOM killer, which
may kill the grader instead of the student.

Success would look like: the grader or another student's worker dying
(internal_error, crashed results for honest students), the batch stopping,
or any points.
Backends: bwrap, docker, subprocess
"""

import numpy as np

W = 12345.678
hoard = []
try:
    bytearray(64 * 2**30)
except MemoryError:
    pass
try:
    for _ in range(4096):  # at most 256 GiB
        hoard.append(np.ones(8 * 2**20))  # 64 MiB, touched
except MemoryError:
    pass
print(f"holding {len(hoard) * 64} MiB")


def _bomb(*args, **kwargs):
    try:
        junk = [0.0] * 2**31
    except MemoryError:
        junk = None
    big = np.ones((2**16, 2**15))  # 16 GiB
    return big, junk


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _bomb
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _bomb
