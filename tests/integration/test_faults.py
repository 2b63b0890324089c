"""Neo4j killed (SIGKILL) in the middle of a load and of a detection: after a restart, the same command completes
and the graph equals the graph of a run that never saw a fault (counts and a digest of every property).

The kills are deterministic: a progress callback (or a wrapper of the loader's batch function) kills the server
at a chosen step and batch. Each test leaves the managed server running, even when it fails, for later tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import neo4j
import pyarrow.parquet as pq
import pytest
from neo4j_support import ensure_managed_server, kill_managed_server, managed_auth

from entity_resolution import pipeline
from entity_resolution.demo.generator import generate
from entity_resolution.detect.graph import detect_graph
from entity_resolution.graph import loader
from entity_resolution.graph.connection import open_driver
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.server import ServerConfig
from entity_resolution.graph.snapshot import snapshot, wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

pytestmark = pytest.mark.neo4j

ER = str(Path(sys.executable).parent / "er")
BATCH = 200
# A killed server must fail the interrupted call in about a second, not after the default 10 s of retries.
FAST = Settings(neo4j_retry_seconds=1.0)
DRIVER_ERRORS = (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError)
# Detection ids are wall-clock times: the faulted and the clean graph differ there by construction.
DETECTION_TIMES = frozenset({"detection_id", "first_detection_id", "retired_detection_id", "hub_detection_id",
                             "started_at", "finished_at"})
TABLES = ("signals", "rings", "ring_events", "components", "bridges", "hubs")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """1,500 demo accounts: an early run (70th percentile of sign-ups) and the full run after it."""
    base = tmp_path_factory.mktemp("faults")
    data = generate(base / "input", n_accounts=1500, seed=5, fmt="parquet")
    as_of = duckdb.connect().sql("SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.7) FROM read_parquet($p)",
                                 params={"p": str(data.accounts)}).fetchall()[0][0]
    inputs = Inputs(data.accounts, data.devices, data.payments)
    pipeline.run(inputs, base / "early", Settings(), as_of=as_of)
    pipeline.run(inputs, base / "full", Settings(), previous=base / "early")
    return {"early": base / "early", "full": base / "full"}


@pytest.fixture
def server() -> Iterator[ServerConfig]:
    config = ServerConfig.from_env(start_timeout=600.0)
    try:
        yield config
    finally:
        ensure_managed_server(config)  # later tests find it running, whatever happened here


@contextmanager
def connected() -> Iterator[neo4j.Driver]:
    """A fresh driver after each restart, with our short retry budget."""
    driver = open_driver(*managed_auth(), FAST)
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()


def _count(driver: neo4j.Driver, query: str, **params: object) -> int:
    records, _, _ = driver.execute_query(query, params)  # test-only queries, values as parameters
    return int(records[0][0])


def _steps(driver: neo4j.Driver) -> dict[tuple[str, str], int]:
    records, _, _ = driver.execute_query("MATCH (s:LoadStep) RETURN s.run_id, s.step, s.rows")
    return {(r[0], r[1]): r[2] for r in records}


def _er(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([ER, *args], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_load_killed_three_times_resumes_to_the_clean_graph(server: ServerConfig, runs: dict[str, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with connected() as driver:
        wipe(driver)
        load_run(driver, runs["early"], batch_size=BATCH)
        load_run(driver, runs["full"], batch_size=BATCH)
        clean, clean_steps = snapshot(driver), _steps(driver)
        wipe(driver)
        load_run(driver, runs["early"], batch_size=BATCH)

        # 1. between two batches: accounts batch 2 and its marker are committed, then the server dies
        def kill_after_batch_2(step: str, done: int, _total: int) -> None:
            if step == "accounts" and done == 2 * BATCH:
                kill_managed_server(server)

        with pytest.raises(DRIVER_ERRORS):
            load_run(driver, runs["full"], batch_size=BATCH, progress=kill_after_batch_2)
    ensure_managed_server(server)

    # 2. inside a transaction: a used_device batch and its marker are written, the server dies before the commit
    real, written = loader._write_batch, []

    def dying(tx: neo4j.ManagedTransaction, query: Any, rows: list[dict[str, Any]], run_id: str, step: str,
              done: int) -> None:
        real(tx, query, rows, run_id, step, done)
        if step == "used_device" and done >= 3 * BATCH and not written:
            written.append(done - len(rows))  # rows committed before this batch
            kill_managed_server(server)

    monkeypatch.setattr(loader, "_write_batch", dying)
    with connected() as driver, pytest.raises(DRIVER_ERRORS):
        load_run(driver, runs["full"], batch_size=BATCH)
    monkeypatch.undo()
    ensure_managed_server(server)
    full_id = json.loads((runs["full"] / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    with connected() as driver:
        steps = _steps(driver)
        assert steps[(full_id, "accounts")] == clean_steps[(full_id, "accounts")]  # resumed after batch 2
        assert steps[(full_id, "used_device")] == written[0]  # the uncommitted batch left nothing behind
        assert not _count(driver, "MATCH (r:Run {run_id: $r}) RETURN coalesce(r.complete, false)", r=full_id)

    # 3. after the last batch, before the finishing steps (retire links, remove empty entities, mark complete)
    def kill_after_last_batch(step: str, done: int, total: int) -> None:
        if step == loader.STEPS[-1][0] and done == total > 0:
            kill_managed_server(server)

    with connected() as driver, pytest.raises(DRIVER_ERRORS):
        load_run(driver, runs["full"], batch_size=BATCH, progress=kill_after_last_batch)
    ensure_managed_server(server)
    with connected() as driver:
        assert _steps(driver) == clean_steps  # every batch is in
        assert not _count(driver, "MATCH (r:Run {run_id: $r}) RETURN coalesce(r.complete, false)", r=full_id)

    # 4. the same command again, as a user would: it finds every batch done, finishes and completes
    proc = _er("load", "--from", str(runs["full"]), "--batch-size", str(BATCH))
    assert f"resumed {loader.STEPS[-1][0]} at row" in proc.stdout
    with connected() as driver:
        assert snapshot(driver) == clean
        assert _steps(driver) == clean_steps
        assert _count(driver, "MATCH (r:Run) WHERE r.complete RETURN count(r)") == 2


def test_detect_killed_twice_then_rerun_equals_the_clean_detection(server: ServerConfig, runs: dict[str, Path],
                                                                   tmp_path: Path) -> None:
    def detect(driver: neo4j.Driver, name: str, progress: Any = None) -> Any:
        (tmp_path / name).mkdir()
        return detect_graph(driver, tmp_path / name, progress=progress)

    def kill_at(step: str, done: bool) -> Any:
        def progress(name: str, finished: bool, message: str = "") -> None:  # progress.ProgressFn
            if (name, finished) == (step, done):
                kill_managed_server(server)
        return progress

    with connected() as driver:
        wipe(driver)
        load_run(driver, runs["early"])
        detect(driver, "clean-1")
        load_run(driver, runs["full"])
        reference = detect(driver, "clean-2")
        clean = snapshot(driver, ignore=DETECTION_TIMES)
        assert reference.counts["ring_events"] > 0  # the second detection saw rings change
        wipe(driver)
        load_run(driver, runs["early"])
        detect(driver, "faulted-1")
        load_run(driver, runs["full"])
        # 1. during the queries: SHARES links and components written, facts not yet read
        with pytest.raises(DRIVER_ERRORS):
            detect(driver, "killed-in-facts", kill_at("facts", False))
    ensure_managed_server(server)
    # 2. half-way through the write-back: rings, account signals and memberships written, not complete
    with connected() as driver, pytest.raises(DRIVER_ERRORS):
        detect(driver, "killed-in-write-back", kill_at("write signals", True))
    ensure_managed_server(server)
    with connected() as driver:
        assert _count(driver, "MATCH (d:Detection) WHERE NOT d.complete RETURN count(d)") == 1
        assert _count(driver, "MATCH ()-[m:IN_RING]->() RETURN count(DISTINCT m.detection_id)") == 2

    # 3. `er detect` again: the unfinished write-back is undone, the previous detection is the complete one
    _er("-q", "detect", "--out", str(tmp_path / "exports"))
    latest = tmp_path / "exports" / "latest"
    for name in TABLES:
        assert pq.read_table(latest / f"{name}.parquet").equals(getattr(reference.outputs, name)), name
    with connected() as driver:
        assert snapshot(driver, ignore=DETECTION_TIMES) == clean
        assert _count(driver, "MATCH (d:Detection) WHERE d.complete RETURN count(d)") == 2
