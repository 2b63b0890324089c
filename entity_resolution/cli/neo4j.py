"""`er neo4j install | start | stop | status | schema | import`: a managed local Neo4j server.

Thin layer over the graph/server/ package (and graph/bulk_import.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import GraphError
from ..graph import server
from ..progress import ProgressFn
from .common import DebugOpt, cli_errors
from .common import out_console as console

neo4j_app = typer.Typer(
    help=(
        "Run a local Neo4j Community 5.26 server (with APOC, GDS and Neo4j Browser) fetched from Maven Central."
        " Listens on 127.0.0.1 only, auth on, password in a mode-600 file."
    ),
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Server home folder (env ER_NEO4J_HOME; default ~/.cache/entity-resolution/neo4j/<version>).",
        show_default=False,
    ),
]


@contextmanager
def progress_reporter(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; elsewhere (CI logs) a plain line per step, at most every 15 s."""
    if console.is_terminal:
        with console.status(title) as spinner:
            yield lambda msg: spinner.update(escape(msg))
        return
    last_step, last_at = "", 0.0

    def report(msg: str) -> None:
        nonlocal last_step, last_at
        step = msg.split(",")[0].split(" (")[0]  # "Maven: resolving gds (3/3), 12 files" -> "Maven: resolving gds"
        if step != last_step or time.monotonic() - last_at > 15:
            console.print(msg, highlight=False, soft_wrap=True)
            last_step, last_at = step, time.monotonic()

    console.print(title, highlight=False)
    yield report


@neo4j_app.command()
def install(
    home: HomeOption = None,
    force: Annotated[bool, typer.Option("--force", help="Resolve again even if the home is complete.")] = False,
    gds: Annotated[
        bool | None, typer.Option("--gds/--no-gds", help="Include Graph Data Science (env ER_NEO4J_GDS).")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Fetch Neo4j, APOC, GDS and Neo4j Browser with Maven into the server home (fast when already there)."""
    with cli_errors(debug):
        config = server.ServerConfig.from_env(home=home, gds=gds)
        already = not force and server.is_installed(config)
        with progress_reporter("Resolving Neo4j with Maven ...") as report:
            paths = server.install(config, progress=report, force=force)
    state = "already installed in" if already else "installed in"
    console.print(f"Neo4j {config.versions.neo4j} {state} {paths.home}")
    _show_install(paths)


@neo4j_app.command()
def start(
    home: HomeOption = None,
    bolt_port: Annotated[
        int | None, typer.Option(help="Bolt port on 127.0.0.1 (env ER_NEO4J_BOLT_PORT; default 7687).")
    ] = None,
    http_port: Annotated[
        int | None,
        typer.Option(help="HTTP port on 127.0.0.1, serving /browser/ (env ER_NEO4J_HTTP_PORT; default 7474)."),
    ] = None,
    heap: Annotated[str | None, typer.Option(help="JVM heap, e.g. 1g (env ER_NEO4J_HEAP; default 1g).")] = None,
    pagecache: Annotated[
        str | None, typer.Option(help="Page cache, e.g. 512m (env ER_NEO4J_PAGECACHE; default 512m).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
    debug: DebugOpt = False,
) -> None:
    """Start the server in the background (installing it first if needed) and wait until Bolt answers."""
    with cli_errors(debug):
        config = server.ServerConfig.from_env(
            home=home, bolt_port=bolt_port, http_port=http_port, heap=heap, pagecache=pagecache,
            start_timeout=timeout,
        )  # fmt: skip
        with progress_reporter("Starting Neo4j ...") as report:
            info = server.start(config, progress=report)
    if info.already_running:
        console.print(f"Neo4j is already running (pid {info.pid}).")
    else:
        console.print(f"Neo4j started in {info.startup_seconds} s (pid {info.pid}).")
    _show_info(info)


@neo4j_app.command()
def stop(
    home: HomeOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait after SIGTERM before SIGKILL.")] = 60.0,
    debug: DebugOpt = False,
) -> None:
    """Stop the server: SIGTERM, then SIGKILL if it has not exited in time."""
    with cli_errors(debug):
        config = server.ServerConfig.from_env(home=home, stop_timeout=timeout)
        with console.status("Stopping Neo4j ..."):
            was_running = server.stop(config)
    console.print("Neo4j stopped." if was_running else "Neo4j was not running.")


@neo4j_app.command()
def status(home: HomeOption = None, debug: DebugOpt = False) -> None:
    """Say whether the server runs, with versions, Bolt URI, Browser URL and where the password is."""
    with cli_errors(debug):
        config = server.ServerConfig.from_env(home=home)
        info = server.status(config)
    if info.running:
        console.print(f"Neo4j is [green]running[/green] (pid {info.pid}).")
    else:
        console.print("Neo4j is [yellow]not running[/yellow].")
    _show_info(info)


def _show_info(info: server.ServerInfo) -> None:
    table = Table.grid(padding=(0, 2))
    if info.running and info.problem is None:
        table.add_row("neo4j", f"{info.neo4j_version} {info.edition}")
        table.add_row("apoc", info.apoc_version or "[yellow]absent[/yellow]")
        table.add_row("gds", info.gds_version or "[yellow]absent[/yellow]")
    elif info.installed_versions:
        v = info.installed_versions
        table.add_row("installed", f"neo4j {v.get('neo4j')}, apoc {v.get('apoc')}, gds {v.get('gds') or 'absent'}")
    else:
        table.add_row("installed", "no (`er neo4j install`)")
    if info.problem:
        table.add_row("problem", f"[red]{escape(info.problem)}[/red]")
    table.add_row("uri", info.bolt_uri)
    table.add_row("browser", info.browser_url)
    table.add_row("user", info.user)
    table.add_row("password file", str(info.password_file))
    table.add_row("home", str(info.home))
    console.print(table)


def _show_install(paths: server.ServerPaths) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_row("lib", f"{paths.lib} ({_count_jars(paths.lib)} jars)")
    table.add_row("plugins", f"{paths.plugins} ({_count_jars(paths.plugins)} jars)")
    table.add_row("maven log", str(paths.install_log))
    console.print(table)


def _count_jars(folder: Path) -> int:
    return sum(1 for p in folder.glob("*.jar")) if folder.is_dir() else 0


@neo4j_app.command()
def schema(
    neo4j_uri: Annotated[str | None, typer.Option("--neo4j-uri", envvar="ER_NEO4J_URI",
                                                  help="Bolt URI of your own Neo4j (password from NEO4J_PASSWORD). "
                                                       "Default: the managed server.")] = None,
    neo4j_database: Annotated[str, typer.Option("--neo4j-database", help="Database name.")] = "neo4j",
    debug: DebugOpt = False,
) -> None:
    """Create the uniqueness constraints and indexes (idempotent, versioned)."""
    from ..graph.connection import graph_session
    from ..graph.loader import apply_schema
    from ..settings import Settings

    with cli_errors(debug):
        settings = Settings.load(neo4j_uri=neo4j_uri, neo4j_database=neo4j_database)
        with graph_session(settings) as driver:
            version = apply_schema(driver, settings.neo4j_database)
    console.print(f"schema version {version} in place on {settings.neo4j_database}")


@neo4j_app.command("import")
def import_cmd(
    from_dir: Annotated[Path, typer.Option("--from", help="A run folder written by `er run`.", exists=True,
                                           file_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace the database even if it holds data "
                                        "(everything in it is lost).")] = False,
    neo4j_database: Annotated[str | None, typer.Option("--neo4j-database",
                                                       help="Database name (default neo4j).")] = None,
    max_off_heap: Annotated[str | None, typer.Option("--max-off-heap", help="Memory for the importer outside "
                                                     "its heap, e.g. 2g (default: the page cache size).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt when starting Neo4j again.")] = 180.0,
    home: HomeOption = None,
    debug: DebugOpt = False,
) -> None:
    """Initial load of a run into an EMPTY database of the managed server with `neo4j-admin database import`.

    Much faster than `er load` for a large first load: DuckDB writes CSV files, the server is stopped, the
    import replaces the database, the server is started again and the schema and load markers are written.
    Later runs go in with `er load` as usual. Refuses a database that holds data unless --force.
    """
    from ..graph.bulk_import import PHASES, bulk_import
    from ..settings import Settings

    with cli_errors(debug):
        settings = Settings.load(neo4j_database=neo4j_database)
        config = server.ServerConfig.from_env(home=home, start_timeout=timeout)
        if settings.neo4j_uri:
            managed = server.managed_connection(config)
            if managed is None or managed[0] != settings.neo4j_uri:
                raise GraphError(f"the bulk import works on the managed server's files only, not on "
                                 f"{settings.neo4j_uri} (ER_NEO4J_URI / --neo4j-uri); use `er load` there")
        with _phase_progress(PHASES) as report:
            result = bulk_import(config, from_dir, database=settings.neo4j_database, force=force,
                                 progress=report, max_off_heap=max_off_heap)
    table = Table(title=f"{result.run_id} imported into {result.database}", show_header=False)
    for label, n in result.nodes.items():
        table.add_row(f"nodes {label}", f"{n:,}")
    for rel_type, n in result.relationships.items():
        table.add_row(f"relationships {rel_type}", f"{n:,}")
    for phase, seconds in result.seconds.items():
        table.add_row(f"{phase} (s)", f"{seconds:.1f}")
    table.add_row("total (s)", f"{result.total_seconds:.1f}")
    if result.replaced_data:
        table.add_row("note", "[yellow]--force: the data that was in the database was replaced[/yellow]")
    console.print(table)


@contextmanager
def _phase_progress(phases: tuple[str, ...]) -> Iterator[ProgressFn]:
    """One line per phase with a spinner and its elapsed time on a terminal; plain lines elsewhere."""
    if not console.is_terminal:
        def line(phase: str, done: bool, message: str = "") -> None:
            if not done:
                console.print(f"{phase}: {message}", highlight=False, soft_wrap=True)

        yield line
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        tasks = {p: bar.add_task(f"[dim]{p}[/dim]", total=1, start=False) for p in phases}

        def report(phase: str, done: bool, message: str = "") -> None:
            if done:
                bar.update(tasks[phase], completed=1)
                bar.stop_task(tasks[phase])
                return
            bar.start_task(tasks[phase])
            bar.update(tasks[phase], description=f"{phase}: {escape(message)}")

        yield report


def register(app: typer.Typer) -> None:
    """Add the `neo4j` command group to the `er` app."""
    app.add_typer(neo4j_app, name="neo4j", help="Install, start, stop and check a local Neo4j server.")
