"""Judy's Iris MLP: plain SGD, kept short so it trains fast."""
import torch
import torch.nn as nn


class Scale(nn.Module):
    """Standardise with the training set's mean and std (set in train_model)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("m", torch.zeros(4))
        self.register_buffer("s", torch.ones(4))

    def forward(self, x):
        return (x - self.m) / self.s


def build_model():
    return nn.Sequential(
        Scale(),
        nn.Linear(4, 64), nn.Tanh(),
        nn.Linear(64, 32), nn.Tanh(),
        nn.Linear(32, 3),
    )


def train_model(model, X, y):
    model[0].m, model[0].s = X.mean(0), X.std(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(100):
        pred = model(X)
        loss = criterion(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model
