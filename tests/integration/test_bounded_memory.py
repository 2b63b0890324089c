"""Bounded memory: a run under a small DuckDB memory limit, spilling into a folder of the user's and scoring pairs in
chunks, gives the same entities and links as an unbounded run, and leaves the user's spill folder as it found it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.ingest import Inputs
from entity_resolution.pipeline import run
from entity_resolution.settings import Settings

pytestmark = pytest.mark.slow


def _rows(run_dir: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(run_dir / "er.duckdb"), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall())
    finally:
        con.close()


def test_a_small_memory_limit_and_chunked_scoring_change_nothing(small_data: GeneratedPaths, tmp_path: Path) -> None:
    inputs = Inputs(small_data.accounts, small_data.devices, small_data.payments)
    run(inputs, tmp_path / "free", Settings())
    spill = tmp_path / "spill"
    spill.mkdir()
    (spill / "keep.txt").write_text("the user's")
    bounded = Settings(memory_limit="200MB", threads=1, spill_dir=spill, predict_chunks=4)
    run(inputs, tmp_path / "bounded", bounded)
    for sql in ("SELECT account_id, entity_id, entity_size FROM entities",
                "SELECT unique_id_l, unique_id_r, round(match_probability, 9), same_person FROM predictions"):
        assert _rows(tmp_path / "bounded", sql) == _rows(tmp_path / "free", sql), sql
    assert _rows(tmp_path / "bounded", "SELECT count(*) FROM predictions")[0][0] > 0
    assert [p.name for p in spill.iterdir()] == ["keep.txt"]


def test_the_memory_settings_are_checked() -> None:
    from entity_resolution.errors import InputError

    with pytest.raises(InputError, match="predict_chunks"):
        Settings(predict_chunks=0)
    assert Settings.load(environ={"ER_SPILL_DIR": "/tmp/x", "ER_PREDICT_CHUNKS": "3"}).predict_chunks == 3


def test_too_little_memory_is_a_clear_error_and_writes_nothing(small_data: GeneratedPaths, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entity_resolution.cli.main import app

    out = tmp_path / "starved"
    result = CliRunner().invoke(app, ["run", "--accounts", str(small_data.accounts), "--devices",
                                      str(small_data.devices), "--payments", str(small_data.payments),
                                      "--out", str(out)],
                                env={"ER_MEMORY_LIMIT": "2MB", "ER_THREADS": "1"})
    assert result.exit_code == 1, result.output
    assert "ran out of memory under memory_limit 2MB" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
