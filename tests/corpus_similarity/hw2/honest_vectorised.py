import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=-1, keepdims=True)


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    diff = np.asarray(y, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return np.mean(diff ** 2)


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(y, dtype=np.float64)
    losses = y * np.log(p) + (1 - y) * np.log(1 - p)
    return -losses.mean()


def cross_entropy(logits, y):
    logp = log_softmax(logits)
    n = logp.shape[0]
    return -logp[np.arange(n), y].mean()


def softmax_loss(x, y):
    n = x.shape[0]
    probs = softmax(x)
    loss = cross_entropy(x, y)
    dx = probs.copy()
    dx[np.arange(n), y] -= 1.0
    dx /= n
    return loss, dx


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.empty(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        rows = slice(j * n_per_class, (j + 1) * n_per_class)
        r = np.linspace(0, 1, n_per_class)
        t = np.linspace(4 * j, 4 * (j + 1), n_per_class) + 0.2 * rng.standard_normal(n_per_class)
        X[rows, 0] = r * np.sin(t)
        X[rows, 1] = r * np.cos(t)
        y[rows] = j
    return X, y


def l2_penalty(W, reg):
    return 0.5 * reg * np.sum(W ** 2)


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    rng = np.random.default_rng(seed)
    D = X.shape[1]
    K = int(y.max()) + 1
    W = 0.01 * rng.standard_normal((D, K))
    b = np.zeros(K)
    losses = []
    for i in range(n_iters):
        scores = X @ W + b
        data_loss, dscores = softmax_loss(scores, y)
        losses.append(data_loss + l2_penalty(W, reg))
        dW = X.T @ dscores + reg * W
        db = dscores.sum(axis=0)
        W -= step_size * dW
        b -= step_size * db
    return W, b, losses
