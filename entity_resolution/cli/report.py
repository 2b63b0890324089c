"""`er report`: write (again) the report.html of a run folder or an `er detect` export. Thin: options, one
library call (entity_resolution.report), the path written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import Root, cli_errors, out_console


def report(
    ctx: typer.Context,
    from_: Annotated[Path, typer.Option("--from", help="A run folder of `er run` or an export folder of "
                                        "`er detect`.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the HTML: a new path or an "
                                             "earlier report. Default: report.html in the --from folder.")] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="A run folder whose enforcement decisions the "
                                                "label quality uses. Default: the detection's run folder's.")] = None,
) -> None:
    """Write report.html, a self-contained page, for a run or a detection export.

    It holds counts, match weights, match probabilities, rings and their growth, top rings, hubs and the
    point-in-time label quality (docs/reports.md). Unlike `er run`, a failure here is an error with its exit
    code (2 for a folder that is neither)."""
    from ..report import write_report

    root = Root.of(ctx)
    with cli_errors(root.debug):
        path = write_report(from_, out, labels_from=labels)
    if not root.quiet:
        out_console.print(str(path), soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `report` command to the `er` app."""
    app.command("report")(report)
