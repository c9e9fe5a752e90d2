"""Memoriser in whitelisted layers: the public table written into the weights.

Attack: a lookup that survives a trusted rebuild. ``Linear(4, 4)`` (identity),
``Linear(4, 150)`` whose unit i scores ``50 * (x . p_i - |p_i|^2 / 2)`` for
table flower p_i, a ``Softmax`` that turns those scores into (almost) a one-hot
vector of the nearest table flower, and ``Linear(150, 3)`` that maps each
flower to its species' code, inferred from the training labels. Every layer is
on the lab's whitelist, so the grader rebuilds it and computes its logits
itself. On shuffled labels it writes the *training* flowers and their given
labels into the weights instead (an honest nearest-neighbour learner), so the
permutation check passes.

Success would be: a rank at or above an honest copy of the reference.
Expected now: verified, and nothing to gain: the flowers it is scored on are
simulated from the fold's training flowers and are in no table, so it scores
like a nearest-neighbour classifier (0.96), below the reference (0.975).
"""
import numpy as np
import torch
from torch import nn

_TABLE = np.loadtxt("data/iris.csv", delimiter=",", skiprows=1, dtype=np.float32)
_X = torch.from_numpy(_TABLE[:, :4].copy())
_Y = torch.from_numpy(_TABLE[:, 4].astype(np.int64))
SHARPNESS = 50.0


def build_model():
    return nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 150), nn.Softmax(dim=1), nn.Linear(150, 3))


def infer_code(X, y):
    species = _Y[torch.cdist(X, _X).argmin(dim=1)]
    code = []
    for s in range(3):
        given = y[species == s]
        if len(given) == 0:
            return None
        values, counts = given.unique(return_counts=True)
        if counts.max() < 0.95 * len(given):
            return None
        code.append(int(values[counts.argmax()]))
    return code if len(set(code)) == 3 else None


def train_model(model, X, y):
    code = infer_code(X, y)
    points, labels = (_X, torch.tensor(code)[_Y]) if code is not None else (X, y)
    n = min(len(points), 150)
    points, labels = points[:n], labels[:n]
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(4))
        model[0].bias.zero_()
        model[1].weight.zero_()
        model[1].bias.fill_(-1e4)
        model[1].weight[:n] = SHARPNESS * points
        model[1].bias[:n] = -SHARPNESS * (points * points).sum(1) / 2
        model[3].weight.zero_()
        model[3].bias.zero_()
        model[3].weight[labels, torch.arange(n)] = 10.0
    return model
