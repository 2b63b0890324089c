"""`er evaluate`: how well a run's signals find abuse, and what a source or a vendor score adds. Thin: options,
one library call (entity_resolution.lift.evaluate), a table or JSON, optional plots.

Exit codes: 0 ok, 2 bad input (not a run folder, a labels or vendor file breaking its contract, an unknown
--without, a --plots folder holding other files), 1 any other failure.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import InputError, Problem
from .common import Root, cli_errors, console, out_console


class Format(StrEnum):
    table = "table"
    json = "json"


def _check_plots(folder: Path | None) -> None:
    """--plots must be new, empty or an earlier --plots folder (only our PNG and HTML files): never replace
    someone's files."""
    if folder is None or not folder.exists():
        return
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, None, "a folder for the plots", "a file")])
    others = [p.name for p in folder.iterdir() if p.suffix not in (".png", ".html")]
    if others:
        raise InputError([Problem(str(folder), None, None, "a new or empty folder, or an earlier --plots folder",
                                  f"other files ({', '.join(sorted(others)[:5])})")])


def evaluate(
    ctx: typer.Context,
    from_run: Annotated[Path, typer.Option("--from", help="The run folder whose detection (signals.parquet) "
                                           "is judged. Only read, never written.")],
    labels: Annotated[Path | None, typer.Option("--labels", help="A labels file in the data-contract format "
                                                "(account_id, label, decided_at, origin). Default: the run's own "
                                                "labels (in_labels).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table (terminal) or json (stdout).")] = Format.table,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG charts and report.html here.")] = None,
    without: Annotated[str | None, typer.Option("--without", help="Rerun resolution and detection without this "
                                                "source (payments, devices) or optional input column, on a "
                                                "copy, and report the change of every figure.")] = None,
    vendor: Annotated[Path | None, typer.Option("--vendor", help="A third-party score file (one key column of "
                                                "account_id, email, device, ip, card, and score; "
                                                "docs/data-contract.md): its quality and its lift.")] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, help="Precision at k. Default: the number of abusive "
                                          "accounts judged.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0, help="A risk score at or above "
                                             "this flags the account (precision, recall).")] = 0.5,
    top_rings: Annotated[int, typer.Option("--top-rings", min=1, help="How many rings (by mean member risk) "
                                           "count as the top rings.")] = 10,
    resamples: Annotated[int, typer.Option("--resamples", min=50, help="Bootstrap resamples of accounts.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
) -> None:
    """Precision, recall, precision at k, ROC-AUC and PR-AUC of risk_score and each signal with bootstrap
    confidence intervals; ring purity and known abuse in the top rings; the lift of a source (--without) or of
    a vendor score (--vendor). Only decisions at or before the detection's as-of count; appeal_overturned is
    benign; an account whose own decision was used to score it is left out (docs/evidence.md)."""
    from ..lift import Options
    from ..lift import evaluate as run_evaluation

    root = Root.of(ctx)
    with cli_errors(root.debug):
        _check_plots(plots)
        opts = Options(k=k, threshold=threshold, top_rings=top_rings, resamples=resamples, seed=seed)
        if without is not None and not root.quiet:
            console.print(f"Rerunning resolution and detection without {escape(without)} (on a copy)...")
        result = run_evaluation(from_run, labels, opts, without=without, vendor=vendor, config=root.config).as_dict()
        if plots is not None:
            from ..lift.plots import write_plots

            write_plots(result, plots)
    if fmt is Format.json:
        # one object; never wrapped to the terminal's width (a wrapped string would not parse)
        out_console.print(json.dumps(result, indent=2), markup=False, highlight=False, soft_wrap=True)
        return
    if not root.quiet:
        show(result)


def _ci(e: dict[str, Any], points: bool = False) -> str:
    if e.get("value") is None:
        return "n/a"
    f = "{:+.3f}" if points else "{:.3f}"
    low = "?" if e["low"] is None else f.format(e["low"])
    high = "?" if e["high"] is None else f.format(e["high"])
    return f"{f.format(e['value'])} [dim]({low}–{high})[/dim]"


def show(result: dict[str, Any]) -> None:
    """The figures as rich tables: one row per signal, the ring figures, the change without a source, the
    vendor line."""
    labels = result["labels"]
    out_console.print(
        f"[bold]{escape(str(result['run_id']))}[/bold] as of {result['as_of']}: {labels['judged_accounts']} "
        f"accounts judged ({labels['judged_abusive']} abusive, {labels['judged_benign']} benign) from "
        f"{escape(labels['source'])}; {labels['ignored_after_as_of']} decisions after as-of ignored, "
        f"{labels['left_out_own_label_used']} left out (own label used). 95 % intervals from "
        f"{result['bootstrap']['resamples']} resamples of accounts.", soft_wrap=True)
    names = ("precision", "recall", "precision_at_k", "roc_auc", "pr_auc")
    table = Table(title="Signals")
    table.add_column("signal")
    for n in names:
        table.add_column(n if n != "precision_at_k" else f"P@{result['k']}", justify="right")
    for sig, figures in result["signals"].items():
        table.add_row(sig, *(_ci(figures[n]) for n in names))
    out_console.print(table)
    rings = result["rings"]
    out_console.print(f"Rings: {rings['rings']} ({rings['rings_with_judged_members']} with judged members); "
                      f"purity {_ci(rings.get('purity', {}))}; known-abusive accounts in the top "
                      f"{rings['top_rings']} rings {_ci(rings.get('top_rings_abusive_share', {}))}")
    if "without" in result:
        w = result["without"]
        change = Table(title=f"With minus without {escape(w['source'])} ({w['accounts']} accounts, paired)")
        change.add_column("signal")
        for n in names:
            change.add_column(n if n != "precision_at_k" else f"P@{w['k']}", justify="right")
        for sig, figures in w["figures"].items():
            if sig == "rings":
                continue
            change.add_row(sig, *((_ci(figures[n]["change"], points=True) + (" *" if figures[n]["significant"]
                                                                              else "")) if n in figures else ""
                                  for n in names))
        out_console.print(change)
        r = w["figures"].get("rings", {})
        out_console.print("Rings, with minus without: " + "; ".join(
            f"{m} {_ci(f['change'], points=True)}{' *' if f['significant'] else ''}" for m, f in r.items()))
        out_console.print("[dim]* the 95 % interval excludes zero[/dim]")
    if "vendor" in result:
        v = result["vendor"]
        alone = v.get("alone", {}).get("roc_auc", {})
        out_console.print(f"Vendor {escape(v['file'])} (key {v['key']}): covers {v['accounts_covered']} of "
                          f"{v['accounts']} accounts ({v['judged_covered']} judged); ROC-AUC alone {_ci(alone)}",
                          soft_wrap=True)
        out_console.print(f"[bold]Vendor lift: {escape(v['lift']['line'])}[/bold]", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to the `er` app."""
    app.command("evaluate")(evaluate)
