"""Incremental in-process detection: reusing the previous run's structure gives exactly the full outputs.

Run A resolves the demo data without its newest 1 % of accounts (and their devices and payments); run B
resolves all of it with previous=A, so its detection reuses A's structure for untouched components. A full
computation on run B (incremental=False) must produce the same files, byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect import DetectSettings, compute_signals
from entity_resolution.detect.incremental import STATE_FILES
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

OUTPUTS = ("signals", "rings", "hubs", "ring_events", "components", "bridges")


def _without_newest(data: GeneratedPaths, folder: Path, share: float = 0.01) -> Inputs:
    """The demo inputs minus the newest `share` of accounts and every device/payment row of theirs."""
    import csv

    with data.accounts.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    def created(r: dict[str, str]) -> datetime:
        t = datetime.fromisoformat(r["created_at"])
        return t if t.tzinfo else t.replace(tzinfo=UTC)  # the data contract reads naive times as UTC

    rows.sort(key=lambda r: (created(r), r["account_id"]))
    dropped = {r["account_id"] for r in rows[len(rows) - int(len(rows) * share):]}
    folder.mkdir(parents=True)
    out = []
    for src in (data.accounts, data.devices, data.payments):
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        with src.open(encoding="utf-8", newline="") as fh:
            assert sum(1 for _ in csv.reader(fh)) == len(lines)  # one record per line: safe to filter lines
        kept = [lines[0]] + [line for line in lines[1:] if line.split(",", 1)[0].strip('"') not in dropped]
        assert len(kept) < len(lines)
        (folder / src.name).write_text("".join(kept), encoding="utf-8")
        out.append(folder / src.name)
    return Inputs(*out)


def _assert_same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        ta, tb = pq.read_table(a / f"{name}.parquet"), pq.read_table(b / f"{name}.parquet")
        assert ta.schema == tb.schema, name
        assert ta.equals(tb), name
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name


def _manifest(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "detect_manifest.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def runs(demo_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("detect_incremental")
    run_a, run_b = root / "run_a", root / "run_b"
    pipeline.run(_without_newest(demo_data, root / "input_a"), run_a, Settings())
    pipeline.run(Inputs(demo_data.accounts, demo_data.devices, demo_data.payments), run_b, Settings(),
                 previous=run_a)
    return run_a, run_b


def test_run_after_one_percent_new_accounts_reuses_structure_and_matches_full(runs: tuple[Path, Path],
                                                                              tmp_path: Path) -> None:
    run_a, run_b = runs
    assert _manifest(run_a)["mode"] == "full"
    assert all((run_a / f"{name}.parquet").is_file() for name in STATE_FILES)
    manifest = _manifest(run_b)
    assert manifest["mode"] == "incremental", manifest["mode_reason"]
    structure = manifest["structure"]
    assert isinstance(structure, dict)
    assert structure["components_reused"] > 0 and structure["components_recomputed"] > 0
    assert structure["edges_changed"] > 0
    full = tmp_path / "full"
    full.mkdir()
    result = compute_signals(run_b, previous=run_a, out_dir=full, incremental=False)
    assert _manifest(full)["mode"] == "full"
    assert result.counts["ring_events"] > 0
    _assert_same_outputs(run_b, full)


def test_hub_threshold_and_as_of_changes_stay_exact(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """A previous detection as of 10 days earlier with the fixed hub threshold; then a percentile threshold
    (another hub set), and going back in time again: the edge diff catches every change."""
    _, run_b = runs
    as_of = datetime.fromisoformat(str(json.loads((run_b / "manifest.json").read_text(encoding="utf-8"))["as_of"]))
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    compute_signals(run_b, DetectSettings(as_of=as_of - timedelta(days=10)), out_dir=earlier)
    for name, settings in (("percentile", DetectSettings(hub_percentile=0.99, hub_floor=5)),
                           ("backwards", DetectSettings(as_of=as_of - timedelta(days=40)))):
        inc, full = tmp_path / f"{name}-inc", tmp_path / f"{name}-full"
        inc.mkdir()
        full.mkdir()
        compute_signals(run_b, settings, earlier, out_dir=inc)
        compute_signals(run_b, settings, earlier, out_dir=full, incremental=False)
        assert _manifest(inc)["mode"] == "incremental", _manifest(inc)["mode_reason"]
        _assert_same_outputs(inc, full)


def test_falls_back_to_full_without_a_usable_state(runs: tuple[Path, Path], tmp_path: Path) -> None:
    run_a, run_b = runs
    other = tmp_path / "other_min_part"
    other.mkdir()
    compute_signals(run_b, DetectSettings(bridge_min_part_entities=4), run_a, out_dir=other)
    manifest = _manifest(other)
    assert manifest["mode"] == "full"
    assert "bridge_min_part_entities" in str(manifest["mode_reason"])
    no_state = tmp_path / "no_state"
    no_state.mkdir()
    for name in OUTPUTS:  # an export without the saved structure (like a Neo4j `er detect` folder)
        (no_state / f"{name}.parquet").write_bytes((run_a / f"{name}.parquet").read_bytes())
    saved = {k: v for k, v in _manifest(run_a).items() if k != "structure_state"}
    (no_state / "detect_manifest.json").write_text(json.dumps(saved), encoding="utf-8")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    compute_signals(run_b, previous=no_state, out_dir=fresh)
    assert _manifest(fresh)["mode"] == "full"
    assert "no structure state" in str(_manifest(fresh)["mode_reason"])
    _assert_same_outputs(run_b, fresh)  # same previous signals, so the same ring ids and events
