import numpy as np


def softmax(z): return np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True))
def log_softmax(z): return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)
def mse_loss(y_pred, y): return np.square(y_pred - y).mean()
def binary_cross_entropy(p, y, eps=1e-12): return -np.where(y == 1, np.log(np.clip(p, eps, 1 - eps)), np.log1p(-np.clip(p, eps, 1 - eps))).mean()
def cross_entropy(logits, y): return -np.take_along_axis(log_softmax(logits), y[:, None], 1).mean()
def softmax_loss(x, y): return cross_entropy(x, y), (softmax(x) - np.eye(x.shape[1])[y]) / x.shape[0]
def l2_penalty(W, reg): return reg / 2 * (W * W).sum()


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    g = np.random.default_rng(seed)
    t = np.concatenate([np.linspace(4 * j, 4 * j + 4, n_per_class) + 0.2 * g.standard_normal(n_per_class) for j in range(n_classes)])
    r = np.tile(np.linspace(0, 1, n_per_class), n_classes)
    return np.c_[r * np.sin(t), r * np.cos(t)], np.arange(n_classes).repeat(n_per_class)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    W, b, losses = 0.01 * np.random.default_rng(seed).standard_normal((X.shape[1], y.max() + 1)), np.zeros(y.max() + 1), []
    for _ in range(n_iters):
        loss, d = softmax_loss(X @ W + b, y)
        losses.append(loss + l2_penalty(W, reg))
        W, b = W - step_size * (X.T @ d + reg * W), b - step_size * d.sum(axis=0)
    return W, b, losses
