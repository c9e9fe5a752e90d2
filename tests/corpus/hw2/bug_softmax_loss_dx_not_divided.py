"""Corpus: softmax_loss whose dx is not divided by N (the gradient of the summed loss).

Written independently for this corpus, in the style of ok_loops.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=softmax_loss
"""
import math

import numpy as np


def _softmax_row(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def _log_softmax_row(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - lse for v in row]


def _rows(z, fn):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return np.array(fn(list(z)))
    return np.array([fn(list(r)) for r in z])


def softmax(z):
    return _rows(z, _softmax_row)


def log_softmax(z):
    return _rows(z, _log_softmax_row)


def mse_loss(y_pred, y):
    a, b = np.ravel(y_pred), np.ravel(y)
    return sum((a[i] - b[i]) ** 2 for i in range(a.size)) / a.size


def binary_cross_entropy(p, y, eps=1e-12):
    total = 0.0
    pf, yf = np.ravel(p), np.ravel(y)
    for pi, yi in zip(pf, yf):
        pi = min(max(pi, eps), 1 - eps)
        total += yi * math.log(pi) + (1 - yi) * math.log(1 - pi)
    return -total / pf.size


def cross_entropy(logits, y):
    logits = np.asarray(logits, dtype=float)
    return -sum(_log_softmax_row(list(logits[i]))[int(y[i])] for i in range(len(y))) / len(y)


def softmax_loss(x, y):
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(n):
        lp = _log_softmax_row(list(x[i]))
        loss -= lp[int(y[i])]
        for k in range(x.shape[1]):
            dx[i, k] = math.exp(lp[k]) - (1.0 if k == y[i] else 0.0)
    return loss / n, dx


def l2_penalty(W, reg):
    return 0.5 * reg * sum(float(w) ** 2 for w in np.ravel(W))


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rs = np.random.RandomState(seed)
    pts, labels = [], []
    for j in range(n_classes):
        noise = rs.randn(n_per_class)
        for i in range(n_per_class):
            r = i / (n_per_class - 1) if n_per_class > 1 else 0.0
            t = 4 * j + 4 * i / (n_per_class - 1) + 0.2 * noise[i] if n_per_class > 1 else 4 * j + 0.2 * noise[i]
            pts.append((r * math.sin(t), r * math.cos(t)))
            labels.append(j)
    return np.array(pts), np.array(labels)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    k = int(max(y)) + 1
    W = 0.01 * np.random.RandomState(seed).randn(d, k)
    b = np.zeros(k)
    losses = []
    for _ in range(n_iters):
        scores = X @ W + b
        loss, ds = softmax_loss(scores, y)
        losses.append(loss + 0.5 * reg * np.sum(W ** 2))
        dW = X.T @ ds + reg * W
        db = ds.sum(axis=0)
        W = W - step_size * dW
        b = b - step_size * db
    return W, b, losses
