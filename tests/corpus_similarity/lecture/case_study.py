"""The lecture's code for hw2 (CS231n's "minimal neural network case study", with numpy's
Generator instead of np.random.seed): students may copy it, so `grader similarity --allow`
takes it out of the comparison like the template."""
import numpy as np


def spiral_data(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    N, K, D = n_per_class, n_classes, 2  # points per class, classes, dimensions
    X = np.zeros((N * K, D))  # data matrix (each row = single example)
    y = np.zeros(N * K, dtype="uint8")  # class labels
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def train_linear_softmax(X, y, step_size=1.0, reg=1e-3, n_iters=200, seed=0):
    rng = np.random.default_rng(seed)
    D, K = X.shape[1], int(y.max()) + 1
    W = 0.01 * rng.standard_normal((D, K))
    b = np.zeros((1, K))
    num_examples = X.shape[0]
    losses = []
    for i in range(n_iters):
        # evaluate class scores, [N x K]
        scores = np.dot(X, W) + b
        # compute the class probabilities
        exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]
        # compute the loss: average cross-entropy loss and regularization
        correct_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(correct_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W)
        losses.append(data_loss + reg_loss)
        # compute the gradient on scores
        dscores = probs
        dscores[range(num_examples), y] -= 1
        dscores /= num_examples
        # backpropate the gradient to the parameters (W,b)
        dW = np.dot(X.T, dscores)
        db = np.sum(dscores, axis=0, keepdims=True)
        dW += reg * W  # regularization gradient
        # perform a parameter update
        W += -step_size * dW
        b += -step_size * db
    return W, b.ravel(), losses
