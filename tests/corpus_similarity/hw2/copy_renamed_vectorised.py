import numpy as np


def softmax(z):
    arr = np.asarray(z, dtype=np.float64)
    moved = arr - arr.max(axis=-1, keepdims=True)
    ex = np.exp(moved)
    return ex / ex.sum(axis=-1, keepdims=True)


def log_softmax(z):
    arr = np.asarray(z, dtype=np.float64)
    moved = arr - arr.max(axis=-1, keepdims=True)
    return moved - np.log(np.exp(moved).sum(axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    delta = np.asarray(y, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return np.mean(delta ** 2)


def binary_cross_entropy(p, y, eps=1e-12):
    prob = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    target = np.asarray(y, dtype=np.float64)
    terms = target * np.log(prob) + (1 - target) * np.log(1 - prob)
    return -terms.mean()


def cross_entropy(logits, y):
    log_probs = log_softmax(logits)
    batch = log_probs.shape[0]
    return -log_probs[np.arange(batch), y].mean()


def softmax_loss(x, y):
    batch = x.shape[0]
    P = softmax(x)
    value = cross_entropy(x, y)
    grad = P.copy()
    grad[np.arange(batch), y] -= 1.0
    grad /= batch
    return value, grad


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    gen = np.random.default_rng(seed)
    pts = np.empty((n_per_class * n_classes, 2))
    lab = np.empty(n_per_class * n_classes, dtype=np.int64)
    for c in range(n_classes):
        part = slice(c * n_per_class, (c + 1) * n_per_class)
        rad = np.linspace(0, 1, n_per_class)
        ang = np.linspace(4 * c, 4 * (c + 1), n_per_class) + 0.2 * gen.standard_normal(n_per_class)
        pts[part, 0] = rad * np.sin(ang)
        pts[part, 1] = rad * np.cos(ang)
        lab[part] = c
    return pts, lab


def l2_penalty(W, reg):
    return 0.5 * reg * np.sum(W ** 2)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    gen = np.random.default_rng(seed)
    dim = X.shape[1]
    n_cls = int(y.max()) + 1
    weights = 0.01 * gen.standard_normal((dim, n_cls))
    bias = np.zeros(n_cls)
    history = []
    for step in range(n_iters):
        out = X @ weights + bias
        loss, dout = softmax_loss(out, y)
        history.append(loss + l2_penalty(weights, reg))
        d_weights = X.T @ dout + reg * weights
        d_bias = dout.sum(axis=0)
        weights -= step_size * d_weights
        bias -= step_size * d_bias
    return weights, bias, history
