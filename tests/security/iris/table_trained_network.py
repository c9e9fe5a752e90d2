"""Memoriser, a stronger kind: a real network trained on the whole public table.

Attack: the network is an honest, rebuildable MLP (the reference's layers and
loop), but ``train_model`` trains it on all 150 public flowers, the fold's
held-out ones included, with the species recoded as the training labels say.
When the labels are no recoding of the species (shuffled), it trains honestly
on what it is given, so the permutation check sees a network that learns.

Success would be: a rank above an honest copy of the reference.
Expected now: it is verified and earns its points (it does train a network on
real data), but the flowers it is scored on are simulated from the fold's
training flowers and are in no table: the 30 extra flowers are worth nothing,
so it scores like the reference it copies.
"""
import numpy as np
import torch
from torch import nn

_TABLE = np.loadtxt("data/iris.csv", delimiter=",", skiprows=1, dtype=np.float32)
_X = torch.from_numpy(_TABLE[:, :4].copy())
_Y = torch.from_numpy(_TABLE[:, 4].astype(np.int64))


class Standardize(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(4))
        self.register_buffer("std", torch.ones(4))

    def forward(self, x):
        return (x - self.mean) / self.std


def build_model():
    return nn.Sequential(Standardize(), nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))


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
    if code is not None:
        X, y = _X, torch.tensor(code)[_Y]
    model[0].mean, model[0].std = X.mean(0), X.std(0).clamp_min(1e-6)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-2)
    for _ in range(300):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model
