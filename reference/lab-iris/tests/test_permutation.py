"""Hidden test, question "learning" (25 points): the label-permutation check.

A network that learns from the data it is given does well when trained on the
true labels and falls to chance (1/3) on held-out flowers when trained on
shuffled labels: shuffling breaks every link between features and labels. A
network that ignores its training labels, e.g. one that looks the answers up in
a copy of the public Iris table, scores as well after shuffling as before.

One stratified half of the data (75 flowers) is the training set, the other
half is held out. The submission is trained three times:

1. on the true labels: held-out accuracy must be >= 0.70 (it learns at all;
   a network that predicts one class, or noise, would pass the check below);
2. twice on shuffled labels (two permutations, two worker seeds): held-out
   accuracy against the *true* labels; the lower of the two,
   ``permutation_accuracy``, must be <= 0.70.

Why two shuffled runs and the lower one: a briefly trained network hardly moves
from its random initialisation, and an initialisation can split the flowers
along petal size in the species' order by luck. For a 4-64-32-3 tanh network
trained 100 SGD steps, one shuffled run scored above 0.70 in 4 of 100 splits;
luck does not repeat with another seed, while a memoriser scores about 1.0
every time. Measured over 150 splits (3 trainings each): the reference MLP
scored >= 0.91 on true labels and at most 0.49 as the lower shuffled run; the
briefly trained network >= 0.76 and at most 0.68; none failed the check.

Metrics recorded: ``permutation_accuracy``, and ``learns_from_labels`` (1.0
if the shuffled runs fall to at most 0.70, else 0.0: the network scores well
without its labels; the leaderboard does not rank a submission without 1.0).
The points need both conditions. They are recorded before the assertions, so a failed check is
recorded too.
"""

from pathlib import Path

import pytest
import torch

from grader.crossval import accuracy, label_permutation, load_iris_csv, repeated_stratified_kfold
from grader.remote import RemoteObject, seed, type_name

pytestmark = pytest.mark.question("learning")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"
SPLIT_SEED = 31  # which 75 flowers are the training set
PERMUTATION_SEEDS = (97, 98)  # how their labels are shuffled, one per shuffled run
WORKER_SEED = 2000  # run i seeds the worker with WORKER_SEED + i
MIN_TRUE_ACCURACY = 0.70
MAX_PERMUTATION_ACCURACY = 0.70
TRAIN_TIMEOUT_S = 30


@pytest.mark.points(25)
@pytest.mark.call_timeout(TRAIN_TIMEOUT_S)
@pytest.mark.hint(
    "train_model must learn from the (X, y) it is given: the grader also trains on shuffled labels "
    "and expects chance accuracy on held-out flowers."
)
def test_label_permutation(submission, record_metric):
    X, y = load_iris_csv(DATA)
    train, test = repeated_stratified_kfold(y, n_splits=2, n_repeats=1, seed=SPLIT_SEED)[0]

    def held_out_accuracy(run, train_labels):
        seed(submission, WORKER_SEED + run)
        model = submission.build_model()
        model = submission.train_model(model, torch.from_numpy(X[train]), torch.from_numpy(train_labels))
        assert isinstance(model, RemoteObject), (
            f"train_model must return the trained network (a torch.nn.Module), got {type_name(model)}"
        )
        model.eval()
        return accuracy(model(torch.from_numpy(X[test])), y[test])

    acc_true = held_out_accuracy(0, y[train])
    shuffled = [
        held_out_accuracy(1 + i, label_permutation(y[train], s)) for i, s in enumerate(PERMUTATION_SEEDS)
    ]
    acc_perm = min(shuffled)
    # the leaderboard's flag is about memorising (scoring well without the labels);
    # a network that barely learns is ranked by its low accuracy, not hidden
    learns = acc_perm <= MAX_PERMUTATION_ACCURACY
    record_metric("permutation_accuracy", acc_perm)
    record_metric("learns_from_labels", 1.0 if learns else 0.0)
    assert acc_perm <= MAX_PERMUTATION_ACCURACY, (
        f"trained on shuffled labels, the network still scores {shuffled[0]:.3f} and {shuffled[1]:.3f} "
        f"on held-out flowers (chance is 0.33, limit {MAX_PERMUTATION_ACCURACY}): it does not learn "
        f"from the labels it is given (trained on the true labels it scores {acc_true:.3f})"
    )
    assert acc_true >= MIN_TRUE_ACCURACY, (
        f"trained on the true labels of 75 flowers, the network scores {acc_true:.3f} on the other 75, "
        f"below {MIN_TRUE_ACCURACY}: it barely learns, so the permutation check cannot pass"
    )
