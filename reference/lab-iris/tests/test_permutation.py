"""Hidden test, question "learning" (25 points): the label-permutation check.

A network that learns from the data it is given does well when trained on the
true labels and falls to chance (1/3) on held-out flowers when trained on
shuffled labels: shuffling breaks every link between features and labels. A
network that ignores its training labels, e.g. one that looks the answers up in
a copy of the public Iris table, scores as well after shuffling as before.

One stratified half of the data (75 flowers) is the training set, the other
half is held out. The submission is trained twice, with the same worker seed:

1. on the true labels: held-out accuracy ``accuracy_true`` must be >= 0.80;
2. on the same labels shuffled: held-out accuracy against the *true* labels,
   ``permutation_accuracy``, must be <= 0.70.

Thresholds: for the reference MLP over 200 random splits and permutations,
``permutation_accuracy`` had mean 0.34, std 0.09 and maximum 0.60, so 0.70 is
about 4 standard deviations above chance; a memoriser scores about 1.0.

Metrics recorded: ``permutation_accuracy``, and ``learns_from_labels`` (1.0
if both conditions hold, else 0.0; the leaderboard does not rank a submission
without 1.0). They are recorded before the assertions, so a failed check is
recorded too.
"""

from pathlib import Path

import pytest
import torch

from grader.crossval import accuracy, label_permutation, load_iris_csv, repeated_stratified_kfold
from grader.remote import seed

pytestmark = pytest.mark.question("learning")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"
SPLIT_SEED = 31  # which 75 flowers are the training set
PERMUTATION_SEED = 97  # how their labels are shuffled
WORKER_SEED = 2000
MIN_TRUE_ACCURACY = 0.80
MAX_PERMUTATION_ACCURACY = 0.70
TRAIN_TIMEOUT_S = 30


def _held_out_accuracy(submission, X, y_train_labels, y_test, train, test):
    seed(submission, WORKER_SEED)
    model = submission.build_model()
    model = submission.train_model(model, torch.from_numpy(X[train]), torch.from_numpy(y_train_labels))
    model.eval()
    return accuracy(model(torch.from_numpy(X[test])), y_test)


@pytest.mark.points(25)
@pytest.mark.call_timeout(TRAIN_TIMEOUT_S)
@pytest.mark.hint(
    "train_model must learn from the (X, y) it is given: the grader trains on shuffled labels "
    "and expects chance accuracy on held-out flowers."
)
def test_label_permutation(submission, record_metric):
    X, y = load_iris_csv(DATA)
    train, test = repeated_stratified_kfold(y, n_splits=2, n_repeats=1, seed=SPLIT_SEED)[0]
    shuffled = label_permutation(y[train], PERMUTATION_SEED)
    acc_true = _held_out_accuracy(submission, X, y[train], y[test], train, test)
    acc_perm = _held_out_accuracy(submission, X, shuffled, y[test], train, test)
    learns = acc_true >= MIN_TRUE_ACCURACY and acc_perm <= MAX_PERMUTATION_ACCURACY
    record_metric("permutation_accuracy", acc_perm)
    record_metric("learns_from_labels", 1.0 if learns else 0.0)
    assert acc_perm <= MAX_PERMUTATION_ACCURACY, (
        f"trained on shuffled labels, the network still scores {acc_perm:.3f} on held-out flowers "
        f"(chance is 0.33, limit {MAX_PERMUTATION_ACCURACY}): it does not learn from the labels it is "
        f"given (trained on the true labels it scores {acc_true:.3f})"
    )
    assert acc_true >= MIN_TRUE_ACCURACY, (
        f"trained on the true labels of 75 flowers, the network scores {acc_true:.3f} on the other 75, "
        f"below {MIN_TRUE_ACCURACY}: it barely learns, so the permutation check cannot pass"
    )
