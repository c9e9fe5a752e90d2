"""The lab-iris reference solution, trained in-process (no sandbox), and its data file."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from grader.crossval import accuracy, load_iris_csv, repeated_stratified_kfold  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "assignments" / "lab-iris" / "data" / "iris.csv"
REFERENCE = ROOT / "reference" / "lab-iris" / "lab_iris.py"


@pytest.fixture(scope="module")
def lab_iris():
    spec = importlib.util.spec_from_file_location("lab_iris_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the sandbox; two threads on a busy 2-core machine are far slower
    yield
    torch.set_num_threads(before)


def test_data_file_matches_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = load_iris_csv(DATA)
    iris = datasets.load_iris()
    np.testing.assert_array_equal(X, iris.data.astype(np.float32))
    np.testing.assert_array_equal(y, iris.target)


def test_model_maps_raw_features_to_logits(lab_iris, one_thread):
    X, _ = load_iris_csv(DATA)
    torch.manual_seed(0)
    model = lab_iris.build_model()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linear) >= 3
    assert len({m.out_features for m in linear[:-1]}) >= 2
    logits = model(torch.from_numpy(X))
    assert logits.shape == (150, 3) and logits.dtype == torch.float32


def test_reference_reaches_090_held_out_fast(lab_iris, one_thread):
    X, y = load_iris_csv(DATA)
    train, test = repeated_stratified_kfold(y, n_splits=5, n_repeats=1, seed=0)[0]
    torch.manual_seed(0)
    start = time.perf_counter()
    model = lab_iris.train_model(lab_iris.build_model(), torch.from_numpy(X[train]), torch.from_numpy(y[train]))
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        acc = accuracy(model(torch.from_numpy(X[test])).numpy(), y[test])
    assert acc >= 0.9, f"held-out accuracy {acc:.3f}"
    assert seconds < 5.0, f"one training took {seconds:.1f} s on one thread (expected well under 1 s)"


def test_standardisation_uses_training_data_only(lab_iris, one_thread):
    X, y = load_iris_csv(DATA)
    train = np.arange(0, 150, 2)
    torch.manual_seed(0)
    model = lab_iris.train_model(lab_iris.build_model(), torch.from_numpy(X[train]), torch.from_numpy(y[train]))
    scaler = next(m for m in model.modules() if isinstance(m, lab_iris.Standardize))
    np.testing.assert_allclose(scaler.mean.numpy(), X[train].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaler.std.numpy(), X[train].std(axis=0, ddof=1), rtol=1e-5)
