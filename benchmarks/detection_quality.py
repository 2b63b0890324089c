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
  k = the number of abusive unlabelled accounts), so a score that copies the labels gains nothing; next to it
  the ROC-AUC of a plain baseline, the size of the account's connected component (hubs removed). With labels
  the risk_score is learned from them (docs/signals.md, "Risk learned from labels"); `default AUC` and
  `default P@k` score the default-weight risk of the same run (risk_features.parquet).

Seeds from HELD_OUT_FROM up are held out: never used for tuning detection; they are reported apart.
Nothing is cached: every run measures the code as it is.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .common import console, say

TUNING_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (101, 102)
HELD_OUT_FROM = 100  # seeds >= this are held out of all tuning


def run_seed(size: int, seed: int) -> dict[str, Any]:
    from entity_resolution.demo.world import generate_world
    from entity_resolution.demo.world.quality import score_world
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
    ("default_auc", "default AUC", "{:.3f}"),
    ("component_size_auc", "CC AUC", "{:.3f}"),
    ("precision_at_100", "P@100", "{:.2f}"),
    ("precision_at_r", "P@R", "{:.2f}"),
    ("default_precision_at_100", "default P@100", "{:.2f}"),
    ("default_precision_at_r", "default P@R", "{:.2f}"),
)


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if r[key] == r[key]]  # NaN-safe
    return statistics.fmean(values) if values else float("nan")


def _show(size: int, per_seed: list[dict[str, Any]]) -> None:
    from rich.console import Console
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
    wide = Console(width=max(console.width, 230))  # 22 columns: keep them readable in logs too
    wide.print(table)
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
    wide.print(by_kind)


def run_suite(size: int, seeds: tuple[int, ...] = TUNING_SEEDS + HELD_OUT_SEEDS) -> dict[str, Any]:
    started = datetime.now()
    per_seed = [run_seed(size, seed) for seed in seeds]
    _show(size, per_seed)
    summary: dict[str, dict[str, Any]] = {}
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
