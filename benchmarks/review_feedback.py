"""What a review round buys, measured on the realistic world with its ground truth standing in for the reviewer.

    python -m benchmarks.review_feedback --size 10000 --seeds 1,2,3,101,102 [--pairs 50] [--rings 10]

For each seed: generate the world (parameters drawn per seed), run the pipeline (no decisions), build the
review queue (`entity_resolution.review.queue`, default margin) and answer it from the truth: a pair is
"match" when both accounts are one person, else "no_match"; a ring is "confirm" when most of its accounts
belong to planted abusive rings, else "reject". Then run again with those decisions and score both runs.

Figures: wrong calls among the queued pairs (the engine's same_person against the truth) next to the wrong
calls among all scored pairs (is the queue where the errors are?); cluster precision / recall and F1 before
and after; rings rejected; benign accounts in rings before and after; abusive accounts in rings before and
after (a wrong "reject" would cost recall). Nothing here was tuned: the margin and limits are the defaults.
Seeds from 100 up are reported apart (held out, as in the other suites).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HELD_OUT_FROM = 100


def _truth(world: Path) -> tuple[dict[str, str], dict[str, bool]]:
    import pyarrow.parquet as pq

    rows = pq.read_table(world / "truth.parquet").to_pylist()
    return ({r["account_id"]: r["person_id"] for r in rows},
            {r["account_id"]: bool(r["is_abusive"] and r["ring_id"]) for r in rows})


def _ring_accounts(run: Path) -> set[str]:
    import pyarrow.parquet as pq

    t = pq.read_table(run / "signals.parquet", columns=["account_id", "ring_id"]).to_pylist()
    return {r["account_id"] for r in t if r["ring_id"]}


def run_seed(size: int, seed: int, n_pairs: int, n_rings: int) -> dict[str, Any]:
    from entity_resolution.demo.world import generate_world
    from entity_resolution.evaluate import score_run
    from entity_resolution.ingest import Inputs
    from entity_resolution.pipeline import run
    from entity_resolution.review import decisions as store
    from entity_resolution.review.queue import build
    from entity_resolution.settings import Settings

    with tempfile.TemporaryDirectory(prefix="er-review-") as tmp:
        root = Path(tmp)
        paths = generate_world(root / "world", n_accounts=size, seed=seed, fmt="parquet")
        f = paths.files
        inputs = Inputs(f.accounts, f.devices, f.payments, f.labels)
        decisions = root / "review-decisions.jsonl"
        settings = Settings(review_decisions=decisions)
        run(inputs, root / "before", settings)
        person, ring_abusive = _truth(root / "world")
        pairs = build(root / "before", [], kinds=("pair",), limit=n_pairs)
        rings = build(root / "before", [], kinds=("ring",), limit=n_rings)
        when = datetime.now(UTC)
        made = []
        wrong = 0
        for item in pairs:
            a, b = item.account_ids
            same = person[a] == person[b]
            wrong += int(bool(item.evidence["same_person"]) != same)
            made.append(store.make("pair", "match" if same else "no_match", [a, b], "truth", when))
        rejected = 0
        for item in rings:
            abusive = sum(ring_abusive.get(a, False) for a in item.account_ids)
            answer = "confirm" if abusive * 2 > len(item.account_ids) else "reject"
            rejected += answer == "reject"
            made.append(store.make("ring", answer, item.account_ids, "truth", when, ring_id=item.ring_id,
                                   identifiers=item.identifiers))
        store.record(decisions, made)
        start = time.perf_counter()
        run(inputs, root / "after", settings, previous=root / "before")
        rerun_s = time.perf_counter() - start
        import duckdb

        with duckdb.connect(str(root / "before" / "er.duckdb"), read_only=True) as con:
            con.execute("CREATE TEMP TABLE t AS SELECT * FROM read_parquet($p)",
                        {"p": str(root / "world" / "truth.parquet")})
            all_wrong, all_pairs = con.execute("""
                SELECT count(*) FILTER (WHERE p.same_person <> (l.person_id = r.person_id)), count(*)
                FROM predictions p JOIN t l ON l.account_id = p.unique_id_l JOIN t r ON r.account_id = p.unique_id_r
            """).fetchall()[0]
        before, after = score_run(root / "before", f.truth), score_run(root / "after", f.truth)
        ring_before, ring_after = _ring_accounts(root / "before"), _ring_accounts(root / "after")
        import pyarrow.parquet as pq

        audit = pq.read_table(root / "after" / "review_audit.parquet", columns=["kind", "status"]).to_pylist()

    def f1(s: Any) -> float:
        p, r = s.cluster_precision, s.cluster_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    statuses: dict[str, int] = {}
    for r in audit:
        statuses[f"{r['kind']}:{r['status']}"] = statuses.get(f"{r['kind']}:{r['status']}", 0) + 1
    return {
        "seed": seed, "held_out": seed >= HELD_OUT_FROM, "queued_pairs": len(pairs),
        "queued_pairs_wrong": wrong, "queued_wrong_share": wrong / len(pairs) if pairs else float("nan"),
        "all_pairs_wrong_share": all_wrong / all_pairs if all_pairs else float("nan"),
        "cluster_p_before": before.cluster_precision, "cluster_r_before": before.cluster_recall,
        "cluster_f1_before": f1(before), "cluster_p_after": after.cluster_precision,
        "cluster_r_after": after.cluster_recall, "cluster_f1_after": f1(after),
        "queued_rings": len(rings), "rings_rejected": rejected,
        "benign_in_rings_before": sum(1 for a in ring_before if not ring_abusive.get(a)),
        "benign_in_rings_after": sum(1 for a in ring_after if not ring_abusive.get(a)),
        "abusive_in_rings_before": sum(1 for a in ring_before if ring_abusive.get(a)),
        "abusive_in_rings_after": sum(1 for a in ring_after if ring_abusive.get(a)),
        "audit": statuses, "rerun_s": round(rerun_s, 1),
    }


COLUMNS = (("queued_pairs", "{}"), ("queued_pairs_wrong", "{}"), ("queued_wrong_share", "{:.2f}"),
           ("all_pairs_wrong_share", "{:.3f}"),
           ("cluster_p_before", "{:.4f}"), ("cluster_p_after", "{:.4f}"), ("cluster_r_before", "{:.4f}"),
           ("cluster_r_after", "{:.4f}"), ("cluster_f1_before", "{:.4f}"), ("cluster_f1_after", "{:.4f}"),
           ("rings_rejected", "{}"), ("benign_in_rings_before", "{}"), ("benign_in_rings_after", "{}"),
           ("abusive_in_rings_before", "{}"), ("abusive_in_rings_after", "{}"))


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seeds", default="1,2,3,101,102")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rings", type=int, default=10)
    args = parser.parse_args()
    rows = [run_seed(args.size, int(s), args.pairs, args.rings) for s in args.seeds.split(",")]
    table = Table(title=f"One review round answered from the truth, {args.size:,} accounts "
                        f"({args.pairs} pairs, {args.rings} rings queued)")
    table.add_column("seed")
    for name, _ in COLUMNS:
        table.add_column(name.replace("_", " "), justify="right")
    for r in sorted(rows, key=lambda r: (r["held_out"], r["seed"])):
        table.add_row(f"{r['seed']}{' (held out)' if r['held_out'] else ''}", *(f.format(r[k]) for k, f in COLUMNS))
    Console(width=260).print(table)
    for r in rows:
        print(r["seed"], r["audit"])
    out = Path(__file__).parent / "results" / f"review_feedback-{args.size}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"size": args.size, "pairs": args.pairs, "rings": args.rings, "seeds": rows},
                              indent=2, default=str), encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
