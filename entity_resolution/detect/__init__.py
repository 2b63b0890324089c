"""Linking signals: components, rings, bridges, growth and a risk score per account.

`compute_signals(run_dir)` is the embedded default (DuckDB + igraph over the run's er.duckdb) that `er run`
calls at the end; `entity_resolution.detect.graph.detect_graph` runs the same definitions as Cypher on Neo4j.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .core import DetectResult
from .rejected import RejectedRing
from .settings import DetectSettings

__all__ = ["DetectResult", "DetectSettings", "compute_signals"]


def compute_signals(run_dir: Path, settings: DetectSettings | None = None,
                    previous: Path | None = None, *, out_dir: Path | None = None, run_id: str | None = None,
                    run_as_of: datetime | None = None, incremental: bool = True,
                    labels_from: Path | None = None, rejected: Sequence[RejectedRing] = ()) -> DetectResult:
    """Compute the signals of a run folder in-process and write signals, rings, hubs, ring_events,
    components and bridges (CSV + Parquet) and detect_manifest.json into it (or into out_dir).

    previous: an earlier run folder or `er detect` export holding signals.parquet; ring ids carry over from
    it and ring_events lists what changed since. Files are replaced only once all are written.
    incremental: when previous holds the structure an in-process detection saved (detect_state_*.parquet),
    reuse it for every component whose shared edges did not change and analyse only the rest; the outputs
    are the same as a full computation's (docs/signals.md, "Incremental detection"). The manifest's `mode`
    and `mode_reason` say which was done.
    run_id, run_as_of: the run's id and as-of when its manifest.json is not written yet (pipeline.run).
    The run's labels (in_labels), when it has any and settings.learn_from_labels is set, make risk learned
    from them (docs/signals.md, "Risk learned from labels"); labels_from: another run folder to take them from.
    rejected: rings reviewers rejected (`er review`): the same groups without new evidence are not flagged.
    """
    from .core import write_detection
    from .incremental import state_manifest
    from .inprocess import compute
    from .labels import read_labels
    from .output import read_previous

    started = datetime.now(UTC)
    settings = settings or DetectSettings()
    prev = read_previous(previous) if previous is not None else None
    facts, structure = compute(run_dir, settings, run_id=run_id, run_as_of=run_as_of, previous=previous,
                               incremental=incremental)
    inputs = {"run_dir": str(run_dir), "database": str(run_dir / "er.duckdb")}
    extra = {"mode": structure.info["mode"], "mode_reason": structure.info["reason"],
             "structure": {k: v for k, v in structure.info.items() if k not in ("mode", "reason")},
             "structure_state": state_manifest(settings)}
    labels = read_labels(labels_from or run_dir) if settings.learn_from_labels else None
    return write_detection(facts, settings, prev, out_dir or run_dir, started, inputs,
                           state=structure.state_tables(), extra_manifest=extra, labels=labels, rejected=rejected)
