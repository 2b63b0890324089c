"""A ring's events across runs: `er detect` exports of an early run and of the full run on top of it, in one
--out folder; `er explain --ring --detection ROOT` lists the ring's events from both detections."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution import pipeline
from entity_resolution.cli.main import app
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect.export import exports
from entity_resolution.explain import Evidence, explain_ring
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings


@pytest.fixture(scope="module")
def two_detections(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("explain_history")
    inputs = Inputs(small_data.accounts, small_data.devices, small_data.payments)
    rows = duckdb.connect().execute(
        "SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.9) FROM read_parquet($p)", {"p": str(small_data.accounts)}
    ).fetchall()
    pipeline.run(inputs, base / "early", Settings(), as_of=rows[0][0])
    pipeline.run(inputs, base / "full", Settings(), previous=base / "early")
    runner = CliRunner()
    for run_dir in ("early", "full"):
        done = runner.invoke(app, ["-q", "detect", "--from", str(base / run_dir), "--out", str(base / "exports")])
        assert done.exit_code == 0, done.output
    return base / "full", base / "exports"


def test_ring_events_across_detections(two_detections: tuple[Path, Path]) -> None:
    full, root = two_detections
    first, second = exports(root)
    later = pq.read_table(second / "ring_events.parquet").to_pylist()
    rings_then = set(pq.read_table(first / "rings.parquet")["ring_id"].to_pylist())
    rings_now = set(pq.read_table(second / "rings.parquet")["ring_id"].to_pylist())
    # a ring of both detections with an event in the later one (it grew, or took over an earlier ring)
    ring_id = next(e["ring_id"] for e in sorted(later, key=lambda e: e["ring_id"])
                   if e["ring_id"] in rings_now and (e["ring_id"] in rings_then
                                                     or rings_then & set(e["related_ring_ids"] or ())))
    with Evidence.open(full, root) as ev:
        r = explain_ring(ev, ring_id)
    assert r.detection_id == json.loads((second / "detect_manifest.json").read_text())["detection_id"]
    seen = {e.detection_id for e in r.events}
    assert len(seen) == 2, "events of the early detection and of the later one"
    assert [e.as_of for e in r.events] == sorted(e.as_of for e in r.events), "oldest first"
    done = CliRunner().invoke(app, ["explain", "--from", str(full), "--ring", ring_id, "--detection", str(root),
                                    "--format", "json"])
    assert done.exit_code == 0, done.output
    assert len({e["detection_id"] for e in json.loads(done.stdout)["events"]}) == 2


def test_a_detection_of_another_run_is_refused(two_detections: tuple[Path, Path]) -> None:
    full, root = two_detections
    first = exports(root)[0]  # the early run's detection
    done = CliRunner().invoke(app, ["explain", "--from", str(full), "--ring", "R-x", "--detection", str(first)])
    assert done.exit_code == 2 and "a detection of run" in done.output
