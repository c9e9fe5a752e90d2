"""The accuracy leaderboard of a competition lab (the Iris MLP lab), from the results store.

The lab's hidden tests record these metrics with ``record_metric``:

=======================  ===================================================
``accuracy_mean``        mean accuracy over the lab's training runs (0..1):
                         10 runs, each trained on the 150 public flowers with
                         the species recoded at random and scored on 300
                         flowers simulated from them
``accuracy_std``         its standard deviation over the runs
``accuracy_run_NN``      the accuracy of run NN (01, 02, ...; 0..1), for the
                         per-run plot of the feedback pages (grader.report)
``n_params``             the parameter count of the network the grader
                         rebuilt (never the worker's word)
``train_time_s``         median training time per run, seconds
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

Each row has two notes: ``note`` for the instructor (it names the metrics as recorded,
``invalid n_params = 1e+30``) and ``public_note`` for the public page, in words
(``invalid parameter count = 1e+30``; :data:`METRIC_LABELS`).

**Pseudonyms.** The public page shows a pseudonym per student (:func:`pseudonyms`):
the one the student picked, when their notebook or module assigns a string literal
to ``LEADERBOARD_NAME`` at top level (read from the file, never run:
:func:`picked_pseudonym`) and it is valid and nobody else's id or pick; otherwise
one generated from a keyed hash of the student id (HMAC-SHA256 with a secret salt
kept next to the results store, :func:`load_salt`), such as ``Amber Heron 042``.
A generated pseudonym is stable as long as the salt file is kept, and cannot be
traced back to the id without it.

Shown on the terminal and as an HTML page by :mod:`grader.leaderboard_render`.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import math
import numbers
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .results import SubmissionResult, SubmissionStatus
from .store import ResultStore
from .visible import make_visible

__all__ = [
    "COLUMNS", "METRIC_LABELS", "METRIC_RULES", "NoLeaderboardError", "leaderboard", "load_salt", "measurement",
    "metric_label", "picked_pseudonym", "picked_pseudonyms", "pseudonyms", "run_accuracies", "submission_files",
    "to_records",
]  # fmt: skip

COLUMNS = [
    "rank", "student", "accuracy", "accuracy_std", "n_params", "train_time_s", "status",
    "learns_from_labels", "note", "public_note",
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


#: metric -> what the public page calls it (no internal names there)
METRIC_LABELS: dict[str, str] = {
    "accuracy_mean": "accuracy",
    "accuracy_std": "accuracy spread",
    "permutation_accuracy": "accuracy after training on shuffled labels",
    "n_params": "parameter count",
    "train_time_s": "training time",
    "learns_from_labels": "permutation check",
    "architecture_ok": "architecture check",
    "verified": "network check",
    "shuffled_fit_p": "permutation test p-value",
}
RUN_PREFIX = "accuracy_run_"  # accuracy_run_01, accuracy_run_02...: one per training run of the lab


class NoLeaderboardError(LookupError):
    """The assignment has no leaderboard: none of its results recorded the ranked metric."""


def metric_label(name: str) -> str:
    """What the public page calls metric ``name``: its :data:`METRIC_LABELS` entry, ``run 3 accuracy``
    for ``accuracy_run_03``, else the name with underscores as spaces and ``_mean`` dropped."""
    if name in METRIC_LABELS:
        return METRIC_LABELS[name]
    if name.startswith(RUN_PREFIX) and name[len(RUN_PREFIX):].isdigit():
        return f"run {int(name[len(RUN_PREFIX):])} accuracy"
    return name.removesuffix("_mean").replace("_", " ")


def _rule(name: str) -> tuple[float, float, bool]:
    if name in METRIC_RULES:
        return METRIC_RULES[name]
    if name.startswith(RUN_PREFIX):
        return (0.0, 1.0, False)
    return (0.0, math.inf, False) if name.endswith("_std") else (-math.inf, math.inf, False)


def _number(metrics: dict[str, float], name: str, problems: list[tuple[str, str]]) -> float | None:
    """The metric ``name`` as a float, or None if it was not recorded or is invalid
    (not a finite real number in its :data:`METRIC_RULES` range); an invalid one
    is described in ``problems`` as (metric name, the rest of the sentence). Never raises."""
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
        problems.append((name, f"= {shown} (must be {kind}, {bounds})"))
        return None
    return float(value)


def leaderboard(
    store: ResultStore,
    assignment: str,
    metric: str = "accuracy_mean",
    *,
    require_permutation_check: bool = True,
    require_verified: bool = True,
    require_metric: bool = False,
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
        require_metric: if true, an assignment none of whose results recorded
            ``metric`` (one without a leaderboard, such as a homework) raises
            :class:`NoLeaderboardError` instead of giving a board of unranked rows.

    Returns:
        One row per submission in board order (see the module docstring);
        ``rank`` and ``n_params`` are nullable integers, ``learns_from_labels``
        a nullable boolean, ``accuracy`` and ``accuracy_std`` fractions (0..1),
        ``train_time_s`` seconds. ``df.attrs`` holds ``assignment``, ``metric``
        and ``graded_until`` (the latest ``graded_at`` of the results, ISO 8601, or "").

    Raises:
        LookupError: the store holds no results for ``assignment``.
        NoLeaderboardError: ``require_metric`` and no result recorded ``metric``.
        StoreError: the store cannot be read.
    """
    results = store.require_results(assignment)
    if require_metric and not any(metric in r.metrics for r in results):
        statuses: dict[str, int] = {}
        for r in results:
            statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
        counted = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        raise NoLeaderboardError(
            f"{assignment} has no leaderboard: none of its {len(results)} results ({counted}) recorded an "
            f"{metric_label(metric)} ({metric}); only a competition lab's tests record one (such as lab-iris's)"
        )
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
            "learns_from_labels": "boolean", "note": "str", "public_note": "str",
        }  # fmt: skip
    )
    df.attrs.update(assignment=assignment, metric=metric,
                    graded_until=max((r.graded_at for r in results), default=""))
    return df


_STATUS_WORDS = {"internal_error": "grader error (not the student's fault)", "invalid": "invalid submission",
                 "timeout": "timed out", "crashed": "crashed"}


def _row(
    r: SubmissionResult, metric: str, std_metric: str, require_check: bool, require_verified: bool = True
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """(sort key, board row) of one submission; ``rank`` is True while it is rankable.
    Invalid metrics (see :func:`_number`) are shown as missing and unrank the row."""
    problems: list[tuple[str, str]] = []
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
    note = public = ""
    if problems:
        group = _NO_ACCURACY if accuracy is None else _DEMOTED
        note = "not ranked: " + "; ".join(f"invalid {name} {rest}" for name, rest in problems)
        public = "not ranked: " + "; ".join(f"invalid {metric_label(name)} {rest}" for name, rest in problems)
    elif accuracy is None:
        group = _NO_ACCURACY
        if r.status is SubmissionStatus.GRADED:
            note, public = f"no {metric} recorded", f"no {metric_label(metric)} recorded"
        else:
            note, public = str(r.status), _STATUS_WORDS.get(str(r.status), str(r.status))
    elif verified == 0.0 or (verified is None and require_verified):
        group = _DEMOTED
        note = ("not ranked: unverified network (the grader could not rebuild it from the lab's whitelisted "
                "layers, or its rebuilt copy does not reproduce it; see its accuracy test)" if verified == 0.0
                else "not ranked: the network was not verified")
        public = ("not ranked: the grader could not check this network (it could not rebuild it from the "
                  "lab's allowed layers, or the rebuilt copy behaves differently)")
    elif learns is False:
        group = _DEMOTED
        if shuffled is not None and shuffled > 0.7:
            note = (f"not ranked: failed the permutation check ({shuffled:.0%} held-out accuracy after "
                    "training on shuffled labels)")
            public = (f"not ranked: failed the permutation check (trained on shuffled labels, it still scored "
                      f"{shuffled:.0%} on held-out flowers: it does not learn from the labels it is given)")
        elif fit_p is not None:
            note = (f"not ranked: failed the permutation check (does not follow shuffled training labels, "
                    f"p = {fit_p:.2f})")
            public = (f"not ranked: failed the permutation check (trained on shuffled labels, it does not "
                      f"follow them, p = {fit_p:.2f})")
        else:
            note = public = "not ranked: failed the permutation check"
    elif learns is None and require_check:
        group = _DEMOTED
        note = public = "not ranked: the permutation check did not run"
    elif architecture == 0.0:
        group = _DEMOTED
        note = public = "not ranked: the network breaks the lab's architecture rules"
    else:
        group = _RANKED
        if learns is None:
            note = public = "permutation check not recorded"
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
        "public_note": public,
    }


def run_accuracies(result: SubmissionResult) -> list[tuple[int, float | None]]:
    """The per-run accuracies a competition lab recorded (``accuracy_run_01``, ...), in run order.

    Returns:
        ``(run number, accuracy)`` pairs, the accuracy a fraction (0..1), or None where the
        recorded value is invalid (not a finite number in 0..1); empty when none were recorded
        (results graded before they were, or a run that failed first).
    """
    runs = []
    for name in result.metrics:
        suffix = name[len(RUN_PREFIX):] if name.startswith(RUN_PREFIX) else ""
        if suffix.isdigit() and suffix.isascii():
            runs.append((int(suffix), _number(result.metrics, name, [])))
    return sorted(runs, key=lambda run: run[0])


def measurement(results: Iterable[SubmissionResult], metric: str = "accuracy_mean") -> str:
    """How the ranked metric was measured, in words for the public page.

    For the lab's ``accuracy_mean`` (``reference/lab-iris/tests/test_accuracy.py``; a test checks this
    text against that file's constants): the number of runs is read from the recorded per-run
    accuracies (the most any result holds), 10 when none were recorded. Another metric gets a
    generic sentence naming it in words.
    """
    if metric != "accuracy_mean":
        return (f"Ranked by {metric_label(metric)}, as the assignment's tests measured it when they graded "
                "each submission (higher is better).")
    runs = max((len(run_accuracies(r)) for r in results), default=0) or 10
    return (
        f"How accuracy was measured: the grader trained each network itself, {runs} times, each time in a fresh "
        "copy of the submission on the 150 public Iris flowers with the species recoded at random, and scored "
        "each trained network on 300 new flowers (100 per species) simulated from the species' measured "
        f"distributions, which no table holds. Accuracy is the mean over the {runs} runs; ± is their standard "
        "deviation. Ties go to the network with fewer parameters. Only networks the grader rebuilt from the lab's "
        "allowed layers, and that pass the permutation check (trained on shuffled labels they must fall to "
        "chance on held-out flowers), are ranked."
    )


# --------------------------------------------------------------------------- pseudonyms

SALT_BYTES = 32
MAX_PICKED_LENGTH = 40
PICK_VARIABLE = "LEADERBOARD_NAME"
_ADJECTIVES = (
    "Amber", "Azure", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral", "Crimson", "Curious", "Dapper", "Eager",
    "Fearless", "Gentle", "Golden", "Happy", "Honest", "Indigo", "Ivory", "Jade", "Jolly", "Keen", "Kind", "Lively",
    "Lucky", "Lunar", "Merry", "Mighty", "Misty", "Nimble", "Noble", "Olive", "Patient", "Plucky", "Polar", "Proud",
    "Quick", "Quiet", "Rapid", "Royal", "Ruby", "Rustic", "Sage", "Scarlet", "Serene", "Silver", "Sly", "Snowy",
    "Solar", "Spry", "Steady", "Stellar", "Sunny", "Swift", "Teal", "Tidy", "Trusty", "Velvet", "Violet", "Vivid",
    "Wise", "Witty", "Young", "Zesty",
)  # fmt: skip
_ANIMALS = (
    "Albatross", "Alpaca", "Badger", "Beaver", "Bison", "Camel", "Cheetah", "Condor", "Crane", "Dingo", "Dolphin",
    "Eagle", "Falcon", "Ferret", "Finch", "Gazelle", "Gecko", "Heron", "Hedgehog", "Ibis", "Iguana", "Jackal",
    "Jaguar", "Kestrel", "Koala", "Lemur", "Lynx", "Marmot", "Meerkat", "Narwhal", "Newt", "Ocelot", "Orca", "Otter",
    "Owl", "Panda", "Pelican", "Puffin", "Quail", "Quokka", "Raven", "Robin", "Salmon", "Seal", "Sparrow", "Stork",
    "Tapir", "Tiger", "Toucan", "Turtle", "Urchin", "Viper", "Vole", "Walrus", "Wombat", "Wren", "Yak", "Zebra",
    "Mongoose", "Moose", "Osprey", "Pika", "Shrike", "Swift",
)  # fmt: skip


def load_salt(path: str | Path) -> bytes:
    """The secret salt of the generated pseudonyms, stored in ``path`` (created on first use,
    32 random bytes as hex, readable by its owner only). The CLI keeps it next to the results store
    (``grades.db-pseudonym-salt``): deleting it changes every generated pseudonym.

    Raises:
        OSError: the file cannot be read or created.
        ValueError: the file exists but does not hold a salt.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii", errors="replace").strip()
        try:
            salt = bytes.fromhex(text)
        except ValueError:
            salt = b""
        if len(salt) < 16:
            raise ValueError(f"{path} does not hold a pseudonym salt (64 hex digits); delete it to make a new one "
                             "(every generated pseudonym changes)") from None
        return salt
    salt = secrets.token_bytes(SALT_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(salt.hex() + "\n")
    return salt


def _generated(student: str, salt: bytes, attempt: int = 0) -> str:
    digest = hmac.new(salt, f"{attempt}:{student}".encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    number = int.from_bytes(digest[2:6], "big") % 1000
    return f"{_ADJECTIVES[digest[0] % len(_ADJECTIVES)]} {_ANIMALS[digest[1] % len(_ANIMALS)]} {number:03d}"


def picked_pseudonym(path: str | Path, max_bytes: int = 10 * 2**20) -> str | None:
    """The pseudonym a submission picked: the last top-level ``LEADERBOARD_NAME = "..."`` (a string
    literal) in the module or in the notebook's code cells, read with ``ast`` and never run.

    Returns:
        The picked name, stripped, or None when there is none, it is not a plain string literal,
        the file is missing, too large or unreadable, or the name is empty, longer than 40
        characters, or holds a line break or a hidden character (:func:`grader.visible.make_visible`).
        Never raises.
    """
    from .notebook import read_notebook

    try:
        path = Path(path)
        if not path.is_file() or path.stat().st_size > max_bytes:
            return None
        text = path.read_text(encoding="utf-8")
        sources = [c.source for c in read_notebook(text)] if path.suffix == ".ipynb" else [text]
        picked: str | None = None
        for source in sources:
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            for node in tree.body:
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name) and node.targets[0].id == PICK_VARIABLE
                        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                    picked = node.value.value.strip()
    except Exception:  # an unreadable submission picks nothing; the board never fails over it
        return None
    if not picked or len(picked) > MAX_PICKED_LENGTH or make_visible(picked) != picked or not picked.isprintable():
        return None
    return picked


def submission_files(folder: str | Path, config: Any) -> dict[str, Path]:
    """Student id -> the file graded for them, found in the submissions ``folder`` the way
    ``grader grade`` finds it (:func:`grader.submissions.discover`; ``config`` is the assignment's
    :class:`grader.config.AssignmentConfig`). A folder of student repositories gives nothing (the
    graded commit is not the working tree). Never raises: a missing folder gives nothing."""
    from .repos import is_repos_folder
    from .submissions import discover

    folder = Path(folder)
    try:
        if not folder.is_dir() or is_repos_folder(folder):
            return {}
        return {sub.student: sub.path for sub in discover(folder.resolve(), config) if sub.path is not None}
    except (OSError, ValueError):
        return {}


def picked_pseudonyms(results: Iterable[SubmissionResult], files: Mapping[str, Path]) -> dict[str, str | None]:
    """Student id -> the pseudonym their graded file picks (:func:`picked_pseudonym`), for the
    students of ``results`` found in ``files`` (:func:`submission_files`)."""
    return {r.student: picked_pseudonym(files[r.student]) for r in results if r.student in files}


def pseudonyms(students: Iterable[str], salt: bytes, picked: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """A public name for every student: their valid pick, else a generated one.

    Args:
        students: the student ids of the board.
        salt: the secret key of the generated names (:func:`load_salt`).
        picked: student id -> the name they picked (:func:`picked_pseudonym`), or None.

    Returns:
        student id -> pseudonym, all different. A pick is refused (the generated name is used)
        when it equals, ignoring case, any student's id, any generated name, or another student's
        pick (then both are refused: nobody can take a name another chose). A generated name that
        collides with one given before it (in student id order) is derived again from the next
        attempt of the keyed hash.
    """
    ids = sorted(set(students))
    picks: dict[str, str] = {s: p for s, p in (picked or {}).items() if s in ids and p}
    first = {s: _generated(s, salt) for s in ids}
    taken = {s.casefold() for s in ids} | {name.casefold() for name in first.values()}
    counts: dict[str, int] = {}
    for p in picks.values():
        counts[p.casefold()] = counts.get(p.casefold(), 0) + 1
    out: dict[str, str] = {}
    used: set[str] = set()
    for student, p in picks.items():
        if p.casefold() not in taken and counts[p.casefold()] == 1:
            out[student] = p
            used.add(p.casefold())
    for student in ids:
        if student in out:
            continue
        attempt, name = 0, first[student]
        while name.casefold() in used:
            attempt += 1
            name = _generated(student, salt, attempt)
        out[student] = name
        used.add(name.casefold())
    return out


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
