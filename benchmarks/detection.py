"""Detection: time to compute every signal (components, rings, bridges, growth, risk) three ways.

- in-process: `entity_resolution.detect.compute_signals(run_dir, out_dir=...)` (DuckDB + igraph over the run's
  er.duckdb), what `er run` does at its end;
- Neo4j with GDS: `entity_resolution.detect.graph.detect_graph(driver, out_dir, use_gds=True)` on the loaded
  graph, writing rings and signals back (what `er detect` does);
- Neo4j with plain Cypher + APOC: the same with `use_gds=False`.

- incremental (in-process): a previous detection as of INCREMENTAL_DAYS days before the run's as-of (about 1 %
  fewer accounts at the generator's sign-up rate), then `compute_signals(run_dir, previous=that)` reusing its
  structure, timed against the full computation with the same previous; the two outputs must be equal.

ER_BENCH_DETECT_NEO4J=0 skips the Neo4j paths (e.g. at sizes where no graph is loaded).
The graph is loaded once with our loader before the Neo4j paths (not timed here; see the graph_load suite).
Each path's counts (accounts, rings, bridges, ...) must agree with the in-process one (ring_events aside: each
Neo4j detection diffs against the one written before it). The ratio is the Neo4j
path's time over the in-process time (how many times slower the server path is).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .common import Row, run_folder, say, show


def _inprocess(run_dir: Path) -> tuple[float, dict[str, int]]:
    from entity_resolution.detect import compute_signals

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = compute_signals(run_dir, out_dir=Path(tmp))
        return time.perf_counter() - start, dict(result.counts)


INCREMENTAL_DAYS = 3


def _same_outputs(a: Path, b: Path) -> bool:
    import pyarrow.parquet as pq

    return all(pq.read_table(a / f"{n}.parquet").equals(pq.read_table(b / f"{n}.parquet"))
               and (a / f"{n}.csv").read_bytes() == (b / f"{n}.csv").read_bytes()
               for n in ("signals", "rings", "hubs", "ring_events", "components", "bridges"))


def _incremental(run_dir: Path) -> dict[str, Any]:
    """Previous = detection as of INCREMENTAL_DAYS earlier; then incremental vs full with that previous."""
    from entity_resolution.detect import DetectSettings, compute_signals

    as_of = datetime.fromisoformat(json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["as_of"])
    with tempfile.TemporaryDirectory() as tmp:
        prev, inc, full = (Path(tmp) / n for n in ("previous", "incremental", "full"))
        for d in (prev, inc, full):
            d.mkdir()
        earlier = compute_signals(run_dir, DetectSettings(as_of=as_of - timedelta(days=INCREMENTAL_DAYS)),
                                  out_dir=prev)
        start = time.perf_counter()
        compute_signals(run_dir, previous=prev, out_dir=inc)
        inc_s = time.perf_counter() - start
        start = time.perf_counter()
        result = compute_signals(run_dir, previous=prev, out_dir=full, incremental=False)
        full_s = time.perf_counter() - start
        manifest = json.loads((inc / "detect_manifest.json").read_text(encoding="utf-8"))
        return {"incremental_s": inc_s, "full_s": full_s, "mode": manifest["mode"],
                "structure": manifest["structure"], "same_outputs": _same_outputs(inc, full),
                "new_accounts": result.counts["accounts"] - earlier.counts["accounts"]}


def _neo4j(driver: Any, database: str, use_gds: bool) -> tuple[float, dict[str, int], str]:
    from entity_resolution.detect.graph import detect_graph

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = detect_graph(driver, Path(tmp), database=database, use_gds=use_gds)
        return time.perf_counter() - start, dict(result.counts), result.backend


def run_suite(size: int, repeat: int = 1, neo4j: bool | None = None) -> dict[str, Any]:
    from entity_resolution.settings import Settings

    if neo4j is None:
        neo4j = os.environ.get("ER_BENCH_DETECT_NEO4J", "1") != "0"

    run_dir = run_folder(size)
    out: dict[str, Any] = {"run_dir": str(run_dir)}
    times: dict[str, list[float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for i in range(repeat):
        say(f"detection {size:,}: in-process, repeat {i + 1}/{repeat}")
        seconds, counts["in-process"] = _inprocess(run_dir)
        times.setdefault("in-process", []).append(seconds)
    say(f"detection {size:,}: incremental against a detection {INCREMENTAL_DAYS} days earlier")
    incremental = _incremental(run_dir)
    out["incremental"] = incremental
    if neo4j:
        from entity_resolution.detect.graph import has_gds
        from entity_resolution.graph.loader import load_run

        from .graph_load import _connect, _reset

        database = Settings().neo4j_database
        driver, _, _ = _connect()
        try:
            _reset(driver, database)
            say(f"detection {size:,}: loading the graph")
            load_run(driver, run_dir, database=database, batch_size=Settings().batch_size)
            paths = [("neo4j-gds", True)] if has_gds(driver, database) else []
            paths.append(("neo4j-cypher", False))
            for name, use_gds in paths:
                for i in range(repeat):
                    say(f"detection {size:,}: {name}, repeat {i + 1}/{repeat}")
                    seconds, counts[name], backend = _neo4j(driver, database, use_gds)
                    times.setdefault(name, []).append(seconds)
                    assert backend == name, (backend, name)
            _reset(driver, database)
        finally:
            driver.close()
    best = {k: min(v) for k, v in times.items()}

    def same(k: str) -> bool:
        # ring_events differ by design: each Neo4j path diffs against the detection written before it.
        return {**counts[k], "ring_events": 0} == {**counts["in-process"], "ring_events": 0}

    for k in times:
        out[k] = {"seconds": best[k], "repeats": [round(t, 2) for t in times[k]], "counts": counts[k],
                  "accounts_per_s": size / best[k], "same_counts_as_in_process": same(k)}
    rows = [Row("detection (s)", best["in-process"], k, best[k], "s", None,
                "same counts as in-process (ring_events aside): " + ("yes" if same(k) else "NO"))
            for k in best if k != "in-process"]
    rows.append(Row("accounts / s", size / best["in-process"], "-", float("nan"), "acc/s", None,
                    f"in-process; {counts['in-process'].get('rings', 0)} rings"))
    structure = incremental["structure"]
    rows.append(Row("incremental detection (s)", incremental["incremental_s"], "full, same previous",
                    incremental["full_s"], "s", None,
                    f"{incremental['mode']}: {incremental['new_accounts']:,} new accounts, "
                    f"{structure.get('components_reused', 0):,} components reused, "
                    f"{structure.get('components_recomputed', 0):,} recomputed; same outputs: "
                    + ("yes" if incremental["same_outputs"] else "NO")))
    show(f"Detection, {size:,} accounts (ours = in-process)", rows)
    out["rows"] = [r.as_dict() for r in rows]
    return out
