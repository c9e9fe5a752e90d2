"""Correct: object-oriented layers (Affine, ReLU, SoftmaxCrossEntropy) with
forward/backward methods, an optimizer class per rule, index arithmetic for
the batches, and a dropout mask built with np.where on uniform draws.
"""
import numpy as np


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    n = len(X)
    perm = np.arange(n)
    if shuffle:
        perm = np.random.default_rng(seed).permutation(perm)
    n_batches = (n + batch_size - 1) // batch_size
    for b in range(n_batches):
        sel = perm[b * batch_size:min(n, (b + 1) * batch_size)]
        yield np.take(X, sel, axis=0), np.take(y, sel, axis=0)


def dropout_forward(x, dropout_param):
    mode = dropout_param.get("mode", "train")
    p = dropout_param["p"]
    if mode == "test":
        return x, {"mode": mode}
    gen = np.random.default_rng(dropout_param.get("seed", None))
    scale = 1.0 / (1.0 - p)
    mask = np.where(gen.random(size=x.shape) < p, 0.0, scale)
    return mask * x, {"mode": mode, "mask": mask}


def dropout_backward(dout, cache):
    return dout if cache["mode"] == "test" else cache["mask"] * dout


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = np.inf
        self.best_epoch = None
        self._epoch = 0
        self._since_best = 0

    def step(self, val_loss):
        if self.best - val_loss > self.min_delta:
            self.best = val_loss
            self.best_epoch = self._epoch
            self._since_best = 0
        else:
            self._since_best += 1
        self._epoch += 1
        return self._since_best >= self.patience


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class SoftmaxCrossEntropy:
    def forward(self, scores, y):
        shifted = scores - scores.max(axis=1, keepdims=True)
        self.probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        self.y = y
        return -np.log(self.probs[np.arange(len(y)), y]).mean()

    def backward(self):
        d = self.probs.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


class SGD:
    def __init__(self, lr=1.0):
        self.lr = lr

    def step(self, params, grads):
        for i, (p, g) in enumerate(zip(params, grads)):
            p -= self.lr * g  # in place: the layers hold the same arrays


class Adam:
    def __init__(self, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g ** 2
            m_hat = self.m[i] / (1 - self.beta1 ** self.t)
            v_hat = self.v[i] / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    opt = {"sgd": SGD, "adam": Adam}.get(optimizer)
    if opt is None:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', not {optimizer!r}")
    opt = opt()
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n_classes = int(y.max()) + 1
    fc1 = Affine(0.01 * rng.standard_normal((X.shape[1], hidden_size)), np.zeros(hidden_size))
    fc2 = Affine(0.01 * rng.standard_normal((hidden_size, n_classes)), np.zeros(n_classes))
    relu, head = ReLU(), SoftmaxCrossEntropy()
    reg = 1e-3
    losses = []
    for _ in range(n_epochs):
        data_loss = head.forward(fc2.forward(relu.forward(fc1.forward(X))), y)
        losses.append(data_loss + 0.5 * reg * (np.sum(fc1.W ** 2) + np.sum(fc2.W ** 2)))
        fc1.backward(relu.backward(fc2.backward(head.backward())))
        opt.step([fc1.W, fc1.b, fc2.W, fc2.b],
                 [fc1.dW + reg * fc1.W, fc1.db, fc2.dW + reg * fc2.W, fc2.db])
    predictions = fc2.forward(relu.forward(fc1.forward(X))).argmax(axis=1)
    return {
        "params": {"W1": fc1.W, "b1": fc1.b, "W2": fc2.W, "b2": fc2.b},
        "loss_history": losses,
        "train_acc": float(np.mean(predictions == y)),
    }
