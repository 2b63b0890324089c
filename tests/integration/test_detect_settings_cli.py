"""ER_DETECT_* variables reach detection in `er run` (in-process, recorded in the manifest) and in
`er detect --from RUN`, where they change the result."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution.cli import app
from entity_resolution.demo.generator import generate


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("detset")
    data = generate(tmp / "input", n_accounts=1_000, seed=11, fmt="csv")
    out = tmp / "run"
    result = CliRunner().invoke(app, ["--quiet", "run", "--accounts", str(data.accounts), "--devices",
                                      str(data.devices), "--payments", str(data.payments), "--out", str(out)],
                                env={"ER_DETECT_WEIGHT_CHURN": "0.05"})
    assert result.exit_code == 0, result.output
    return out


def _detect(run: Path, out: Path, env: dict[str, str]) -> tuple[list[int], dict[str, object]]:
    """The entity count of every ring, and the parameters the export's manifest records."""
    result = CliRunner().invoke(app, ["--quiet", "detect", "--from", str(run), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    latest = out / "latest"
    manifest = json.loads((latest / "detect_manifest.json").read_text(encoding="utf-8"))
    return pq.read_table(latest / "rings.parquet").column("entity_count").to_pylist(), manifest["parameters"]


def test_er_run_records_the_variables(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "detect_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["weight_churn"] == 0.05


def test_ring_min_entities_variable_changes_the_ring_count(run_dir: Path, tmp_path: Path) -> None:
    rings, params = _detect(run_dir, tmp_path / "default", {})
    assert params["ring_min_entities"] == 3 and len(rings) > 1
    at_least = sorted(rings)[len(rings) // 2]  # a size that drops the smaller half of the rings
    fewer, params = _detect(run_dir, tmp_path / "env", {"ER_DETECT_RING_MIN_ENTITIES": str(at_least)})
    assert params["ring_min_entities"] == at_least
    assert 0 < len(fewer) < len(rings)
    # every ring left is big enough; not exactly the bigger half: a bridge whose side no longer stands as a
    # ring of at_least entities is no bridge, and its two rings are reported as one
    assert min(fewer) >= at_least
    assert sum(fewer) >= sum(n for n in rings if n >= at_least) - len(rings)
    cfg = tmp_path / "er.toml"
    cfg.write_text(f"[detect]\nring_min_entities = {at_least}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--quiet", "--config", str(cfg), "detect", "--from", str(run_dir),
                                      "--out", str(tmp_path / "file")], env={})
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(tmp_path / "file" / "latest" / "rings.parquet").num_rows == len(fewer)
