"""Detection accuracy against the demo generator's ground truth (truth.parquet, truth_rings.parquet).

Figures (the acceptance criteria of docs/signals.md):
- ring_recall: share of planted abusive rings whose best Jaccard (on accounts) with a detected ring >= 0.5;
- ring_precision: share of detected rings with >= 3 entities whose best Jaccard with a planted ring >= 0.5;
- hub_ip_in_ring / household_in_ring: accounts of those benign scenarios placed in a ring (should be 0);
- bridge_precision / bridge_recall: is_bridge against the planted coordinators;
- burst_fast_share: share of the planted burst's accounts flagged fast_growing;
- stable_fast_accounts: accounts flagged fast_growing among planted rings whose sign-ups ended more than
  30 days before as_of and benign groups created over the whole window (should be 0);
- risk_auc: ROC-AUC of risk_score for is_abusive (ties count half).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class DetectScores:
    planted_rings: int
    detected_rings: int
    ring_recall: float
    ring_precision: float
    hub_ip_in_ring: int
    household_in_ring: int
    bridge_precision: float
    bridge_recall: float
    bridges_flagged: int
    burst_fast_share: float
    stable_fast_accounts: int
    risk_auc: float

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def roc_auc(scores: list[float], positive: list[bool]) -> float:
    """Mann-Whitney U / (n_pos * n_neg), with tied scores counting half."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    n_pos = sum(positive)
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    rank_sum = sum(r for r, p in zip(ranks, positive, strict=True) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def run_created(run_dir: Path) -> tuple[datetime, dict[str, datetime]]:
    """The run's as_of and every account's created_at."""
    import duckdb

    from ..runfolder import open as open_run_folder

    run = open_run_folder(run_dir)
    as_of = run.manifest.as_of
    con = duckdb.connect(str(run.paths.db), read_only=True)
    try:
        rows = con.execute("SELECT account_id, created_at FROM std_accounts").fetchall()
    finally:
        con.close()
    return as_of, dict(rows)


def score_detection(signals: pa.Table, truth_dir: Path, run_dir: Path) -> DetectScores:
    as_of, created_at = run_created(run_dir)
    truth = {r["account_id"]: r for r in pq.read_table(truth_dir / "truth.parquet").to_pylist()}
    kinds = {r["ring_id"]: r for r in pq.read_table(truth_dir / "truth_rings.parquet").to_pylist()}
    sig = signals.to_pylist()
    by_account = {s["account_id"]: s for s in sig}

    planted: dict[str, set[str]] = defaultdict(set)
    for a, t in truth.items():
        if t["ring_id"] and a in by_account:
            planted[t["ring_id"]].add(a)
    detected: dict[str, set[str]] = defaultdict(set)
    entities: dict[str, set[str]] = defaultdict(set)
    for s in sig:
        if s["ring_id"]:
            detected[s["ring_id"]].add(s["account_id"])
            entities[s["ring_id"]].add(s["entity_id"])

    def best(group: set[str], others: dict[str, set[str]]) -> float:
        return max((jaccard(group, o) for o in others.values()), default=0.0)

    recovered = sum(1 for m in planted.values() if best(m, detected) >= 0.5)
    big = {r: m for r, m in detected.items() if len(entities[r]) >= 3}
    matched = sum(1 for m in big.values() if best(m, planted) >= 0.5)
    in_ring = [truth[s["account_id"]] for s in sig if s["ring_id"]]
    flagged = {s["account_id"] for s in sig if s["is_bridge"]}
    true_bridges = {a for a, t in truth.items() if t["is_bridge"] and a in by_account}

    burst = [a for a, t in truth.items() if t["scenario"] == "burst" and a in by_account]
    stable = _stable_accounts(truth, kinds, as_of, created_at, by_account)
    labels = [bool(truth[s["account_id"]]["is_abusive"]) for s in sig]
    return DetectScores(
        planted_rings=len(planted),
        detected_rings=len(detected),
        ring_recall=recovered / len(planted) if planted else float("nan"),
        ring_precision=matched / len(big) if big else float("nan"),
        hub_ip_in_ring=sum(1 for t in in_ring if t["scenario"] == "hub_ip_user"),
        household_in_ring=sum(1 for t in in_ring if t["scenario"] == "household" or t["household_id"]),
        bridge_precision=len(flagged & true_bridges) / len(flagged) if flagged else float("nan"),
        bridge_recall=len(flagged & true_bridges) / len(true_bridges) if true_bridges else float("nan"),
        bridges_flagged=len(flagged),
        burst_fast_share=sum(1 for a in burst if by_account[a]["fast_growing"]) / len(burst) if burst else 0.0,
        stable_fast_accounts=sum(1 for a in stable if by_account[a]["fast_growing"]),
        risk_auc=roc_auc([s["risk_score"] for s in sig], labels),
    )


def _stable_accounts(truth: dict[str, dict[str, Any]], rings: dict[str, dict[str, Any]], as_of: datetime,
                     created_at: dict[str, datetime], by_account: dict[str, dict[str, Any]]) -> list[str]:
    """Accounts of planted groups that did not grow in the 30 days before as_of (from the truth files only)."""
    created: dict[str, list[datetime]] = defaultdict(list)
    for a, t in truth.items():
        group = t["ring_id"] or t["group_id"] or (f"household:{t['household_id']}" if t["household_id"] else None)
        if group and a in by_account:
            created[group].append(created_at[a])
    cutoff = as_of - timedelta(days=30)
    stable_groups = set()
    for group, times in created.items():
        kind = rings.get(group, {}).get("kind")
        if kind == "burst":
            continue
        if max(times) <= cutoff or kind is None or not rings[group]["is_abusive"]:
            stable_groups.add(group)
    out = []
    for a, t in truth.items():
        group = t["ring_id"] or t["group_id"] or (f"household:{t['household_id']}" if t["household_id"] else None)
        if group in stable_groups and a in by_account:
            out.append(a)
    return out
