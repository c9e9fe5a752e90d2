import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=float)
    z = z - np.max(z, axis=-1, keepdims=True)   # shift each row: exp never overflows
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(z):
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=-1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    return np.mean((y - y_pred) ** 2)


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def cross_entropy(logits, y):
    N = logits.shape[0]
    return -np.mean(log_softmax(logits)[np.arange(N), y])


def softmax_loss(x, y):
    N = x.shape[0]
    logp = log_softmax(x)
    loss = -np.mean(logp[np.arange(N), y])
    dx = np.exp(logp)
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    N, K = n_per_class, n_classes
    X = np.zeros((N * K, 2))
    y = np.zeros(N * K, dtype=int)
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2
        X[ix] = np.c_[r * np.cos(t), r * np.sin(t)]
        y[ix] = j
    return X, y


def l2_penalty(W, reg):
    return reg * np.sum(W ** 2)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.standard_normal((X.shape[1], np.max(y) + 1))
    b = np.zeros(W.shape[1])
    losses = []
    for it in range(n_iters):
        _, dscores = softmax_loss(X @ W + b, y)
        W = W - step_size * (X.T @ dscores + reg * W)
        b = b - step_size * dscores.sum(axis=0)
        loss, _ = softmax_loss(X @ W + b, y)
        losses.append(loss + l2_penalty(W, reg))
    return W, b, losses
