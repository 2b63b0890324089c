"""Detection: time to compute every signal (components, rings, bridges, growth, risk) three ways.

- in-process: `entity_resolution.detect.compute_signals(run_dir, out_dir=...)` (DuckDB + igraph over the run's
  er.duckdb), what `er run` does at its end;
- Neo4j with GDS: `entity_resolution.detect.graph.detect_graph(driver, out_dir, use_gds=True)` on the loaded
  graph, writing rings and signals back (what `er detect` does);
- Neo4j with plain Cypher + APOC: the same with `use_gds=False`.

The graph is loaded once with our loader before the Neo4j paths (not timed here; see the graph_load suite).
Each path's counts (accounts, rings, bridges, ...) must agree with the in-process one (ring_events aside: each
Neo4j detection diffs against the one written before it). The ratio is the Neo4j
path's time over the in-process time (how many times slower the server path is).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Row, run_folder, say, show


def _inprocess(run_dir: Path) -> tuple[float, dict[str, int]]:
    from entity_resolution.detect import compute_signals

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = compute_signals(run_dir, out_dir=Path(tmp))
        return time.perf_counter() - start, dict(result.counts)


def _neo4j(driver: Any, database: str, use_gds: bool) -> tuple[float, dict[str, int], str]:
    from entity_resolution.detect.graph import detect_graph

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = detect_graph(driver, Path(tmp), database=database, use_gds=use_gds)
        return time.perf_counter() - start, dict(result.counts), result.backend


def run_suite(size: int, repeat: int = 1, neo4j: bool = True) -> dict[str, Any]:
    from entity_resolution.settings import Settings

    run_dir = run_folder(size)
    out: dict[str, Any] = {"run_dir": str(run_dir)}
    times: dict[str, list[float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for i in range(repeat):
        say(f"detection {size:,}: in-process, repeat {i + 1}/{repeat}")
        seconds, counts["in-process"] = _inprocess(run_dir)
        times.setdefault("in-process", []).append(seconds)
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
    show(f"Detection, {size:,} accounts (ours = in-process)", rows)
    out["rows"] = [r.as_dict() for r in rows]
    return out
