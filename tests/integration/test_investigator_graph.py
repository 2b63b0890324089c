"""The investigator kit on the detected demo graph, queried directly and in a real Neo4j Browser.

The demo data (10,000 accounts, seed 7, as `er demo`) is resolved, loaded into the managed server and detected
on the graph. The queries of cypher/explore/ that need detection (ring_view, ring_members, ring_timeline,
bridges, high_risk_outside_rings) are checked here, then tests/browser/investigator_browser.mjs drives headless
Debian chromium through Browser: the guide served by the server opens, the ring view of the largest ring draws
under the node budget, the members table renders every row, why_linked shows evidence per field. Needs chromium
and playwright-core (scripts/browser-test-deps.sh, which this test runs); fails, not skips, without them.
ER_SCREENSHOTS_DIR=docs/img keeps the screenshots (docs/investigators.md section 7).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import neo4j
import pyarrow as pa
import pytest
from neo4j_support import managed_auth, managed_driver

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect.graph import detect_graph
from entity_resolution.detect.labels import RAW
from entity_resolution.detect.marks import HIGH_RISK
from entity_resolution.graph.cypher import load_cypher
from entity_resolution.graph.evidence import FIELDS
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.server import ServerConfig, ServerPaths
from entity_resolution.graph.server.guide import GUIDE_PATH
from entity_resolution.graph.snapshot import wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

pytestmark = pytest.mark.neo4j
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def detected(demo_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The managed server holding the detected demo graph; yields the driver, the largest ring and a linked pair."""
    driver = managed_driver()
    base = tmp_path_factory.mktemp("investigator")
    pipeline.run(Inputs(demo_data.accounts, demo_data.devices, demo_data.payments), base / "run", Settings())
    wipe(driver)
    load_run(driver, base / "run")
    (base / "detect").mkdir()
    result = detect_graph(driver, base / "detect")
    ring = driver.execute_query(
        "MATCH (r:Ring {active: true}) RETURN r.ring_id AS ring_id, r.account_count AS accounts "
        "ORDER BY accounts DESC, ring_id LIMIT 1").records[0]
    # a Splink link between accounts that also share infrastructure: evidence of both kinds
    pair = driver.execute_query(
        "MATCH (a:Account)-[m:MATCHES]->(b:Account) WHERE m.active "
        "AND EXISTS { (a)-[:USED_DEVICE|USED_CARD|USED_IP]->()<-[:USED_DEVICE|USED_CARD|USED_IP]-(b) } "
        "RETURN a.account_id AS a, b.account_id AS b ORDER BY m.same_person, a, b LIMIT 1").records[0]
    bridge_ring = driver.execute_query(
        "MATCH (r:Ring {active: true}) WHERE size(coalesce(r.bridge_account_ids, [])) > 0 "
        "RETURN r.ring_id AS ring_id ORDER BY r.account_count, ring_id LIMIT 1").records
    yield {"driver": driver, "ring_id": ring["ring_id"], "accounts": ring["accounts"], "a": pair["a"],
           "b": pair["b"], "bridge_ring_id": bridge_ring[0]["ring_id"] if bridge_ring else ring["ring_id"],
           "counts": result.counts, "as_of": result.as_of, "base": base}
    wipe(driver)
    driver.close()


def _query(driver: neo4j.Driver, name: str, **params: Any) -> list[neo4j.Record]:
    records, _, _ = driver.execute_query(load_cypher(name), params, routing_=neo4j.RoutingControl.READ)
    return records


def test_ring_view_stays_under_the_node_budget(detected: dict[str, Any]) -> None:
    view = _query(detected["driver"], "explore/ring_view", ring_id=detected["ring_id"])[0]
    assert view["accounts"] == detected["accounts"] >= 20
    assert view["shown_nodes"] == len(view["nodes"]) <= 2 * view["accounts"] + 20
    assert view["shared_identifiers"], "a ring is held together by identifiers its members share"
    # one-account entities are folded into their account: every entity drawn holds two or more accounts
    assert all(n["size"] >= 2 for n in view["nodes"] if "Entity" in n.labels)
    assert not any("Hub" in n.labels for n in view["nodes"])


def test_a_bridge_is_drawn_with_its_link_into_the_other_ring(detected: dict[str, Any]) -> None:
    driver = detected["driver"]
    bridges = _query(driver, "explore/bridges")
    assert bridges, "the demo plants bridges between rings"
    bridge = bridges[0]
    assert bridge["other_rings"] and bridge["via"]
    view = _query(driver, "explore/ring_view", ring_id=bridge["ring_id"])[0]
    assert set(bridge["other_rings"]) <= set(view["neighbouring_rings"])
    assert bridge["account_id"] in {n["account_id"] for n in view["nodes"] if "Account" in n.labels}
    assert any("Bridge" in n.labels for n in view["nodes"])


def test_members_table_and_timeline_are_scalars_one_row_per_member(detected: dict[str, Any]) -> None:
    driver = detected["driver"]
    members = _query(driver, "explore/ring_members", ring_id=detected["ring_id"])
    assert len([m for m in members if m["in_ring"]]) == detected["accounts"]
    for row in members:
        assert all(isinstance(v, str | int | float | bool) or v is None for v in row.values())
        assert len(row["created"]) == len("2026-10-27 09:37")
    timeline = _query(driver, "explore/ring_timeline", ring_id=detected["ring_id"])
    assert [r["members_so_far"] for r in timeline] == list(range(1, detected["accounts"] + 1))
    assert [r["created"] for r in timeline] == sorted(r["created"] for r in timeline)


def test_labels_from_detection_and_high_risk_outside_rings(detected: dict[str, Any]) -> None:
    driver = detected["driver"]
    counts = {r["label"]: r["n"] for r in driver.execute_query(
        "UNWIND ['RingMember', 'Bridge', 'HighRisk', 'Hub'] AS label "
        "RETURN label, COUNT { MATCH (n) WHERE label IN labels(n) } AS n").records}
    in_rings = driver.execute_query("MATCH (a:Account) WHERE a.ring_id IS NOT NULL RETURN count(a) AS n").records
    assert counts["RingMember"] == in_rings[0]["n"] > 0
    assert counts["Bridge"] > 0 and counts["HighRisk"] > 0 and counts["Hub"] > 0
    outside = _query(driver, "explore/high_risk_outside_rings", min_risk=HIGH_RISK, limit=1000)
    assert all(r["risk_score"] >= HIGH_RISK for r in outside)
    marked = driver.execute_query(
        "MATCH (a:HighRisk) WHERE a.ring_id IS NULL RETURN count(a) AS n").records[0]["n"]
    assert len(outside) == marked


def test_fast_growing_components_are_the_ones_er_detect_counts(detected: dict[str, Any]) -> None:
    rows = _query(detected["driver"], "explore/fast_growing_components")
    assert len(rows) == detected["counts"]["fast_growing_components"] > 0
    for row in rows:
        assert row["growing_accounts"] >= row["new_30d"] >= row["new_7d"] >= row["new_1d"]
        assert row["new_30d"] > 0, "a fast-growing ring gained accounts in one of its windows"
    # the hub threshold is detection's: the explore queries never expand an identifier it labelled Hub
    hub = detected["driver"].execute_query(
        "MATCH (h:Hub)<-[:USED_DEVICE|USED_CARD|USED_IP]-(a:Account) RETURN a.account_id AS a LIMIT 1").records
    assert hub
    around = _query(detected["driver"], "explore/neighbourhood", account_id=hub[0]["a"], depth=1)[0]
    assert around["hubs"] and all("Hub" in h.labels for h in around["hubs"])


def test_members_table_shows_the_labels_detection_was_given(detected: dict[str, Any]) -> None:
    """`er detect --labels`: each account's decision as of as-of (and its origin) reaches the members table; a
    decision made after as-of does not, and without labels the column is empty."""
    driver = detected["driver"]
    members = _query(driver, "explore/ring_members", ring_id=detected["ring_id"])
    assert {m["label_known"] for m in members} == {None}
    ids = sorted(m["account_id"] for m in members if m["in_ring"])[:4]
    as_of = datetime.fromisoformat(detected["as_of"])
    day = timedelta(days=1)
    labels = pa.table({
        "account_id": ids,
        "label": ["abusive", "benign", "abusive", "abusive"],
        "decided_at": [as_of - day, as_of - 2 * day, as_of - day, as_of + day],
        "origin": ["enforcement", "manual_review", "appeal_overturned", "enforcement"],
    }, schema=RAW)
    out = detected["base"] / "detect-labels"
    out.mkdir()
    # few decisions: the risk score keeps its default weights, so rings and marks stay as the other tests saw them
    detect_graph(driver, out, labels=labels)
    known = {m["account_id"]: m["label_known"]
             for m in _query(driver, "explore/ring_members", ring_id=detected["ring_id"])}
    assert [known[a] for a in ids] == ["abusive (enforcement)", "benign (manual_review)",
                                       "benign (appeal_overturned)", None]
    assert sum(v is not None for v in known.values()) == 3
    again = detected["base"] / "detect-again"
    again.mkdir()
    detect_graph(driver, again)  # no labels: the decisions are taken off again
    assert {m["label_known"] for m in _query(driver, "explore/ring_members", ring_id=detected["ring_id"])} == {None}


def test_captions_are_short_and_distinct(detected: dict[str, Any]) -> None:
    rows = detected["driver"].execute_query(
        "MATCH (a:Account) RETURN count(a) AS n, count(DISTINCT a.display) AS distinct, "
        "max(size(a.display)) AS longest").records[0]
    assert rows["n"] == rows["distinct"] and rows["longest"] <= 10


def test_chromium_drives_browser_through_the_kit(detected: dict[str, Any], tmp_path: Path) -> None:
    deps = subprocess.run([str(REPO / "scripts" / "browser-test-deps.sh")], capture_output=True, text=True,
                          check=False, timeout=900)
    if deps.returncode != 0:
        pytest.fail(f"browser test dependencies: {deps.stderr.strip()}", pytrace=False)
    config = ServerConfig.from_env()
    uri, _user, _password = managed_auth()
    shots = Path(os.environ.get("ER_SCREENSHOTS_DIR", tmp_path))
    env = {**os.environ, "PLAYWRIGHT_DIR": deps.stdout.strip().splitlines()[-1],
           "BROWSER_URL": f"{config.http_url}/browser/", "BOLT_HOSTPORT": uri.partition("://")[2],
           "NEO4J_PASSWORD_FILE": str(ServerPaths.of(config).password_file),
           "GUIDE_URL": f"{config.http_url}{GUIDE_PATH}", "RING_ID": detected["ring_id"],
           "BRIDGE_RING_ID": detected["bridge_ring_id"],
           "ACCOUNT_A": detected["a"], "ACCOUNT_B": detected["b"], "SHOTS_DIR": str(shots)}
    done = subprocess.run(["node", str(REPO / "tests" / "browser" / "investigator_browser.mjs")], env=env,
                          capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # the guide opened, with clickable queries
    assert "Largest rings" in seen["guide_text"] and seen["guide_runnable"] >= 1
    # the ring view drew the largest ring under the budget (Browser draws what the query returned)
    assert detected["accounts"] < seen["ring_view_nodes"] <= 2 * detected["accounts"] + 20
    # every member is a row of the table (plus the header row)
    members = _query(detected["driver"], "explore/ring_members", ring_id=detected["ring_id"])
    assert seen["members_rows"] == len(members) + 1
    assert all(m["account_id"] in seen["members_text"] for m in members)
    # why_linked: the MATCHES link's evidence per field in the side panel and in the table
    assert all(f"ev_{f}" in seen["why_linked_panel"] for f in FIELDS)
    assert ": agree (" in seen["why_linked_table"] or ": disagree (" in seen["why_linked_table"]
    # every screenshot docs/investigators.md shows comes from this run
    docs = (REPO / "docs" / "investigators.md").read_text()
    referenced = set(re.findall(r"\(img/([a-z-]+\.png)\)", docs))
    assert referenced
    for name in referenced:
        assert (shots / name).stat().st_size > 10_000
