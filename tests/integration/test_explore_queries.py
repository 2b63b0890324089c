"""The investigators' saved queries (cypher/explore/*.cypher) return rows on a loaded demo graph.

Two runs of the small demo data set are loaded into the managed Neo4j (an early run as of the 90th percentile of
sign-ups, then a full run with stricter thresholds, so memberships move and links retire); every explore query
runs with sample parameters taken from the graph, before detection (no Ring nodes: the component fallback) and
with a Ring node shaped like detection's. Fails, never skips, when the server is not running.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import neo4j
import pytest
from neo4j_support import managed_driver, saved_query

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.graph.cypher import all_queries
from entity_resolution.graph.evidence import FIELDS
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

HUB_MIN_ACCOUNTS = Settings().hub_min_accounts  # the run's threshold, which the queries read before detection

pytestmark = pytest.mark.neo4j

TEST_RING = "R-explore-test"


@pytest.fixture(scope="module")
def loaded(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The managed Neo4j holding an early and a full run of the small demo data; yields driver and run ids."""
    driver = managed_driver()
    base = tmp_path_factory.mktemp("explore_runs")
    inputs = Inputs(small_data.accounts, small_data.devices, small_data.payments)
    rows = duckdb.connect().execute(  # a connection of its own: fetchone leaves the result unfinished
        "SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.9) FROM read_parquet($p)", {"p": str(small_data.accounts)}
    ).fetchall()
    assert rows
    as_of = rows[0][0]
    early = pipeline.run(inputs, base / "early", Settings(), as_of=as_of)
    strict = Settings(link_floor=0.99999, match_threshold=0.99999, cluster_threshold=0.99999)
    full = pipeline.run(inputs, base / "full", strict, previous=base / "early")
    wipe(driver)
    load_run(driver, base / "early")
    load_run(driver, base / "full")
    yield {"driver": driver, "early": early.run_id, "full": full.run_id}
    wipe(driver)
    driver.close()


_query = saved_query


def _one(driver: neo4j.Driver, query: str, **params: Any) -> Any:
    records, _, _ = driver.execute_query(query, params)  # test-only sampling queries, values as parameters
    assert records, f"no sample in the graph for: {query}"
    return records[0][0]


def _remove_rings(driver: neo4j.Driver) -> None:
    driver.execute_query("MATCH (r:Ring) DETACH DELETE r")


def test_every_explore_query_is_covered_here() -> None:
    explore = {name for name in all_queries() if name.startswith("explore/")}
    assert explore == {
        "explore/ring",
        "explore/neighbourhood",
        "explore/why_linked",
        "explore/largest_components",
        "explore/fastest_growing_components",
        "explore/entity_history",
        # the investigator views and tables, on a detected demo graph in test_investigator_graph.py
        "explore/ring_view",
        "explore/ring_members",
        "explore/ring_timeline",
        "explore/bridges",
        "explore/high_risk_outside_rings",
        "explore/fast_growing_components",
        # the explain questions, against `er explain`'s answers in test_explain_queries.py
        "explore/evidence_path",
        "explore/ring_evidence",
        "explore/account_risk",
    }


def test_largest_components_without_rings(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    _remove_rings(driver)
    rows = _query(driver, "explore/largest_components", {"limit": 10})
    assert 0 < len(rows) <= 10
    assert {r["kind"] for r in rows} == {"component"}
    sizes = [r["accounts"] for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] >= 5, "the demo's planted rings form components of several accounts"
    assert rows[0]["shared_devices"] + rows[0]["shared_cards"] + rows[0]["shared_ips"] > 0


def test_only_retired_rings_still_fall_back_to_components(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    _remove_rings(driver)
    driver.execute_query("CREATE (:Ring {ring_id: $id, active: false})", {"id": TEST_RING + "-retired"})
    try:
        rows = _query(driver, "explore/largest_components", {"limit": 3})
        assert len(rows) == 3 and {r["kind"] for r in rows} == {"component"}
    finally:
        _remove_rings(driver)


def test_float_parameters_from_browser_params_work(loaded: dict[str, Any]) -> None:
    """Browser's `:params {limit: 5}` sends floats (5.0): LIMIT and APOC's maxLevel must still accept them."""
    driver = loaded["driver"]
    _remove_rings(driver)
    as_ints = _query(driver, "explore/largest_components", {"limit": 5})
    as_floats = _query(
        driver, "explore/largest_components", {"limit": 5.0}
    )
    assert [r["component_id"] for r in as_floats] == [r["component_id"] for r in as_ints]
    growing = _query(
        driver, "explore/fastest_growing_components", {"days": 7.0, "limit": 2.0}
    )
    assert 0 < len(growing) <= 2
    account_id = as_ints[0]["component_id"]
    rows = _query(driver, "explore/neighbourhood", {"account_id": account_id, "depth": 2.0})
    assert rows[0]["node_count"] > 1


def test_ring_query_falls_back_to_an_accounts_component(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    _remove_rings(driver)
    top = _query(driver, "explore/largest_components", {"limit": 1})[0]
    rows = _query(driver, "explore/ring", {"ring_id": top["component_id"]})
    assert len(rows) == top["accounts"]
    assert {r["kind"] for r in rows} == {"component"}
    assert all(r["shared_count"] > 0 for r in rows), "every member shares something with another member"
    assert all(r["entity"] is not None for r in rows)


def test_fastest_growing_components_without_rings(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    _remove_rings(driver)
    rows = _query(
        driver, "explore/fastest_growing_components", {"days": 7, "limit": 5}
    )
    assert rows, "the demo's burst ring signed up in the last days before as_of"
    assert all(r["new_accounts"] > 0 for r in rows)
    assert rows[0]["new_accounts"] >= 3


def test_queries_use_ring_nodes_when_detection_has_written_them(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    _remove_rings(driver)
    top = _query(driver, "explore/largest_components", {"limit": 1})[0]
    members = [
        r["account_id"]
        for r in _query(driver, "explore/ring", {"ring_id": top["component_id"]})
    ]
    # shaped like detection's output: an active ring with members, and a retired one without
    driver.execute_query(
        "MERGE (r:Ring {ring_id: $ring_id}) SET r.active = true WITH r UNWIND $members AS id "
        "MATCH (a:Account {account_id: id}) MERGE (a)-[:IN_RING]->(r) "
        "WITH DISTINCT r MERGE (old:Ring {ring_id: $retired}) SET old.active = false",
        {"ring_id": TEST_RING, "members": members, "retired": TEST_RING + "-retired"},
    )
    try:
        ring = _query(driver, "explore/ring", {"ring_id": TEST_RING})
        assert sorted(r["account_id"] for r in ring) == sorted(members)
        assert {r["kind"] for r in ring} == {"ring"}
        assert all(r["in_ring"] is not None for r in ring)
        largest = _query(driver, "explore/largest_components", {"limit": 10})
        assert [(r["component_id"], r["kind"], r["accounts"]) for r in largest] == [(TEST_RING, "ring", len(members))]
        growing = _query(
            driver,
            "explore/fastest_growing_components",
            {"days": 36500, "limit": 10},
        )
        assert [(r["component_id"], r["new_accounts"]) for r in growing] == [(TEST_RING, len(members))]
        a, b = members[:2]
        why = _query(driver, "explore/why_linked", {"a": a, "b": b})
        assert "same operator: same ring" in {r["evidence"] for r in why}
    finally:
        _remove_rings(driver)


def test_neighbourhood_grows_with_depth(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    account_id = _one(
        driver,
        "MATCH (a:Account)-[:USED_DEVICE]->(d:Device)<-[:USED_DEVICE]-(:Account) "
        "WHERE COUNT { (d)<-[:USED_DEVICE]-() } <= $hub RETURN a.account_id "
        "ORDER BY a.account_id LIMIT 1",
        hub=HUB_MIN_ACCOUNTS,
    )
    counts = []
    for depth in (1, 2, 3):
        rows = _query(
            driver,
            "explore/neighbourhood",
            {"account_id": account_id, "depth": depth},
        )
        assert len(rows) == 1
        assert rows[0]["account"]["account_id"] == account_id
        counts.append(rows[0]["node_count"])
    assert counts[0] >= 3, "the account, its entity and at least its e-mail and device"
    assert counts[0] < counts[1] <= counts[2], "depth 2 reaches the accounts sharing the device"


def test_why_linked_shows_splink_evidence_and_shared_identifiers(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    records, _, _ = driver.execute_query(
        "MATCH (a:Account)-[m:MATCHES]->(b:Account) WHERE m.active "
        "AND EXISTS { (a)-[:USED_DEVICE|USED_CARD|USED_IP]->()<-[:USED_DEVICE|USED_CARD|USED_IP]-(b) } "
        "RETURN a.account_id AS a, b.account_id AS b, m.match_probability AS p "
        "ORDER BY m.same_person DESC, a, b LIMIT 1"
    )
    assert records, "the demo has MATCHES links between accounts that share infrastructure"
    pair = records[0]
    rows = _query(driver, "explore/why_linked", {"a": pair["a"], "b": pair["b"]})
    evidence = {r["evidence"] for r in rows}
    assert "same person: Splink link" in evidence
    assert "same operator: shared infrastructure" in evidence
    link = next(r for r in rows if r["kind"] == "MATCHES")
    assert link["match_probability"] == pytest.approx(pair["p"])
    assert link["active"] is True and link["last_run_id"] == loaded["full"]
    assert all(isinstance(r["path"], neo4j.graph.Path) for r in rows)
    # evidence per field, from the link's ev_<field>/mw_<field> properties (graph/evidence.py)
    compared = set(link["agreed"]) | set(link["fuzzy"]) | set(link["disagreed"])
    assert compared and compared <= set(FIELDS)
    assert len(link["field_evidence"]) == len(compared)
    assert all(": agree (" in e or ": fuzzy (" in e or ": disagree (" in e for e in link["field_evidence"])
    # reversing the pair gives the same evidence
    assert len(_query(driver, "explore/why_linked", {"a": pair["b"], "b": pair["a"]})) == len(rows)


def test_why_linked_for_accounts_that_only_share_infrastructure(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    records, _, _ = driver.execute_query(
        "MATCH (a:Account)-[:USED_DEVICE]->(d:Device)<-[:USED_DEVICE]-(b:Account) "
        "WHERE a.account_id < b.account_id AND NOT (a)-[:MATCHES]-(b) "
        "AND NOT EXISTS { (a)-[:MEMBER_OF]->()<-[:MEMBER_OF]-(b) } "
        "RETURN a.account_id AS a, b.account_id AS b ORDER BY a, b LIMIT 1"
    )
    assert records
    rows = _query(driver, "explore/why_linked", {"a": records[0]["a"], "b": records[0]["b"]})
    assert rows
    assert all(r["evidence"].startswith("same operator") for r in rows)


def test_entity_history_spans_both_runs(loaded: dict[str, Any]) -> None:
    driver = loaded["driver"]
    entity_id = _one(
        driver,
        "MATCH (e:Entity)<-[:MEMBER_OF]-(:Account)-[m:MATCHES]-() "
        "WHERE m.retired_run_id = $full AND m.first_run_id = $early "
        "RETURN e.entity_id ORDER BY e.entity_id LIMIT 1",
        full=loaded["full"],
        early=loaded["early"],
    )
    rows = _query(driver, "explore/entity_history", {"entity_id": entity_id})
    events = {r["event"] for r in rows}
    assert "member" in events and "link first predicted" in events and "link retired" in events
    assert {loaded["early"], loaded["full"]} <= {r["run_id"] for r in rows}
    assert all(r["as_of"] is not None for r in rows), "every event names a loaded Run"
    as_ofs = [r["as_of"] for r in rows]
    assert as_ofs == sorted(as_ofs), "oldest run first"


def test_hubs_are_the_last_detections_hub_labels(loaded: dict[str, Any]) -> None:
    """After a completed detection the explore queries stop at the identifiers it labelled Hub, not at a
    threshold of their own; before one, at the run's hub_min_accounts (none on this small graph)."""
    driver = loaded["driver"]
    _remove_rings(driver)
    account_id = _query(driver, "explore/largest_components", {"limit": 1})[0]["component_id"]
    before = _query(driver, "explore/neighbourhood", {"account_id": account_id, "depth": 2})[0]
    assert before["hubs"] == []
    driver.execute_query("CREATE (:Detection {detection_id: $id, complete: true, finished_at: datetime()})",
                         {"id": "test-hubs"})
    driver.execute_query("MATCH (:Account {account_id: $a})-[:USED_DEVICE|USED_CARD|USED_IP]->(i) SET i:Hub",
                         {"a": account_id})
    try:
        after = _query(driver, "explore/neighbourhood", {"account_id": account_id, "depth": 2})[0]
        assert after["hubs"] and after["node_count"] < before["node_count"]
        ring = _query(driver, "explore/ring", {"ring_id": account_id})
        assert [r["account_id"] for r in ring] == [account_id], "its only links run through hubs now"
    finally:
        driver.execute_query("MATCH (i:Hub) REMOVE i:Hub")
        driver.execute_query("MATCH (d:Detection {detection_id: $id}) DELETE d", {"id": "test-hubs"})
