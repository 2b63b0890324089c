"""The saved Cypher queries for the explain questions (cypher/explore/evidence_path, ring_evidence, account_risk)
on a real Neo4j holding the small demo (resolved, loaded and detected on the graph), checked against `er explain`'s
answers from the same run folder: the same path length, the same binding identifiers, the same contributions.
Fails, never skips, when the managed server is not running.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from neo4j_support import managed_driver, saved_query

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect.graph import detect_graph
from entity_resolution.explain import Evidence, explain_account, explain_pair, explain_ring
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def graph_run(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    driver = managed_driver()
    base = tmp_path_factory.mktemp("explain_graph")
    inputs = Inputs(small_data.accounts, small_data.devices, small_data.payments, small_data.labels)
    pipeline.run(inputs, base / "run", Settings())
    wipe(driver)
    load_run(driver, base / "run")
    (base / "detect").mkdir()
    detect_graph(driver, base / "detect")
    ring = driver.execute_query(
        "MATCH (r:Ring {active: true}) RETURN r.ring_id AS ring_id ORDER BY r.account_count DESC, ring_id LIMIT 1"
    ).records[0]["ring_id"]
    members = driver.execute_query(
        "MATCH (:Ring {ring_id: $r})<-[:IN_RING]-(a:Account)-[:MEMBER_OF]->(e:Entity) "
        "WITH a, e ORDER BY a.created_at, a.account_id RETURN a.account_id AS a, e.entity_id AS e",
        {"r": ring}).records
    yield {"driver": driver, "run": base / "run", "detection": base / "detect", "ring": ring,
           "members": [(m["a"], m["e"]) for m in members]}
    wipe(driver)
    driver.close()


_query = saved_query


def test_evidence_path_matches_the_run_folder_path(graph_run: dict[str, Any]) -> None:
    (a, entity_a), *rest = graph_run["members"]
    b = next(m for m, e in reversed(rest) if e != entity_a)
    rows = _query(graph_run["driver"], "explore/evidence_path", {"a": a, "b": b})
    assert len(rows) == 1
    row = rows[0]
    assert row["chain"][0] == f"Account {a}" and row["chain"][-1] == f"Account {b}"
    assert not any("Hub" in n.labels for n in row["path"].nodes)
    with Evidence.open(graph_run["run"]) as ev:
        p = explain_pair(ev, a, b)
    assert p.path is not None
    assert row["account_steps"] - 1 == p.path.hops, "Neo4j and the run folder find equally short paths"
    assert _query(graph_run["driver"], "explore/evidence_path", {"a": a, "b": "acct_no_such"}) == []


def test_ring_evidence_matches_the_run_folder_bindings(graph_run: dict[str, Any]) -> None:
    rows = _query(graph_run["driver"], "explore/ring_evidence", {"ring_id": graph_run["ring"]})
    assert rows and all(r["members_touched"] >= 2 and r["accounts_using"] >= r["members_touched"] for r in rows)
    touched = [r["members_touched"] for r in rows]
    assert touched == sorted(touched, reverse=True)
    members = {m for m, _ in graph_run["members"]}
    assert set().union(*(set(r["member_ids"]) for r in rows)) <= members
    with Evidence.open(graph_run["run"]) as ev:
        folder = explain_ring(ev, graph_run["ring"])  # the in-process detection names rings alike
    assert {m.account_id for m in folder.members} == members
    in_graph = {(r["kind"].lower(), r["value"], tuple(r["member_ids"])) for r in rows}
    assert in_graph == {(b.kind, b.value, b.members) for b in folder.bindings}


def test_account_risk_lists_every_contribution(graph_run: dict[str, Any]) -> None:
    a = graph_run["members"][0][0]
    rows = _query(graph_run["driver"], "explore/account_risk", {"account_id": a})
    assert rows and rows[0]["ring_id"] == graph_run["ring"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    with Evidence.open(graph_run["run"], graph_run["detection"]) as ev:  # the graph detection's own export
        acct = explain_account(ev, a)
    assert acct.detection_id == rows[0]["detection_id"]
    assert acct.risk is not None
    assert rows[0]["risk_score"] == pytest.approx(acct.risk.risk_score)
    graph = sorted((r["contribution"] for r in rows if r["contribution"] is not None), reverse=True)
    folder = sorted((c.contribution for c in acct.risk.contributions), reverse=True)
    if acct.risk.model == "default weights":
        assert graph == pytest.approx(folder), "every reason carries its contribution"
    else:  # learned: the graph holds the largest four, the run folder all
        assert len(graph) <= len(folder)
    assert _query(graph_run["driver"], "explore/account_risk", {"account_id": "acct_no_such"}) == []
