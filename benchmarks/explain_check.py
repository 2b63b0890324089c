"""How faithful and how quick `er explain` is, on demo worlds with ground truth (docs/explain.md).

    python -m benchmarks.explain_check --size 10000 --seeds 7,8 [--world default|realistic] [--pairs 300]

Per seed: generate the world, run the pipeline (resolution + in-process detection, labels included), then
- waterfall fidelity: for a sample of scored pairs, Splink's waterfall recomputed from model.json and the profiles
  against the score and personal weight the run stored (max absolute difference);
- planted rings: for every detected ring that matches a truth ring (Jaccard of accounts >= 0.5), the share of its
  member entities bound by an identifier two members used, and for a sample of member pairs in different
  entities the share joined by an evidence path (hub identifiers not followed) and the path length;
- planted duplicates the run did not link directly (one person, two accounts, no same-person link between them):
  the share the explanation joins by an evidence path;
- time per explanation (pair, ring, account), median and max.
Writes benchmarks/results/explain-<size>-<stamp>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

MIN_RING_OVERLAP = 0.5
PAIRS_PER_RING = 10


def _world(kind: str, seed: int, size: int, base: Path) -> Any:
    if kind == "default":
        from entity_resolution.demo.generator import generate

        return generate(base / "input", n_accounts=size, seed=seed, fmt="parquet")
    from entity_resolution.demo.world import generate_world

    return generate_world(base / "input", n_accounts=size, seed=seed, fmt="parquet").files


def _timed(fn: Any, times: list[float]) -> Any:
    start = time.perf_counter()
    out = fn()
    times.append(time.perf_counter() - start)
    return out


def measure(kind: str, seed: int, size: int, pairs: int) -> dict[str, Any]:
    import duckdb
    import pyarrow.parquet as pq

    from entity_resolution.explain import Evidence, explain_account, explain_pair, explain_ring
    from entity_resolution.ingest import Inputs
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="explain_check_") as tmp:
        base = Path(tmp)
        paths = _world(kind, seed, size, base)
        run(Inputs(paths.accounts, paths.devices, paths.payments, paths.labels), base / "run", Settings())
        truth = {r["account_id"]: r for r in pq.read_table(paths.truth).to_pylist()}
        with duckdb.connect(str(base / "run" / "er.duckdb"), read_only=True) as con:
            scored = con.execute("SELECT unique_id_l, unique_id_r, match_weight, personal_weight, same_person "
                                 "FROM predictions ORDER BY unique_id_l, unique_id_r").fetchall()
            linked = {(r[0], r[1]) for r in scored if r[4]}
            entity = dict(con.execute("SELECT account_id, entity_id FROM entities").fetchall())
        signals = pq.read_table(base / "run" / "signals.parquet", columns=["account_id", "ring_id"]).to_pylist()
        t_pair: list[float] = []
        t_ring: list[float] = []
        t_account: list[float] = []
        with Evidence.open(base / "run") as ev:
            # 1. waterfall fidelity on scored pairs
            sample = rng.sample(scored, min(pairs, len(scored)))
            weight_diff = personal_diff = 0.0
            for left, right, weight, personal, _ in sample:
                p = _timed(lambda left=left, right=right: explain_pair(ev, left, right), t_pair)
                weight_diff = max(weight_diff, abs(p.match_weight - weight))
                personal_diff = max(personal_diff, abs(p.personal_weight - personal))
            # 2. planted rings
            detected: dict[str, set[str]] = {}
            for r in signals:
                if r["ring_id"]:
                    detected.setdefault(r["ring_id"], set()).add(r["account_id"])
            planted: dict[str, set[str]] = {}
            for a, t in truth.items():
                if t["ring_id"]:
                    planted.setdefault(t["ring_id"], set()).add(a)
            matched, bound_share, path_found, path_tried, hops = 0, [], 0, 0, []
            for ring_id, members in sorted(detected.items()):
                top, _ = Counter(truth[a]["ring_id"] for a in members).most_common(1)[0]
                if top is None or len(members & planted[top]) / len(members | planted[top]) < MIN_RING_OVERLAP:
                    continue
                matched += 1
                r = _timed(lambda ring_id=ring_id: explain_ring(ev, ring_id), t_ring)
                entities = {m.entity_id for m in r.members}
                by_account = {m.account_id: m.entity_id for m in r.members}
                bound = {by_account[a] for b in r.bindings for a in b.members}
                bound_share.append(len(bound & entities) / len(entities))
                cross = [(a, b) for a, b in combinations(sorted(members), 2) if entity[a] != entity[b]]
                for a, b in rng.sample(cross, min(PAIRS_PER_RING, len(cross))):
                    path_tried += 1
                    p = _timed(lambda a=a, b=b: explain_pair(ev, a, b), t_pair)
                    if p.path is not None:
                        path_found += 1
                        hops.append(p.path.hops)
                _timed(lambda r=r: explain_account(ev, r.members[0].account_id), t_account)
            # 3. planted duplicates not linked directly
            by_person: dict[str, list[str]] = {}
            for a, t in truth.items():
                by_person.setdefault(t["person_id"], []).append(a)
            unlinked = [(a, b) for accounts in by_person.values() for a, b in combinations(sorted(accounts), 2)
                        if (a, b) not in linked]
            dup_sample = rng.sample(unlinked, min(pairs // 3, len(unlinked)))
            dup_found = 0
            same_entity = 0
            for a, b in dup_sample:
                p = _timed(lambda a=a, b=b: explain_pair(ev, a, b), t_pair)
                dup_found += p.path is not None
                same_entity += p.same_entity
    return {
        "world": kind, "seed": seed, "size": size, "scored_pairs_checked": len(sample),
        "max_abs_match_weight_diff": weight_diff, "max_abs_personal_weight_diff": personal_diff,
        "rings_matching_truth": matched,
        "min_member_entities_bound": min(bound_share) if bound_share else None,
        "cross_entity_member_pairs": path_tried, "with_evidence_path": path_found,
        "median_path_hops": statistics.median(hops) if hops else None, "max_path_hops": max(hops) if hops else None,
        "unlinked_true_pairs_checked": len(dup_sample), "unlinked_true_pairs_with_path": dup_found,
        "unlinked_true_pairs_same_entity": same_entity,
        "seconds_pair_median": statistics.median(t_pair), "seconds_pair_max": max(t_pair),
        "seconds_ring_median": statistics.median(t_ring) if t_ring else None,
        "seconds_account_median": statistics.median(t_account) if t_account else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seeds", default="7,8")
    parser.add_argument("--world", choices=("default", "realistic"), default="default")
    parser.add_argument("--pairs", type=int, default=300)
    args = parser.parse_args()
    rows = [measure(args.world, int(s), args.size, args.pairs) for s in args.seeds.split(",")]
    for row in rows:
        print(json.dumps(row))
    out = Path(__file__).parent / "results" / f"explain-{args.size}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"suite": "explain_check", "args": vars(args), "rows": rows}, indent=2) + "\n",
                   encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
