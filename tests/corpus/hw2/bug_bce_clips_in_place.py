"""Corpus: binary cross-entropy that clips the caller's p in place (np.clip(..., out=p)).

Written independently for this corpus, in the style of ok_scipy_special.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=binary_cross_entropy
"""
import numpy as np
from scipy.special import logsumexp, softmax as _sp_softmax, xlogy


def softmax(z):
    return _sp_softmax(np.asarray(z, dtype=np.float64), axis=-1)


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    return z - logsumexp(z, axis=-1, keepdims=True)


def mse_loss(y_pred, y):
    return np.square(np.subtract(y, y_pred, dtype=np.float64)).mean()


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.asarray(p, dtype=np.float64)
    np.clip(p, eps, 1.0 - eps, out=p)
    y = np.asarray(y, dtype=np.float64)
    return -(xlogy(y, p) + xlogy(1.0 - y, 1.0 - p)).mean()


def cross_entropy(logits, y):
    logits = np.asarray(logits, dtype=np.float64)
    picked = np.take_along_axis(logits, np.asarray(y).reshape(-1, 1), axis=1)[:, 0]
    return np.mean(logsumexp(logits, axis=1) - picked)


def softmax_loss(x, y):
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    loss = cross_entropy(x, y)
    dx = softmax(x)
    np.subtract.at(dx, (np.arange(n), np.asarray(y)), 1.0)
    return loss, dx / n


def l2_penalty(W, reg):
    return reg * np.linalg.norm(np.ravel(W)) ** 2 / 2.0


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    gen = np.random.Generator(np.random.PCG64(seed))
    blocks = []
    for j in range(n_classes):
        r = np.linspace(0, 1, n_per_class)
        t = np.linspace(4 * j, 4 * j + 4, n_per_class) + 0.2 * gen.normal(size=n_per_class)
        blocks.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return np.vstack(blocks), np.repeat(np.arange(n_classes), n_per_class)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    gen = np.random.Generator(np.random.PCG64(seed))
    W = gen.normal(0.0, 0.01, size=(X.shape[1], int(np.max(y)) + 1))
    b = np.zeros(W.shape[1])
    losses = []
    for it in range(n_iters):
        loss, ds = softmax_loss(X.dot(W) + b, y)
        losses.append(float(loss + l2_penalty(W, reg)))
        W, b = W - step_size * (X.T.dot(ds) + reg * W), b - step_size * ds.sum(axis=0)
    return W, b, losses
