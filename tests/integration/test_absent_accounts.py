"""A full load is the whole truth of its run: accounts the run lacks are retired, and detection ignores them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import pyarrow.parquet as pq
import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths, generate
from entity_resolution.demo.split import split_newest
from entity_resolution.detect import compute_signals
from entity_resolution.detect.graph import detect_graph
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import snapshot, wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

RUN_TAGS = frozenset({"run_id", "last_run_id"})  # which load last wrote a row: differs by design


def _inputs(data: GeneratedPaths) -> Inputs:
    return Inputs(data.accounts, data.devices, data.payments)


def _accounts(run: Path) -> set[str]:
    return set(pq.read_table(run / "entities.parquet", columns=["account_id"])["account_id"].to_pylist())


def _ids(driver: neo4j.Driver, query: str) -> set[str]:
    records, _, _ = driver.execute_query(query)  # test-only queries without values
    return {r[0] for r in records}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two unrelated data sets (different seeds), each resolved on its own."""
    work = tmp_path_factory.mktemp("absent")
    out: dict[str, Any] = {"work": work}
    for name, seed in (("a", 21), ("b", 22)):
        data = generate(work / f"in_{name}", n_accounts=1000, seed=seed, fmt="parquet")
        pipeline.run(_inputs(data), work / name, Settings(forget_list=work / "no-forget-list.jsonl"))
        out[name], out[f"data_{name}"] = work / name, data
    return out


def test_a_full_load_retires_the_accounts_the_run_lacks(graph: neo4j.Driver, two_runs: dict[str, Any],
                                                          tmp_path: Path) -> None:
    a, b = _accounts(two_runs["a"]), _accounts(two_runs["b"])
    assert a - b, "the two data sets should not be the same accounts"
    load_run(graph, two_runs["a"])
    result = load_run(graph, two_runs["b"])
    assert result.retired_accounts == len(a - b)
    current = _ids(graph, "MATCH (a:Account)-[:MEMBER_OF]->(:Entity) RETURN a.account_id")
    assert current == b
    assert _ids(graph, "MATCH (a:Account) WHERE a.retired_run_id IS NULL RETURN a.account_id") == b
    retired = _ids(graph, "MATCH (a:Account) WHERE a.retired_run_id IS NOT NULL RETURN a.account_id")
    assert retired == a - b
    # history: a retired account keeps its properties and identifier uses, but no membership or live link
    assert _ids(graph, "MATCH (a:Account)-[:USED_DEVICE|USED_CARD|USED_IP]->() WHERE a.retired_run_id IS NOT NULL "
                       "RETURN DISTINCT a.account_id")
    assert not _ids(graph, "MATCH (a:Account)-[m:MATCHES]-() WHERE a.retired_run_id IS NOT NULL AND m.active "
                           "RETURN a.account_id")
    assert not _ids(graph, "MATCH (e:Entity) WHERE NOT (e)<-[:MEMBER_OF]-() RETURN e.entity_id")

    # detection on the graph equals the in-process detection of run b alone (the issue: 52,334 vs 50,000)
    (tmp_path / "oracle").mkdir()
    (tmp_path / "graph").mkdir()
    oracle = compute_signals(two_runs["b"], out_dir=tmp_path / "oracle")
    on_graph = detect_graph(graph, tmp_path / "graph", write=False)
    assert on_graph.counts["accounts"] == len(b)
    for name in ("signals", "rings", "hubs", "components", "bridges", "ring_events"):
        expected, found = getattr(oracle.outputs, name), getattr(on_graph.outputs, name)
        assert expected.equals(found), f"{name}: {expected.num_rows} rows in-process, {found.num_rows} on the graph"

    # an account that comes back is current again, with its retirement cleared
    back = load_run(graph, two_runs["a"])
    assert back.retired_accounts == len(b - a)
    assert _ids(graph, "MATCH (a:Account)-[:MEMBER_OF]->(:Entity) WHERE a.retired_run_id IS NULL "
                       "RETURN a.account_id") == a


@pytest.fixture(scope="module")
def shrunk(two_runs: dict[str, Any]) -> dict[str, Path]:
    """Run a, then a run (keeping a's entity ids) from which a's newest 5% of accounts have left."""
    work = two_runs["work"]
    kept, _ = split_newest(_inputs(two_runs["data_a"]), 0.05, work / "in_kept", work / "in_left")
    pipeline.run(kept, work / "kept", Settings(forget_list=work / "no-forget-list.jsonl"), previous=two_runs["a"])
    return {"all": two_runs["a"], "kept": work / "kept"}


def test_a_delta_load_retires_the_same_accounts_as_a_full_load(graph: neo4j.Driver,
                                                                shrunk: dict[str, Path]) -> None:
    left = _accounts(shrunk["all"]) - _accounts(shrunk["kept"])
    assert len(left) >= 40
    load_run(graph, shrunk["all"])
    full = load_run(graph, shrunk["kept"])
    expected = snapshot(graph, ignore=RUN_TAGS)
    assert full.retired_accounts == len(left)
    wipe(graph)
    load_run(graph, shrunk["all"])
    delta = load_run(graph, shrunk["kept"], since=shrunk["all"])
    assert delta.retired_accounts == len(left)
    assert snapshot(graph, ignore=RUN_TAGS) == expected
    assert _ids(graph, "MATCH (a:Account) WHERE a.retired_run_id IS NOT NULL RETURN a.account_id") == left
