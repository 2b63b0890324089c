"""`er metrics` over detections at different as-of dates of one demo run: each row counts only the decisions
known by its as-of (checked against an oracle computed here from the labels file), output as a table, JSON,
spreadsheet-safe CSV and a PNG."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from entity_resolution import pipeline
from entity_resolution.cli.main import app
from entity_resolution.demo.generator import generate
from entity_resolution.ingest import Inputs
from entity_resolution.report.metrics import COLUMNS
from entity_resolution.settings import Settings, parse_time

AS_OF = ["2026-03-31T00:00:00Z", "2026-06-30T00:00:00Z", "2026-09-30T00:00:00Z"]


@pytest.fixture(scope="module", params=[31, 47])  # two seeds: the figures follow the data, not one layout
def series(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp(f"metrics-{request.param}")
    data = generate(work / "input", n_accounts=1500, seed=request.param, fmt="csv")
    pipeline.run(Inputs(data.accounts, data.devices, data.payments, data.labels), work / "run", Settings())
    runner = CliRunner()
    for when in reversed(AS_OF):  # made out of order: metrics sort by as-of, not by folder name
        done = runner.invoke(app, ["-q", "detect", "--from", str(work / "run"), "--out", str(work / "exports"),
                                   "--as-of", when])
        assert done.exit_code == 0, done.output
    return {"work": work, "data": data, "run": work / "run", "exports": work / "exports"}


def _json(args: list[str]) -> list[dict[str, Any]]:
    done = CliRunner().invoke(app, ["metrics", *args, "--format", "json"])
    assert done.exit_code == 0, done.output
    return list(json.loads(done.stdout))


def _oracle(labels: Path, signals: Path, as_of: datetime) -> tuple[int, int, int, int]:
    """(flagged accounts with a decision known at as_of, of them abusive, enforcement-process decisions,
    of them overturned): the demo gives each labelled account one decision, so no tie rules are needed."""
    rows = duckdb.sql(
        "SELECT s.ring_id IS NOT NULL AS flagged, l.label, l.origin FROM read_csv_auto($l) l "
        "JOIN read_parquet($s) s USING (account_id) WHERE l.decided_at <= $t",
        params={"l": str(labels), "s": str(signals), "t": as_of}).fetchall()
    flagged = [(label, origin) for f, label, origin in rows if f]
    abusive = sum(1 for label, origin in flagged if label == "abusive" and origin != "appeal_overturned")
    process = [o for _, _, o in rows if o in ("enforcement", "appeal_upheld", "appeal_overturned")]
    return len(flagged), abusive, len(process), process.count("appeal_overturned")


def test_one_row_per_detection_point_in_time(series: dict[str, Any]) -> None:
    rows = _json(["--runs", str(series["exports"])])
    assert [r["as_of"] for r in rows] == [parse_time(t).isoformat() for t in AS_OF]
    assert [r["accounts"] for r in rows] == sorted(r["accounts"] for r in rows)
    assert rows[0]["flagged_change"] is None
    for before, after in itertools.pairwise(rows):
        assert after["flagged_change"] == after["accounts_flagged"] - before["accounts_flagged"]
    all_labels = duckdb.sql("SELECT count(*) FROM read_csv_auto($l)", params={"l": str(series["data"].labels)}
                            ).fetchall()[0][0]
    for row in rows:
        flagged, abusive, process, overturned = _oracle(series["data"].labels,
                                                        Path(row["folder"]) / "signals.parquet",
                                                        datetime.fromisoformat(row["as_of"]))
        assert (row["labelled_flagged"], row["process_decisions"], row["overturned"]) == (flagged, process, overturned)
        assert row["precision"] == (round(abusive / flagged, 4) if flagged else None)
        assert row["labels_from"] == str(series["run"])
        assert row["rings"] >= row["rings_new"] >= 0
    # the earliest detection knew fewer decisions than the labels file holds: later ones were not counted
    assert rows[0]["process_decisions"] < rows[-1]["process_decisions"] < all_labels
    assert rows[0]["rings_new"] == rows[0]["rings"]  # nothing earlier in the series


def test_run_folders_and_exports_mix_and_labels_can_come_from_one_run(series: dict[str, Any]) -> None:
    exports = sorted(p for p in series["exports"].iterdir() if p.is_dir() and not p.is_symlink())
    rows = _json(["--runs", str(series["run"]), *map(str, exports)])  # `--runs DIR...`, as a shell glob gives
    assert len(rows) == len(AS_OF) + 1 and rows[-1]["folder"] == str(series["run"])
    same = _json(["--runs", str(series["exports"]), "--labels", str(series["run"])])
    assert [r["precision"] for r in same] == [r["precision"] for r in rows[:-1]]


def test_table_csv_and_plot(series: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    plot = tmp_path / "metrics.png"
    done = runner.invoke(app, ["metrics", "--runs", str(series["exports"]), "--plot", str(plot)])
    assert done.exit_code == 0, done.output
    assert "Enforcement metrics over time" in done.stdout and "2026-06-30" in done.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 20_000
    done = runner.invoke(app, ["metrics", "--runs", str(series["exports"]), "--format", "csv"])
    assert done.exit_code == 0, done.output
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == COLUMNS and len(table) == len(AS_OF) + 1


def test_csv_is_spreadsheet_safe(series: dict[str, Any], tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(sorted(p for p in series["exports"].iterdir() if p.is_dir() and not p.is_symlink())[0], export)
    manifest = json.loads((export / "detect_manifest.json").read_text())
    manifest["run_id"] = "=HYPERLINK(\"http://example.invalid\")"  # a hostile manifest
    (export / "detect_manifest.json").write_text(json.dumps(manifest))
    done = CliRunner().invoke(app, ["metrics", "--runs", str(export), "--format", "csv"])
    assert done.exit_code == 0, done.output
    row = dict(zip(*list(csv.reader(io.StringIO(done.stdout))), strict=True))
    assert row["run_id"].startswith("'=")


def test_bad_input_exits_2(series: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["metrics", "--runs", str(tmp_path / "nowhere"), "--runs", str(series["data"].labels)])
    assert done.exit_code == 2 and "nowhere" in done.output and "labels.csv" in done.output
    assert runner.invoke(app, ["metrics"]).exit_code == 2
    bad_plot = tmp_path / "plot.txt"
    done = runner.invoke(app, ["metrics", "--runs", str(series["exports"]), "--plot", str(bad_plot)])
    assert done.exit_code == 2 and not bad_plot.exists()
    assert runner.invoke(app, ["metrics", "--runs", str(series["exports"]), "--labels", str(tmp_path)]).exit_code == 2
