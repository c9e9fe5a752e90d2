"""Tests for grader.crossval: the vendored Iris file, folds, accuracy, permutation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.crossval import (
    IRIS_COLUMNS,
    accuracy,
    label_permutation,
    load_iris_csv,
    random_recoding,
    repeated_stratified_kfold,
    simulate_flowers,
)

ROOT = Path(__file__).resolve().parents[1]
IRIS_CSV = ROOT / "assignments" / "lab-iris" / "data" / "iris.csv"


# --- load_iris_csv ----------------------------------------------------------------


def test_vendored_iris_matches_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = load_iris_csv(IRIS_CSV)
    ref = datasets.load_iris()
    assert X.dtype == np.float32 and X.shape == (150, 4)
    assert y.dtype == np.int64 and y.shape == (150,)
    np.testing.assert_array_equal(X, ref.data.astype(np.float32))
    np.testing.assert_array_equal(y, ref.target)
    assert np.bincount(y).tolist() == [50, 50, 50]


def test_load_iris_csv_accepts_species_names(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text(",".join(IRIS_COLUMNS) + "\n5.1,3.5,1.4,0.2,setosa\n6.3,3.3,6.0,2.5,virginica\n")
    X, y = load_iris_csv(path)
    np.testing.assert_array_equal(X, np.array([[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]], np.float32))
    assert y.tolist() == [0, 2]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("a,b,c,d,e\n1,2,3,4,0\n", "header"),
        (",".join(IRIS_COLUMNS) + "\n1,2,3,0\n", "expected 5 values"),
        (",".join(IRIS_COLUMNS) + "\n1,x,3,4,0\n", "not a number"),
        (",".join(IRIS_COLUMNS) + "\n1,2,3,4,rose\n", "unknown species"),
    ],
)
def test_load_iris_csv_rejects_bad_files(tmp_path, text, problem):
    path = tmp_path / "iris.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_iris_csv(path)


# --- repeated_stratified_kfold ------------------------------------------------------


@pytest.fixture
def iris_y():
    return np.repeat(np.arange(3), 50).astype(np.int64)


@pytest.mark.parametrize("n_splits, n_repeats", [(5, 2), (3, 1), (10, 3)])
def test_every_sample_in_exactly_one_test_fold_per_repeat(iris_y, n_splits, n_repeats):
    folds = repeated_stratified_kfold(iris_y, n_splits, n_repeats, seed=0)
    assert len(folds) == n_splits * n_repeats
    for r in range(n_repeats):
        tests = [test for _, test in folds[r * n_splits : (r + 1) * n_splits]]
        np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(150))
    for train, test in folds:
        assert train.dtype == np.int64 and test.dtype == np.int64
        assert np.intersect1d(train, test).size == 0
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(150))


def test_folds_are_stratified_like_sklearn():
    model_selection = pytest.importorskip("sklearn.model_selection")
    rng = np.random.default_rng(3)
    y = rng.permutation(np.repeat(np.arange(3), [40, 33, 27])).astype(np.int64)
    ours = repeated_stratified_kfold(y, n_splits=5, n_repeats=1, seed=1)
    theirs = model_selection.StratifiedKFold(n_splits=5, shuffle=True, random_state=1).split(
        np.zeros((y.size, 1)), y
    )
    ours_counts = sorted(tuple(np.bincount(y[test], minlength=3)) for _, test in ours)
    theirs_counts = sorted(tuple(np.bincount(y[test], minlength=3)) for _, test in theirs)
    assert ours_counts == theirs_counts
    sizes = [test.size for _, test in ours]
    assert max(sizes) - min(sizes) <= 1


def test_folds_are_deterministic_and_repeats_differ(iris_y):
    a = repeated_stratified_kfold(iris_y, 5, 2, seed=11)
    b = repeated_stratified_kfold(iris_y, 5, 2, seed=11)
    c = repeated_stratified_kfold(iris_y, 5, 2, seed=12)
    for (tr_a, te_a), (tr_b, te_b) in zip(a, b):
        np.testing.assert_array_equal(tr_a, tr_b)
        np.testing.assert_array_equal(te_a, te_b)
    assert not np.array_equal(a[0][1], a[5][1]), "the two repeats must shuffle differently"
    assert not np.array_equal(a[0][1], c[0][1]), "another seed must give other folds"


@pytest.mark.parametrize(
    "y, n_splits, n_repeats, problem",
    [
        (np.array([0, 0, 1, 1]), 3, 1, "more than the 2 samples"),
        (np.array([0, 1, 0, 1]), 1, 1, "at least 2"),
        (np.array([0, 1, 0, 1]), 2, 0, "n_repeats"),
        (np.array([0.0, 1.0]), 2, 1, "integer"),
    ],
)
def test_kfold_rejects_impossible_requests(y, n_splits, n_repeats, problem):
    with pytest.raises(ValueError, match=problem):
        repeated_stratified_kfold(y, n_splits, n_repeats, seed=0)


# --- accuracy ---------------------------------------------------------------------


def test_accuracy_is_argmax_agreement():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [0.1, 0.2, 0.0], [1.0, 1.0, 1.0]], np.float32)
    assert accuracy(logits, np.array([0, 2, 0, 0])) == pytest.approx(0.75)


@pytest.mark.parametrize(
    "logits, problem",
    [
        ([[1.0, 0.0, 0.0]] * 2, "tensor of logits"),
        (np.zeros((2, 2)), r"shape \(2, 3\)"),
        (np.zeros(6), r"shape \(2, 3\)"),
        (np.zeros((3, 3)), r"shape \(2, 3\)"),
        (np.array([[0.0, np.nan, 0.0], [0.0, 0.0, 0.0]]), "row 0, column 1"),
        (np.array([[0.0, 0.0, 0.0], [np.inf, 0.0, 0.0]]), "row 1, column 0"),
        (np.array([["a", "b", "c"]] * 2), "numbers"),
    ],
)
def test_accuracy_rejects_bad_logits(logits, problem):
    with pytest.raises(AssertionError, match=problem):
        accuracy(logits, np.array([0, 1]))


# --- label_permutation --------------------------------------------------------------


def test_label_permutation_keeps_counts_and_breaks_the_link(iris_y):
    shuffled = label_permutation(iris_y, seed=5)
    assert shuffled.dtype == iris_y.dtype and shuffled.shape == iris_y.shape
    np.testing.assert_array_equal(np.bincount(shuffled), np.bincount(iris_y))
    assert np.mean(shuffled == iris_y) < 0.5
    np.testing.assert_array_equal(shuffled, label_permutation(iris_y, seed=5))
    assert not np.array_equal(shuffled, label_permutation(iris_y, seed=6))


# --- random_recoding and simulate_flowers ------------------------------------------


def test_random_recoding_is_a_permutation_but_never_the_identity():
    codes = {tuple(random_recoding(seed)) for seed in range(200)}
    assert codes == {(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)}  # all 5, no identity
    assert np.array_equal(random_recoding(7), random_recoding(7))
    assert random_recoding(7).dtype == np.int64


def test_simulated_flowers_follow_each_class_of_the_training_data():
    X, y = load_iris_csv(IRIS_CSV)
    Z, labels = simulate_flowers(X, y, 4000, seed=1)
    assert Z.dtype == np.float32 and Z.shape == (12000, 4)
    assert labels.dtype == np.int64 and np.array_equal(np.bincount(labels), [4000] * 3)
    for c in range(3):
        assert np.allclose(Z[labels == c].mean(0), X[y == c].mean(0), atol=0.03)
        assert np.allclose(np.cov(Z[labels == c], rowvar=False), np.cov(X[y == c], rowvar=False), atol=0.02)
    # new flowers: none of them is a row of the public table
    nearest = np.abs(Z[:, None, :] - X[None, :, :]).max(axis=2).min(axis=1)
    assert nearest.min() > 1e-4


def test_simulated_flowers_are_reproducible_and_depend_only_on_the_data_given():
    X, y = load_iris_csv(IRIS_CSV)
    a = simulate_flowers(X, y, 10, seed=3)
    b = simulate_flowers(X, y, 10, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    other = simulate_flowers(X[:100], y[:100], 10, seed=3)  # setosa and versicolor only
    assert set(other[1].tolist()) == {0, 1}


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((6, 4)), np.array([0, 0, 0, 1, 1, 1]), "more than 4 are needed"),
    (np.zeros((6,)), np.zeros(6, dtype=np.int64), "shape"),
    (np.zeros((6, 4)), np.zeros(6), "integer"),
])
def test_simulate_flowers_rejects_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        simulate_flowers(X, y, 5, seed=0)
