"""`er metrics`: enforcement metrics over time, one row per detection. Thin: options, one library call
(entity_resolution.report.metrics), a rich table, JSON or spreadsheet-safe CSV on stdout, and a PNG plot."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import InputError, Problem
from .common import Root, cli_errors, out_console

if TYPE_CHECKING:  # the module itself loads pyarrow: `er --help` stays light
    from ..report.metrics import RunMetrics


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def metrics(
    ctx: typer.Context,
    runs: Annotated[list[Path] | None, typer.Option("--runs", help="Run folders, `er detect` exports or "
                                                    "export roots (their dated folders); repeat it, or list "
                                                    "more after it (`--runs exports/*`).")] = None,
    more: Annotated[list[Path] | None, typer.Argument(help="More folders, as --runs.", show_default=False)] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="A run folder whose enforcement decisions count "
                                                "for every detection (each sees those made by its as-of). "
                                                "Default: each detection's own run folder's.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table (rich), json or csv (safe to open in a "
                                        "spreadsheet), on stdout.")] = Format.table,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write a PNG of the metrics over as-of "
                                              "here (a new path or a .png).")] = None,
) -> None:
    """Enforcement metrics over time, one row per detection.

    Oldest as-of first: accounts flagged, rings, growth, precision on the labels known by then, appeal
    overturn rate and days from a ring's first sign-up to its flag (docs/reports.md)."""
    from ..report.metrics import metrics as compute
    from ..report.metrics import plot as draw

    root = Root.of(ctx)
    folders = [*(runs or []), *(more or [])]
    with cli_errors(root.debug):
        if not folders:
            raise InputError([Problem("--runs", None, None, "at least one run folder or detection export",
                                      "none")])
        if plot is not None and (plot.suffix.lower() != ".png" or plot.is_dir()):
            raise InputError([Problem(str(plot), None, None, "a path ending in .png", "something else")])
        rows = compute(folders, labels)
        if plot is not None:
            draw(rows, plot)
    if fmt is Format.json:
        out_console.print_json(json.dumps([r.as_dict() for r in rows]))
    elif fmt is Format.csv:
        import pyarrow.csv as pacsv

        from ..export.tables import CSV_OPTIONS, spreadsheet_safe
        from ..report.metrics import as_table

        sys.stdout.flush()
        pacsv.write_csv(spreadsheet_safe(as_table(rows)), sys.stdout.buffer, write_options=CSV_OPTIONS)
        sys.stdout.buffer.flush()
    elif not root.quiet:
        out_console.print(_table(rows))


def _table(rows: list[RunMetrics]) -> Table:
    """The main figures, narrow enough for an 80-column terminal (JSON and CSV hold every column)."""
    table = Table(title="Enforcement metrics over time")
    table.add_column("as of", no_wrap=True)
    for name in ("accounts", "flagged (change)", "high risk", "rings (new)", "precision (n)", "overturned",
                 "days to flag"):
        table.add_column(name, justify="right")
    for r in rows:
        change = "" if r.flagged_change is None else f" ({r.flagged_change:+,})"
        table.add_row(
            r.as_of.strftime("%Y-%m-%d %H:%M"), f"{r.accounts:,}", f"{r.accounts_flagged:,}{change}",
            f"{r.high_risk:,}", f"{r.rings:,} ({r.rings_new:,})",
            "-" if r.precision is None else f"{r.precision:.2f} ({r.labelled_flagged})",
            "-" if r.appeal_overturn_rate is None else
            f"{r.appeal_overturn_rate:.0%} of {r.process_decisions}",
            "-" if r.days_to_flag is None else f"{r.days_to_flag:.1f}")
    return table


def register(app: typer.Typer) -> None:
    """Add the `metrics` command to the `er` app."""
    app.command("metrics")(metrics)
