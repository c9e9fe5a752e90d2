"""Corpus: binary cross-entropy without clipping (log(0) for p exactly 0 or 1).

Written independently for this corpus, in the style of ok_vectorised.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=binary_cross_entropy
"""
import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(z):
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=-1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    return np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2)


def binary_cross_entropy(p, y, eps=1e-12):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def cross_entropy(logits, y):
    lp = log_softmax(logits)
    return -np.mean(lp[np.arange(len(y)), y])


def softmax_loss(x, y):
    n = x.shape[0]
    loss = cross_entropy(x, y)
    dx = softmax(x)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def l2_penalty(W, reg):
    return 0.5 * reg * np.sum(W * W)


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=int)
    for j in range(n_classes):
        ix = range(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1, n_per_class)
        t = np.linspace(j * 4, (j + 1) * 4, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    rng = np.random.default_rng(seed)
    D, K = X.shape[1], int(np.max(y)) + 1
    W = 0.01 * rng.standard_normal((D, K))
    b = np.zeros((1, K))
    losses = []
    for _ in range(n_iters):
        scores = X @ W + b
        data_loss, dscores = softmax_loss(scores, y)
        losses.append(data_loss + l2_penalty(W, reg))
        dW = X.T @ dscores + reg * W
        db = np.sum(dscores, axis=0, keepdims=True)
        W += -step_size * dW
        b += -step_size * db
    return W, b, losses
