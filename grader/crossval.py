"""Trusted-side evaluation helpers for competition labs: data, folds, accuracy.

Everything here runs in the trusted test process, never in the sandbox, and is
pure numpy (no torch, no scikit-learn), so hidden tests can split the data,
keep the held-out labels to themselves and score the logits a submission's
worker sends back.

The usual pattern in a hidden test::

    X, y = load_iris_csv(data_dir / "iris.csv")
    for train_idx, test_idx in repeated_stratified_kfold(y, n_splits=5, n_repeats=2, seed=7):
        model = submission.build_model()
        model = submission.train_model(
            model, torch.from_numpy(X[train_idx]), torch.from_numpy(y[train_idx])
        )
        model.eval()
        logits = model(torch.from_numpy(X[test_idx]))   # arrives as a numpy array
        acc = accuracy(logits, y[test_idx])   # y[test_idx] never leaves this process
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = [
    "IRIS_COLUMNS",
    "IRIS_SPECIES",
    "accuracy",
    "label_permutation",
    "load_iris_csv",
    "random_recoding",
    "repeated_stratified_kfold",
    "simulate_flowers",
]

#: Header of the vendored ``iris.csv``: four features in centimetres, then the species code.
IRIS_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width", "species")
#: Species names by code, as in ``sklearn.datasets.load_iris().target_names``.
IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def load_iris_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the Iris data (Fisher 1936) from the course's plain CSV file.

    The file has the header ``sepal_length,sepal_width,petal_length,petal_width,species``
    and one row per flower; the species is an integer code (0 setosa,
    1 versicolor, 2 virginica) or one of those names.

    Args:
        path: the CSV file, e.g. ``assignments/lab-iris/data/iris.csv``.

    Returns:
        ``(X, y)``: ``X`` float32 of shape (n, 4), the raw features in cm;
        ``y`` int64 of shape (n,), the species codes in {0, 1, 2}.

    Raises:
        ValueError: if the header, a row's length or a value is not as described
            (the message names the file and the line).
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or tuple(c.strip() for c in rows[0]) != IRIS_COLUMNS:
        raise ValueError(f"{path}: the header must be {','.join(IRIS_COLUMNS)}")
    features: list[list[float]] = []
    labels: list[int] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(IRIS_COLUMNS):
            raise ValueError(f"{path}:{lineno}: expected {len(IRIS_COLUMNS)} values, got {len(row)}")
        try:
            features.append([float(v) for v in row[:4]])
        except ValueError:
            raise ValueError(f"{path}:{lineno}: a feature is not a number: {row[:4]}") from None
        species = row[4].strip()
        if species in IRIS_SPECIES:
            labels.append(IRIS_SPECIES.index(species))
        elif species in ("0", "1", "2"):
            labels.append(int(species))
        else:
            raise ValueError(f"{path}:{lineno}: unknown species {species!r}")
    X = np.asarray(features, dtype=np.float32).reshape(-1, 4)
    y = np.asarray(labels, dtype=np.int64)
    return X, y


def _check_labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got dtype {y.dtype} and shape {y.shape}")
    return y


def repeated_stratified_kfold(
    y: np.ndarray, n_splits: int, n_repeats: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds for repeated stratified k-fold cross-validation.

    Each repeat shuffles the samples of every class (with a generator seeded by
    ``seed`` and the repeat number), lays the classes out one after the other
    and deals the samples to the folds in turn. So in every repeat each sample
    is in exactly one test fold, each class is spread over the folds as evenly
    as possible (counts differ by at most one, as in scikit-learn's
    ``StratifiedKFold``), and fold sizes differ by at most one.

    Args:
        y: int array of shape (n,), the class labels.
        n_splits: folds per repeat, at least 2 and at most the size of the
            smallest class.
        n_repeats: how many times to reshuffle, at least 1.
        seed: the same seed always gives the same folds.

    Returns:
        ``n_splits * n_repeats`` pairs ``(train_idx, test_idx)`` (repeat-major),
        sorted int64 index arrays into ``y`` that partition ``range(n)``.

    Raises:
        ValueError: on invalid labels or an impossible number of splits.
    """
    y = _check_labels(y)
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2, got {n_splits}")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}")
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < n_splits:
        raise ValueError(
            f"n_splits={n_splits} is more than the {counts.min()} samples of class "
            f"{classes[counts.argmin()]}: every test fold must hold every class"
        )
    n = y.shape[0]
    folds: list[tuple[np.ndarray, np.ndarray]] = []
    for repeat in range(n_repeats):
        rng = np.random.default_rng([seed, repeat])
        order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in classes])
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[order] = np.arange(n) % n_splits
        for k in range(n_splits):
            test = np.flatnonzero(fold_of == k).astype(np.int64)
            train = np.flatnonzero(fold_of != k).astype(np.int64)
            folds.append((train, test))
    return folds


def accuracy(logits: object, y: np.ndarray, *, n_classes: int = 3) -> float:
    """Fraction of rows whose largest logit is at the true class.

    Args:
        logits: float array of shape (n, n_classes), what the submission's model
            returned for n held-out samples (arrives from the worker as a numpy
            array; any real float or int dtype).
        y: int array of shape (n,), the true classes in ``range(n_classes)``.
        n_classes: the number of classes (3 for Iris).

    Returns:
        The accuracy in [0, 1]. Ties go to the lowest class index (``argmax``).

    Raises:
        AssertionError: with a message for the student if ``logits`` is not a
            numeric array of shape (n, n_classes) or holds NaN or infinity.
    """
    y = _check_labels(y)
    assert isinstance(logits, np.ndarray), (
        f"the model must return a tensor of logits, got {type(logits).__name__}"
    )
    assert logits.dtype.kind in "fiu", f"the logits must be numbers, got dtype {logits.dtype}"
    expected = (y.shape[0], n_classes)
    assert logits.shape == expected, (
        f"the logits must have shape {expected} (one row per sample, one column per class), "
        f"got {logits.shape}"
    )
    finite = np.isfinite(logits)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise AssertionError(
            f"the logits hold {int((~finite).sum())} NaN or infinite values, "
            f"the first at row {bad[0]}, column {bad[1]}: {logits[bad[0], bad[1]]}"
        )
    return float(np.mean(np.argmax(logits, axis=1) == y))


def label_permutation(y: np.ndarray, seed: int) -> np.ndarray:
    """A shuffled copy of the labels, for the label-permutation check.

    Shuffling keeps the class counts but breaks every link between a sample's
    features and its label. A model that really learns from ``(X, y)`` and is
    trained on ``(X, label_permutation(y, seed))`` is at chance on held-out
    data (about 1/3 for three balanced classes); a model that ignores its
    training labels (say, it looks the answers up in the public data set) is not.

    Args:
        y: int array of shape (n,).
        seed: the same seed always gives the same permutation.

    Returns:
        int array of shape (n,), same dtype and class counts as ``y``.
    """
    y = _check_labels(y)
    return np.random.default_rng(seed).permutation(y)


def random_recoding(seed: int, n_classes: int = 3) -> np.ndarray:
    """A random relabelling of the classes, never the identity: class ``c`` becomes ``code[c]``.

    A hidden test recodes the labels of every training run (training and
    held-out alike), so a network must learn which code means which species from
    the labels it is given. A cyclic shift would be guessable from one flower;
    a random permutation must be learnt (or inferred from the training labels,
    which is learning too).

    Args:
        seed: the same seed always gives the same code.
        n_classes: at least 2.

    Returns:
        int64 array of shape (n_classes,), a permutation of ``range(n_classes)``
        other than the identity. Apply it as ``code[y]``.
    """
    rng = np.random.default_rng(seed)
    identity = np.arange(n_classes)
    while True:
        code = rng.permutation(n_classes).astype(np.int64)
        if not np.array_equal(code, identity):
            return code


def simulate_flowers(X: np.ndarray, y: np.ndarray, n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """New flowers drawn from the species' distributions as measured on ``(X, y)``.

    For each class ``c``, ``n_per_class`` flowers are drawn from the normal
    distribution with the mean and the covariance (``np.cov``, unbiased) of the
    rows of ``X`` labelled ``c``, and labelled ``c``.

    Why: the 150 Iris flowers are public, so any evaluation on them can be looked
    up. Flowers simulated from a run's training flowers are in no table, and the
    distribution they come from is a function of the training data alone. The
    lab trains on all 150 flowers and scores on flowers simulated from them, so
    a copy of the public table tells a submission nothing its training data
    does not. Measured with the lab's hidden test (10 runs of 300 flowers):
    the reference MLP 0.981; the same MLP trained on the public table instead
    of its training data 0.981 (the same thing); a nearest-neighbour lookup of
    the table written into whitelisted layers 0.970. With 120 training flowers
    per fold and flowers simulated from them instead, the reference scored
    0.981 and the reference trained on all 150 public flowers 0.982: held-out
    real flowers, even unused, are worth something to a table.

    Args:
        X: float array of shape (n, d), the training features.
        y: int array of shape (n,), their classes in ``range(k)``; every class
            needs more than ``d`` rows (a full-rank covariance).
        n_per_class: flowers drawn per class.
        seed: the same seed always gives the same flowers.

    Returns:
        ``(Z, labels)``: ``Z`` float32 of shape (k * n_per_class, d), class by
        class; ``labels`` int64 of shape (k * n_per_class,).

    Raises:
        ValueError: on invalid labels, or a class with too few rows.
    """
    y = _check_labels(y)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must have shape (n, d) with n = {y.shape[0]}, got {X.shape}")
    rng = np.random.default_rng(seed)
    features, labels = [], []
    for c in np.unique(y):
        rows = X[y == c]
        if rows.shape[0] <= X.shape[1]:
            raise ValueError(f"class {c} has {rows.shape[0]} rows: more than {X.shape[1]} are needed")
        features.append(rng.multivariate_normal(rows.mean(axis=0), np.cov(rows, rowvar=False), size=n_per_class))
        labels.append(np.full(n_per_class, c, dtype=np.int64))
    return np.concatenate(features).astype(np.float32), np.concatenate(labels)
