"""runfolder: the one check that a folder is a run folder of ours, and the Manifest it reads and writes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entity_resolution import runfolder
from entity_resolution.cli.main import app
from entity_resolution.errors import InputError
from entity_resolution.export.guard import is_run_folder
from entity_resolution.runfolder import Manifest, ModelEntry, RunPaths

# What pipeline.run writes (keys in its order), as a run of today would.
WRITTEN = {
    "run_id": "run-20260101T000000Z-abcdef12",
    "as_of": "2026-01-01T00:00:00+00:00",
    "started_at": "2026-01-02T03:04:05.123456+00:00",
    "inputs": {"accounts": {"path": "a.csv", "sha256": "00"}, "devices": {"path": "d.csv", "sha256": "11"},
               "payments": {"path": "p.csv", "sha256": "22"}, "labels": {"path": None, "sha256": None}},
    "row_counts": {"accounts_rows": 10, "entities": 8, "links": 4},
    "thresholds": {"match_threshold": 0.95, "cluster_threshold": 0.95, "link_floor": 0.5,
                   "min_personal_weight": 4.0, "hub_min_accounts": 25},
    "model": {"path": "model.json", "sha256": "ff", "trained_in_run": False, "prior": 0.0012},
    "engine": "duckdb",
    "previous_run": None,
    "incremental": None,
    "detection_id": "det-1",
    "pseudonymised": None,
    "versions": {"python": "3.11.9"},
    "phase_seconds": {"validate": 0.1},
}


def _folder(tmp_path: Path, manifest: object | str | None = WRITTEN, db: bool = True) -> Path:
    run = tmp_path / "run"
    run.mkdir(parents=True)
    if manifest is not None:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest, indent=2)
        (run / "manifest.json").write_text(text, encoding="utf-8")
    if db:
        (run / "er.duckdb").touch()
    return run


def _problems(err: pytest.ExceptionInfo[InputError]) -> str:
    return "\n".join(str(p) for p in err.value.problems)


def test_a_valid_run_folder_opens(tmp_path: Path) -> None:
    run = runfolder.open(_folder(tmp_path))
    m = run.manifest
    assert run.paths == RunPaths(tmp_path / "run")
    assert run.paths.db == tmp_path / "run" / "er.duckdb" and run.paths.model.name == "model.json"
    assert run.paths.entities.name == "entities.parquet" and run.paths.export("links", "csv").name == "links.csv"
    assert m.run_id == WRITTEN["run_id"] and m.as_of == datetime(2026, 1, 1, tzinfo=UTC)
    assert m.model == ModelEntry(path="model.json", sha256="ff", trained_in_run=False, prior=0.0012)
    assert m.thresholds["hub_min_accounts"] == 25 and m.forgotten == () and m.engine == "duckdb"
    # what pipeline.run wrote comes back out unchanged, keys in the same order
    assert m.to_dict() == WRITTEN and list(m.to_dict()) == list(WRITTEN)
    assert json.loads(m.to_json()) == WRITTEN
    assert is_run_folder(tmp_path / "run") and runfolder.is_run_folder(tmp_path / "run")


def test_forgotten_entries_round_trip(tmp_path: Path) -> None:
    m = runfolder.open(_folder(tmp_path)).manifest
    entry = {"at": "2026-02-01T00:00:00+00:00", "accounts": 2, "reason": "erasure request"}
    replace(m, forgotten=(entry,)).write(tmp_path / "run" / "manifest.json")
    again = Manifest.read(tmp_path / "run" / "manifest.json")
    assert again.forgotten == (entry,) and again.to_dict() == {**WRITTEN, "forgotten": [entry]}


def test_missing_manifest_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        runfolder.open(_folder(tmp_path, manifest=None))
    assert f"{tmp_path / 'run'}: expected a run folder from `er run` (manifest.json and er.duckdb), " \
           "found no manifest.json" in _problems(err)
    with pytest.raises(InputError) as err:
        runfolder.open(tmp_path / "nowhere")
    assert "found no folder at this path" in _problems(err)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as err:
        runfolder.open(empty)
    assert "found no manifest.json and no er.duckdb" in _problems(err)


def test_bad_json_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        runfolder.open(_folder(tmp_path, manifest="{not json"))
    text = _problems(err)
    assert text.startswith(f"{tmp_path / 'run' / 'manifest.json'}: expected the manifest `er run` wrote")
    assert "JSONDecodeError" in text
    with pytest.raises(InputError) as err:
        Manifest.read(_folder(tmp_path / "list", manifest="[1, 2]") / "manifest.json")
    assert "found JSON list" in _problems(err)


def test_missing_and_bad_keys_are_each_named(tmp_path: Path) -> None:
    data = {k: v for k, v in WRITTEN.items() if k != "as_of"}
    data["run_id"], data["thresholds"], data["model"] = 7, [0.95], {"prior": "high"}
    with pytest.raises(InputError) as err:
        runfolder.open(_folder(tmp_path, manifest=data))
    where = tmp_path / "run" / "manifest.json"
    assert err.value.total == 4
    lines = _problems(err).splitlines()
    assert f"{where}, key run_id: expected the run's id (text starting 'run-'), found int '7'" in lines
    assert f"{where}, key as_of: expected an ISO-8601 time, found no such key" in lines
    assert f"{where}, key thresholds: expected a JSON object or null, found list '[0.95]'" in lines
    assert f"{where}, key model.prior: expected a number, found str 'high'" in lines


def test_bad_time_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        runfolder.open(_folder(tmp_path, manifest={**WRITTEN, "as_of": "last tuesday"}))
    assert "key as_of: expected an ISO-8601 time, found str 'last tuesday'" in _problems(err)


def test_a_foreign_folder_is_not_a_run_folder(tmp_path: Path) -> None:
    """Someone else's manifest.json (another tool's, or an `er detect` export's) is not ours."""
    foreign = _folder(tmp_path, manifest={"name": "my-project", "version": "1.0"})
    assert not is_run_folder(foreign) and not runfolder.is_run_folder(foreign)
    with pytest.raises(InputError) as err:
        runfolder.open(foreign)
    assert "key run_id" in _problems(err) and "key as_of" in _problems(err)


@pytest.mark.parametrize("command", [["neo4j", "import"], ["detect", "--out", "unused"]])
def test_cli_readers_exit_2_on_a_foreign_folder(tmp_path: Path, command: list[str]) -> None:
    """Checked before any server is started or connected to (`er load` connects first, then checks)."""
    foreign = _folder(tmp_path, manifest={"name": "my-project"})
    result = CliRunner().invoke(app, [*command, "--from", str(foreign)])
    assert result.exit_code == 2, result.output
    assert "key run_id" in " ".join(result.output.split())
