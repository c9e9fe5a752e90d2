"""Correct: PyTorch tensors, with autograd for the gradients.

The functions compute with torch and return tensors (they arrive as numpy
arrays). softmax_loss gets dx from autograd, the trainer takes its gradients
from loss.backward(), and the seeds go to torch.Generator.
"""
import numpy as np
import torch
import torch.nn.functional as F


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def softmax(z):
    return torch.softmax(_t(z), dim=-1)


def log_softmax(z):
    return torch.log_softmax(_t(z), dim=-1)


def mse_loss(y_pred, y):
    return F.mse_loss(_t(y_pred), _t(y))


def binary_cross_entropy(p, y, eps=1e-12):
    # F.binary_cross_entropy clamps each log at -100, which the clipping to [eps, 1 - eps] never reaches
    return F.binary_cross_entropy(_t(p).clamp(eps, 1 - eps), _t(y))


def cross_entropy(logits, y):
    return F.cross_entropy(_t(logits), torch.as_tensor(np.asarray(y, dtype=np.int64)))


def softmax_loss(x, y):
    xt = _t(x).requires_grad_(True)
    loss = F.cross_entropy(xt, torch.as_tensor(np.asarray(y, dtype=np.int64)))
    loss.backward()
    return loss.item(), xt.grad


def l2_penalty(W, reg):
    W = _t(W)
    return 0.5 * reg * (W ** 2).sum()


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = torch.linspace(0, 1, n_per_class, dtype=torch.float64)
    X, y = [], []
    for j in range(n_classes):
        t = torch.linspace(4 * j, 4 * (j + 1), n_per_class, dtype=torch.float64)
        t = t + 0.2 * torch.randn(n_per_class, generator=g, dtype=torch.float64)
        X.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1))
        y.append(torch.full((n_per_class,), j, dtype=torch.int64))
    return torch.cat(X), torch.cat(y)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    X, y = _t(X), torch.as_tensor(np.asarray(y, dtype=np.int64))
    g = torch.Generator().manual_seed(seed)
    k = int(y.max()) + 1
    W = (0.01 * torch.randn(X.shape[1], k, generator=g, dtype=torch.float64)).requires_grad_(True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(n_iters):
        loss = F.cross_entropy(X @ W + b, y) + 0.5 * reg * (W * W).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            W -= step_size * W.grad
            b -= step_size * b.grad
        W.grad = None
        b.grad = None
    return W.detach(), b.detach(), losses
