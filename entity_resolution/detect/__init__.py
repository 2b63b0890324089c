"""Linking signals: components, rings, bridges, growth and a risk score per account.

`compute_signals(run_dir)` is the embedded default (DuckDB + igraph over the run's er.duckdb) that `er run`
calls at the end; `entity_resolution.detect.graph.detect_graph` runs the same definitions as Cypher on Neo4j.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .core import DetectResult
from .settings import DetectSettings

__all__ = ["DetectResult", "DetectSettings", "compute_signals"]


def compute_signals(run_dir: Path, settings: DetectSettings | None = None,
                    previous: Path | None = None) -> DetectResult:
    """Compute the signals of a run folder in-process and write signals, rings, hubs, ring_events,
    components and bridges (CSV + Parquet) and detect_manifest.json into it.

    previous: an earlier run folder or `er detect` export holding signals.parquet; ring ids carry over from
    it and ring_events lists what changed since. Files are replaced only once all are written.
    """
    from .core import write_detection
    from .inprocess import compute_facts
    from .output import read_previous

    started = datetime.now(UTC)
    settings = settings or DetectSettings()
    prev = read_previous(previous) if previous is not None else None
    facts = compute_facts(run_dir, settings)
    inputs = {"run_dir": str(run_dir), "database": str(run_dir / "er.duckdb")}
    return write_detection(facts, settings, prev, run_dir, started, inputs)
