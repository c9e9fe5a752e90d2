"""Crash: a segmentation fault in native code inside every function.

Attack: with ``faulthandler`` disabled, each function dereferences a NULL
pointer through ``ctypes`` (``ctypes.string_at(0)``), killing the worker with
SIGSEGV mid-call; the module also sets ``RLIMIT_CORE`` as high as it may, to
leave core dumps behind. A grader running the student's code in its own
process would die with it and lose the whole batch.

Success would look like: the grader failing (internal_error), missing results
for later students, a core file left behind, or any points.
Backends: bwrap, docker, subprocess
"""

import ctypes
import faulthandler
import resource

faulthandler.disable()
try:
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
except (ValueError, OSError):
    pass


def _segfault(*args, **kwargs):
    return ctypes.string_at(0)


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _segfault
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _segfault
