"""Ivan: one network, created once, trained whenever train_model is called."""
import torch
from torch import nn

torch.manual_seed(0)
MODEL = nn.Sequential(
    nn.BatchNorm1d(4),
    nn.Linear(4, 24), nn.ReLU(),
    nn.Linear(24, 12), nn.ReLU(),
    nn.Linear(12, 3),
)


def build_model():
    return MODEL


def train_model(model, X, y):
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(200):
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model
