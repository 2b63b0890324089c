"""`er detect`: re-run detection and write a dated export folder. Thin: options, one library call, a summary.

Exit codes: 0 ok, 1 failure (nothing published), 2 bad input (e.g. --diff-against is not an export),
3 another `er detect` holds the lock on the same --out folder (nothing was done).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError, Problem
from . import common
from .common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_LOCKED, Root, cli_errors, graph_settings, summary

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_LOCKED", "detect", "register"]


def _check_previous(path: Path | None) -> None:
    if path is not None and not (path / "signals.parquet").is_file():
        raise InputError([Problem(str(path), None, None, "an `er detect` export or run folder with signals.parquet",
                                  "no signals.parquet")])


def _check_run(path: Path | None) -> None:
    """The --from run folder's manifest, checked before the export root or its lock is made."""
    if path is not None:
        from ..detect.inprocess import read_manifest

        read_manifest(path)


def detect(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Export root: each run writes OUT/<UTC time>/ and "
                                      "points OUT/latest at it.")],
    diff_against: Annotated[Path | None, typer.Option("--diff-against", help="An earlier export to compare "
                                                      "with (ring ids carry over; ring_events lists new, "
                                                      "grown, shrunk, merged, split, dissolved). Default: the "
                                                      "newest export in OUT, else the graph's last detection.")] = None,
    from_run: Annotated[Path | None, typer.Option("--from", help="Detect in-process on this run folder "
                                                  "instead of the graph (no Neo4j needed).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO-8601 time for growth windows; data after it "
                                              "is ignored. Default: ER_DETECT_AS_OF, the settings file's "
                                              "\\[detect] as_of, else the run's as-of.")] = None,
    neo4j_uri: common.Neo4jUriOpt = None,
    neo4j_user: common.Neo4jUserOpt = None,
    neo4j_database: common.Neo4jDbOpt = None,
    no_gds: Annotated[bool, typer.Option("--no-gds", help="Use the plain Cypher/APOC queries even when GDS "
                                         "is installed.")] = False,
    no_write_back: Annotated[bool, typer.Option("--no-write-back", help="Do not write rings and signals "
                                                "back into the graph.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into an --out folder that holds other files "
                                        "(they are left alone).")] = False,
    labels: Annotated[Path | None, typer.Option("--labels", help="A run folder whose labels (enforcement "
                                                "decisions) risk learns from. Default: none on the graph, the "
                                                "--from run's own with --from.")] = None,
) -> None:
    """Re-run detection (rings, bridges, growth, risk) and write a new dated export folder.

    Detection settings: defaults < the --config file's \\[detect] table < ER_DETECT_<FIELD> variables < --as-of
    (docs/signals.md lists them).

    Safe for cron and systemd timers: a second run on the same --out while one is running exits with code 3;
    folders are complete or absent. Exit codes: 0 ok, 1 failure, 2 bad input, 3 locked.
    """
    from ..detect import DetectSettings
    from ..detect.export import newest_export, run_export
    from ..export.guard import check_export_root
    from ..settings import Settings

    root = Root.of(ctx)
    with cli_errors(root.debug, listed=False):
        # defaults < the settings file's [detect] table < ER_DETECT_* variables < --as-of
        settings = DetectSettings.load(root.config, as_of=as_of)
        _check_previous(diff_against)
        _check_run(from_run)
        _check_run(labels)
        check_export_root(out, force=force)  # before the lock or any folder is made
        from ..review.apply import for_run

        rejected = for_run(Settings.load(root.config)).rejected  # `er review`: rings not to flag again
        if from_run is not None:
            from ..detect import compute_signals

            def produce(tmp: Path) -> Any:
                previous = diff_against or newest_export(out)
                return compute_signals(from_run, settings, previous, out_dir=tmp, labels_from=labels,
                                       rejected=rejected)
        else:
            graph = graph_settings(Settings.load(root.config), neo4j_uri, neo4j_user, neo4j_database)

            def produce(tmp: Path) -> Any:
                from ..detect.graph import detect_graph
                from ..detect.labels import read_labels
                from ..graph.connection import graph_session

                decisions = read_labels(labels) if labels is not None and settings.learn_from_labels else None
                with graph_session(graph) as driver:
                    return detect_graph(driver, tmp, settings, database=graph.neo4j_database,
                                        previous=diff_against or newest_export(out),
                                        use_gds=False if no_gds else None, write=not no_write_back,
                                        inputs={"neo4j_uri": graph.neo4j_uri or "managed"},
                                        labels=decisions, rejected=rejected)

        warnings: list[str] = []

        def produce_with_report(tmp: Path) -> Any:
            from ..report import try_write_report

            done = produce(tmp)  # report.html goes in before the folder is published (docs/reports.md)
            _, warning = try_write_report(tmp, labels_from=labels)
            warnings.extend([warning] if warning else [])
            return done

        result = run_export(out, produce_with_report)
    summary(root, f"{result.detection_id} ({result.backend}) → {result.out_dir}", result.counts)
    common.warn(warnings)


def register(app: typer.Typer) -> None:
    """Add the `detect` command to the `er` app."""
    app.command("detect")(detect)
