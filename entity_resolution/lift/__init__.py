"""Lift: how well a run's signals find abuse, and what a data source or a vendor score adds (`er evaluate`).

    from entity_resolution.lift import evaluate, Options
    result = evaluate(Path("out/run"), labels=None, opts=Options(), without="payments", vendor=Path("v.csv"))
    result.as_dict()        # what `er evaluate --format json` prints

Modules: scored (the detection and the decisions it is judged on), metrics (figures and their bootstrap),
rings (ring purity, abuse in the top rings), quality (one detection; two detections paired), without (the
rerun without a source), vendor (a third-party score: read, join, lift), plots (PNG and HTML). docs/evidence.md
explains every figure and gives the measured ones.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .quality import Change, Options, Quality

__all__ = ["Evaluation", "Options", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    run_id: str
    detection_id: str | None
    as_of: str
    labels_source: str
    label_counts: dict[str, int]
    opts: Options
    quality: Quality
    without: str | None = None
    without_change: Change | None = None
    without_counts: dict[str, int] = field(default_factory=dict)
    vendor: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id, "detection_id": self.detection_id, "as_of": self.as_of,
            "labels": {"source": self.labels_source, **self.label_counts},
            "bootstrap": {"resamples": self.opts.resamples, "seed": self.opts.seed, "confidence": 0.95,
                          "unit": "account"},
            "threshold": self.opts.threshold, "top_rings": self.opts.top_rings,
            **self.quality.as_dict(),
        }
        if self.without_change is not None:
            out["without"] = {"source": self.without, "rerun_judged": self.without_counts,
                              **self.without_change.as_dict()}
        if self.vendor is not None:
            out["vendor"] = self.vendor
        return out


def evaluate(run_dir: Path, labels: Path | None = None, opts: Options | None = None, *, without: str | None = None,
             vendor: Path | None = None, config: Path | None = None, work_dir: Path | None = None) -> Evaluation:
    """Judge the run folder's detection against labels (a labels file, else the run's in_labels).

    without: also rerun resolution and detection without that source or column (lift.without), in a
    temporary folder (under work_dir when given) removed afterwards; the run folder is only read.
    vendor: a third-party score file (lift.vendor): its own quality and what it adds to our signals."""
    from ..runfolder import open as open_run_folder
    from . import scored as S
    from .quality import compare, judge

    opts = opts or Options()
    leave_out = None
    if without is not None:
        from .without import parse

        leave_out = parse(without)  # bad input before any work
    run = open_run_folder(run_dir)
    vendor_table = None
    if vendor is not None:
        from .vendor import read_vendor

        vendor_table = read_vendor(vendor, run_dir)
    table, source = S.labels_of(run, labels)
    base = S.load(run_dir, table)
    floors = S.floors(run_dir)
    quality = judge(base, floors, opts)
    change = None
    counts: dict[str, int] = {}
    if leave_out is not None:
        from .without import rerun

        work = Path(tempfile.mkdtemp(prefix="er-evaluate-", dir=work_dir))
        try:
            other_dir = rerun(run_dir, leave_out, work, config)
            other = S.load(other_dir, table)
            change = compare(base, other, floors, S.floors(other_dir), opts)
            counts = other.label_counts
        finally:
            shutil.rmtree(work, ignore_errors=True)
    vendor_out = None
    if vendor_table is not None:
        from .vendor import judge_vendor

        vendor_out = judge_vendor(vendor_table, base, run_dir, opts)
    return Evaluation(run_id=base.run_id, detection_id=base.detection_id, as_of=base.as_of.isoformat(),
                      labels_source=source, label_counts=base.label_counts, opts=opts, quality=quality,
                      without=without, without_change=change, without_counts=counts, vendor=vendor_out)
