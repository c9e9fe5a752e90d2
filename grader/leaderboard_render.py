"""The leaderboard shown: a rich table for the terminal and a self-contained HTML page
(with a plot of the accuracies), from the DataFrame :func:`grader.leaderboard.leaderboard`
ranks. Every student string is shown literally (:func:`grader.visible.make_visible`,
:func:`grader.console.shown`, Jinja2's autoescaping of ``templates/leaderboard.html.j2``).

The page is for the class: it shows pseudonyms when given (the CLI's default,
``--anonymise``), the date, how the accuracy was measured, human labels for the
metrics (never ``accuracy_mean``), and a row that is not ranked without an
accuracy ("not ranked" and the reason), so a disqualified network's number never
sits beside a contradicting note. The terminal table is the instructor's: real
ids (with the pseudonyms beside them when the page uses them), and a not-ranked
row's accuracy in brackets after "not ranked".
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.table import Table

from .leaderboard import metric_label
from .spreadsheet import write_atomic
from .visible import make_visible

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _fmt_rank(value: Any) -> str:
    return "—" if pd.isna(value) else str(int(value))


def _fmt_accuracy(accuracy: Any, std: Any, ranked: bool = True, *, public: bool = False) -> str:
    """``97.3% ± 2.0%``; a not-ranked row reads ``not ranked`` on the page and ``not ranked (97.3%)``
    on the instructor's terminal; ``—`` when there is no accuracy."""
    if pd.isna(accuracy):
        return "—"
    text = f"{accuracy:.1%}" + ("" if pd.isna(std) else f" ± {std:.1%}")
    if ranked:
        return text
    return "not ranked" if public else f"not ranked ({accuracy:.1%})"


def _fmt_params(value: Any) -> str:
    return "—" if pd.isna(value) else f"{int(value):,}"


def _fmt_seconds(value: Any) -> str:
    return "—" if pd.isna(value) else f"{value:.3g} s"


_HEADERS = ("Rank", "Student", "Accuracy", "Parameters", "Train time / run", "Status", "Note")


def render_table(df: pd.DataFrame, *, title: str | None = None, names: Mapping[str, str] | None = None) -> Table:
    """The board as a rich Table for the terminal (the instructor's view: real ids, the notes as
    recorded). With ``names`` (student id -> pseudonym), a "Pseudonym" column shows what the
    public page calls each student. Every cell goes through :func:`grader.console.shown`: ids,
    pseudonyms and notes are shown literally (no markup, no control sequences, hidden
    characters as escapes)."""
    from .console import shown

    table = Table(title=None if title is None else shown(title))
    headers = list(_HEADERS)
    if names is not None:
        headers.insert(2, "Pseudonym")
    for header in headers:
        right = header in ("Rank", "Accuracy", "Parameters", "Train time / run")
        table.add_column(header, justify="right" if right else "left")
    for row in df.itertuples(index=False):
        ranked = not pd.isna(row.rank)
        cells = [
            _fmt_rank(row.rank), make_visible(row.student), _fmt_accuracy(row.accuracy, row.accuracy_std, ranked),
            _fmt_params(row.n_params), _fmt_seconds(row.train_time_s), make_visible(row.status),
            make_visible(row.note),
        ]  # fmt: skip
        if names is not None:
            cells.insert(2, make_visible(names.get(row.student, "")))
        table.add_row(*(shown(c) for c in cells), style=None if ranked else "dim")
    return table


def plot_figure(df: pd.DataFrame, metric: str, names: Mapping[str, str] | None = None) -> Figure | None:
    """The ranked networks' accuracy ± spread, top first, as a matplotlib Figure (Agg canvas);
    None if no row is ranked. Tick labels are the pseudonyms in ``names`` (else the ids), drawn
    literally (no mathtext); the axis label is in words (:func:`grader.leaderboard.metric_label`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    shown = df[df["accuracy"].notna() & df["rank"].notna()]
    if shown.empty:
        return None
    fig = Figure(figsize=(7.5, 1.3 + 0.3 * len(shown)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ys = list(range(len(shown)))[::-1]
    std = shown["accuracy_std"].fillna(0.0).to_numpy()
    ax.errorbar(shown["accuracy"].to_numpy(), ys, xerr=std, fmt="o", color="tab:blue", capsize=3)
    labels = [make_visible(names.get(s, s) if names is not None else s) for s in shown["student"]]
    ax.set_yticks(ys, labels=labels, parse_math=False)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    label = metric_label(metric)
    ax.set_xlabel(f"{label[:1].upper()}{label[1:]} (mean over the runs; bars: ± 1 standard deviation)")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _plot_png(df: pd.DataFrame, metric: str, names: Mapping[str, str] | None = None) -> bytes | None:
    """:func:`plot_figure` as PNG bytes; None if nothing to plot."""
    fig = plot_figure(df, metric, names)
    if fig is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def write_html(
    df: pd.DataFrame,
    path: str | Path,
    *,
    title: str = "Leaderboard",
    names: Mapping[str, str] | None = None,
    method: str = "",
    generated: datetime | None = None,
) -> Path:
    """Write the board as one self-contained HTML page: the date, how accuracy was measured,
    a plot of the ranked networks and the table.

    Args:
        df: a board from :func:`grader.leaderboard.leaderboard`.
        title: the page's heading.
        names: student id -> pseudonym (:func:`grader.leaderboard.pseudonyms`): the page then shows
            only pseudonyms, never an id; None shows the student ids.
        method: how the metric was measured (:func:`grader.leaderboard.measurement`); "" for none.
        generated: the page's date (default: now, UTC).

    The plot is an embedded base64 PNG drawn with matplotlib's Agg canvas; the page
    loads nothing from elsewhere (a Content-Security-Policy forbids it) and has no
    JavaScript. Every string is HTML-escaped by the template. Returns the path.

    Raises:
        OSError: the file cannot be written.
    """
    from .report import templates

    path = Path(path)
    metric = str(df.attrs.get("metric", "accuracy_mean"))
    png = _plot_png(df, metric, names)
    rows = []
    for row in df.itertuples(index=False):
        ranked = not pd.isna(row.rank)
        rows.append({
            "ranked": ranked,
            "rank": _fmt_rank(row.rank),
            "name": make_visible(names.get(row.student, "") if names is not None else row.student),
            "accuracy": _fmt_accuracy(row.accuracy, row.accuracy_std, ranked, public=True),
            "params": _fmt_params(row.n_params),
            "time": _fmt_seconds(row.train_time_s),
            "status": make_visible(row.status),
            "note": make_visible(row.public_note),
        })  # fmt: skip
    when = (generated or datetime.now(timezone.utc)).astimezone(timezone.utc)
    page = templates().get_template("leaderboard.html.j2").render(
        title=make_visible(title),
        rows=rows,
        anonymised=names is not None,
        method=method,
        generated=when.strftime("%Y-%m-%d %H:%M UTC"),
        graded_until=_utc(str(df.attrs.get("graded_until", ""))),
        plot=base64.b64encode(png).decode("ascii") if png else None,
        metric_label=metric_label(metric),
        n_ranked=int(df["rank"].notna().sum()),
    )
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))  # never a half-written page
    return path


def _utc(iso: str) -> str:
    """An ISO 8601 time as ``2026-12-06 05:30 UTC``; "" if empty or unreadable."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
