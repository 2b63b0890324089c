"""Detection quality on the realistic world (entity_resolution.demo.world), per seed.

    python -m benchmarks detection_quality --size 10000 --seeds 1,2,3,101,102

For each seed: generate the world (parameters drawn per seed), run the whole pipeline on it
(`entity_resolution.pipeline.run`, default settings and model, in-process detection, labels given), score:

- ER: pairwise precision / recall / F1 of the resolved entities against truth.person_id, largest entity;
- rings: a planted abusive ring is found when some reported ring has Jaccard >= 0.5 with it on accounts
  (recall); a reported ring is right when it has Jaccard >= 0.5 with some planted ring (precision);
  `benign_rings`: reported rings whose accounts are mostly benign;
- benign look-alike accounts placed in rings, per kind (truth_lookalikes; an account counts under each kind it
  has, `untagged` for benign accounts with none), as a share of all benign accounts; `benign_in_rings` counts
  each benign account once;
- bridges: accounts flagged is_bridge against the planted coordinators (precision, recall);
- growth: share of the planted burst rings' accounts flagged fast_growing; benign accounts flagged fast_growing
  (event-wifi guests among them: benign sign-up spikes); accounts of planted rings that stopped signing up more
  than 30 days before as-of and are flagged fast_growing (`stable_ring_fast`);
- risk_score: ROC-AUC (ties count half) and precision at k on the accounts that carry no label (k = 100 and
  k = the number of abusive unlabelled accounts), so a score that copies the labels gains nothing.

Seeds from HELD_OUT_FROM up are held out: never used for tuning detection; they are reported apart.
Nothing is cached: every run measures the code as it is.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .common import console, say

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (101, 102)
HELD_OUT_FROM = 100  # seeds >= this are held out of all tuning
RING_MATCH = 0.5  # Jaccard on accounts for a reported ring to count as a planted one
STABLE_DAYS = 30


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _best(group: set[str], others: dict[str, set[str]]) -> float:
    return max((jaccard(group, o) for o in others.values()), default=0.0)


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def precision_at(scores: list[float], positive: list[bool], k: int) -> float:
    """Share of abusive accounts among the k highest scores (ties broken by position, i.e. input order)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return _ratio(sum(positive[i] for i in order), len(order))


def score_world(run_dir: Path, world_dir: Path) -> dict[str, Any]:
    """Every figure of the suite for one run folder of one world."""
    import pyarrow.parquet as pq

    from entity_resolution.detect.evaluate import roc_auc, run_created
    from entity_resolution.evaluate import score_run

    er = score_run(run_dir, world_dir / "truth.parquet")
    f1 = _ratio(2 * er.cluster_precision * er.cluster_recall, er.cluster_precision + er.cluster_recall)
    truth = {r["account_id"]: r for r in pq.read_table(world_dir / "truth.parquet").to_pylist()}
    planted_kind = {r["ring_id"]: r["kind"] for r in pq.read_table(world_dir / "truth_rings.parquet").to_pylist()}
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in pq.read_table(world_dir / "truth_lookalikes.parquet").to_pylist():
        kinds[r["account_id"]].add(r["kind"])
    labelled = set(pq.read_table(_labels_path(world_dir), columns=["account_id"])["account_id"].to_pylist())
    signals = pq.read_table(run_dir / "signals.parquet").to_pylist()
    as_of, created = run_created(run_dir)

    planted: dict[str, set[str]] = defaultdict(set)
    for a, t in truth.items():
        if t["ring_id"]:
            planted[t["ring_id"]].add(a)
    reported: dict[str, set[str]] = defaultdict(set)
    for s in signals:
        if s["ring_id"]:
            reported[s["ring_id"]].add(s["account_id"])
    found = sum(1 for m in planted.values() if _best(m, reported) >= RING_MATCH)
    right = sum(1 for m in reported.values() if _best(m, planted) >= RING_MATCH)
    benign_rings = sum(1 for m in reported.values() if 2 * sum(not truth[a]["is_abusive"] for a in m) > len(m))

    benign = [a for a, t in truth.items() if not t["is_abusive"]]
    in_ring = {s["account_id"] for s in signals if s["ring_id"]}
    by_kind: Counter[str] = Counter()
    for a in benign:
        if a in in_ring:
            for kind in kinds.get(a) or {"untagged"}:
                by_kind[kind] += 1
    benign_in_rings = sum(1 for a in benign if a in in_ring)

    flagged = {s["account_id"] for s in signals if s["is_bridge"]}
    bridges = {a for a, t in truth.items() if t["is_bridge"]}
    fast = {s["account_id"] for s in signals if s["fast_growing"]}
    burst = [a for a, t in truth.items() if t["ring_id"] and planted_kind[t["ring_id"]] == "burst"]
    cutoff = as_of - timedelta(days=STABLE_DAYS)
    stable = [
        a for r, m in planted.items() if planted_kind[r] != "burst" and max(created[x] for x in m) <= cutoff for a in m
    ]
    guests = [a for a in benign if "event_wifi" in kinds.get(a, ())]

    unlabelled = [s for s in signals if s["account_id"] not in labelled]
    scores = [float(s["risk_score"]) for s in unlabelled]
    positive = [bool(truth[s["account_id"]]["is_abusive"]) for s in unlabelled]
    return {
        "accounts": len(truth),
        "benign_accounts": len(benign),
        "er_precision": er.cluster_precision,
        "er_recall": er.cluster_recall,
        "er_f1": f1,
        "largest_entity": er.largest_entity,
        "planted_rings": len(planted),
        "reported_rings": len(reported),
        "ring_recall": _ratio(found, len(planted)),
        "ring_precision": _ratio(right, len(reported)),
        "benign_rings": benign_rings,
        "benign_in_rings": benign_in_rings,
        "benign_in_rings_share": _ratio(benign_in_rings, len(benign)),
        "benign_in_rings_by_kind": {
            k: {"accounts": v, "share_of_benign": _ratio(v, len(benign))}
            for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])
        },
        "bridges_flagged": len(flagged),
        "bridges_planted": len(bridges),
        "bridge_precision": _ratio(len(flagged & bridges), len(flagged)),
        "bridge_recall": _ratio(len(flagged & bridges), len(bridges)),
        "burst_fast_share": _ratio(sum(a in fast for a in burst), len(burst)),
        "benign_fast": sum(a in fast for a in benign),
        "event_guest_fast": sum(a in fast for a in guests),
        "stable_ring_fast": sum(a in fast for a in stable),
        "unlabelled_accounts": len(unlabelled),
        "unlabelled_abusive": sum(positive),
        "risk_auc": roc_auc(scores, positive),
        "precision_at_100": precision_at(scores, positive, 100),
        "precision_at_r": precision_at(scores, positive, sum(positive)),
    }


def _labels_path(world_dir: Path) -> Path:
    return next(world_dir.glob("labels.*"))


def run_seed(size: int, seed: int) -> dict[str, Any]:
    from entity_resolution.demo.world import generate_world
    from entity_resolution.ingest import Inputs
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    with tempfile.TemporaryDirectory(prefix="er-world-") as tmp:
        world_dir, run_dir = Path(tmp) / "input", Path(tmp) / "run"
        say(f"detection_quality {size:,}, seed {seed}: generating the world")
        paths = generate_world(world_dir, n_accounts=size, seed=seed, fmt="parquet")
        files = paths.files
        say(f"detection_quality {size:,}, seed {seed}: running the pipeline")
        start = time.perf_counter()
        run(Inputs(files.accounts, files.devices, files.payments, files.labels), run_dir, Settings())
        seconds = time.perf_counter() - start
        out = score_world(run_dir, world_dir)
        out["pipeline_s"] = round(seconds, 1)
        out["params"] = json.loads(paths.params.read_text(encoding="utf-8"))["params"]
    out["seed"] = seed
    out["held_out"] = seed >= HELD_OUT_FROM
    return out


COLUMNS = (  # figure, header, format
    ("er_precision", "ER P", "{:.3f}"),
    ("er_recall", "ER R", "{:.3f}"),
    ("er_f1", "ER F1", "{:.3f}"),
    ("largest_entity", "largest", "{}"),
    ("ring_recall", "ring R", "{:.2f}"),
    ("ring_precision", "ring P", "{:.2f}"),
    ("reported_rings", "rings", "{}"),
    ("benign_rings", "benign rings", "{}"),
    ("benign_in_rings_share", "benign in rings", "{:.2%}"),
    ("bridge_precision", "bridge P", "{:.2f}"),
    ("bridge_recall", "bridge R", "{:.2f}"),
    ("burst_fast_share", "burst fast", "{:.2f}"),
    ("benign_fast", "benign fast", "{}"),
    ("stable_ring_fast", "stable fast", "{}"),
    ("risk_auc", "AUC", "{:.3f}"),
    ("precision_at_100", "P@100", "{:.2f}"),
    ("precision_at_r", "P@R", "{:.2f}"),
)


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if r[key] == r[key]]  # NaN-safe
    return statistics.fmean(values) if values else float("nan")


def _show(size: int, per_seed: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=f"Detection quality on the realistic world, {size:,} accounts (held-out seeds apart)")
    table.add_column("seed")
    for _, header, _ in COLUMNS:
        table.add_column(header, justify="right")
    for group, rows in (
        ("tuning", [r for r in per_seed if not r["held_out"]]),
        ("held out", [r for r in per_seed if r["held_out"]]),
    ):
        for r in rows:
            table.add_row(str(r["seed"]), *(fmt.format(r[key]) for key, _, fmt in COLUMNS))
        if rows:
            means = (fmt.replace("{}", "{:.1f}").format(_mean(rows, key)) for key, _, fmt in COLUMNS)
            table.add_row(f"mean {group}", *means, end_section=True)
    console.print(table)
    kinds = sorted({k for r in per_seed for k in r["benign_in_rings_by_kind"]})
    by_kind = Table(title="Benign look-alike accounts placed in rings, by kind (% of benign accounts)")
    by_kind.add_column("kind")
    for r in per_seed:
        by_kind.add_column(f"seed {r['seed']}" + (" (held out)" if r["held_out"] else ""), justify="right")
    for kind in kinds:
        cells = []
        for r in per_seed:
            v = r["benign_in_rings_by_kind"].get(kind)
            cells.append(f"{v['accounts']} ({v['share_of_benign']:.2%})" if v else "0")
        by_kind.add_row(kind, *cells)
    console.print(by_kind)


def run_suite(size: int, seeds: tuple[int, ...] = TUNING_SEEDS + HELD_OUT_SEEDS) -> dict[str, Any]:
    started = datetime.now()
    per_seed = [run_seed(size, seed) for seed in seeds]
    _show(size, per_seed)
    summary = {}
    for group, held in (("tuning", False), ("held_out", True)):
        rows = [r for r in per_seed if r["held_out"] == held]
        if rows:
            summary[group] = {key: _mean(rows, key) for key, _, _ in COLUMNS}
            summary[group]["seeds"] = [r["seed"] for r in rows]
    return {
        "size": size,
        "seeds": list(seeds),
        "held_out_from": HELD_OUT_FROM,
        "per_seed": per_seed,
        "summary": summary,
        "started": started.isoformat(timespec="seconds"),
    }
