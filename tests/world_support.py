"""The realistic demo world generated and resolved once per test module (tests on held-out seeds share it)."""

from __future__ import annotations

from pathlib import Path

from entity_resolution.demo.world import generate_world
from entity_resolution.ingest import Inputs
from entity_resolution.pipeline import run
from entity_resolution.settings import Settings


def run_world(work: Path, *, seed: int, accounts: int) -> tuple[Path, Path]:
    """Generate the world of `seed` under work/input and run the pipeline into work/run: (world, run folder)."""
    files = generate_world(work / "input", n_accounts=accounts, seed=seed, fmt="parquet").files
    run(Inputs(files.accounts, files.devices, files.payments), work / "run", Settings())
    return work / "input", work / "run"
