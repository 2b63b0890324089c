"""`er load`: a run folder into Neo4j. Thin: options, pipeline.load, a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common
from .common import Root, cli_errors, graph_settings, load_progress, load_settings, show_load


def load_cmd(
    ctx: typer.Context,
    from_dir: Annotated[Path, typer.Option("--from", help="A run folder written by `er run`.")],
    neo4j_uri: common.Neo4jUriOpt = None,
    neo4j_user: common.Neo4jUserOpt = None,
    neo4j_database: common.Neo4jDbOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Rows per transaction.")] = None,
    since: Annotated[Path | None, typer.Option(
        "--since", help="The run folder the graph holds now (its last complete load): write only what "
        "changed since it. Same graph as a full load, far fewer writes.")] = None,
) -> None:
    """Load a run folder into Neo4j (idempotent; re-run to resume an interrupted load)."""
    from .. import pipeline

    root = Root.of(ctx)
    settings = graph_settings(load_settings(root, batch_size=batch_size), neo4j_uri, neo4j_user, neo4j_database)
    with cli_errors(root.debug), load_progress(root) as progress:
        result = pipeline.load(from_dir, settings, progress=progress, since=since)
    show_load(root, result)


def register(app: typer.Typer) -> None:
    """Add the `load` command to the `er` app."""
    app.command("load")(load_cmd)
