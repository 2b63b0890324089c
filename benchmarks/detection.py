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
ER_BENCH_DETECT_PATHS=neo4j-gds runs only the GDS path (the plain Cypher one takes long at 1M).
The graph is loaded once before the Neo4j paths (not timed here; see the graph_load suite): with our online loader
below 100k accounts, with the bulk import (`er neo4j import`) from 100k on, and not at all when the graph already
holds this run folder's run (a bulk-imported graph is left in place: wiping millions of nodes online takes longer
than importing them). ER_BENCH_DETECT_LOAD=online|bulk|reuse overrides that choice.
Each Neo4j path reports its time per phase (reset, hubs, projection, components, facts = reading the facts out,
finish = the shared DuckDB finishing and files, write rings / write signals / complete / marks = write-back) and
the server's memory (peak RSS of its JVM, heap and page cache settings) and store size on disk.
Each path's counts (accounts, rings, bridges, ...) must agree with the in-process one (ring_events aside: each
Neo4j detection diffs against the one written before it), and so must its outputs, table for table: signals,
rings, hubs and bridges in full, components on their growth columns (`same_outputs_as_in_process`). The ratio is
the Neo4j path's time over the in-process time (how many times slower the server path is).
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


def _inprocess(run_dir: Path) -> tuple[float, dict[str, int], Any]:
    from entity_resolution.detect import compute_signals

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = compute_signals(run_dir, out_dir=Path(tmp))
        return time.perf_counter() - start, dict(result.counts), result.outputs


# Compared in full with the in-process outputs (as tests/integration/test_detect_neo4j.py does); components only
# on these columns: new_since_previous and ring_events depend on the detection each path diffs against.
_GROWTH = ["component_id", "entity_count", "account_count", "growth_1d", "growth_7d", "growth_30d", "fast_growing"]


def _differences(a: Any, b: Any) -> list[str]:
    """Names of the output tables in which two detections' outputs differ (empty: identical)."""
    differ = [n for n in ("signals", "rings", "hubs", "bridges") if not getattr(a, n).equals(getattr(b, n))]
    if not a.components.select(_GROWTH).equals(b.components.select(_GROWTH)):
        differ.append("components")
    return differ


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


def _neo4j(driver: Any, database: str, use_gds: bool) -> tuple[float, dict[str, int], str, dict[str, float], Any]:
    from entity_resolution.detect.graph import detect_graph

    marks: dict[str, float] = {}
    phases: dict[str, float] = {}

    def progress(phase: str, done: bool, message: str = "") -> None:
        if done:
            phases[phase] = round(time.perf_counter() - marks[phase], 2)
        else:
            marks[phase] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = detect_graph(driver, Path(tmp), database=database, use_gds=use_gds, progress=progress)
        seconds = time.perf_counter() - start
    # what no phase covers: the previous detection read, undo check, and the finishing step (DuckDB + files)
    phases["finish and other"] = round(seconds - sum(phases.values()), 2)
    return seconds, dict(result.counts), result.backend, phases, result.outputs


def _server_facts(database: str) -> dict[str, Any]:
    """Peak RSS of the managed server's JVM, its heap and page cache settings, and the store size on disk."""
    from entity_resolution.graph.server import ServerConfig, ServerPaths

    config = ServerConfig.from_env()
    paths = ServerPaths.of(config)
    facts: dict[str, Any] = {"heap": config.heap, "pagecache": config.pagecache}
    try:
        pid = int(json.loads(paths.state_file.read_text(encoding="utf-8"))["pid"])
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                facts[line.split(":")[0]] = f"{int(line.split()[1]) // 1024} MiB"
    except (OSError, ValueError, KeyError):
        pass
    store = paths.home / "data" / "databases" / database
    if store.is_dir():
        facts["store_mib"] = round(sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20)
    return facts


def _graph_holds(driver: Any, database: str, run_dir: Path) -> bool:
    from entity_resolution.detect.graph import current_run
    from entity_resolution.errors import GraphError

    run_id = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    try:
        return current_run(driver, database)[0] == run_id
    except GraphError:
        return False


def _load_graph(size: int, run_dir: Path, database: str) -> tuple[str, float]:
    """Put the run into the graph (see the module doc); returns how and the seconds it took."""
    from entity_resolution.graph.bulk_import import bulk_import
    from entity_resolution.graph.loader import load_run
    from entity_resolution.graph.server import ServerConfig
    from entity_resolution.settings import Settings

    from .graph_load import _connect, _reset

    how = os.environ.get("ER_BENCH_DETECT_LOAD")
    driver, _, _ = _connect()
    start = time.perf_counter()
    try:
        if how is None:
            how = "reuse" if _graph_holds(driver, database, run_dir) else "bulk" if size >= 100_000 else "online"
        if how == "online":
            _reset(driver, database)
            load_run(driver, run_dir, database=database, batch_size=Settings().batch_size)
    finally:
        driver.close()
    if how == "bulk":  # stops and starts the server: the driver above is closed first
        bulk_import(ServerConfig.from_env(), run_dir, database=database, force=True)
    return how, time.perf_counter() - start


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
        seconds, counts["in-process"], oracle = _inprocess(run_dir)
        times.setdefault("in-process", []).append(seconds)
    say(f"detection {size:,}: incremental against a detection {INCREMENTAL_DAYS} days earlier")
    incremental = _incremental(run_dir)
    out["incremental"] = incremental
    phases: dict[str, list[dict[str, float]]] = {}
    differences: dict[str, list[str]] = {}
    if neo4j:
        from entity_resolution.detect.graph import has_gds

        from .graph_load import _connect, _reset

        database = Settings().neo4j_database
        say(f"detection {size:,}: loading the graph")
        how, load_s = _load_graph(size, run_dir, database)
        out["graph_load"] = {"how": how, "seconds": round(load_s, 1)}
        driver, _, _ = _connect()  # a new driver: a bulk import restarts the server
        try:
            wanted = os.environ.get("ER_BENCH_DETECT_PATHS", "neo4j-gds,neo4j-cypher").split(",")
            paths = [("neo4j-gds", True)] if has_gds(driver, database) else []
            paths.append(("neo4j-cypher", False))
            for name, use_gds in [p for p in paths if p[0] in wanted]:
                for i in range(repeat):
                    say(f"detection {size:,}: {name}, repeat {i + 1}/{repeat}")
                    seconds, counts[name], backend, parts, outputs = _neo4j(driver, database, use_gds)
                    differences[name] = sorted({*differences.get(name, []), *_differences(oracle, outputs)})
                    say(f"detection {size:,}: {name} {seconds:.1f} s: {parts}")
                    times.setdefault(name, []).append(seconds)
                    phases.setdefault(name, []).append(parts)
                    assert backend == name, (backend, name)
            out["server"] = _server_facts(database)
            if how == "online":
                _reset(driver, database)
        finally:
            driver.close()
    best = {k: min(v) for k, v in times.items()}

    def same(k: str) -> bool:
        # ring_events differ by design: each Neo4j path diffs against the detection written before it.
        return {**counts[k], "ring_events": 0} == {**counts["in-process"], "ring_events": 0}

    for k in times:
        out[k] = {"seconds": best[k], "repeats": [round(t, 2) for t in times[k]], "counts": counts[k],
                  "accounts_per_s": size / best[k], "same_counts_as_in_process": same(k),
                  "same_outputs_as_in_process": not differences.get(k), "outputs_differ": differences.get(k, []),
                  "phases": phases.get(k, [])}
    rows = [Row("detection (s)", best["in-process"], k, best[k], "s", None,
                "same counts as in-process (ring_events aside): " + ("yes" if same(k) else "NO")
                + "; same outputs: " + ("yes" if not differences.get(k) else "NO: " + ", ".join(differences[k])))
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
