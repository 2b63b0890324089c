"""Enforcement metrics over time: one row per detection (a run folder or an `er detect` export), oldest as-of
first, so a team sees whether detection stays accurate as abuse evolves.

Per detection, with the enforcement decisions known at its as-of only (detect/labels.py: a decision after the
as-of is unknown then, `appeal_overturned` counts as benign, the latest decision wins):
- accounts_flagged: accounts in a ring (the unit an investigator acts on); high_risk: risk_score >= 0.8;
- rings, rings_new (ids not seen in an earlier detection of the series: ids carry over between detections
  that diff against each other), flagged_change (accounts_flagged minus the previous row's), ring_growth_7d
  (accounts the rings gained in the 7 days before the as-of);
- precision: share of the flagged accounts with a known decision that were decided abusive (labelled_flagged
  of them);
- appeal_overturn_rate: of the accounts whose known decision came out of enforcement or appeal (origin
  enforcement, appeal_upheld or appeal_overturned), the share overturned on appeal; overturned_flagged: how many
  of those overturned accounts were flagged (our false positives that reached an appeal);
- days_to_flag: median days from a new ring's first member sign-up to the as-of that first flagged it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from .sources import DETECT_MANIFEST, SIGNALS, Detection, open_detection, read_labels

HIGH_RISK = 0.8  # as figures.HIGH_RISK: the graph's HighRisk mark (detect/marks.py)
_PROCESS = ("enforcement", "appeal_upheld", "appeal_overturned")  # origins of the enforcement process


@dataclass(frozen=True)
class RunMetrics:
    as_of: datetime
    detection_id: str
    run_id: str
    folder: str
    accounts: int
    accounts_flagged: int
    high_risk: int
    rings: int
    rings_new: int
    flagged_change: int | None
    ring_growth_7d: int
    labelled_flagged: int
    precision: float | None
    process_decisions: int
    overturned: int
    appeal_overturn_rate: float | None
    overturned_flagged: int
    days_to_flag: float | None
    labels_from: str | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


COLUMNS = [f.name for f in fields(RunMetrics)]


def detection_folders(paths: list[Path]) -> list[Path]:
    """Each path as given when it is a detection (run folder or export), else the dated exports under it
    (an `er detect --out` root); InputError naming every path that is neither."""
    from ..detect.export import exports

    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if (path / SIGNALS).is_file() and (path / DETECT_MANIFEST).is_file():
            found.append(path)
        elif inside := exports(path):
            found += inside
        else:
            problems.append(Problem(str(path), None, None, "a run folder, an `er detect` export or a folder of "
                                    "dated exports", "no folder at this path" if not path.exists()
                                    else f"none of these (no {SIGNALS} and {DETECT_MANIFEST})"))
    if problems:
        raise InputError(problems)
    return found


def metrics(paths: list[Path], labels_from: Path | None = None) -> list[RunMetrics]:
    """One row per detection under `paths`, oldest as-of first. labels_from: a run folder whose decisions count
    for every detection (each sees only those made by its as-of); default: each detection's own run folder's."""
    detections = sorted((open_detection(p) for p in detection_folders(paths)),
                        key=lambda d: (d.as_of, str(d.manifest.get("started_at") or ""), str(d.folder)))
    if labels_from is not None:
        from ..runfolder import open as open_run_folder

        open_run_folder(labels_from)  # InputError unless it is a run folder
    shared = read_labels(labels_from) if labels_from is not None else None
    seen_rings: set[str] = set()
    rows: list[RunMetrics] = []
    for det in detections:
        source = labels_from if labels_from is not None else det.run
        labels = shared if labels_from is not None else read_labels(det.run)
        row = _one(det, labels, str(source) if labels is not None else None, seen_rings,
                   rows[-1].accounts_flagged if rows else None)
        rows.append(row)
    return rows


def _one(det: Detection, labels: pa.Table | None, labels_from: str | None, seen_rings: set[str],
         previous_flagged: int | None) -> RunMetrics:
    from ..detect.labels import decisions

    signals = det.signals(["account_id", "ring_id", "risk_score"])
    in_ring = pc.fill_null(pc.not_equal(signals["ring_id"], ""), False)
    flagged_ids = set(signals.filter(in_ring)["account_id"].to_pylist())
    rings = det.table("rings", ["ring_id", "first_seen", "growth_7d"])
    ring_rows = rings.to_pylist() if rings is not None else []
    new = [r for r in ring_rows if r["ring_id"] not in seen_rings]
    seen_rings.update(r["ring_id"] for r in ring_rows)
    days = [(det.as_of - r["first_seen"]).total_seconds() / 86400 for r in new if r["first_seen"] is not None]

    labelled = precision = rate = None
    process = overturned = overturned_flagged = 0
    if labels is not None:
        known = decisions(labels, det.as_of, signals["account_id"].combine_chunks()).table.to_pylist()
        on_flagged = [k["abusive"] for k in known if k["account_id"] in flagged_ids]
        labelled = len(on_flagged)
        precision = sum(on_flagged) / labelled if labelled else None
        process_rows = [k for k in known if (k["origin"] or "").lower() in _PROCESS]
        gone = [k for k in process_rows if (k["origin"] or "").lower() == "appeal_overturned"]
        process, overturned = len(process_rows), len(gone)
        rate = overturned / process if process else None
        overturned_flagged = sum(1 for k in gone if k["account_id"] in flagged_ids)
    risky = pc.sum(pc.greater_equal(pc.fill_null(signals["risk_score"], 0.0), HIGH_RISK)).as_py() or 0
    return RunMetrics(
        as_of=det.as_of, detection_id=det.detection_id, run_id=det.run_id, folder=str(det.folder),
        accounts=signals.num_rows, accounts_flagged=len(flagged_ids), high_risk=int(risky), rings=len(ring_rows),
        rings_new=len(new),
        flagged_change=len(flagged_ids) - previous_flagged if previous_flagged is not None else None,
        ring_growth_7d=sum(int(r["growth_7d"] or 0) for r in ring_rows),
        labelled_flagged=labelled or 0, precision=precision, process_decisions=process, overturned=overturned,
        appeal_overturn_rate=rate, overturned_flagged=overturned_flagged,
        days_to_flag=statistics.median(days) if days else None, labels_from=labels_from,
    )


def as_table(rows: list[RunMetrics]) -> pa.Table:
    """The rows as an Arrow table (as_of a UTC timestamp), for CSV."""
    data = [r.as_dict() for r in rows]
    table = pa.Table.from_pylist(data) if data else pa.table({c: pa.array([], pa.string()) for c in COLUMNS})
    return table.select(COLUMNS)


def plot(rows: list[RunMetrics], path: Path) -> Path:
    """A PNG of the metrics over as-of: counts on top (flagged accounts, high-risk accounts, rings), rates below
    (precision, appeal overturn rate). Written to a temporary name, then renamed."""
    import os
    import secrets

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    when = [r.as_of for r in rows]
    fig = Figure(figsize=(8, 5.5), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    counts: list[tuple[str, list[int]]] = [("accounts flagged (in a ring)", [r.accounts_flagged for r in rows]),
                                           (f"high risk (>= {HIGH_RISK})", [r.high_risk for r in rows]),
                                           ("rings", [r.rings for r in rows])]
    for name, values in counts:
        top.plot(when, values, marker="o", label=name)
    top.set_ylabel("count")
    top.legend(fontsize=8)
    rates: list[tuple[str, list[float | None]]] = [
        ("precision on labels known then", [r.precision for r in rows]),
        ("appeal overturn rate", [r.appeal_overturn_rate for r in rows])]
    for name, shares in rates:
        bottom.plot(when, [math.nan if v is None else v for v in shares], marker="o", label=name)
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("share")
    bottom.set_xlabel("detection as-of")
    bottom.legend(fontsize=8)
    fig.autofmt_xdate()
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        fig.savefig(tmp, format="png", metadata={"Software": None})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
