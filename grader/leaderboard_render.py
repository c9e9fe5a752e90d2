"""The leaderboard shown: a rich table for the terminal and a self-contained HTML page
(with plots of the accuracies), from the DataFrame :func:`grader.leaderboard.leaderboard`
ranks. Every student string is shown literally (:func:`grader.visible.make_visible`,
:func:`grader.console.shown`, ``html.escape``).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from .spreadsheet import write_atomic
from .visible import make_visible


def _fmt_rank(value: Any) -> str:
    return "—" if pd.isna(value) else str(int(value))


def _fmt_accuracy(accuracy: Any, std: Any) -> str:
    if pd.isna(accuracy):
        return "—"
    return f"{accuracy:.1%}" + ("" if pd.isna(std) else f" ± {std:.1%}")


def _fmt_params(value: Any) -> str:
    return "—" if pd.isna(value) else f"{int(value):,}"


def _fmt_seconds(value: Any) -> str:
    return "—" if pd.isna(value) else f"{value:.3g} s"


def _display_rows(df: pd.DataFrame) -> list[tuple[str, ...]]:
    return [
        (
            _fmt_rank(row.rank), make_visible(row.student), _fmt_accuracy(row.accuracy, row.accuracy_std),
            _fmt_params(row.n_params), _fmt_seconds(row.train_time_s), make_visible(row.status),
            make_visible(row.note),
        )  # fmt: skip
        for row in df.itertuples(index=False)
    ]


_HEADERS = ("Rank", "Student", "Accuracy", "Parameters", "Train time / fold", "Status", "Note")


def render_table(df: pd.DataFrame, *, title: str | None = None) -> Table:
    """The board as a rich Table for the terminal. Every cell goes through
    :func:`grader.console.shown`: ids and notes are shown literally (no markup, no
    control sequences, hidden characters as escapes)."""
    from .console import shown

    table = Table(title=None if title is None else shown(title))
    for header in _HEADERS:
        right = header in ("Rank", "Accuracy", "Parameters", "Train time / fold")
        table.add_column(header, justify="right" if right else "left")
    for cells, row in zip(_display_rows(df), df.itertuples(index=False), strict=True):
        style = None if not pd.isna(row.rank) else "dim"
        table.add_row(*(shown(c) for c in cells), style=style)
    return table


def _plot_png(df: pd.DataFrame, metric: str) -> bytes | None:
    """Accuracy ± std per student (board order, top first) as PNG bytes; None if nothing to plot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    shown = df[df["accuracy"].notna()]
    if shown.empty:
        return None
    fig = Figure(figsize=(7.5, 1.2 + 0.3 * len(shown)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ys = list(range(len(shown)))[::-1]
    ranked = shown["rank"].notna().to_numpy()
    std = shown["accuracy_std"].fillna(0.0).to_numpy()
    acc = shown["accuracy"].to_numpy()
    for mask, color, marker, label in ((ranked, "tab:blue", "o", "ranked"), (~ranked, "tab:red", "x", "not ranked")):
        if mask.any():
            ax.errorbar(
                acc[mask], [y for y, m in zip(ys, mask, strict=True) if m], xerr=std[mask],
                fmt=marker, color=color, capsize=3, label=label,
            )  # fmt: skip
    ax.set_yticks(ys, labels=[make_visible(s) for s in shown["student"]], parse_math=False)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"{metric} (error bars: ± std over folds)")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-top: 1em; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.unranked { color: #888; }
img { max-width: 100%; }
"""


def write_html(df: pd.DataFrame, path: str | Path, *, title: str = "Leaderboard") -> Path:
    """Write the board as one self-contained HTML page: a plot and the ranked table.

    The plot (accuracy with ± std error bars per student, submissions with an
    accuracy only) is an embedded base64 PNG drawn with matplotlib's Agg
    canvas; the page loads nothing from elsewhere and has no JavaScript.
    Student ids, notes and the title are HTML-escaped. Returns the path.

    Raises:
        OSError: the file cannot be written.
    """
    path = Path(path)
    png = _plot_png(df, str(df.attrs.get("metric", "accuracy")))
    numeric = {0, 2, 3, 4}
    body = []
    for cells, rank in zip(_display_rows(df), df["rank"], strict=True):
        tds = "".join(
            f'<td class="num">{html.escape(c)}</td>' if i in numeric else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(cells)
        )
        row_class = "" if not pd.isna(rank) else ' class="unranked"'
        body.append(f"<tr{row_class}>{tds}</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADERS)
    figure = (
        f'<img alt="accuracy per student" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        if png
        else "<p>No accuracies to plot.</p>"
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(make_visible(title))}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{html.escape(make_visible(title))}</h1>
{figure}
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
</body>
</html>
"""
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))  # never a half-written page
    return path
