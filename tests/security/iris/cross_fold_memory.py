"""Memoriser, kind 2: remembers every labelled flower across training runs, and reads no file.

Attack: a module-level dict remembers each flower it was ever trained on with
its species in the first coding it saw. One worker used to serve the public
test, every fold and every permutation run, so from the second fold on it knew
(almost) every flower, inferred the new fold's recoding from the flowers seen
before, and answered held-out flowers from memory. Each returned model holds
its own snapshot, so the "previous fold's network must not change" check passed.

Success would be: rank 1 and full marks.
Expected now: every training run is a fresh copy of the submission, so the
memory holds only the current training set (it is a nearest-neighbour learner);
its dict lookup cannot be rebuilt (unverified, never ranked).
"""
import numpy as np
import torch
from torch import nn

_MEMORY = {}  # rounded features -> species in the first coding seen
RUNS = {"count": 0}


def _key(row):
    return tuple(round(float(v), 1) for v in row)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(4, 16), nn.Linear(16, 8), nn.Linear(8, 3)
        self.snapshot = {}
        self.code = {}

    def forward(self, x):
        hidden = self.l3(torch.relu(self.l2(torch.relu(self.l1(x)))))
        keys = list(self.snapshot)
        points = torch.tensor(keys, dtype=torch.float32) if keys else torch.zeros((1, 4))
        answers = []
        for row in x:
            nearest = keys[int(torch.cdist(row[None], points).argmin())] if keys else None
            species = self.snapshot.get(_key(row), self.snapshot.get(nearest, 0))
            answers.append(self.code.get(species, species))
        return 0.0 * hidden + 10.0 * nn.functional.one_hot(torch.tensor(answers), 3).float()


def build_model():
    return Net()


def train_model(model, X, y):
    RUNS["count"] += 1
    votes = {}
    for row, label in zip(X, y):
        species = _MEMORY.setdefault(_key(row), int(label))
        votes.setdefault(species, []).append(int(label))
    model.code = {s: max(set(v), key=v.count) for s, v in votes.items()}
    model.snapshot = dict(_MEMORY)
    return model
