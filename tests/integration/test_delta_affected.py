"""The delta load of an incremental run compares only its affected accounts' rows (graph/loader.py): the
rows it finds to write must be exactly those a comparison of every row finds. DuckDB only, no Neo4j."""

from __future__ import annotations

from pathlib import Path

import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.demo.split import split_newest
from entity_resolution.graph import loader
from entity_resolution.ingest import Inputs
from entity_resolution.runfolder import open as open_run_folder
from entity_resolution.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("delta_affected")
    everything = Inputs(small_data.accounts, small_data.devices, small_data.payments)
    base_in, new_in = split_newest(everything, 0.02, work / "in_base", work / "in_new")
    pipeline.run(base_in, work / "base", Settings())
    pipeline.run(new_in, work / "inc", Settings(), previous=work / "base", incremental=True)
    pipeline.run(everything, work / "full", Settings(), previous=work / "base")
    return {"base": work / "base", "inc": work / "inc", "full": work / "full"}


def test_affected_rows_give_the_same_delta_as_every_row(runs: dict[str, Path]) -> None:
    manifest = open_run_folder(runs["inc"]).manifest.to_dict()
    con = loader._open(open_run_folder(runs["inc"]).paths.db, runs["base"])
    try:
        assert loader._built_on(con, manifest, runs["base"])
        con.execute(loader._AFFECTED_IPS_SQL)
        loader.register_levels(con, runs["inc"])  # the matches step's evidence columns read the model's levels
        steps = {step: sql for step, _cypher, sql in loader.STEPS}
        assert set(loader._AFFECTED_ONLY) < set(steps)
        for step, restricted in loader._AFFECTED_ONLY.items():
            every = con.execute(loader._delta(con, step, steps[step])).fetchall()
            affected = con.execute(loader._delta(con, step, restricted)).fetchall()
            assert affected == every, step
            if step in ("accounts", "used_email", "ip_prefixes", "matches"):
                assert every, f"{step}: the new accounts bring new rows"
    finally:
        con.close()


def test_only_an_incremental_run_on_the_same_base_compares_affected_rows(runs: dict[str, Path]) -> None:
    for run, since in ((runs["full"], runs["base"]), (runs["inc"], runs["full"])):
        manifest = open_run_folder(run).manifest.to_dict()
        con = loader._open(open_run_folder(run).paths.db, since)
        try:
            assert not loader._built_on(con, manifest, since)
        finally:
            con.close()
