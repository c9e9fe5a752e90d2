"""Correct: everything in float32 (inputs cast, parameters, optimizer state, loss).

float32 has a relative precision of about 6e-8: the gradient steps, Adam's
bias correction and the loss history stay within the tests' tolerances.
"""
import numpy as np

F = np.float32


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    n = len(y)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx].astype(F), y[idx]


def dropout_forward(x, dropout_param):
    x = np.asarray(x, dtype=F)
    p = F(dropout_param["p"])
    if dropout_param["mode"] == "test":
        return x, {"mode": "test"}
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape, dtype=F) >= p).astype(F) / (F(1) - p)
    return x * mask, {"mode": "train", "mask": mask}


def dropout_backward(dout, cache):
    dout = np.asarray(dout, dtype=F)
    if cache["mode"] == "test":
        return dout
    return dout * cache["mask"]


class EarlyStopping:
    # the losses are compared as given (Python floats): only the network is float32
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = np.inf
        self.best_epoch = None
        self._bad = 0
        self._t = 0

    def step(self, val_loss):
        if val_loss < self.best - self.min_delta:
            self.best, self.best_epoch, self._bad = val_loss, self._t, 0
        else:
            self._bad += 1
        self._t += 1
        return self._bad >= self.patience


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    if optimizer not in ("sgd", "adam"):
        raise ValueError(optimizer)
    X = np.asarray(X, dtype=F)
    y = np.asarray(y).astype(np.int64)
    n, d = X.shape
    k = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    P = {"W1": (F(0.01) * rng.standard_normal((d, hidden_size))).astype(F),
         "b1": np.zeros(hidden_size, F),
         "W2": (F(0.01) * rng.standard_normal((hidden_size, k))).astype(F),
         "b2": np.zeros(k, F)}
    reg, lr = F(1e-3), (F(1.0) if optimizer == "sgd" else F(1e-2))
    b1, b2, eps = F(0.9), F(0.999), F(1e-8)
    m = {key: np.zeros_like(w) for key, w in P.items()}
    v = {key: np.zeros_like(w) for key, w in P.items()}
    rows = np.arange(n)
    history = []
    for t in range(1, n_epochs + 1):
        h = np.maximum(F(0), X @ P["W1"] + P["b1"])
        s = h @ P["W2"] + P["b2"]
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[rows, y])) + F(0.5) * reg * (np.sum(P["W1"] ** 2) + np.sum(P["W2"] ** 2))
        history.append(float(loss))
        ds = probs.copy()
        ds[rows, y] -= F(1)
        ds /= F(n)
        dh = ds @ P["W2"].T
        dh[h <= 0] = F(0)
        g = {"W1": X.T @ dh + reg * P["W1"], "b1": dh.sum(0), "W2": h.T @ ds + reg * P["W2"], "b2": ds.sum(0)}
        for key in P:
            if optimizer == "sgd":
                P[key] = (P[key] - lr * g[key]).astype(F)
            else:
                m[key] = b1 * m[key] + (F(1) - b1) * g[key]
                v[key] = b2 * v[key] + (F(1) - b2) * g[key] * g[key]
                mh = m[key] / (F(1) - b1 ** t)
                vh = v[key] / (F(1) - b2 ** t)
                P[key] = (P[key] - lr * mh / (np.sqrt(vh) + eps)).astype(F)
    h = np.maximum(F(0), X @ P["W1"] + P["b1"])
    acc = np.mean(np.argmax(h @ P["W2"] + P["b2"], axis=1) == y)
    return {"params": P, "loss_history": np.array(history, dtype=F), "train_acc": F(acc)}
