"""`er forget`: erase accounts from the graph, the run folder and future runs. Thin: options, one library call."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import Neo4jDbOpt, Neo4jUriOpt, Neo4jUserOpt, Root, cli_errors, graph_settings, load_settings, summary


def forget_cmd(
    ctx: typer.Context,
    account_ids: Annotated[list[str] | None, typer.Argument(
        help="Account ids to forget (or --file).", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A file of account ids, one a line "
                                              "(an optional first line `account_id`).")] = None,
    from_dirs: Annotated[list[Path], typer.Option(
        "--from", help="The latest run folder (repeat for more run folders or `er detect` exports): "
        "rewritten without the accounts.")] = ...,  # type: ignore[assignment]
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on the tombstone and the forget "
                                        "list): no personal data.")] = "erasure request",
    no_graph: Annotated[bool, typer.Option("--no-graph", help="Leave Neo4j alone (no graph is used).")] = False,
    neo4j_uri: Neo4jUriOpt = None,
    neo4j_user: Neo4jUserOpt = None,
    neo4j_database: Neo4jDbOpt = None,
) -> None:
    """Erase accounts: the graph keeps a tombstone (SHA-256 of the id), the run folder is rewritten without
    them and every later `er run` drops them at ingest (the forget list). Exit 2 on bad input."""
    from ..forget import forget, read_ids

    root = Root.of(ctx)
    settings = load_settings(root)
    if not no_graph:
        settings = graph_settings(settings, neo4j_uri, neo4j_user, neo4j_database)
    with cli_errors(root.debug):
        ids = list(account_ids or []) + (read_ids(file) if file is not None else [])
        result = forget(ids, list(from_dirs), settings, reason=reason, graph=not no_graph)
    counts: dict[str, object] = {
        "accounts requested": result.requested,
        "newly on the forget list": result.newly_listed,
        "found in the run folders": result.found_in_runs,
        "forget list": str(result.forget_list),
    }
    for folder in result.folders:
        counts[f"files rewritten in {folder.folder}"] = len(folder.files_rewritten)
    if result.graph is not None:
        g = result.graph
        counts.update({"graph: accounts deleted": g.accounts_deleted,
                       "graph: identifiers deleted": g.identifiers_deleted,
                       "graph: tombstones": g.tombstones})
    summary(root, "forgotten", counts)


def register(app: typer.Typer) -> None:
    """Add the `forget` command to the `er` app."""
    app.command("forget")(forget_cmd)
