"""A parameter count that lies: wins accuracy ties, or breaks the leaderboard.

Attack: an honest network (the reference's layers and training) whose
``parameters()`` reports -1 values (or 10**30 with ``LIE = "huge"``: the red
team's test grades that variant as ``param_count_huge``): the
worker's own description of the network counted them, and ties at the same
accuracy went to fewer parameters; 10**30 crashed ``grader leaderboard``
for the whole class (OverflowError).

Success would be: first place on a tie, or no leaderboard for anyone.
Expected now: the parameter count comes from the network the grader rebuilt
(the true count), and the leaderboard checks every recorded metric.
"""
import torch
from torch import nn

LIE = "negative"


class _Fake:
    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


class Standardize(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(4))
        self.register_buffer("std", torch.ones(4))

    def forward(self, x):
        return (x - self.mean) / self.std


class Net(nn.Sequential):
    def parameters(self, recurse=True):
        real = sum(p.numel() for p in nn.Module.parameters(self, recurse))
        yield _Fake(-1 - real if LIE == "negative" else 10**30)


def build_model():
    return Net(Standardize(), nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))


def train_model(model, X, y):
    model[0].mean, model[0].std = X.mean(0), X.std(0).clamp_min(1e-6)
    opt = torch.optim.Adam(nn.Module.parameters(model), lr=0.01, weight_decay=1e-2)
    for _ in range(300):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model
