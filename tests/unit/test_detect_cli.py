"""`er detect` exit codes, without Neo4j: the lock, bad --diff-against, help."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from entity_resolution.cli.detect import EXIT_BAD_INPUT, EXIT_LOCKED, register
from entity_resolution.detect.export import EXIT_LOCKED as LIBRARY_EXIT_LOCKED
from entity_resolution.detect.export import export_lock, lock_path


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root."""

    register(app)
    return app


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(_app(), ["detect", "--help"])
    assert result.exit_code == 0
    assert "3 locked" in " ".join(result.output.split())
    assert EXIT_LOCKED == LIBRARY_EXIT_LOCKED == 3


def test_second_run_exits_with_the_lock_code(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    run = tmp_path / "run"  # enough of a run folder to pass the checks made before the lock
    run.mkdir()
    (run / "er.duckdb").touch()
    (run / "manifest.json").write_text('{"run_id": "run-x", "as_of": "2026-01-01T00:00:00+00:00"}')
    with export_lock(root) as path:
        assert path == lock_path(root)
        result = CliRunner().invoke(_app(), ["detect", "--from", str(tmp_path / "run"), "--out", str(root)])
    assert result.exit_code == EXIT_LOCKED
    assert "another `er detect`" in result.output
    assert not root.exists() or not any(root.iterdir())


def test_lock_is_released_after_use(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    with export_lock(root):
        pass
    with export_lock(root):
        pass


def test_diff_against_must_be_an_export(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["detect", "--from", str(tmp_path), "--out", str(tmp_path / "o"),
                                         "--diff-against", str(tmp_path)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "signals.parquet" in result.output


def test_not_a_run_folder_is_bad_input(tmp_path: Path) -> None:
    """Issue 9: bad input (exit 2), checked before the export root or its lock is made."""
    root = tmp_path / "o"
    result = CliRunner().invoke(_app(), ["detect", "--from", str(tmp_path), "--out", str(root)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no manifest.json and no er.duckdb" in " ".join(result.output.split())
    assert not root.exists() and not lock_path(root).exists()
