"""`er evaluate` on demo data with ground truth, per seed (docs/evidence.md).

    python -m benchmarks lift --size 5000 --seeds 1,2,3,111                    # the default (tidy) demo world
    python -m benchmarks lift --size 5000 --seeds 1,2,3,111 --world realistic

For each seed: generate the data (seeded), run the whole pipeline (default settings and model, labels given),
then with entity_resolution.lift.evaluate (1,000 resamples):
- the demo labels (the run's in_labels): ROC-AUC of risk_score, of the default-weight score and of the best
  single signal, with the accounts judged;
- card-testing rings: labels from the truth (card-testing members abusive, every benign account benign),
  `--without payments`: risk_score ROC-AUC with and without payments and the paired change;
- vendor files keyed by the raw e-mail (upper-cased, so standardisation must match it), against truth labels
  on every account: a random score and an informative one (truth + Gaussian noise, sd 1): each one's line.
Seeds from 100 up are held out (never used to choose anything) and reported apart. Nothing is cached.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import console, say

DEVELOPMENT_SEEDS = (1, 2, 3)
HELD_OUT_SEEDS = (111,)
RESAMPLES = 1000


def _labels(path: Path, rows: list[tuple[str, str]], as_of: str) -> Path:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    pcsv.write_csv(pa.table({"account_id": [a for a, _ in rows], "label": [lab for _, lab in rows],
                             "decided_at": [as_of] * len(rows), "origin": ["manual_review"] * len(rows)}), path)
    return path


def _vendors(work: Path, accounts_file: Path, truth: dict[str, bool], seed: int) -> tuple[Path, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    accounts = pq.read_table(accounts_file, columns=["account_id", "email"]).to_pylist()
    per_mailbox: dict[str, float] = {}
    for a in accounts:
        key = a["email"].strip().upper()
        per_mailbox[key] = max(per_mailbox.get(key, 0.0), float(truth[a["account_id"]]))
    rng = np.random.default_rng(seed)
    keys, abusive = list(per_mailbox), np.array(list(per_mailbox.values()))
    random_file, informative_file = work / "vendor_random.csv", work / "vendor_informative.parquet"
    pcsv.write_csv(pa.table({"email": keys, "score": rng.random(len(keys))}), random_file)
    pq.write_table(pa.table({"email": keys, "score": abusive + rng.normal(0, 1.0, len(keys))}), informative_file)
    return random_file, informative_file


def run_seed(work: Path, size: int, seed: int, world: str) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from entity_resolution.demo.generator import generate
    from entity_resolution.demo.world import generate_world
    from entity_resolution.ingest import Inputs
    from entity_resolution.lift import Options, evaluate
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    input_dir, run_dir = work / "input", work / "run"
    paths = (generate_world(input_dir, n_accounts=size, seed=seed, fmt="parquet").files if world == "realistic"
             else generate(input_dir, n_accounts=size, seed=seed, fmt="parquet"))
    run(Inputs(paths.accounts, paths.devices, paths.payments, paths.labels), run_dir, Settings())
    as_of = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["as_of"]
    truth_rows = pq.read_table(input_dir / "truth.parquet").to_pylist()
    truth = {t["account_id"]: bool(t["is_abusive"]) for t in truth_rows}
    opts = Options(resamples=RESAMPLES)

    started = time.perf_counter()
    own = evaluate(run_dir, None, opts).as_dict()
    seconds_own = time.perf_counter() - started
    auc = {s: m["roc_auc"]["value"] for s, m in own["signals"].items()}
    singles = {s: v for s, v in auc.items() if s not in ("risk_score", "default_risk_score") and v is not None}
    best = max(singles, key=lambda s: singles[s])

    card = _labels(work / "card_testing.csv", [(t["account_id"], "abusive" if t["scenario"] == "card_testing"
                                                else "benign") for t in truth_rows
                                               if t["scenario"] == "card_testing" or not t["is_abusive"]], as_of)
    started = time.perf_counter()
    without = evaluate(run_dir, card, opts, without="payments").as_dict()
    seconds_without = time.perf_counter() - started
    change = without["without"]["figures"]["risk_score"]["roc_auc"]

    everyone = _labels(work / "truth.csv", [(a, "abusive" if v else "benign") for a, v in truth.items()], as_of)
    random_file, informative_file = _vendors(work, Path(paths.accounts), truth, seed)
    lines = {}
    for name, path in (("random", random_file), ("informative", informative_file)):
        v = evaluate(run_dir, everyone, opts, vendor=path).as_dict()["vendor"]
        lines[name] = {"line": v["lift"]["line"], "alone_auc": v["alone"]["roc_auc"]["value"],
                       "covered": v["accounts_covered"]}
    return {
        "seed": seed, "held_out": seed >= 100, "accounts": size,
        "labels_judged": own["labels"]["judged_accounts"], "labels_abusive": own["labels"]["judged_abusive"],
        "risk_auc": own["signals"]["risk_score"]["roc_auc"], "default_auc": auc.get("default_risk_score"),
        "best_signal": best, "best_signal_auc": own["signals"][best]["roc_auc"],
        "ring_purity": own["rings"]["purity"], "top_rings_share": own["rings"]["top_rings_abusive_share"],
        "card_testing_accounts": without["labels"]["judged_abusive"],
        "card_auc_with": change["with"], "card_auc_without": change["without"], "card_change": change["change"],
        "vendor": lines, "seconds_evaluate": round(seconds_own, 1), "seconds_without": round(seconds_without, 1),
    }


def run_suite(size: int, seeds: tuple[int, ...], world: str = "default") -> dict[str, Any]:
    from rich.table import Table

    rows = []
    for seed in seeds:
        say(f"lift: seed {seed}, {size} accounts, {world} world")
        with tempfile.TemporaryDirectory(prefix="er-lift-bench-") as tmp:
            rows.append(run_seed(Path(tmp), size, seed, world))
    table = Table(title=f"er evaluate on the {world} demo world, {size:,} accounts ({RESAMPLES} resamples)")
    for col in ("seed", "judged (abusive)", "risk AUC", "default AUC", "best signal AUC", "card testing: AUC "
                "with / without payments (change, 95% CI)", "vendor random", "vendor informative", "s"):
        table.add_column(col)

    def ci(e: dict[str, Any]) -> str:
        return f"{e['value']:.3f} ({e['low']:.3f}-{e['high']:.3f})"

    for r in rows:
        table.add_row(f"{r['seed']}{' (held out)' if r['held_out'] else ''}",
                      f"{r['labels_judged']} ({r['labels_abusive']})", ci(r["risk_auc"]),
                      f"{r['default_auc']:.3f}" if r["default_auc"] is not None else "-",
                      f"{r['best_signal']} {ci(r['best_signal_auc'])}",
                      f"{r['card_auc_with']:.3f} / {r['card_auc_without']:.3f} ({ci(r['card_change'])})",
                      r["vendor"]["random"]["line"], r["vendor"]["informative"]["line"],
                      f"{r['seconds_evaluate']} / {r['seconds_without']}")
    console.print(table)
    return {"world": world, "seeds": rows}
