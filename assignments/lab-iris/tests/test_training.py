"""Public test, question "accuracy": one quick training on a fixed split.

The hidden tests re-train your network many times under cross-validation;
this is the quick version: train on 120 flowers, score the other 30.
"""

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.competition import check_network
from grader.crossval import accuracy, load_iris_csv, repeated_stratified_kfold
from grader.remote import RemoteObject, seed, type_name
from grader.testing import fresh_run

pytestmark = pytest.mark.question("accuracy")

DATA = Path(__file__).resolve().parents[1] / "data" / "iris.csv"
SPLIT_SEED = 7  # which 30 flowers are held out
WORKER_SEED = 0  # seeds random, numpy and torch in your code before it runs
MIN_ACCURACY = 0.70
TRAIN_TIMEOUT_S = 30


@pytest.mark.points(4)
@pytest.mark.call_timeout(TRAIN_TIMEOUT_S)
@pytest.mark.hint(
    "train_model(model, X, y) must run the 5-step loop (forward, loss, zero_grad, backward, step) "
    "and return the trained model; standardise the raw features and train for enough epochs."
)
def test_quick_train_and_evaluate(submission):
    X, y = load_iris_csv(DATA)
    train, test = repeated_stratified_kfold(y, n_splits=5, n_repeats=1, seed=SPLIT_SEED)[0]
    with fresh_run(submission):  # as in grading: every training starts from a freshly loaded copy
        seed(submission, WORKER_SEED)
        model = submission.build_model()
        start = time.perf_counter()
        model = submission.train_model(model, torch.from_numpy(X[train]), torch.from_numpy(y[train]))
        seconds = time.perf_counter() - start
        assert isinstance(model, RemoteObject), (
            f"train_model must return the trained network (a torch.nn.Module), got {type_name(model)}"
        )
        model.eval()
        acc = accuracy(check_network(model, X).logits(X[test]), y[test])
    assert acc >= MIN_ACCURACY, (
        f"held-out accuracy {acc:.3f} on 30 flowers is below {MIN_ACCURACY} "
        f"(training took {seconds:.1f} s)"
    )
