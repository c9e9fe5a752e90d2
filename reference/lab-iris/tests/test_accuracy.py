"""Hidden test, question "accuracy" (40 points): cross-validated held-out accuracy.

The grader re-trains the submission itself: repeated stratified 5-fold
cross-validation, 2 repeats (10 trainings on 120 flowers, each scored on the
other 30). Before each fold the worker is seeded (``grader.remote.seed``), so a
grading run is reproducible. Only the training labels enter the sandbox; the
worker sends back logits and the accuracy is computed here.

The species are recoded in every fold (code ``c`` becomes ``(c + shift) % 3``,
shift 1 or 2, the same for the training and the held-out labels). A network
that learns from the labels it is given does as well under any coding (up to
the luck of its random initialisation); one that ignores them and answers from
a copy of the public data set scores 0.

Points: 40 if the mean accuracy over the 10 folds is at least 0.90. Measured
with this test: the reference MLP 0.97, honest example networks 0.95-0.97, a
4-64-32-3 tanh network trained only 100 plain-SGD steps 0.81, a network that
standardises the features in train_model but not in the model (so it sees
raw features in evaluation) 0.34, a memoriser of the public table 0.00.

Also checked (failing them fails the test): ``train_model`` returns a network
with the same ``nn.Linear`` layers as the one it was given, and ``build_model``
returns a new network each time, not the one trained in the previous fold
(which has seen this fold's held-out flowers): the previous fold's network
must give the same logits for all 150 flowers (features only) after this
fold's training as before it.

Metrics recorded for the leaderboard: ``accuracy_mean``, ``accuracy_std``
(population std over the folds), ``n_params``, ``train_time_s`` (median
seconds of one ``train_model`` call, measured here around the call), and
``architecture_ok`` (1.0 if build_model's network follows the lab's rules, the
ones test_architecture.py grades; the accuracy is recorded either way).
"""

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.crossval import accuracy, load_iris_csv, repeated_stratified_kfold
from grader.remote import RemoteObject, describe_module, seed, type_name

pytestmark = pytest.mark.question("accuracy")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"
N_SPLITS, N_REPEATS = 5, 2
FOLD_SEED = 2024  # which flowers are held out in each fold
WORKER_SEED = 1000  # fold k seeds the worker with WORKER_SEED + k
MIN_ACCURACY = 0.90
TRAIN_TIMEOUT_S = 30


@pytest.mark.points(40)
@pytest.mark.call_timeout(TRAIN_TIMEOUT_S)
@pytest.mark.hint(
    "The grader passes raw features to your model, in training and in evaluation: standardise them "
    "inside the network (e.g. a first layer holding the training data's mean and std), train long "
    "enough, and check your accuracy with the notebook's cross-validation cell."
)
def test_cross_validated_accuracy(submission, record_metric):
    X, y = load_iris_csv(DATA)
    accuracies, seconds = [], []
    previous = None  # (network trained in the previous fold, its logits for all flowers then)
    for k, (train, test) in enumerate(repeated_stratified_kfold(y, N_SPLITS, N_REPEATS, FOLD_SEED)):
        code = (y + 1 + k % 2) % 3  # the fold's recoding of the species
        seed(submission, WORKER_SEED + k)
        model = submission.build_model()
        before = describe_module(model)
        if k == 0:
            record_metric("n_params", before["n_params"])
            record_metric("architecture_ok", 1.0 if _follows_rules(before["linear"]) else 0.0)
        start = time.perf_counter()
        model = submission.train_model(model, torch.from_numpy(X[train]), torch.from_numpy(code[train]))
        seconds.append(time.perf_counter() - start)
        assert isinstance(model, RemoteObject), (
            f"train_model must return the trained network (a torch.nn.Module), got {type_name(model)}"
        )
        after = describe_module(model)
        assert after["linear"] == before["linear"], (
            f"train_model must return the network it was given, trained: build_model's network has "
            f"the nn.Linear layers {before['linear']}, the returned one {after['linear']}"
        )
        if previous is not None:
            assert _same(_probe(previous[0], X), previous[1]), (
                "training this fold's network changed the network of the previous fold: build_model() "
                "must build a new, untrained network on every call, not return (or reuse layers of) "
                "one that has already been trained"
            )
        model.eval()
        accuracies.append(accuracy(model(torch.from_numpy(X[test])), code[test]))
        previous = (model, _probe(model, X))
    mean = float(np.mean(accuracies))
    record_metric("accuracy_mean", mean)
    record_metric("accuracy_std", float(np.std(accuracies)))
    record_metric("train_time_s", float(np.median(seconds)))
    folds = ", ".join(f"{a:.2f}" for a in accuracies)
    recoded = (
        " The species are recoded in every fold (0 is not always setosa): a network that learns "
        "the coding from the labels it is given is not affected."
        if mean < 0.25  # below chance: the network answers in a fixed coding
        else ""
    )
    assert mean >= MIN_ACCURACY, (
        f"mean held-out accuracy {mean:.3f} over {len(accuracies)} folds is below {MIN_ACCURACY} "
        f"(folds: {folds}).{recoded}"
    )


def _follows_rules(linear):
    """The lab's rules (graded in test_architecture.py): >= 3 Linear layers, hidden sizes not all equal."""
    return len(linear) >= 3 and len({out for _, out in linear[:-1]}) >= 2


def _probe(model, X):
    """The network's logits in eval mode for all flowers X (features only, no labels)."""
    model.eval()
    return model(torch.from_numpy(X))


def _same(a, b):
    return (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.shape == b.shape
        and bool(np.allclose(a, b, rtol=1e-6, atol=1e-7))
    )
