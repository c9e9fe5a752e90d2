"""Hidden test, question "accuracy" (40 points): accuracy on new, simulated flowers.

The grader re-trains the submission itself, 10 times, each time on all 150
public flowers, and scores each trained network on 300 new flowers. Every
training run starts from a fresh copy of the submission (``fresh_run``: newly
loaded in a process forked from a clean parent), so nothing it remembers
survives from one run to the next.

* **Flowers no table holds.** The 150 flowers are public, so any score on them
  can be looked up. Each run is scored on 300 new flowers (100 per species)
  drawn from the normal distribution of each species as measured on the 150
  flowers (:func:`grader.crossval.simulate_flowers`). The network is trained on
  exactly the public table, so a copy of the table tells a submission nothing
  its training data does not: a lookup is worth what learning is worth. (Held
  out real flowers would not do: a table holds them, and a network trained on
  all 150 scored above the reference trained on 120.)
* **Recoded labels.** In every run the species get a random code (a
  permutation other than the identity, the same for training and scoring): a
  network must learn from the labels it is given which code means which species.
* **Verified networks.** After training, the worker describes the network
  (layers and weights) and the grader rebuilds it from a whitelist of standard
  layers (:mod:`grader.competition`); the logits are computed here. A network
  that cannot be rebuilt, or whose rebuilt copy does not reproduce it, is
  scored from the logits the worker returns and recorded as unverified: it
  earns its points but no place on the leaderboard.

Points: 40 if the mean accuracy over the 10 runs is at least 0.90. Measured
with this test (example submissions): the reference 0.98, honest networks
0.97-0.98, a 4-64-32-3 tanh network trained only 100 plain-SGD steps 0.83, a
network that standardises the features in train_model but not in the model
0.38, a nearest-neighbour lookup of the public table 0.97.

Also checked (failing them fails the test): ``train_model`` returns the network
it was given, trained (same linear layers), and ``build_model`` builds a new
network each time (a second call in the same run must not return the network
training just changed).

Metrics recorded for the leaderboard: ``accuracy_mean``, ``accuracy_std``
(population std over the runs), ``accuracy_run_01`` ... ``accuracy_run_10`` (each
run's accuracy, recorded as the run ends: the feedback page plots them), ``n_params`` (counted on the rebuilt network),
``train_time_s`` (median seconds of one ``train_model`` call, measured here),
``architecture_ok`` (1.0 if the network follows the lab's rules, the ones
test_architecture.py grades) and ``verified`` (1.0 if every run's network was
rebuilt and reproduced, else 0.0).
"""

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.competition import check_network
from grader.crossval import accuracy, load_iris_csv, random_recoding, simulate_flowers
from grader.remote import RemoteObject, seed, type_name
from grader.testing import fresh_run

pytestmark = pytest.mark.question("accuracy")

DATA = Path(__file__).resolve().parents[3] / "assignments" / "lab-iris" / "data" / "iris.csv"
N_RUNS = 10
RECODING_SEED = 3000  # run k's code of the species
SIMULATION_SEED = 4000  # run k's simulated flowers
N_SIMULATED = 100  # per species and run
WORKER_SEED = 1000  # run k seeds the worker with WORKER_SEED + k
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
    accuracies, seconds, unverified = [], [], []
    for k in range(N_RUNS):
        code = random_recoding(RECODING_SEED + k)
        flowers, species = simulate_flowers(X, y, N_SIMULATED, SIMULATION_SEED + k)
        with fresh_run(submission):
            seed(submission, WORKER_SEED + k)
            model = submission.build_model()
            before = check_network(model, X) if k == 0 else None
            model.eval()
            untrained = model(torch.from_numpy(X))
            model.train()
            start = time.perf_counter()
            trained = submission.train_model(model, torch.from_numpy(X), torch.from_numpy(code[y]))
            seconds.append(time.perf_counter() - start)
            assert isinstance(trained, RemoteObject), (
                f"train_model must return the trained network (a torch.nn.Module), got {type_name(trained)}"
            )
            trained.eval()
            net = check_network(trained, X)
            if k == 0:
                if net.n_params is not None:
                    record_metric("n_params", net.n_params)
                record_metric("architecture_ok", 1.0 if _follows_rules(net.linear_layers) else 0.0)
                assert net.linear_layers == before.linear_layers, (
                    f"train_model must return the network it was given, trained: build_model's network has "
                    f"the linear layers {before.linear_layers}, the returned one {net.linear_layers}"
                )
            if not net.verified:
                unverified.append(f"run {k + 1}: {net.reason}")
            again = submission.build_model()
            again.eval()
            changed = not _same(untrained, trained(torch.from_numpy(X)))
            assert not changed or not _same(again(torch.from_numpy(X)), trained(torch.from_numpy(X))), (
                "build_model() returned the network that was just trained: it must build a new, untrained "
                "network on every call (not return, or reuse the layers of, one built before)"
            )
            accuracies.append(accuracy(net.logits(flowers), code[species]))
            record_metric(f"accuracy_run_{k + 1:02d}", accuracies[-1])  # the feedback page's per-run plot
    mean = float(np.mean(accuracies))
    record_metric("accuracy_mean", mean)
    record_metric("accuracy_std", float(np.std(accuracies)))
    record_metric("train_time_s", float(np.median(seconds)))
    record_metric("verified", 0.0 if unverified else 1.0)
    runs = ", ".join(f"{a:.2f}" for a in accuracies)
    recoded = (
        " The species are recoded in every run (0 is not always setosa): a network that learns "
        "the coding from the labels it is given is not affected."
        if mean < 0.25  # below chance: the network answers in a fixed coding
        else ""
    )
    note = f" Not ranked: {unverified[0]}" if unverified else ""
    assert mean >= MIN_ACCURACY, (
        f"mean accuracy {mean:.3f} on simulated flowers over {len(accuracies)} trainings is below "
        f"{MIN_ACCURACY} (runs: {runs}).{recoded}{note}"
    )


def _follows_rules(linear):
    """The lab's rules (graded in test_architecture.py): >= 3 Linear layers, hidden sizes not all equal."""
    return len(linear) >= 3 and len({out for _, out in linear[:-1]}) >= 2


def _same(a, b):
    return (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.shape == b.shape
        and bool(np.allclose(a, b, rtol=1e-6, atol=1e-7))
    )
