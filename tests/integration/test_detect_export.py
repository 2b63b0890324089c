"""Scheduled `er detect` runs as separate processes: the lock, and folders complete or absent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entity_resolution import pipeline
from entity_resolution.cli.detect import EXIT_LOCKED
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect.export import LATEST, exports
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

# `er detect` as the lead wires it into cli.py: register() on a Typer app with a root callback.
SCRIPT = """
import typer
from entity_resolution.cli.detect import register

app = typer.Typer(pretty_exceptions_enable=False)

@app.callback()
def main(quiet: bool = typer.Option(False, "--quiet", "-q")) -> None:
    pass

register(app)
app()
"""


@pytest.fixture(scope="module")
def run_dir(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect_export") / "run"
    pipeline.run(Inputs(small_data.accounts, small_data.devices, small_data.payments), out, Settings())
    return out


@pytest.fixture
def er_detect(tmp_path: Path) -> list[str]:
    script = tmp_path / "er_detect.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return [sys.executable, str(script), "-q", "detect"]


def _wait_for_temp_folder(root: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until the process holds the lock and is building its folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if root.is_dir() and any(".tmp-detect-" in p.name for p in root.iterdir()):
            return
        if proc.poll() is not None:
            pytest.fail(f"er detect ended before it was caught working (code {proc.returncode})")
        time.sleep(0.005)
    pytest.fail("er detect never started writing")


def test_concurrent_runs_one_waits_out_with_the_lock_code(run_dir: Path, er_detect: list[str], tmp_path: Path) -> None:
    root = tmp_path / "exports"
    first = subprocess.Popen([*er_detect, "--from", str(run_dir), "--out", str(root)], stderr=subprocess.PIPE)
    try:
        _wait_for_temp_folder(root, first)
        os.kill(first.pid, signal.SIGSTOP)  # hold it mid-run, lock taken, so the overlap is certain
        second = subprocess.run([*er_detect, "--from", str(run_dir), "--out", str(root)], capture_output=True,
                                text=True, timeout=300)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode == EXIT_LOCKED, second.stderr
    assert "another `er detect`" in " ".join(second.stderr.split())
    assert first.wait(timeout=300) == 0, first.stderr.read().decode() if first.stderr else ""
    done = exports(root)
    assert len(done) == 1
    assert (root / LATEST).resolve() == done[0].resolve()
    assert {p.name for p in done[0].iterdir()} >= {"signals.parquet", "signals.csv", "rings.csv", "hubs.parquet",
                                                   "ring_events.csv", "detect_manifest.json"}


def test_killed_run_leaves_no_partial_folder(run_dir: Path, er_detect: list[str], tmp_path: Path) -> None:
    root = tmp_path / "exports"
    victim = subprocess.Popen([*er_detect, "--from", str(run_dir), "--out", str(root)], stderr=subprocess.DEVNULL)
    _wait_for_temp_folder(root, victim)
    victim.kill()
    victim.wait()
    assert exports(root) == []
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == []  # only the hidden temporary
    # the next run is not blocked (the kernel dropped the lock), publishes, and clears the leftovers
    rerun = subprocess.run([*er_detect, "--from", str(run_dir), "--out", str(root)], capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(exports(root)) == 1
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
