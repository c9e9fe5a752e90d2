"""Public tests, question "early_stopping": the template's example and min_delta.

The calls to step() are numbered 0, 1, 2, ...; an improvement is
val_loss < best - min_delta; step() returns True once `patience` calls in a
row have not improved.
"""

import pytest

from grader.testing import Failure

pytestmark = pytest.mark.question("early_stopping")


@pytest.mark.points(2)
def test_the_template_example(submission):
    es = submission.EarlyStopping(patience=2, min_delta=0.0)
    stops = [bool(es.step(loss)) for loss in [1.0, 0.8, 0.8, 0.9]]
    assert stops == [False, False, False, True], f"step() returned {stops}"
    assert abs(es.best - 0.8) < 1e-6 and es.best_epoch == 1, f"best, best_epoch = {es.best}, {es.best_epoch}; expected 0.8, 1"


@pytest.mark.points(2)
def test_min_delta(submission):
    es = submission.EarlyStopping(patience=1, min_delta=0.1)
    stops = [bool(es.step(loss)) for loss in [1.0, 0.95]]  # 0.95 is not below 1.0 - 0.1
    if isinstance(es.best, (int, float)) and abs(es.best - 0.95) < 1e-6:
        raise Failure("EarlyStopping(patience=1, min_delta=0.1) on [1.0, 0.95]: best became 0.95, but 0.95 is not "
                      "below 1.0 - 0.1: min_delta is ignored",
                      hint="An improvement must beat the best loss by more than min_delta: val_loss < best - min_delta.")
    assert stops == [False, True], f"EarlyStopping(patience=1, min_delta=0.1) on [1.0, 0.95]: step() returned {stops}"
    assert abs(es.best - 1.0) < 1e-6 and es.best_epoch == 0, f"best, best_epoch = {es.best}, {es.best_epoch}; expected 1.0, 0"
