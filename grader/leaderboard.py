"""The accuracy leaderboard of a competition lab (the Iris MLP lab), from the results store.

The lab's hidden tests record these metrics with ``record_metric``:

=======================  ===================================================
``accuracy_mean``        mean held-out accuracy over repeated stratified
                         k-fold (0..1)
``accuracy_std``         its standard deviation over the folds
``n_params``             the parameter count of the network the grader
                         rebuilt (never the worker's word)
``train_time_s``         median training time per fold, seconds
``permutation_accuracy`` held-out accuracy (vs the true labels) after
                         training on shuffled labels
``learns_from_labels``   1.0 if the permutation check passed, 0.0 if the
                         model scores well even on shuffled labels (it
                         memorised the public data set and ignores the
                         labels it is given)
``architecture_ok``      optional: 0.0 if the network breaks the lab's
                         architecture rules (such a network is not ranked)
``verified``             1.0 if every trained network was rebuilt by the
                         grader from whitelisted layers and reproduced the
                         model (see :mod:`grader.competition`); 0.0: graded
                         from the worker's logits, never ranked
``shuffled_fit_p``       the permutation check's p-value that the network
                         follows shuffled training labels
=======================  ===================================================

The board lists every submission of the assignment in three groups:

1. ranked: an accuracy and a passed permutation check, by accuracy
   descending, ties (accuracies equal to 9 decimals) broken by fewer
   parameters; a full tie (the same accuracy and parameter count) shares its
   rank (1, 2, 2, 4) and is listed by student id: no name wins a tie;
2. unranked (rank missing), with a note: an accuracy but an unverified network
   (or, by default, no ``verified`` recorded), a failed permutation check,
   (by default) no permutation check recorded, or a network that breaks the
   architecture rules; same order;
3. unranked, note = status: no accuracy (crashed, invalid...), by student id.

Recorded metrics are checked, not trusted (they come from a run of student
code): each must be a finite real number in its range (:data:`METRIC_RULES`;
``n_params`` an integer in 0..10**9, ``learns_from_labels`` and
``architecture_ok`` 0 or 1). A submission with an invalid metric is not
ranked: its note names the metric and the value (``invalid n_params = 1e+30``),
the invalid value is shown as missing, and the rest of the class is ranked
as usual. Student ids and notes are shown with hidden characters escaped
(:func:`grader.visible.make_visible`), on the terminal through
:func:`grader.console.shown`.

Shown on the terminal and as an HTML page by :mod:`grader.leaderboard_render`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd

from .results import SubmissionResult, SubmissionStatus
from .store import ResultStore
from .visible import make_visible

__all__ = ["COLUMNS", "METRIC_RULES", "leaderboard", "to_records"]

COLUMNS = [
    "rank", "student", "accuracy", "accuracy_std", "n_params", "train_time_s", "status",
    "learns_from_labels", "note",
]  # fmt: skip
_RANKED, _DEMOTED, _NO_ACCURACY = 0, 1, 2
MAX_PARAMS = 10**9

#: metric -> (lowest, highest, integer only): the values a run can honestly record
METRIC_RULES: dict[str, tuple[float, float, bool]] = {
    "accuracy_mean": (0.0, 1.0, False),
    "accuracy_std": (0.0, 1.0, False),
    "permutation_accuracy": (0.0, 1.0, False),
    "n_params": (0, MAX_PARAMS, True),
    "train_time_s": (0.0, math.inf, False),
    "learns_from_labels": (0, 1, True),
    "architecture_ok": (0, 1, True),
    "verified": (0, 1, True),
    "shuffled_fit_p": (0.0, 1.0, False),
}


def _rule(name: str) -> tuple[float, float, bool]:
    if name in METRIC_RULES:
        return METRIC_RULES[name]
    return (0.0, math.inf, False) if name.endswith("_std") else (-math.inf, math.inf, False)


def _number(metrics: dict[str, float], name: str, problems: list[str]) -> float | None:
    """The metric ``name`` as a float, or None if it was not recorded or is invalid
    (not a finite real number in its :data:`METRIC_RULES` range); an invalid one
    is described in ``problems``. Never raises."""
    if name not in metrics:
        return None
    value = metrics[name]
    low, high, integer = _rule(name)
    ok = isinstance(value, numbers.Real) and math.isfinite(value) and low <= value <= high
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "an integer" if integer else "a number"
        bounds = f"{low:g}..{high:g}" if math.isfinite(high) else f">= {low:g}" if math.isfinite(low) else "finite"
        shown = repr(value) if isinstance(value, numbers.Real) else make_visible(repr(value))[:40]
        problems.append(f"invalid {name} = {shown} (must be {kind}, {bounds})")
        return None
    return float(value)


def leaderboard(
    store: ResultStore,
    assignment: str,
    metric: str = "accuracy_mean",
    *,
    require_permutation_check: bool = True,
    require_verified: bool = True,
) -> pd.DataFrame:
    """The leaderboard of one assignment as a DataFrame with :data:`COLUMNS`.

    Args:
        metric: the recorded metric ranked on (higher is better), shown as
            ``accuracy``; its spread ``accuracy_std`` is read from the metric
            named ``<metric without _mean>_std`` (``accuracy_std`` by default).
        require_verified: if true (the default), only a network the grader rebuilt
            and checked itself (metric ``verified`` = 1) is ranked; ``verified`` = 0
            is never ranked.
        require_permutation_check: if true (the default), a submission with
            an accuracy but no ``learns_from_labels`` metric is not ranked
            either, so one that crashes the check cannot top the board.

    Returns:
        One row per submission in board order (see the module docstring);
        ``rank`` and ``n_params`` are nullable integers, ``learns_from_labels``
        a nullable boolean, ``accuracy`` and ``accuracy_std`` fractions (0..1),
        ``train_time_s`` seconds.

    Raises:
        LookupError: the store holds no results for ``assignment``.
        StoreError: the store cannot be read.
    """
    results = store.require_results(assignment)
    std_metric = (metric.removesuffix("_mean") if metric.endswith("_mean") else metric) + "_std"
    entries = sorted(
        (_row(r, metric, std_metric, require_permutation_check, require_verified) for r in results), key=lambda e: e[0]
    )
    rows = []
    previous: tuple[Any, ...] | None = None
    shown_rank = 0
    for position, (key, row) in enumerate(entries, start=1):
        if row["rank"]:
            if key[:3] != previous:  # a full tie (accuracy and parameters) shares the rank: 1, 2, 2, 4
                shown_rank, previous = position, key[:3]
            row["rank"] = shown_rank
        else:
            row["rank"] = None
        rows.append(row)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df = df.astype(
        {
            "rank": "Int64", "student": "str", "accuracy": "float64", "accuracy_std": "float64",
            "n_params": "Int64", "train_time_s": "float64", "status": "str",
            "learns_from_labels": "boolean", "note": "str",
        }  # fmt: skip
    )
    df.attrs.update(assignment=assignment, metric=metric)
    return df


def _row(
    r: SubmissionResult, metric: str, std_metric: str, require_check: bool, require_verified: bool = True
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(sort key, board row) of one submission; ``rank`` is True while it is rankable.
    Invalid metrics (see :func:`_number`) are shown as missing and unrank the row."""
    problems: list[str] = []
    accuracy = _number(r.metrics, metric, problems)
    std = _number(r.metrics, std_metric, problems)
    n_params = _number(r.metrics, "n_params", problems)
    learns_value = _number(r.metrics, "learns_from_labels", problems)
    learns = None if learns_value is None else learns_value >= 0.5
    shuffled = _number(r.metrics, "permutation_accuracy", problems)
    architecture = _number(r.metrics, "architecture_ok", problems)
    train_time = _number(r.metrics, "train_time_s", problems)
    verified = _number(r.metrics, "verified", problems)
    fit_p = _number(r.metrics, "shuffled_fit_p", problems)
    note = ""
    if problems:
        group = _NO_ACCURACY if accuracy is None else _DEMOTED
        note = "not ranked: " + "; ".join(problems)
    elif accuracy is None:
        group = _NO_ACCURACY
        note = f"no {metric} recorded" if r.status is SubmissionStatus.GRADED else str(r.status)
    elif verified == 0.0 or (verified is None and require_verified):
        group = _DEMOTED
        note = ("not ranked: unverified network (the grader could not rebuild it from the lab's whitelisted "
                "layers, or its rebuilt copy does not reproduce it; see its accuracy test)" if verified == 0.0
                else "not ranked: the network was not verified")
    elif learns is False:
        group = _DEMOTED
        if shuffled is not None and shuffled > 0.7:
            note = (f"not ranked: failed the permutation check ({shuffled:.0%} held-out accuracy after "
                    "training on shuffled labels)")
        elif fit_p is not None:
            note = (f"not ranked: failed the permutation check (does not follow shuffled training labels, "
                    f"p = {fit_p:.2f})")
        else:
            note = "not ranked: failed the permutation check"
    elif learns is None and require_check:
        group = _DEMOTED
        note = "not ranked: the permutation check did not run"
    elif architecture == 0.0:
        group = _DEMOTED
        note = "not ranked: the network breaks the lab's architecture rules"
    else:
        group = _RANKED
        if learns is None:
            note = "permutation check not recorded"
    if accuracy is None:
        key: tuple[Any, ...] = (group, 0.0, 0.0, r.student)
    else:
        key = (group, -round(accuracy, 9), math.inf if n_params is None else n_params, r.student)
    return key, {
        "rank": group == _RANKED,
        "student": r.student,
        "accuracy": accuracy,
        "accuracy_std": std,
        "n_params": None if n_params is None else round(n_params),
        "train_time_s": train_time,
        "status": str(r.status),
        "learns_from_labels": learns,
        "note": note,
    }


def to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The board as plain JSON-ready dicts (for ``--json``), one per row in board order.

    Keys are the DataFrame's columns (at least ``rank``, ``student``,
    ``accuracy``); missing values (NaN, NA) become None, numpy scalars
    become Python ints, floats and bools.
    """
    out = []
    for row in df.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                clean[str(key)] = None
            else:
                clean[str(key)] = value.item() if hasattr(value, "item") else value
        out.append(clean)
    return out
