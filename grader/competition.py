"""Trusted-side evaluation of a competition lab's network: verified or not.

After training, the worker describes the student's network as plain data and
the trusted process rebuilds it from a whitelist of standard layers
(:mod:`grader.network`). A *verified* network is one that was rebuilt and whose
rebuilt logits reproduce the student's model on the lab's inputs: its held-out
logits, its layers and its parameter count are then computed here, never taken
from the worker. A network that cannot be rebuilt, or whose rebuilt copy
disagrees with the model, is *unverified*: it is still graded, from the logits
the worker returns, but it earns no place on the leaderboard.

The usual pattern in a hidden test::

    with fresh_run(submission):
        model = submission.train_model(submission.build_model(), X_train, y_train)
        model.eval()
        net = check_network(model, X)       # X: the features the lab may show the model
        acc = accuracy(net.logits(Z), z_labels)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .remote import RemoteError, RemoteObject, describe_module

__all__ = ["CheckedNetwork", "check_network", "MAX_LOGIT_DIFFERENCE"]

#: Largest |rebuilt - model| logit difference still taken as the same network (float32 arithmetic).
MAX_LOGIT_DIFFERENCE = 1e-3


@dataclass
class CheckedNetwork:
    """A student's network as the trusted side sees it.

    Attributes:
        model: the remote model (it stays in the worker).
        verified: True if the network was rebuilt here and reproduces the model.
        reason: why it is not verified ("" if it is), for the student.
        network: the rebuilt network (:class:`grader.network.RebuiltNetwork`), or None.
        linear_layers: ``(in_features, out_features)`` of its linear layers, in
            execution order (verified) or registration order (the worker's word).
        n_params: the number of values the rebuilt network uses; None if unverified.
    """

    model: RemoteObject
    verified: bool
    reason: str = ""
    network: Any = None
    linear_layers: list[tuple[int, int]] = field(default_factory=list)
    n_params: int | None = None

    def logits(self, X: np.ndarray) -> Any:
        """Logits for features ``X`` (float32, shape (N, 4)): computed here when
        verified, else asked of the worker (plain data: an ndarray if the model
        behaves, anything else if not; :func:`grader.crossval.accuracy` checks it)."""
        if self.network is not None:
            return self.network.logits(np.asarray(X, dtype=np.float32))
        import torch

        return self.model(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))


def check_network(model: Any, X: np.ndarray) -> CheckedNetwork:
    """Rebuild ``model`` on the trusted side and check it against the model on ``X``.

    Args:
        model: the student's network (a remote ``torch.nn.Module``), in the mode
            it is to be evaluated in (``model.eval()`` first).
        X: float32 features of shape (N, 4) on which the rebuilt network must give
            the model's own logits (within :data:`MAX_LOGIT_DIFFERENCE`); features
            only, never labels.

    Returns:
        A :class:`CheckedNetwork`; unverified (with the reason) when the network
        cannot be exported or rebuilt, or disagrees with the model.

    Raises:
        AssertionError: ``model`` is not a remote object (not a network at all).
        RemoteError: the worker failed while answering (timeout, crash).
    """
    from .network import RebuildError, export_network

    assert isinstance(model, RemoteObject), (
        f"expected the trained network (a torch.nn.Module), got {type(model).__name__}"
    )
    X = np.ascontiguousarray(X, dtype=np.float32)
    try:
        network = export_network(model)
    except RebuildError as exc:
        return _unverified(model, f"the grader cannot rebuild your network: {exc}")
    except RemoteError as exc:
        if type(exc).__name__ != "StudentError":
            raise
        return _unverified(model, f"the grader cannot read your network: {exc}")
    try:
        rebuilt = network.logits(X)
    except (RebuildError, AssertionError, ValueError, RuntimeError) as exc:
        return _unverified(model, f"the grader's copy of your network fails on the lab's inputs: {exc}")
    import torch

    own = model(torch.from_numpy(X))
    if not isinstance(own, np.ndarray) or own.shape != rebuilt.shape or own.dtype.kind not in "fiu":
        return _unverified(model, "your model's own output is not a tensor of logits like the rebuilt network's "
                                  f"(shape {getattr(own, 'shape', None)}, expected {rebuilt.shape})")
    diff = np.abs(own.astype(np.float64) - rebuilt.astype(np.float64))
    worst = float(np.nanmax(diff)) if diff.size else 0.0
    if not np.isfinite(diff).all() or worst > MAX_LOGIT_DIFFERENCE * max(1.0, float(np.abs(rebuilt).max())):
        return _unverified(model, "the network the grader rebuilt from your model's layers does not give your "
                                  f"model's logits (largest difference {worst:.3g}): its forward pass does "
                                  "something the description of its layers does not show")
    return CheckedNetwork(model, True, "", network, list(network.linear_layers), int(network.n_params))


def _unverified(model: RemoteObject, reason: str) -> CheckedNetwork:
    linear: list[tuple[int, int]] = []
    try:
        linear = list(describe_module(model)["linear"])
    except RemoteError:
        pass
    return CheckedNetwork(model, False, reason, None, linear, None)
