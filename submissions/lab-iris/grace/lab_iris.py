"""Grace: train until the loss is (almost) zero, however long it takes."""
import torch
from torch import nn


def build_model():
    return nn.Sequential(
        nn.Linear(4, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 3),
    )


def train_model(model, X, y):
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    loss = torch.tensor(1.0)
    epoch = 0
    while loss.item() > 1e-6:  # "converged"
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        epoch += 1
        if epoch % 10000 == 0:
            print(f"epoch {epoch}: loss {loss.item():.4f}")
    return model
