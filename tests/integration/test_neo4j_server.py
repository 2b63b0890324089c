"""The managed Neo4j server (`er neo4j start`) runs 5.26 community with APOC, GDS and Browser, auth on.

These tests need the server running and fail (never skip) when it is not.
"""

from __future__ import annotations

import stat
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for neo4j_support
from neo4j_support import managed_auth, managed_driver

from entity_resolution.graph.server import ServerConfig, ServerPaths, status

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def driver() -> Iterator[neo4j.Driver]:
    drv = managed_driver()
    yield drv
    drv.close()


def test_server_is_neo4j_5_26_community(driver: neo4j.Driver) -> None:
    records, _, _ = driver.execute_query("CALL dbms.components() YIELD name, versions, edition RETURN *")
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["edition"] == "community"
    assert records[0]["versions"][0].startswith("5.26.")


def test_apoc_is_loaded(driver: neo4j.Driver) -> None:
    records, _, _ = driver.execute_query("RETURN apoc.version() AS v, apoc.text.join(['a', 'b'], '-') AS j")
    assert records[0]["v"].startswith("5.26.")
    assert records[0]["j"] == "a-b"


def test_gds_is_loaded_and_runs_wcc(driver: neo4j.Driver) -> None:
    records, _, _ = driver.execute_query("RETURN gds.version() AS v")
    assert records[0]["v"].startswith("2.13.")
    name = f"er_test_{uuid.uuid4().hex[:8]}"
    # Cypher aggregation over node ids: three components {0,1} {2,3} {4}; nothing written to the database.
    driver.execute_query(
        "UNWIND [[0, 1], [2, 3], [4, null]] AS pair"
        " RETURN gds.graph.project($name, pair[0], pair[1]).nodeCount AS nodes",
        {"name": name},
    )
    try:
        records, _, _ = driver.execute_query(
            "CALL gds.wcc.stream($name) YIELD componentId RETURN count(DISTINCT componentId) AS n",
            {"name": name},
        )
        assert records[0]["n"] == 3
    finally:
        driver.execute_query("CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName", {"name": name})


def test_browser_is_served_over_http() -> None:
    managed_auth()  # fails first, with a clear message, when the server is not running
    info = status(ServerConfig.from_env())
    with urllib.request.urlopen(info.browser_url, timeout=10) as response:
        body = response.read().decode("utf-8", "replace")
        assert response.status == 200
        assert response.headers.get_content_type() == "text/html"
    assert "<title>Neo4j Browser</title>" in body


def test_password_file_is_private() -> None:
    managed_auth()  # fails first, with a clear message, when the server is not running
    path = ServerPaths.of(ServerConfig.from_env()).password_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_bolt_refuses_a_wrong_password() -> None:
    uri, user, _password = managed_auth()
    with (
        neo4j.GraphDatabase.driver(uri, auth=(user, "not-the-password")) as wrong,
        pytest.raises(neo4j.exceptions.AuthError),
    ):
        wrong.verify_connectivity()
