"""Public test, question "spiral": the lecture's goal, >= 95% training accuracy."""

import numpy as np
import pytest

pytestmark = pytest.mark.question("spiral")


def _spiral(n_per_class=100, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + 0.2 * rng.standard_normal(n_per_class)
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


@pytest.mark.points(2)
@pytest.mark.call_timeout(90)
@pytest.mark.hint("With the defaults (3000 epochs of SGD, step size 1.0) the loss should fall to about 0.25.")
def test_sgd_reaches_95_percent(submission):
    X, y = _spiral()
    accuracies = []
    for seed in (0, 1):  # a rare loss spike at the last epoch gets a second chance with seed=1
        result = submission.train_spiral(X, y) if seed == 0 else submission.train_spiral(X, y, seed=seed)
        P = {k: np.asarray(result["params"][k], dtype=float) for k in ("W1", "b1", "W2", "b2")}
        scores = np.maximum(0.0, X @ P["W1"] + P["b1"]) @ P["W2"] + P["b2"]
        accuracies.append(float(np.mean(scores.argmax(axis=1) == y)))
        if accuracies[-1] >= 0.95:
            return
    raise AssertionError(f"the trained network classifies {accuracies} of the spiral correctly; it should reach 0.95")
