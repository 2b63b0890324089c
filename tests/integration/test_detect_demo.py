"""In-process detection on the demo data (10,000 accounts, seed 7) against the generator's ground truth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect import DetectSettings, compute_signals
from entity_resolution.detect.evaluate import score_detection
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

COLUMNS = {
    "signals": ["account_id", "entity_id", "component_id", "component_size", "ring_id", "ring_size",
                "shared_identifier_count", "is_bridge", "growth_7d", "fast_growing", "risk_score", "reasons"],
    "rings": ["ring_id", "entity_count", "account_count", "device_count", "card_count", "ip_count", "email_count",
              "phone_count", "first_seen", "last_seen", "growth_7d", "bridge_account_ids"],
    "hubs": ["kind", "value", "entity_count", "account_count", "reason"],
    "ring_events": ["event", "ring_id", "related_ring_ids", "accounts_before", "accounts_after", "detail"],
}


@pytest.fixture(scope="module")
def demo_run(demo_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect_demo") / "run"
    pipeline.run(Inputs(demo_data.accounts, demo_data.devices, demo_data.payments), out, Settings())
    return out


@pytest.fixture(scope="module")
def detected(demo_run: Path) -> Path:
    compute_signals(demo_run)
    return demo_run


def test_acceptance_figures(detected: Path, demo_data: GeneratedPaths) -> None:
    signals = pq.read_table(detected / "signals.parquet")
    scores = score_detection(signals, demo_data.truth.parent, detected)
    print(scores.as_dict())  # the measured figures, for the report (pytest -s)
    assert scores.ring_recall >= 0.95
    assert scores.ring_precision >= 0.90
    assert scores.hub_ip_in_ring == 0
    assert scores.household_in_ring == 0
    assert scores.bridge_precision >= 0.9
    assert scores.bridge_recall >= 0.9
    # the burst's ring grows fast; its accounts seen only on the burst's IP (11 entities: no evidence) do not
    # count with it (measured 0.87)
    assert scores.burst_fast_share >= 0.8
    assert scores.stable_fast_accounts == 0
    assert scores.risk_auc >= 0.98


def test_outputs_have_the_issue_columns_in_both_formats(detected: Path) -> None:
    for name, columns in COLUMNS.items():
        assert pq.read_schema(detected / f"{name}.parquet").names == columns
        assert pacsv.read_csv(detected / f"{name}.csv").column_names == columns
    signals = pq.read_table(detected / "signals.parquet").to_pylist()
    no_ring = next(s for s in signals if s["ring_id"] is None)
    assert no_ring["ring_size"] == 0
    with (detected / "signals.csv").open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        ring_col = header.index('"ring_id"')
        empties = sum(1 for line in fh if line.split(",")[ring_col] == "")
    assert empties == sum(1 for s in signals if s["ring_id"] is None)
    manifest = json.loads((detected / "detect_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["ring_min_entities"] == DetectSettings().ring_min_entities
    assert manifest["backend"] == "in-process"
    assert not list(detected.glob(".*.tmp-*"))


def test_a_bridge_is_listed_in_both_rings(detected: Path) -> None:
    rings = pq.read_table(detected / "rings.parquet").to_pylist()
    signals = {s["account_id"]: s for s in pq.read_table(detected / "signals.parquet").to_pylist()}
    bridges = [a for a, s in signals.items() if s["is_bridge"]]
    assert bridges
    for account in bridges:
        listing = [r["ring_id"] for r in rings if account in r["bridge_account_ids"]]
        assert len(listing) == 2
        assert signals[account]["ring_id"] in listing  # it belongs to one of them only
        assert any("bridge between" in reason for reason in signals[account]["reasons"])


def test_rerun_keeps_ring_ids_and_reports_no_events(detected: Path, tmp_path: Path) -> None:
    again = compute_signals(detected, previous=detected, out_dir=tmp_path)
    before = pq.read_table(detected / "signals.parquet")
    assert again.outputs.signals.column("ring_id").equals(before.column("ring_id"))
    assert again.outputs.ring_events.num_rows == 0


def test_as_of_uses_only_earlier_data_and_growth_between_detections(detected: Path, tmp_path: Path,
                                                                   demo_data: GeneratedPaths) -> None:
    manifest = json.loads((detected / "manifest.json").read_text(encoding="utf-8"))
    as_of = datetime.fromisoformat(manifest["as_of"]) - timedelta(days=10)
    early_dir = tmp_path / "early"
    early_dir.mkdir()
    early = compute_signals(detected, DetectSettings(as_of=as_of), out_dir=early_dir)
    assert early.as_of == as_of.isoformat()
    full = pq.read_table(detected / "signals.parquet")
    assert early.outputs.signals.num_rows < full.num_rows  # accounts created after as_of are not there
    scores = score_detection(early.outputs.signals, demo_data.truth.parent, detected)
    assert scores.burst_fast_share == 0.0  # the burst had not started 10 days before the end
    later = compute_signals(detected, previous=early_dir, out_dir=tmp_path)
    events = {e["event"] for e in later.outputs.ring_events.to_pylist()}
    assert "new" in events or "grown" in events
    kept = {r for r in early.outputs.rings.column("ring_id").to_pylist()}
    assert kept & set(later.outputs.rings.column("ring_id").to_pylist())  # surviving rings keep their ids
    components = later.outputs.components.to_pylist()
    assert sum(c["new_since_previous"] for c in components) > 0


def test_failed_write_leaves_previous_files(detected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import entity_resolution.detect.output as output

    before = (detected / "rings.csv").read_bytes()
    calls = {"n": 0}
    real = output.write_csv  # the spreadsheet-safe CSV writer (export/tables.py)

    def flaky(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(output, "write_csv", flaky)
    with pytest.raises(OSError, match="disk full"):
        compute_signals(detected, DetectSettings(ring_min_entities=10))
    assert (detected / "rings.csv").read_bytes() == before
    assert not list(detected.glob(".*.tmp-*"))

