"""Correct: everything in float32 (inputs cast down, results returned in float32).

The formulas are the reference's; only the precision differs (relative error
about 1e-7 per operation, 1e-6 after the training loop).
"""
import numpy as np

F = np.float32


def softmax(z):
    z = np.asarray(z, dtype=F)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z):
    z = np.asarray(z, dtype=F)
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    d = np.asarray(y, dtype=F) - np.asarray(y_pred, dtype=F)
    return np.mean(d * d)


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(np.asarray(p, dtype=F), F(eps), F(1 - eps))
    y = np.asarray(y, dtype=F)
    return -np.mean(y * np.log(p) + (F(1) - y) * np.log(F(1) - p))


def cross_entropy(logits, y):
    logp = log_softmax(logits)
    return -np.mean(logp[np.arange(len(y)), y])


def softmax_loss(x, y):
    logp = log_softmax(x)
    n = logp.shape[0]
    loss = -np.mean(logp[np.arange(n), y])
    dx = np.exp(logp)
    dx[np.arange(n), y] -= F(1)
    return loss, dx / F(n)


def l2_penalty(W, reg):
    W = np.asarray(W, dtype=F)
    return F(0.5) * F(reg) * np.sum(W * W)


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2), dtype=F)
    y = np.zeros(n_per_class * n_classes, dtype=np.int32)
    for j in range(n_classes):
        r = np.linspace(0, 1, n_per_class, dtype=F)
        t = np.linspace(4 * j, 4 * (j + 1), n_per_class, dtype=F) + F(0.2) * rng.standard_normal(n_per_class, dtype=F)
        X[j * n_per_class:(j + 1) * n_per_class] = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        y[j * n_per_class:(j + 1) * n_per_class] = j
    return X, y


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    X = np.asarray(X, dtype=F)
    rng = np.random.default_rng(seed)
    k = int(np.max(y)) + 1
    W = F(0.01) * rng.standard_normal((X.shape[1], k), dtype=F)
    b = np.zeros(k, dtype=F)
    losses = []
    for _ in range(n_iters):
        loss, dscores = softmax_loss(X @ W + b, y)
        losses.append(float(loss + l2_penalty(W, reg)))
        W = W - F(step_size) * (X.T @ dscores + F(reg) * W)
        b = b - F(step_size) * dscores.sum(axis=0)
    return W, b, losses
