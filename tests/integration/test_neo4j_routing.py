"""Routing URIs and database selection: `er load` and `er detect` through `neo4j://` with --neo4j-database.

The managed server is a single Neo4j Community instance; with a `neo4j://` URI the driver asks it for a routing
table (it answers with itself as writer, reader and router) and sends every query through that, as it would to
a cluster or Aura. Both commands name the database explicitly, and a database the DBMS does not have is one
line on stderr with exit code 1, no traceback, nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import neo4j
import pyarrow.parquet as pq
import pytest
from neo4j_support import managed_auth

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect import compute_signals
from entity_resolution.detect.export import LATEST
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

CLI = [sys.executable, "-m", "entity_resolution.cli"]


@pytest.fixture(scope="module")
def small_run(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("routing") / "run"
    pipeline.run(Inputs(small_data.accounts, small_data.devices, small_data.payments), run, Settings())
    return run


def _routing_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`er ARGS --neo4j-uri neo4j://127.0.0.1:<managed bolt port>`, the password from NEO4J_PASSWORD."""
    uri, user, password = managed_auth()
    routing = "neo4j://" + uri.partition("://")[2]
    env = {k: v for k, v in os.environ.items() if k != "ER_NEO4J_URI"}
    env["NEO4J_PASSWORD"] = password
    return subprocess.run([*CLI, *args, "--neo4j-uri", routing, "--neo4j-user", user],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=900,
                          check=False)  # fmt: skip


def _count(driver: neo4j.Driver, query: str) -> int:
    records, _, _ = driver.execute_query(query)  # test-only counts, no values
    return int(records[0][0])


def test_load_and_detect_through_a_routing_uri_with_the_database_named(
    graph: neo4j.Driver, small_run: Path, tmp_path: Path
) -> None:
    load = _routing_cli("load", "--from", str(small_run), "--neo4j-database", "neo4j")
    assert load.returncode == 0, load.stdout + load.stderr
    (tmp_path / "oracle").mkdir()
    oracle = compute_signals(small_run, out_dir=tmp_path / "oracle")  # in-process, the same run
    assert _count(graph, "MATCH (a:Account) RETURN count(a)") == oracle.counts["accounts"] > 0
    assert _count(graph, "MATCH (r:Run) WHERE r.complete RETURN count(r)") == 1

    out = tmp_path / "exports"
    detect = _routing_cli("detect", "--out", str(out), "--neo4j-database", "neo4j")
    assert detect.returncode == 0, detect.stdout + detect.stderr
    export = (out / LATEST).resolve()
    manifest = json.loads((export / "detect_manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == "neo4j-gds", manifest  # the managed server has GDS: projections went through too
    assert manifest["inputs"]["neo4j_uri"].startswith("neo4j://")
    assert manifest["inputs"]["neo4j_database"] == "neo4j"
    # the same rings as the in-process detection of the same run, written back through the routing driver
    rings = pq.read_table(export / "rings.parquet")
    assert rings.num_rows == oracle.outputs.rings.num_rows > 0
    assert rings.column("ring_id").to_pylist() == oracle.outputs.rings.column("ring_id").to_pylist()
    assert _count(graph, "MATCH (r:Ring) WHERE r.active RETURN count(r)") == rings.num_rows


@pytest.mark.parametrize("command", ["load", "detect"])
def test_a_missing_database_is_one_line_and_exit_1(
    graph: neo4j.Driver, small_run: Path, tmp_path: Path, command: str
) -> None:
    args = ["load", "--from", str(small_run)] if command == "load" else ["detect", "--out", str(tmp_path / "x")]
    proc = _routing_cli(*args, "--neo4j-database", "no-such-db")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "no database 'no-such-db'" in proc.stderr and "--neo4j-database" in proc.stderr, proc.stderr
    assert _count(graph, "MATCH (n) RETURN count(n)") == 0  # nothing written to the real database either
    assert not (tmp_path / "x" / LATEST).exists()
