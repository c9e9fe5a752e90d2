"""hw5 -- Ben. Written the CS231n way (np.random.seed, loops)."""
import numpy as np


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    indices = np.arange(len(X))
    if shuffle:
        if seed is not None:
            np.random.seed(seed)
        np.random.shuffle(indices)
    start = 0
    while start < len(indices):
        excerpt = indices[start:start + batch_size]
        yield X[excerpt], y[excerpt]
        start += batch_size


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    q = 1.0 - p  # keep probability
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < q) / q
        out = x * mask
    elif mode == "test":
        out = x
    else:
        raise ValueError("mode must be 'train' or 'test'")
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout * mask
    elif mode == "test":
        dx = dout
    return dx


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = None
        self.best_epoch = None
        self.counter = 0
        self.n_calls = 0

    def step(self, val_loss):
        epoch = self.n_calls
        self.n_calls += 1
        if self.best is None:
            if val_loss == val_loss:  # not NaN
                self.best = val_loss
                self.best_epoch = epoch
            else:
                self.counter += 1
        elif val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.best_epoch = epoch
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience


def train_spiral(X, y, hidden_size=100, optimizer="sgd", n_epochs=3000, seed=0):
    if optimizer != "sgd" and optimizer != "adam":
        raise ValueError("optimizer must be 'sgd' or 'adam'")
    np.random.seed(seed)
    num_examples, D = X.shape
    K = int(np.max(y)) + 1
    h = hidden_size
    W = 0.01 * np.random.randn(D, h)
    b = np.zeros((1, h))
    W2 = 0.01 * np.random.randn(h, K)
    b2 = np.zeros((1, K))
    step_size = 1.0
    reg = 1e-3
    onehot = np.zeros((num_examples, K))
    onehot[np.arange(num_examples), y] = 1.0

    state = {}
    loss_history = []
    for i in range(n_epochs):
        hidden_layer = np.maximum(0, np.dot(X, W) + b)
        scores = np.dot(hidden_layer, W2) + b2
        exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        correct_logprobs = -np.log(np.sum(probs * onehot, axis=1))
        data_loss = np.sum(correct_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
        loss_history.append(data_loss + reg_loss)

        dscores = (probs - onehot) / num_examples
        dW2 = np.dot(hidden_layer.T, dscores)
        db2 = np.sum(dscores, axis=0, keepdims=True)
        dhidden = np.dot(dscores, W2.T)
        dhidden[hidden_layer <= 0] = 0
        dW = np.dot(X.T, dhidden)
        db = np.sum(dhidden, axis=0, keepdims=True)
        dW2 += reg * W2
        dW += reg * W

        params = [W, b, W2, b2]
        grads = [dW, db, dW2, db2]
        if optimizer == "sgd":
            for j in range(4):
                params[j] += -step_size * grads[j]
        else:
            state["t"] = state.get("t", 0) + 1
            t = state["t"]
            for j in range(4):
                m = state.get(("m", j), 0.0)
                v = state.get(("v", j), 0.0)
                m = 0.9 * m + (1 - 0.9) * grads[j]
                v = 0.999 * v + (1 - 0.999) * (grads[j] ** 2)
                state[("m", j)], state[("v", j)] = m, v
                mt = m / (1 - 0.9 ** t)
                vt = v / (1 - 0.999 ** t)
                params[j] += -1e-2 * mt / (np.sqrt(vt) + 1e-8)

    hidden_layer = np.maximum(0, np.dot(X, W) + b)
    scores = np.dot(hidden_layer, W2) + b2
    predicted_class = np.argmax(scores, axis=1)
    train_acc = np.mean(predicted_class == y)
    return {
        "params": {"W1": W, "b1": b.ravel(), "W2": W2, "b2": b2.ravel()},
        "loss_history": loss_history,
        "train_acc": train_acc,
    }


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    print(train_spiral(X, y, n_epochs=200)["train_acc"])
