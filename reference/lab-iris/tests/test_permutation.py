"""Hidden test, question "learning" (25 points): the label-permutation check.

A network that learns from the data it is given does well when trained on the
true labels, follows whatever labels it is given, and falls to chance (1/3) on
held-out flowers when trained on shuffled labels: shuffling breaks every link
between features and labels. A network that ignores its training labels (it
looks the answers up in a copy of the public table, or answers one class
whenever the labels make no sense to it) fails one of these.

One stratified half of the data (75 flowers) is the training set, the other
half is held out. The submission is trained three times, each time in a fresh
copy (``fresh_run``), and its logits are computed by the grader from the
rebuilt network where it can be verified (:mod:`grader.competition`):

1. on the true labels: held-out accuracy must be >= 0.70 (it learns at all);
2. twice on shuffled labels (two permutations, two worker seeds):

   * held-out accuracy against the *true* labels: the lower of the two,
     ``permutation_accuracy``, must be <= 0.70;
   * the network must follow the labels it was given: on its own 75 training
     flowers, the mean log-probability it gives its (shuffled) labels must beat
     that of 999 other shuffles of the same labels (a permutation test,
     p <= 0.05) in at least one of the two runs. A network that answers a
     constant class gives every shuffle the same probability (p = 1); one that
     ignores its labels has p uniform in (0, 1].

Why two shuffled runs: a briefly trained network hardly moves from its random
initialisation, so one initialisation can split the flowers along petal size in
the species' order by luck (the lower held-out accuracy of two runs), and a
network trained 100 plain-SGD steps follows random labels only weakly (the
better p of two runs). Measured (example submissions): honest networks p =
0.001 in both runs; the undertrained 4-64-32-3 tanh network p = 0.03 and 0.35;
a memoriser of the public table p = 0.36 and 0.27, held-out 1.00.

Metrics recorded: ``permutation_accuracy``, ``shuffled_fit_p`` (the better p)
and ``learns_from_labels`` (1.0 if both shuffled conditions hold, else 0.0; the
leaderboard does not rank a submission without 1.0). They are recorded before
the assertions, so a failed check is recorded too.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from grader.competition import check_network
from grader.crossval import accuracy, label_permutation, load_iris_csv, repeated_stratified_kfold
from grader.remote import RemoteObject, seed, type_name
from grader.testing import fresh_run

pytestmark = pytest.mark.question("learning")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"
SPLIT_SEED = 31  # which 75 flowers are the training set
PERMUTATION_SEEDS = (97, 98)  # how their labels are shuffled, one per shuffled run
CONTROL_SEED = 5  # the 999 control shuffles of the fit test
N_CONTROLS = 999
WORKER_SEED = 2000  # run i seeds the worker with WORKER_SEED + i
MIN_TRUE_ACCURACY = 0.70
MAX_PERMUTATION_ACCURACY = 0.70
MAX_FIT_P = 0.05
TRAIN_TIMEOUT_S = 30


@pytest.mark.points(25)
@pytest.mark.call_timeout(TRAIN_TIMEOUT_S)
@pytest.mark.hint(
    "train_model must learn from the (X, y) it is given: the grader also trains on shuffled labels "
    "and expects your network to follow them on its training flowers and to be at chance on held-out ones."
)
def test_label_permutation(submission, record_metric):
    X, y = load_iris_csv(DATA)
    train, test = repeated_stratified_kfold(y, n_splits=2, n_repeats=1, seed=SPLIT_SEED)[0]

    def trained_logits(run, train_labels):
        """(held-out logits, training-flower logits) of a network trained in a fresh copy."""
        with fresh_run(submission):
            seed(submission, WORKER_SEED + run)
            model = submission.build_model()
            model = submission.train_model(model, torch.from_numpy(X[train]), torch.from_numpy(train_labels))
            assert isinstance(model, RemoteObject), (
                f"train_model must return the trained network (a torch.nn.Module), got {type_name(model)}"
            )
            model.eval()
            net = check_network(model, X)
            return net.logits(X[test]), net.logits(X[train])

    acc_true = accuracy(trained_logits(0, y[train])[0], y[test])
    held_out, fit_p = [], []
    for i, s in enumerate(PERMUTATION_SEEDS):
        labels = label_permutation(y[train], s)
        on_test, on_train = trained_logits(1 + i, labels)
        held_out.append(accuracy(on_test, y[test]))
        accuracy(on_train, labels)  # checks the logits' shape and values
        fit_p.append(_fit_p_value(on_train, labels))
    acc_perm, best_p = min(held_out), min(fit_p)
    learns = acc_perm <= MAX_PERMUTATION_ACCURACY and best_p <= MAX_FIT_P
    record_metric("permutation_accuracy", acc_perm)
    record_metric("shuffled_fit_p", best_p)
    record_metric("learns_from_labels", 1.0 if learns else 0.0)
    assert acc_perm <= MAX_PERMUTATION_ACCURACY, (
        f"trained on shuffled labels, the network still scores {held_out[0]:.3f} and {held_out[1]:.3f} "
        f"on held-out flowers (chance is 0.33, limit {MAX_PERMUTATION_ACCURACY}): it does not learn "
        f"from the labels it is given (trained on the true labels it scores {acc_true:.3f})"
    )
    assert best_p <= MAX_FIT_P, (
        f"trained on shuffled labels, the network does not follow them on its own training flowers: the "
        f"labels it was given are no likelier under it than other shuffles (p = {fit_p[0]:.3f} and "
        f"{fit_p[1]:.3f}, limit {MAX_FIT_P}); a network that learns from its labels fits them at least a little"
    )
    assert acc_true >= MIN_TRUE_ACCURACY, (
        f"trained on the true labels of 75 flowers, the network scores {acc_true:.3f} on the other 75, "
        f"below {MIN_TRUE_ACCURACY}: it barely learns, so the permutation check cannot pass"
    )


def _fit_p_value(logits: np.ndarray, labels: np.ndarray) -> float:
    """Permutation-test p-value that the network follows ``labels`` on its training flowers.

    Statistic: the mean log-softmax probability of ``labels`` (shape (n,)) under
    ``logits`` (shape (n, k)). Null: the network ignored its labels, so the given
    labels are just one more shuffle. p = (1 + #controls scoring >= the given
    labels) / (1 + N_CONTROLS), controls being shuffles of the same labels.
    """
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(labels.shape[0])
    given = log_p[rows, labels].mean()
    rng = np.random.default_rng(CONTROL_SEED)
    controls = np.array([log_p[rows, rng.permutation(labels)].mean() for _ in range(N_CONTROLS)])
    return float((1 + np.sum(controls >= given - 1e-12)) / (1 + N_CONTROLS))
