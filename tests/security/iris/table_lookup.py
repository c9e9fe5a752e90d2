"""Memoriser, kind 1: answers from the public table, and a constant class when the labels make no sense.

Attack: reads ``data/iris.csv`` (the public 150 flowers), infers the fold's
recoding of the species from the training labels it is given, answers every
flower by its nearest neighbour in the table, and answers class 0 whenever
the training labels are not a recoding of the species (the shuffled runs of
the permutation check), so that the check sees chance accuracy. Three real
``nn.Linear`` layers (never used for the answer) pass the architecture rules.

Success would be: rank 1 and full marks.
Expected now: the forward pass uses ``torch.cdist`` and indexing, which the
grader cannot rebuild: unverified, never ranked; the constant class on
shuffled labels fails the permutation check's fit test (p = 1); on flowers no
table holds its lookup is a nearest-neighbour classifier, no better than learning.
"""
import numpy as np
import torch
from torch import nn

_TABLE = np.loadtxt("data/iris.csv", delimiter=",", skiprows=1, dtype=np.float32)
_X = torch.from_numpy(_TABLE[:, :4].copy())
_Y = torch.from_numpy(_TABLE[:, 4].astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(4, 16), nn.Linear(16, 8), nn.Linear(8, 3)
        self.register_buffer("code", torch.full((3,), -1, dtype=torch.long))

    def forward(self, x):
        hidden = self.l3(torch.relu(self.l2(torch.relu(self.l1(x)))))
        if int(self.code.min()) < 0:
            return 0.0 * hidden + torch.tensor([10.0, 0.0, 0.0])
        nearest = torch.cdist(x, _X).argmin(dim=1)
        return 0.0 * hidden + 10.0 * nn.functional.one_hot(self.code[_Y[nearest]], 3).float()


def build_model():
    return Net()


def infer_code(X, y):
    """species -> the label the grader uses for it, or None if the labels are no recoding."""
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
    model.code = torch.tensor(code if code else [-1, -1, -1])
    opt = torch.optim.Adam([p for p in model.parameters()], lr=0.01)
    for _ in range(20):
        loss = nn.functional.cross_entropy(model.l3(torch.relu(model.l2(torch.relu(model.l1(X))))), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model
