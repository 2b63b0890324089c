"""Detection from facts to files: shared by the in-process and Neo4j backends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from .facts import Facts
from .finish import Outputs, Previous, finish
from .output import write_tables
from .rejected import RejectedRing
from .settings import DetectSettings


@dataclass(frozen=True)
class DetectResult:
    detection_id: str
    run_id: str  # the resolution run whose data was scored
    as_of: str
    backend: str
    out_dir: Path
    counts: dict[str, int]
    outputs: Outputs
    files: list[Path] = field(default_factory=list)


def detection_id(started: datetime) -> str:
    return f"detect-{started:%Y%m%dT%H%M%S}{started.microsecond // 1000:03d}Z"


def manifest(facts: Facts, settings: DetectSettings, previous: Previous | None, det_id: str,
             started: datetime, counts: dict[str, int], inputs: dict[str, Any],
             extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "detection_id": det_id,
        "run_id": facts.run_id,
        "as_of": facts.as_of.isoformat(),
        "backend": facts.backend,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "inputs": inputs,
        "previous": previous.source if previous else None,
        "parameters": settings.as_dict(),
        "hub_threshold": facts.hub_threshold,
        "counts": counts,
        "files": ["signals", "rings", "hubs", "ring_events", "components", "bridges"],
        **(extra or {}),
    }


def write_detection(facts: Facts, settings: DetectSettings, previous: Previous | None, out_dir: Path,
                    started: datetime, inputs: dict[str, Any], det_id: str | None = None, *,
                    state: Mapping[str, pa.Table] | None = None,
                    extra_manifest: Mapping[str, Any] | None = None,
                    labels: pa.Table | None = None, rejected: Sequence[RejectedRing] = ()) -> DetectResult:
    """state: Parquet-only tables written with the outputs (the in-process structure the next run reuses);
    extra_manifest: more manifest keys (how the structure was obtained); labels: enforcement decisions risk
    learns from (manifest key "risk", Parquet-only risk_features); rejected: rings reviewers rejected
    (rejected.py)."""
    outputs = finish(facts, settings, previous, labels, rejected)
    det_id = det_id or detection_id(started)
    if outputs.risk is not None:
        extra_manifest = {**(extra_manifest or {}), "risk": outputs.risk}
    if outputs.risk_features is not None:
        state = {**(state or {}), "risk_features": outputs.risk_features}
    files = write_tables(out_dir, outputs.tables(),
                         manifest(facts, settings, previous, det_id, started, outputs.counts, inputs, extra_manifest),
                         parquet_only=state)
    return DetectResult(detection_id=det_id, run_id=facts.run_id, as_of=facts.as_of.isoformat(),
                        backend=facts.backend, out_dir=out_dir, counts=outputs.counts, outputs=outputs, files=files)
