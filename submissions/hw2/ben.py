"""HW2 -- Ben. Mostly the CS231n case study code."""
import numpy as np


def softmax(z):
    z = np.asarray(z, dtype=float)
    exp_scores = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exp_scores / np.sum(exp_scores, axis=-1, keepdims=True)


def log_softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def mse_loss(y_pred, y):
    return np.mean(np.square(np.asarray(y) - np.asarray(y_pred)))


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(p, eps, 1 - eps)
    return np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))


def cross_entropy(logits, y):
    num_examples = logits.shape[0]
    correct_logprobs = -log_softmax(logits)[range(num_examples), y]
    return np.sum(correct_logprobs) / num_examples


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def l2_penalty(W, reg):
    return 0.5 * reg * np.sum(W * W)


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    np.random.seed(seed)
    N, D, K = n_per_class, 2, n_classes
    X = np.zeros((N * K, D))
    y = np.zeros(N * K, dtype='uint8')
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    np.random.seed(seed)
    D, K = X.shape[1], int(np.max(y)) + 1
    W = 0.01 * np.random.randn(D, K)
    b = np.zeros((1, K))
    losses = []
    for i in range(n_iters):
        scores = np.dot(X, W) + b
        data_loss, dscores = softmax_loss(scores, y)
        reg_loss = 0.5 * reg * np.sum(W * W)
        losses.append(data_loss + reg_loss)
        if i % 10 == 0:
            print("iteration %d: loss %f" % (i, data_loss + reg_loss))
        dW = np.dot(X.T, dscores)
        db = np.sum(dscores, axis=0, keepdims=True)
        dW += reg * W
        W += -step_size * dW
        b += -step_size * db
    return W, b, losses


if __name__ == "__main__":
    X, y = spiral_data()
    W, b, losses = train_linear_softmax(X, y)
    print("training accuracy: %.2f" % np.mean(np.argmax(X @ W + b, axis=1) == y))
