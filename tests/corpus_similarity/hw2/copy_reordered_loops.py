import math

import numpy as np


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    rng = np.random.default_rng(seed)
    n_features = X.shape[1]
    n_classes = int(max(y)) + 1
    W = 0.01 * rng.standard_normal((n_features, n_classes))
    b = np.zeros(n_classes)
    history = []
    it = 0
    while it < n_iters:
        loss, grad = softmax_loss(X.dot(W) + b, y)
        history.append(loss + l2_penalty(W, reg))
        W = W - step_size * (X.T.dot(grad) + reg * W)
        b = b - step_size * grad.sum(axis=0)
        it += 1
    return W, b, history


def l2_penalty(W, reg):
    total = 0.0
    for w in np.ravel(W):
        total += w * w
    return 0.5 * reg * total


def softmax_loss(x, y):
    n, c = x.shape
    p = softmax(x)
    dx = np.zeros((n, c))
    for i in range(n):
        for k in range(c):
            dx[i, k] = p[i, k] / n
        dx[i, y[i]] -= 1.0 / n
    return cross_entropy(x, y), dx


def cross_entropy(logits, y):
    lp = log_softmax(logits)
    s = 0.0
    for i in range(len(y)):
        s -= lp[i, y[i]]
    return s / len(y)


def log_softmax(z):
    z = np.array(z, dtype=float)
    flat = z.reshape(-1, z.shape[-1])
    out = np.zeros_like(flat)
    for i in range(flat.shape[0]):
        biggest = max(flat[i])
        lse = biggest + math.log(sum(math.exp(v - biggest) for v in flat[i]))
        for k in range(flat.shape[1]):
            out[i, k] = flat[i, k] - lse
    return out.reshape(z.shape)


def softmax(z):
    z = np.array(z, dtype=float)
    flat = z.reshape(-1, z.shape[-1])
    out = np.zeros_like(flat)
    for i in range(flat.shape[0]):
        biggest = max(flat[i])
        total = 0.0
        for k in range(flat.shape[1]):
            out[i, k] = math.exp(flat[i, k] - biggest)
            total += out[i, k]
        for k in range(flat.shape[1]):
            out[i, k] /= total
    return out.reshape(z.shape)


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    points = []
    labels = []
    for j in range(n_classes):
        noise = rng.standard_normal(n_per_class)
        radii = np.linspace(0, 1, n_per_class)
        angles = np.linspace(4 * j, 4 * (j + 1), n_per_class)
        for i in range(n_per_class):
            t = angles[i] + 0.2 * noise[i]
            points.append([radii[i] * math.sin(t), radii[i] * math.cos(t)])
            labels.append(j)
    return np.array(points), np.array(labels, dtype=int)


def binary_cross_entropy(p, y, eps=1e-12):
    ps = np.ravel(p)
    ys = np.ravel(y)
    s = 0.0
    for i in range(len(ps)):
        q = min(max(float(ps[i]), eps), 1 - eps)
        if ys[i] == 1:
            s -= math.log(q)
        else:
            s -= math.log(1 - q)
    return s / len(ps)


def mse_loss(y_pred, y):
    a = np.ravel(y_pred)
    b = np.ravel(y)
    s = 0.0
    for i in range(len(a)):
        s += (b[i] - a[i]) ** 2
    return s / len(a)
