"""A detection's scores on the accounts it can be judged on: the decisions as of its as-of, and every signal.

- Decisions: a labels file in the data-contract format, or (none given) the run's own in_labels; read by the
  rules of detect/labels.py (decided at or before the detection's as-of, `appeal_overturned` is benign, an
  account's latest decision wins, undated rows and unknown accounts ignored and counted).
- Accounts judged: those with a decision, less any whose own decision was used to score it. Risk learned from
  labels is cross-fitted (detect/learned.py): a labelled account is scored by a model that never saw its label,
  recorded in risk_features.parquet (its decision and its fold). An account whose decision shows in
  risk_features without a fold was scored with its own label in view and is left out (counted).
- Signals: risk_score, then every numeric or yes/no column of signals.parquet (whatever the detection wrote:
  a column added later is judged without a change here), then the default-weight score when risk was learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..runfolder import RunFolder
from ..runfolder import open as open_run_folder

SIGNALS_FILE = "signals.parquet"
FEATURES_FILE = "risk_features.parquet"
DETECT_MANIFEST = "detect_manifest.json"
RISK = "risk_score"
DEFAULT_RISK = "default_risk_score"  # risk_features: the default-weight score beside the learned one
# Not signals: identifiers and text.
NOT_SIGNALS = frozenset({"account_id", "entity_id", "component_id", "part_id", "ring_id", "created_at", "reasons"})


@dataclass(frozen=True)
class Scored:
    """One detection, aligned on the accounts judged (arrays of equal length, ordered by account_id)."""

    run_id: str
    detection_id: str | None
    as_of: datetime
    account_id: np.ndarray  # str
    entity_id: np.ndarray  # str: the resolved person (cross-validation folds keep a person's accounts together)
    y: np.ndarray  # 1.0 abusive, 0.0 benign
    signals: dict[str, np.ndarray]  # name -> float values; risk_score first
    rings: dict[str, tuple[np.ndarray, float]]  # ring id -> (positions of its judged members, mean member risk)
    label_counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.y)


def read_labels_file(path: Path) -> pa.Table:
    """A labels file in the data-contract format (InputError with file, row, column on a problem)."""
    import duckdb

    from ..detect.labels import RAW
    from ..ingest.read import load_labels

    con = duckdb.connect()
    try:
        load_labels(con, path)
        return con.sql("SELECT account_id, label, decided_at, origin FROM in_labels").to_arrow_table().cast(RAW)
    finally:
        con.close()


def labels_of(run: RunFolder, labels: Path | None) -> tuple[pa.Table, str]:
    """The labels to judge against and where they came from: the file given, else the run's in_labels."""
    from ..detect.labels import read_labels

    if labels is not None:
        return read_labels_file(labels), str(labels)
    table = read_labels(run.paths.root)
    if table is None:
        raise InputError([Problem(str(run.paths.root), None, None, "a run with labels (in_labels) or --labels FILE",
                                  "a run without labels")])
    return table, "the run's in_labels"


def load(run_dir: Path, labels: pa.Table) -> Scored:
    """The run folder's detection (signals.parquet) judged against labels (the RAW schema of detect/labels)."""
    from ..detect.labels import decisions

    run = open_run_folder(run_dir)
    signals_path = run_dir / SIGNALS_FILE
    if not signals_path.is_file():
        raise InputError([Problem(str(run_dir), None, None, "a run folder with a detection (signals.parquet)",
                                  "no signals.parquet")])
    detection = _detect_manifest(run_dir)
    as_of = datetime.fromisoformat(detection["as_of"]) if detection.get("as_of") else run.manifest.as_of
    table = pq.read_table(signals_path).sort_by("account_id")
    decided = decisions(labels, as_of, table["account_id"])
    verdict = dict(zip(decided.table["account_id"].to_pylist(), decided.table["abusive"].to_pylist(), strict=True))
    own_label_used = _own_label_used(run_dir)
    ids = table["account_id"].to_pylist()
    keep = np.array([a in verdict and a not in own_label_used for a in ids])
    columns = _signal_columns(table, run_dir)
    values = {name: col[keep] for name, col in columns.items()}
    risk = columns[RISK]
    rings: dict[str, list[int]] = {}
    ring_risk: dict[str, list[float]] = {}
    judged_pos = np.cumsum(keep) - 1
    for i, r in enumerate(table["ring_id"].to_pylist()):
        if r:
            ring_risk.setdefault(r, []).append(float(risk[i]))
            members = rings.setdefault(r, [])
            if keep[i]:
                members.append(int(judged_pos[i]))
    account_id = np.array(ids, dtype=object)[keep]
    counts = {**decided.counts(), "judged_accounts": int(keep.sum()),
              "judged_abusive": int(sum(verdict[a] for a in account_id)),
              "left_out_own_label_used": int(sum(1 for a in verdict if a in own_label_used))}
    counts["judged_benign"] = counts["judged_accounts"] - counts["judged_abusive"]
    return Scored(run_id=run.manifest.run_id, detection_id=detection.get("detection_id"), as_of=as_of,
                  account_id=account_id,
                  entity_id=np.array(table["entity_id"].to_pylist(), dtype=object)[keep],
                  y=np.array([1.0 if verdict[a] else 0.0 for a in account_id]),
                  signals=values,
                  rings={r: (np.array(m, dtype=np.int64), float(np.mean(ring_risk[r]))) for r, m in rings.items()},
                  label_counts=counts)


def flags(name: str, values: np.ndarray, floor: float, threshold: float) -> np.ndarray:
    """Which accounts a signal flags: a score (…risk_score) at or above threshold, a yes/no signal when yes,
    a count when above its lowest value over all scored accounts (floor: a component of 1, no shared identifier)."""
    if name.endswith(RISK):
        return values >= threshold
    return values > floor


def floors(run_dir: Path) -> dict[str, float]:
    """Each signal's lowest value over all scored accounts (what flags() compares counts with)."""
    table = pq.read_table(run_dir / SIGNALS_FILE)
    return {name: float(np.min(col)) if len(col) else 0.0 for name, col in _signal_columns(table, run_dir).items()}


def _signal_columns(table: pa.Table, run_dir: Path) -> dict[str, np.ndarray]:
    """risk_score, every other numeric or yes/no column, then the default-weight score (as float arrays in the
    order of table, which is sorted by account_id)."""
    out: dict[str, np.ndarray] = {RISK: _floats(table[RISK])}
    for f in table.schema:
        numeric = pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type)
        if numeric and f.name not in NOT_SIGNALS and f.name != RISK:
            out[f.name] = _floats(table[f.name])
    features = run_dir / FEATURES_FILE
    if features.is_file() and DEFAULT_RISK not in out:
        extra = pq.read_table(features, columns=["account_id", DEFAULT_RISK])
        index = {a: i for i, a in enumerate(extra["account_id"].to_pylist())}
        take = [index.get(a) for a in table["account_id"].to_pylist()]
        if None not in take:  # the features of this very detection
            out[DEFAULT_RISK] = _floats(extra[DEFAULT_RISK].take(pa.array(take, pa.int64())))
    return out


def _floats(col: Any) -> np.ndarray:
    return np.nan_to_num(np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64))


def _own_label_used(run_dir: Path) -> set[str]:
    """Accounts the detection scored with their own decision in view (a decision but no cross-fitting fold)."""
    path = run_dir / FEATURES_FILE
    if not path.is_file():
        return set()
    t = pq.read_table(path, columns=["account_id", "decision", "fold"])
    return {a for a, d, f in zip(t["account_id"].to_pylist(), t["decision"].to_pylist(), t["fold"].to_pylist(),
                                 strict=True) if d is not None and f is None}


def _detect_manifest(run_dir: Path) -> dict[str, Any]:
    import json

    path = run_dir / DETECT_MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None, "the detection manifest (JSON)",
                                  f"{type(exc).__name__}: {str(exc)[:120]}")]) from exc
    return data if isinstance(data, dict) else {}
