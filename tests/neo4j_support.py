"""Helpers for tests that need the managed Neo4j server (`er neo4j start`).

Graph tests import this module and fail, never skip, when the server is not there:

    from neo4j_support import managed_driver
    driver = managed_driver()  # pytest.fail(...) if the managed server is not running
"""

from __future__ import annotations

from typing import Any

import neo4j
import pytest

from entity_resolution.errors import GraphError
from entity_resolution.graph.server import ServerConfig, managed_connection

START_HINT = "start it with `er neo4j start`"


def managed_auth() -> tuple[str, str, str]:
    """(uri, user, password) of the running managed server; fails the calling test if there is none."""
    try:
        conn = managed_connection(ServerConfig.from_env())
    except GraphError as exc:
        pytest.fail(f"managed Neo4j: {exc}", pytrace=False)
    if conn is None:
        pytest.fail(f"the managed Neo4j server is not running; {START_HINT}", pytrace=False)
    return conn


def managed_driver() -> neo4j.Driver:
    """A connected driver to the managed server (caller closes it); fails the test if unreachable."""
    uri, user, password = managed_auth()
    driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), connection_timeout=10.0)
    try:
        driver.verify_connectivity()
    except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError) as exc:
        driver.close()
        pytest.fail(f"the managed Neo4j at {uri} did not answer: {exc}; {START_HINT}", pytrace=False)
    return driver


def kill_managed_server(config: ServerConfig | None = None) -> int:
    """SIGKILL the managed server (pid from its state.json) and wait until it is gone; returns the pid."""
    import json
    import os
    import signal
    import time

    from entity_resolution.graph.server import ServerPaths
    from entity_resolution.processes import alive

    paths = ServerPaths.of(config or ServerConfig.from_env())
    pid = int(json.loads(paths.state_file.read_text(encoding="utf-8"))["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(pid):  # also reaps it when this process started it
        if time.monotonic() > deadline:
            pytest.fail(f"Neo4j (pid {pid}) survived SIGKILL for 30 s", pytrace=False)
        time.sleep(0.1)
    return pid


def ensure_managed_server(config: ServerConfig | None = None) -> None:
    """Start the managed server if it is not running (after a test killed it) and wait until Bolt answers."""
    from entity_resolution.graph.server import start

    start(config or ServerConfig.from_env(start_timeout=600.0))


def saved_query(driver: neo4j.Driver, name: str, params: dict[str, Any]) -> list[neo4j.Record]:
    """Run a saved query (cypher/NAME.cypher) as Browser would, read-only, with exactly the parameters its header
    declares: a query that needs an undeclared parameter fails here, not in an investigator's Browser."""
    from entity_resolution.graph.cypher import declared_params, load_cypher

    assert set(params) == declared_params(name), f"{name}: pass exactly the parameters its header declares"
    records, _, _ = driver.execute_query(load_cypher(name), params, routing_=neo4j.RoutingControl.READ)
    return records
