"""What every `er` command shares: exit codes, the two consoles, the root flags, the error -> exit code handler,
Settings and Neo4j connection options (with the password prompt), progress displays and the summary table.

Light imports only (no DuckDB, Splink or Neo4j driver here), so `er --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import EntityResolutionError, InputError, LockedError
from ..progress import ProgressFn
from ..settings import Settings

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3  # same as entity_resolution.detect.export.EXIT_LOCKED (kept here so --help imports stay light)

console = Console(stderr=True)  # progress, errors and notes
out_console = Console()  # results: summaries, tables, pseudonyms, server status


@dataclass(frozen=True)
class Root:
    """The root `er` flags (--quiet, --debug, --config) of the command being run. Read from its context, not
    kept in a global, so in-process runs (tests) never see an earlier run's flags; all unset when the app has
    no such flags (tests register one command group on an app of their own)."""

    quiet: bool = False
    debug: bool = False
    config: Path | None = None

    @classmethod
    def of(cls, ctx: typer.Context) -> Root:
        params = ctx.find_root().params
        return cls(bool(params.get("quiet")), bool(params.get("debug")), params.get("config"))


@contextmanager
def cli_errors(debug: bool = False, *, listed: bool = True) -> Iterator[None]:
    """Our errors -> a message on stderr and an exit code: LockedError 3, InputError 2 (nothing was written),
    any other EntityResolutionError 1; a failed server start also shows the end of its log. debug: re-raise
    instead, for the traceback. listed: each problem on a line of its own under a count (the pipeline commands);
    else the error's own text after "Bad input:" (detect, lookup: their messages as they were)."""
    try:
        yield
    except LockedError as exc:
        console.print(f"[yellow]Locked:[/yellow] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=EXIT_LOCKED) from exc
    except InputError as exc:
        if debug:
            raise
        if listed:
            console.print(f"[red]Bad input[/red] ({exc.total} problem(s)); nothing was written:")
            for p in exc.problems:
                console.print(f"  - {escape(str(p))}", soft_wrap=True)
            if exc.total > len(exc.problems):
                console.print(f"  ... and {exc.total - len(exc.problems)} more")
        else:
            console.print(f"[red]Bad input[/red]: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from exc
    except EntityResolutionError as exc:
        if debug:
            raise
        from ..graph.server import ServerStartError

        if isinstance(exc, ServerStartError):  # why the JVM did not start: the end of its log
            console.print(escape(exc.log_tail), style="dim", highlight=False, soft_wrap=True)
        console.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=EXIT_FAILURE) from exc


def load_settings(root: Root, **flags: Any) -> Settings:
    """Settings from defaults < the --config file < ER_* variables < flags (None: not given); bad ones exit 2."""
    with cli_errors(root.debug):
        return Settings.load(root.config, **flags)


Neo4jUriOpt = Annotated[str | None, typer.Option("--neo4j-uri", envvar="ER_NEO4J_URI",
                                                help="Bolt URI of your own Neo4j; password from NEO4J_PASSWORD "
                                                     "or a prompt. Default: the managed server.")]
Neo4jUserOpt = Annotated[str | None, typer.Option("--neo4j-user", help="Neo4j user (default neo4j).")]
Neo4jDbOpt = Annotated[str | None, typer.Option("--neo4j-database", help="Neo4j database (default neo4j).")]


def graph_settings(settings: Settings, uri: str | None, user: str | None, database: str | None) -> Settings:
    """settings with the Neo4j connection flags applied, asking for the password when a URI of the user's own
    Neo4j is set and no password came from NEO4J_PASSWORD or the settings file."""
    settings = settings.with_overrides(neo4j_uri=uri, neo4j_user=user, neo4j_database=database)
    if settings.neo4j_uri and settings.neo4j_password is None:
        # Never a flag: a password on the command line ends up in shell history and `ps`.
        password = typer.prompt(f"Password for {settings.neo4j_user}@{settings.neo4j_uri}", hide_input=True)
        settings = settings.with_overrides(neo4j_password=password)
    return settings


@contextmanager
def phase_progress(root: Root) -> Iterator[ProgressFn | None]:
    """A ProgressFn drawing a spinner line per phase on stderr; None with --quiet."""
    if root.quiet:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: bool, message: str = "") -> None:
            if not done:
                tasks[phase] = bar.add_task(phase, total=1)
            else:
                bar.update(tasks[phase], completed=1, description=f"[green]{phase}[/green]")

        yield update


@contextmanager
def load_progress(root: Root) -> Iterator[Any]:
    """A bar per Neo4j load step (rows done of rows total) on stderr; None with --quiet."""
    if root.quiet:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, Any] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(f"load {step}", total=max(total, 1))
            bar.update(tasks[step], completed=done if total else 1)

        yield update


def summary(root: Root, title: str, counts: dict[str, Any], seconds: dict[str, float] | None = None) -> None:
    """A figure/value table on stdout (thousands separated), then the phase times and their total; nothing
    with --quiet."""
    if root.quiet:
        return
    seconds = seconds or {}
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in counts.items():
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    for k, v in seconds.items():
        table.add_row(f"time: {k}", f"{v:.1f} s")
    if seconds:
        table.add_row("time: total", f"{sum(seconds.values()):.1f} s")
    out_console.print(table)


def warn(messages: list[str]) -> None:
    """Warnings of a command that succeeded (e.g. report.html not written), one line each on stderr, even with
    --quiet: they say something is missing."""
    for message in messages:
        console.print(f"[yellow]Warning:[/yellow] {escape(message)}", soft_wrap=True)


def show_load(root: Root, result: Any) -> None:
    """The summary of an `er load` (pipeline.load's LoadResult)."""
    counts = {f"loaded {k}": v for k, v in result.rows.items()}
    counts.update(retired_links=result.retired_links, retired_accounts=result.retired_accounts,
                  removed_entities=result.removed_entities)
    if result.resumed_steps:
        counts.update({f"resumed {k} at row": v for k, v in result.resumed_steps.items()})
    summary(root, f"{result.run_id} loaded into Neo4j", counts)


DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")]
