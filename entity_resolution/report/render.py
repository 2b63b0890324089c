"""report.html: the figures (figures.py) and charts (charts.py) of a detection folder, rendered with Jinja2
(autoescaped: ids, reasons and identifier values are data) into one self-contained file."""

from __future__ import annotations

import math
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError, Problem
from . import charts
from .figures import PROBABILITY_BINS, ReportData, collect
from .sources import open_detection

REPORT = "report.html"
GENERATOR = '<meta name="generator" content="entity-resolution report">'  # in the template: how we know our own


def render(data: ReportData) -> str:
    """The HTML text of the report."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("entity_resolution.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), undefined=StrictUndefined)
    drawn: dict[str, str | None] = {
        "match_weights": charts.match_weights(data.prior_weight, data.match_weights) if data.match_weights else None,
        "probabilities": charts.probabilities(data.probability_bins, 1 / PROBABILITY_BINS, data.weight_bins)
        if data.probability_bins else None,
        "ring_sizes": charts.ring_sizes(data.ring_sizes) if data.ring_sizes else None,
        "growth": charts.growth(data.growth) if data.growth else None,
        "risk": charts.risk_by_label(data.quality.scores_abusive, data.quality.scores_benign)
        if data.quality is not None else None,
    }
    return env.get_template("report.html.j2").render(
        data=data, charts=drawn, q=data.quality, version=__version__,
        written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), fmt=_fmt, num=_num, day=_day)


def write_report(folder: Path, out: Path | None = None, *, labels_from: Path | None = None) -> Path:
    """Write the report of the detection in `folder` (a run folder or an `er detect` export) to `out` (default
    folder/report.html), replacing it only once complete. InputError when `folder` is neither.
    labels_from: a run folder whose enforcement decisions the label quality uses (default: the detection's own
    run folder's)."""
    target = out or folder / REPORT
    check_target(target)
    if labels_from is not None:
        from ..runfolder import open as open_run_folder

        open_run_folder(labels_from)  # InputError unless it is a run folder
    data = collect(open_detection(folder), labels_from=labels_from)
    tmp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
    try:
        tmp.write_text(render(data), encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def check_target(target: Path) -> None:
    """InputError unless `target` is new or a report of ours: nothing else is overwritten."""
    if not target.exists():
        if not target.parent.is_dir():
            raise InputError([Problem(str(target), None, None, "a path in an existing folder", "no such folder")])
        return
    ours = target.is_file() and GENERATOR.encode() in target.open("rb").read(2048)
    if not ours:
        raise InputError([Problem(str(target), None, None, f"a new path or a {REPORT} written by `er`",
                                  "a folder" if target.is_dir() else "a file of something else")])


def try_write_report(folder: Path, *, labels_from: Path | None = None) -> tuple[Path | None, str | None]:
    """write_report for `er run` and `er detect`: the report's path, or None and a one-line warning. The report
    is a by-product of outputs that are already complete, so no failure of its own may fail the run
    (docs/reports.md); `er report --from` writes it again and shows the error in full."""
    try:
        return write_report(folder, labels_from=labels_from), None
    except Exception as exc:  # any failure, by design (above); interrupts are BaseException and still stop
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return None, f"{REPORT} was not written ({type(exc).__name__}: {first}); the run's outputs are complete"


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _num(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.3f}"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"
