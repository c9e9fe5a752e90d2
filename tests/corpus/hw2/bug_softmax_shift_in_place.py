"""Corpus: log_softmax (and so softmax) shifts the caller's logits in place (z -= max).

Written independently for this corpus, in the style of ok_einsum_onehot.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=log_softmax
"""
import numpy as np


def _onehot(y, k):
    return np.eye(k)[np.asarray(y, dtype=int)]


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z -= z.max(axis=-1, keepdims=True)
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


def softmax(z):
    return np.exp(log_softmax(z))


def mse_loss(y_pred, y):
    d = (np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)).ravel()
    return np.einsum("i,i->", d, d) / d.size


def binary_cross_entropy(p, y, eps=1e-12):
    q = np.minimum(np.maximum(np.asarray(p, dtype=float), eps), 1.0 - eps)
    y = np.asarray(y, dtype=float)
    return -(np.einsum("i,i->", y.ravel(), np.log(q).ravel()) + np.einsum("i,i->", (1.0 - y).ravel(), np.log1p(-q).ravel())) / q.size


def cross_entropy(logits, y):
    lp = log_softmax(logits)
    return -np.einsum("nk,nk->", _onehot(y, lp.shape[1]), lp) / lp.shape[0]


def softmax_loss(x, y):
    lp = log_softmax(x)
    n, k = lp.shape
    Y = _onehot(y, k)
    return -np.einsum("nk,nk->", Y, lp) / n, (np.exp(lp) - Y) / n


def l2_penalty(W, reg):
    W = np.asarray(W, dtype=float).ravel()
    return 0.5 * reg * np.einsum("i,i->", W, W)


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    np.random.seed(seed)
    N, K = n_per_class, n_classes
    r = np.tile(np.linspace(0.0, 1.0, N), K)
    t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), N) + 0.2 * np.random.randn(N) for j in range(K)])
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    y = np.repeat(np.arange(K), N)
    return X, y


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    np.random.seed(seed)
    n, d = X.shape
    k = int(y.max()) + 1
    W = 0.01 * np.random.randn(d, k)
    b = np.zeros(k)
    Y = _onehot(y, k)
    losses = []
    for _ in range(n_iters):
        lp = log_softmax(np.einsum("nd,dk->nk", X, W) + b)
        losses.append(float(-np.einsum("nk,nk->", Y, lp) / n + 0.5 * reg * np.einsum("dk,dk->", W, W)))
        ds = (np.exp(lp) - Y) / n
        W = W - step_size * (np.einsum("nd,nk->dk", X, ds) + reg * W)
        b = b - step_size * ds.sum(0)
    return W, b, losses
