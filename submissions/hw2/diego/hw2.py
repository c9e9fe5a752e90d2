import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def softmax(z):
    return torch.softmax(torch.as_tensor(z, dtype=torch.float64), dim=-1)


def log_softmax(z):
    return torch.log_softmax(torch.as_tensor(z, dtype=torch.float64), dim=-1)


def mse_loss(y_pred, y):
    return F.mse_loss(torch.as_tensor(y_pred, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64))


def binary_cross_entropy(p, y, eps=1e-12):
    p = torch.as_tensor(p, dtype=torch.float64).clamp(eps, 1 - eps)
    y = torch.as_tensor(y, dtype=torch.float64)
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def cross_entropy(logits, y):
    return F.cross_entropy(torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(y).long())


def softmax_loss(x, y):
    x = torch.as_tensor(x, dtype=torch.float64).clone().requires_grad_(True)
    loss = F.cross_entropy(x, torch.as_tensor(y).long())
    (dx,) = torch.autograd.grad(loss, x)
    return loss.item(), dx


def l2_penalty(W, reg):
    W = torch.as_tensor(W, dtype=torch.float64)
    return 0.5 * reg * (W * W).sum()


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X, y = [], []
    for j in range(n_classes):
        r = torch.linspace(0, 1, n_per_class)
        t = torch.linspace(4 * j, 4 * (j + 1), n_per_class) + 0.2 * torch.randn(n_per_class, generator=g)
        X.append(torch.stack((r * torch.sin(t), r * torch.cos(t)), dim=1))
        y.append(torch.full((n_per_class,), j))
    return torch.cat(X), torch.cat(y)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    X, y = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y).long()
    W = (0.01 * torch.randn(X.shape[1], int(y.max()) + 1, generator=g)).requires_grad_(True)
    b = torch.zeros(W.shape[1], requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=step_size)
    losses = []
    for _ in range(n_iters):
        opt.zero_grad()
        loss = F.cross_entropy(X @ W + b, y) + 0.5 * reg * (W * W).sum()
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return W.detach(), b.detach(), losses
