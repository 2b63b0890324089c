"""Incremental run: the newest 1% of accounts added to a baseline run, against a full rerun over everything.

Data: the synthetic data set of `size` accounts split by sign-up time (entity_resolution.demo.split): the
baseline holds the oldest 99% (with their devices and payments), the increment the newest 1% with theirs.
Untimed setup: the baseline run (`er run`) and, with a graph, its load into an emptied Neo4j.

- ours, incremental: `er run --previous BASE --incremental` on the increment's files (resolution of the new
  records + the in-process detection, which reuses the baseline's structure where nothing changed), then
  `er load --since BASE` (only the rows that changed).
- baseline, full rerun: `er run --previous BASE` over all the data, then `er load` of that run (every row, as
  a scheduled full rerun into the live graph would).

Correctness, in the same run: the incremental entities and predictions against a full resolution pinned to
the baseline's prior and term frequencies (`pipeline.resolve_pinned`: must be identical), and entities and
rings against the fresh full rerun (which re-estimates both: differences are counted, not hidden).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from .common import CACHE, Row, inputs, say, show


def _diff(con: duckdb.DuckDBPyConnection, left: str, right: str) -> list[int]:
    only_left = con.execute(f"SELECT count(*) FROM (({left}) EXCEPT ({right}))").fetchall()[0][0]
    only_right = con.execute(f"SELECT count(*) FROM (({right}) EXCEPT ({left}))").fetchall()[0][0]
    return [int(only_left), int(only_right)]


def _compare(work: Path) -> dict[str, Any]:
    con = duckdb.connect()
    con.execute("ATTACH $p AS inc (READ_ONLY)", {"p": str(work / "inc" / "er.duckdb")})
    con.execute("ATTACH $p AS pinned (READ_ONLY)", {"p": str(work / "pinned.duckdb")})
    pred = ("SELECT unique_id_l, unique_id_r, match_key, round(match_probability, 12), same_person "
            "FROM {}.predictions")
    out: dict[str, Any] = {
        "vs_pinned_full": {
            "entities_differing_rows": _diff(con, "SELECT account_id, entity_id FROM inc.entities",
                                             "SELECT account_id, entity_id FROM pinned.entities"),
            "predictions_differing_rows": _diff(con, pred.format("inc"), pred.format("pinned")),
        }
    }
    for run in ("inc", "full"):  # the files as views: their paths never go into SQL text
        for name in ("entities", "rings", "signals", "links"):
            con.read_parquet(str(work / run / f"{name}.parquet")).create_view(f"{run}_{name}")
    ent = "SELECT account_id, entity_id FROM {}_entities"
    rings = "SELECT ring_id, account_count, entity_count FROM {}_rings"
    members = "SELECT account_id, ring_id FROM {}_signals WHERE ring_id IS NOT NULL"
    links = "SELECT account_id_l, account_id_r FROM {}_links WHERE same_person"
    out["vs_fresh_full"] = {
        "accounts_with_other_entity_id": _diff(con, ent.format("inc"), ent.format("full"))[0],
        "rings_differing": _diff(con, rings.format("inc"), rings.format("full")),
        "ring_memberships_differing": _diff(con, members.format("inc"), members.format("full")),
        "same_person_links_differing": _diff(con, links.format("inc"), links.format("full")),
        "accounts": int(con.execute("SELECT count(*) FROM full_entities").fetchall()[0][0]),
    }
    return out


def run_suite(size: int, *, graph: bool = True, reuse: bool = False) -> dict[str, Any]:
    """reuse: keep the run folders of an earlier suite run at this size (their own phase times stand for the run
    times) and measure the graph part only, e.g. after a `--no-graph` run at 1M."""
    from entity_resolution.demo.split import split_newest
    from entity_resolution.pipeline import resolve_pinned, run
    from entity_resolution.settings import Settings

    work = CACHE / f"incremental-{size}"
    settings = Settings()
    everything = inputs(size)
    reused = reuse and all((work / d / "manifest.json").is_file() for d in ("base", "inc", "full"))
    if not reused:
        if work.exists():
            shutil.rmtree(work)
        base_in, _ = split_newest(everything, 0.01, work / "in_base", work / "in_new")
        say(f"baseline run over {size:,} accounts less the newest 1% (untimed)")
        run(base_in, work / "base", settings)

    driver = None
    if graph:
        from entity_resolution.graph.connection import connect
        from entity_resolution.graph.loader import load_run
        from entity_resolution.graph.snapshot import wipe

        say("loading the baseline into the emptied graph (untimed; bulk import where possible)")
        # Bulk import restarts the server (a minute or more): worth it from 100k accounts, not for the 10k smoke run.
        bulk = size >= 100_000 and _bulk_load(work / "base")
        driver = connect(settings)
        if not bulk:
            wipe(driver)
            load_run(driver, work / "base")
        # A live graph is warm; one freshly restarted after the import is not: touch every node and link.
        driver.execute_query("MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(n), count(r)")

    timings: dict[str, dict[str, float]] = {"incremental": {}, "full": {}}
    phases: dict[str, dict[str, float]] = {}
    for kind in ("incremental", "full"):
        folder = work / ("inc" if kind == "incremental" else "full")
        if reused:
            phases[kind] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["phase_seconds"]
            timings[kind]["run_s"] = sum(phases[kind].values())
        else:
            say(f"{kind} run")
            start = time.perf_counter()
            if kind == "incremental":
                result = run(_inputs(work / "in_new"), folder, settings,
                             previous=work / "base", incremental=True)
            else:
                result = run(everything, folder, settings, previous=work / "base")
            timings[kind]["run_s"] = time.perf_counter() - start
            phases[kind] = dict(result.phase_seconds)
        if driver is not None:
            say(f"{kind} load")
            start = time.perf_counter()
            loaded = load_run(driver, folder, since=work / "base" if kind == "incremental" else None)
            timings[kind]["load_s"] = time.perf_counter() - start
            timings[kind]["load_rows"] = float(sum(loaded.rows.values()))
    if driver is not None:
        driver.close()
    if not (work / "pinned.duckdb").is_file():
        say("reference: full resolution pinned to the baseline's statistics (untimed)")
        resolve_pinned(everything, work / "base", work / "pinned.duckdb", settings)
    checks = _compare(work)
    load_rows = {k: timings[k].pop("load_rows", None) for k in timings}

    def total(kind: str) -> float:
        return sum(timings[kind].values())

    inc_detect = phases["incremental"].get("detect", 0.0)
    full_detect = phases["full"].get("detect", 0.0)
    rows = [
        Row("resolution (run without detection)", timings["incremental"]["run_s"] - inc_detect, "full rerun",
            timings["full"]["run_s"] - full_detect, "s"),
        Row("detection (in-process)", inc_detect, "full rerun", full_detect, "s"),
    ]
    if graph:
        rows.append(Row("graph load", timings["incremental"]["load_s"], "full load", timings["full"]["load_s"], "s"))
    rows.append(Row("incremental run end to end", total("incremental"), "full rerun", total("full"), "s",
                    goal=("<=", 0.1), note="goal: >= 10x faster, i.e. ours / full <= 0.1"))
    show(f"Incremental run: +1% accounts on {size:,} (ours = incremental, baseline = full rerun)", [*rows])
    say(f"identical to the pinned full resolution: {checks['vs_pinned_full']}")
    say(f"against the fresh full rerun: {checks['vs_fresh_full']}")
    return {
        "timings_s": {k: {m: round(v, 2) for m, v in d.items()} for k, d in timings.items()},
        "speedup": round(total("full") / total("incremental"), 2),
        "incremental_phases": phases["incremental"], "full_phases": phases["full"], "reused_runs": reused,
        "incremental_manifest": _manifest(work / "inc"), "load_rows": load_rows,
        "checks": checks, "rows": [r.as_dict() for r in rows],
    }


def _inputs(folder: Path) -> Any:
    from entity_resolution.ingest import Inputs

    return Inputs(folder / "accounts.parquet", folder / "devices.parquet", folder / "payments.parquet")


def _bulk_load(run_dir: Path) -> bool:
    """The baseline into the managed server with `er neo4j import` (much faster than an online load)."""
    try:
        from entity_resolution.graph.bulk_import import bulk_import
        from entity_resolution.graph.server import ServerConfig
    except ImportError:
        return False
    bulk_import(ServerConfig.from_env(), run_dir, force=True)
    return True


def _manifest(run_dir: Path) -> dict[str, Any]:
    import json

    data = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return {"incremental": data.get("incremental"), "detect": _detect_mode(run_dir)}


def _detect_mode(run_dir: Path) -> Any:
    import json

    path = run_dir / "detect_manifest.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: data.get(k) for k in ("mode", "reason", "incremental") if k in data}
