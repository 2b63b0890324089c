"""Loading run folders into the real managed Neo4j: idempotent, incremental, resumable."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import neo4j
import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import snapshot, wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings


def _inputs(data: GeneratedPaths) -> Inputs:
    return Inputs(data.accounts, data.devices, data.payments)


@pytest.fixture(scope="module")
def runs(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An early run (as of the 80th percentile of sign-ups) and a full run with stricter thresholds."""
    base = tmp_path_factory.mktemp("graph_runs")
    as_of = duckdb.connect().sql(
        "SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.8) FROM read_parquet($p)",
        params={"p": str(small_data.accounts)},
    ).fetchall()[0][0]
    pipeline.run(_inputs(small_data), base / "early", Settings(), as_of=as_of)
    strict = Settings(link_floor=0.99999, match_threshold=0.99999, cluster_threshold=0.99999)
    pipeline.run(_inputs(small_data), base / "full", strict, previous=base / "early")
    return {"early": base / "early", "full": base / "full"}


def _count(driver: neo4j.Driver, query: str, **params: object) -> int:
    records, _, _ = driver.execute_query(query, params)  # test-only queries, values as parameters
    return int(records[0][0])


def test_load_is_idempotent(graph: neo4j.Driver, runs: dict[str, Path]) -> None:
    first = load_run(graph, runs["full"], batch_size=700)
    once = snapshot(graph)
    again = load_run(graph, runs["full"], batch_size=700)
    twice = snapshot(graph)
    assert once == twice
    assert first.rows == again.rows
    n_accounts = duckdb.connect().sql(
        "SELECT count(*) FROM read_parquet($p)", params={"p": str(runs["full"] / "entities.parquet")}
    ).fetchall()[0][0]
    assert _count(graph, "MATCH (a:Account) RETURN count(a)") == n_accounts
    assert _count(graph, "MATCH (a:Account) WHERE NOT (a)-[:MEMBER_OF]->(:Entity) RETURN count(a)") == 0


def test_incremental_load_moves_memberships_and_retires_links(graph: neo4j.Driver, runs: dict[str, Path]) -> None:
    load_run(graph, runs["early"])
    early_links = _count(graph, "MATCH ()-[m:MATCHES]->() RETURN count(m)")
    result = load_run(graph, runs["full"])
    # every account in exactly one entity, and it is the entity of the latest run
    assert _count(graph, "MATCH (a:Account) WHERE count { (a)-[:MEMBER_OF]->() } <> 1 RETURN count(a)") == 0
    expected = dict(duckdb.connect().sql(
        "SELECT account_id, entity_id FROM read_parquet($p)", params={"p": str(runs["full"] / "entities.parquet")}
    ).fetchall())
    records, _, _ = graph.execute_query("MATCH (a:Account)-[:MEMBER_OF]->(e:Entity) RETURN a.account_id, e.entity_id")
    assert dict((r[0], r[1]) for r in records) == expected
    # links the stricter run no longer predicts are kept as history, inactive, never live evidence
    assert result.retired_links > 0
    retired = _count(graph, "MATCH ()-[m:MATCHES]->() WHERE NOT m.active AND m.retired_run_id = $r RETURN count(m)",
                     r=result.run_id)
    assert retired == result.retired_links
    active = _count(graph, "MATCH ()-[m:MATCHES]->() WHERE m.active RETURN count(m)")
    assert active == result.rows["matches"]
    assert active + retired >= early_links
    # no empty entities remain
    assert _count(graph, "MATCH (e:Entity) WHERE NOT (e)<-[:MEMBER_OF]-() RETURN count(e)") == 0


def test_killed_load_resumes_without_duplicates(graph: neo4j.Driver, runs: dict[str, Path], tmp_path: Path) -> None:
    load_run(graph, runs["full"])
    clean = snapshot(graph)
    wipe(graph)
    proc = subprocess.Popen(
        [sys.executable, "-m", "entity_resolution.cli", "-q", "load", "--from", str(runs["full"]),
         "--batch-size", "50"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        done = _count(graph, "MATCH (s:LoadStep) RETURN coalesce(sum(s.rows), 0)")
        if done >= 2000:
            break
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    partial = _count(graph, "MATCH (s:LoadStep) RETURN coalesce(sum(s.rows), 0)")
    assert partial > 0
    result = load_run(graph, runs["full"])
    assert result.resumed_steps, "the second load should resume from the recorded progress"
    assert snapshot(graph) == clean


@pytest.fixture(scope="module")
def grown(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A baseline run and an incremental run that adds the newest 2% of accounts to it."""
    from entity_resolution.demo.split import split_newest

    work = tmp_path_factory.mktemp("grown")
    base_in, new_in = split_newest(_inputs(small_data), 0.02, work / "in_base", work / "in_new")
    pipeline.run(base_in, work / "base", Settings())
    pipeline.run(new_in, work / "inc", Settings(), previous=work / "base", incremental=True)
    return {"base": work / "base", "inc": work / "inc"}


RUN_TAGS = frozenset({"run_id", "last_run_id"})  # which load last wrote a row: differs by design


def test_delta_load_equals_a_full_load(graph: neo4j.Driver, grown: dict[str, Path]) -> None:
    load_run(graph, grown["base"])
    full = load_run(graph, grown["inc"])
    expected = snapshot(graph, ignore=RUN_TAGS)
    wipe(graph)
    load_run(graph, grown["base"])
    delta = load_run(graph, grown["inc"], since=grown["base"])
    assert snapshot(graph, ignore=RUN_TAGS) == expected
    assert delta.retired_links == full.retired_links
    # only what changed was written: a fraction of the full load's rows
    assert 0 < sum(delta.rows.values()) < 0.2 * sum(full.rows.values())


def test_delta_load_refuses_a_base_the_graph_does_not_hold(graph: neo4j.Driver, grown: dict[str, Path]) -> None:
    from entity_resolution.errors import GraphError

    with pytest.raises(GraphError, match="last complete load"):
        load_run(graph, grown["inc"], since=grown["base"])
