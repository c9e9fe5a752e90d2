"""Correct: one row at a time, with Python loops and the math module.

Every function walks the rows (and entries) explicitly; the numerically
stable forms are the same as the lecture's (max shift, log-sum-exp, clipping).
The trainer accumulates the gradient example by example.
"""
import math
import random

import numpy as np


def _softmax_row(row):
    m = max(row)
    exps = [math.exp(v - m) for v in row]
    s = sum(exps)
    return [e / s for e in exps]


def _log_softmax_row(row):
    m = max(row)
    log_z = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - log_z for v in row]


def _rows(z, f):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return np.array(f(list(z)))
    return np.array([f(list(row)) for row in z])


def softmax(z):
    return _rows(z, _softmax_row)


def log_softmax(z):
    return _rows(z, _log_softmax_row)


def mse_loss(y_pred, y):
    a, b = np.ravel(y_pred), np.ravel(y)
    total = 0.0
    for i in range(len(a)):
        total += (float(b[i]) - float(a[i])) ** 2
    return total / len(a)


def binary_cross_entropy(p, y, eps=1e-12):
    ps, ys = np.ravel(p), np.ravel(y)
    total = 0.0
    for pi, yi in zip(ps, ys):
        pi = min(max(float(pi), eps), 1 - eps)
        total += -(yi * math.log(pi) + (1 - yi) * math.log(1 - pi))
    return total / len(ps)


def cross_entropy(logits, y):
    total = 0.0
    for row, label in zip(np.asarray(logits, dtype=float), y):
        total -= _log_softmax_row(list(row))[int(label)]
    return total / len(y)


def softmax_loss(x, y):
    n = len(y)
    loss, dx = 0.0, []
    for row, label in zip(np.asarray(x, dtype=float), y):
        loss -= _log_softmax_row(list(row))[int(label)]
        g = _softmax_row(list(row))
        g[int(label)] -= 1.0
        dx.append([v / n for v in g])
    return loss / n, np.array(dx)


def l2_penalty(W, reg):
    return 0.5 * reg * sum(float(w) ** 2 for w in np.ravel(W))


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    gen = random.Random(seed)
    X, y = [], []
    for j in range(n_classes):
        for i in range(n_per_class):
            r = i / (n_per_class - 1) if n_per_class > 1 else 0.0
            t = 4 * j + 4 * i / (n_per_class - 1) + 0.2 * gen.gauss(0.0, 1.0)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(j)
    return np.array(X), np.array(y)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    k = max(int(v) for v in y) + 1
    gen = random.Random(seed)
    W = [[0.01 * gen.gauss(0.0, 1.0) for _ in range(k)] for _ in range(d)]
    b = [0.0] * k
    losses = []
    for _ in range(n_iters):
        dW = [[reg * W[a][c] for c in range(k)] for a in range(d)]
        db = [0.0] * k
        data_loss = 0.0
        for i in range(n):
            xi = X[i]
            scores = [b[c] + sum(xi[a] * W[a][c] for a in range(d)) for c in range(k)]
            data_loss -= _log_softmax_row(scores)[int(y[i])] / n
            g = _softmax_row(scores)
            g[int(y[i])] -= 1.0
            for c in range(k):
                db[c] += g[c] / n
                for a in range(d):
                    dW[a][c] += xi[a] * g[c] / n
        losses.append(data_loss + 0.5 * reg * sum(w * w for row in W for w in row))
        W = [[W[a][c] - step_size * dW[a][c] for c in range(k)] for a in range(d)]
        b = [b[c] - step_size * db[c] for c in range(k)]
    return np.array(W), np.array(b), losses
