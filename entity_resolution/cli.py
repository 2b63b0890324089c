"""`er`: the command line. Thin: parse options, build Settings, call the library, render with rich."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .cli_detect import register as register_detect
from .cli_forget import register as register_forget
from .cli_lookup import register as register_lookup
from .cli_neo4j import neo4j_app
from .errors import EntityResolutionError, InputError
from .ingest import Inputs
from .settings import Settings

app = typer.Typer(
    help="Identity-graph entity resolution for trust-and-safety teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console()

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class _State:
    quiet = False
    debug = False
    config: Path | None = None


def _version(value: bool) -> None:
    if value:
        out_console.print(f"er {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary; errors only.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    config: Annotated[Path | None, typer.Option("--config", envvar="ER_CONFIG",
                                                help="TOML settings file (keys as in Settings, "
                                                     "optionally under \\[er]; detection settings "
                                                     "under \\[detect]).")] = None,  # \\[: not rich markup
) -> None:
    """Settings come from defaults < the TOML file < ER_* environment variables < flags
    (detection settings: the file's \\[detect] table < ER_DETECT_* variables)."""
    _State.quiet, _State.debug, _State.config = quiet, debug, config


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        if _State.debug:
            raise
        console.print(f"[red]Bad input[/red] ({exc.total} problem(s)); nothing was written:")
        for p in exc.problems:
            console.print(f"  - {escape(str(p))}", soft_wrap=True)
        more = exc.total - len(exc.problems)
        if more > 0:
            console.print(f"  ... and {more} more")
        raise typer.Exit(code=EXIT_BAD_INPUT) from exc
    except EntityResolutionError as exc:
        if _State.debug:
            raise
        console.print(f"[red]Error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=EXIT_FAILURE) from exc


@contextmanager
def _progress() -> Iterator[Any]:
    if _State.quiet:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: bool) -> None:
            if not done:
                tasks[phase] = bar.add_task(phase, total=1)
            else:
                bar.update(tasks[phase], completed=1, description=f"[green]{phase}[/green]")

        yield update


def _settings(**flags: Any) -> Settings:
    with _errors():
        return Settings.load(_State.config, **flags)


def _summary(title: str, counts: dict[str, Any], seconds: dict[str, float]) -> None:
    if _State.quiet:
        return
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


AccountsOpt = Annotated[Path, typer.Option("--accounts", "-a", help="Accounts file (.csv, .parquet, .jsonl).")]
DevicesOpt = Annotated[Path, typer.Option("--devices", "-d", help="Devices file (.csv, .parquet, .jsonl).")]
PaymentsOpt = Annotated[Path, typer.Option("--payments", "-p", help="Payments file (.csv, .parquet, .jsonl).")]
LabelsOpt = Annotated[Path | None, typer.Option("--labels", "-l",
                                                help="Optional labels file: enforcement decisions the "
                                                     "risk score learns from (docs/signals.md).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="ISO-8601 time; data after it is ignored. "
                                             "Default: the newest timestamp in the input.")]
ModelOpt = Annotated[Path | None, typer.Option("--model", envvar="ER_MODEL_PATH",
                                               help="Splink model JSON (default: the packaged "
                                                    "splink_models/default.json).")]
MatchOpt = Annotated[float | None, typer.Option("--match-threshold",
                                                help="Probability at which a link can mean same "
                                                     "person (personal evidence must also reach min_personal_weight).")]
PseudonymiseOpt = Annotated[bool | None, typer.Option(
    "--pseudonymise/--no-pseudonymise",
    help="Replace e-mails, phones, device ids, card fingerprints and IPs by keyed hashes (HMAC-SHA-256, key "
         "from ER_PSEUDONYM_KEY or the pseudonym_key_file setting) in the exports and Neo4j; matching still "
         "uses the raw values. Default: the pseudonymise setting (off).")]
ClusterOpt = Annotated[float | None, typer.Option("--cluster-threshold",
                                                  help="Probability at which links join accounts into "
                                                       "one entity.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an --out that is not an earlier output of ours "
                                        "(never one that holds an input, the current or the home folder).")]


Neo4jUriOpt = Annotated[str | None, typer.Option("--neo4j-uri", envvar="ER_NEO4J_URI",
                                                help="Bolt URI of your own Neo4j; password from NEO4J_PASSWORD "
                                                     "or a prompt. Default: the managed server.")]
Neo4jUserOpt = Annotated[str | None, typer.Option("--neo4j-user", help="Neo4j user (default neo4j).")]
Neo4jDbOpt = Annotated[str | None, typer.Option("--neo4j-database", help="Neo4j database (default neo4j).")]


def _graph_settings(settings: Settings, uri: str | None, user: str | None, database: str | None) -> Settings:
    settings = settings.with_overrides(neo4j_uri=uri, neo4j_user=user, neo4j_database=database)
    if settings.neo4j_uri and settings.neo4j_password is None:
        # Never a flag: a password on the command line ends up in shell history and `ps`.
        password = typer.prompt(f"Password for {settings.neo4j_user}@{settings.neo4j_uri}", hide_input=True)
        settings = settings.with_overrides(neo4j_password=password)
    return settings


@contextmanager
def _load_progress() -> Iterator[Any]:
    if _State.quiet:
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


def _show_load(result: Any) -> None:
    counts = {f"loaded {k}": v for k, v in result.rows.items()}
    counts.update(retired_links=result.retired_links, retired_accounts=result.retired_accounts,
                  removed_entities=result.removed_entities)
    if result.resumed_steps:
        counts.update({f"resumed {k} at row": v for k, v in result.resumed_steps.items()})
    _summary(f"{result.run_id} loaded into Neo4j", counts, {})


@app.command("load")
def load_cmd(
    from_dir: Annotated[Path, typer.Option("--from", help="A run folder written by `er run`.")],
    neo4j_uri: Neo4jUriOpt = None,
    neo4j_user: Neo4jUserOpt = None,
    neo4j_database: Neo4jDbOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Rows per transaction.")] = None,
    since: Annotated[Path | None, typer.Option(
        "--since", help="The run folder the graph holds now (its last complete load): write only what "
        "changed since it. Same graph as a full load, far fewer writes.")] = None,
) -> None:
    """Load a run folder into Neo4j (idempotent; re-run to resume an interrupted load)."""
    from . import pipeline

    settings = _graph_settings(_settings(batch_size=batch_size), neo4j_uri, neo4j_user, neo4j_database)
    with _errors(), _load_progress() as progress:
        result = pipeline.load(from_dir, settings, progress=progress, since=since)
    _show_load(result)


@app.command()
def validate(accounts: AccountsOpt, devices: DevicesOpt, payments: PaymentsOpt,
             labels: LabelsOpt = None) -> None:
    """Check the input files against the data contract only (exit 2 on any problem)."""
    from . import pipeline

    with _errors():
        summary = pipeline.validate(Inputs(accounts, devices, payments, labels))
    if not _State.quiet:
        _summary("Input is valid", dict(summary.rows), {})


@app.command()
def run(
    accounts: AccountsOpt,
    devices: DevicesOpt,
    payments: PaymentsOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write: a new path, an empty folder or "
                                      "an earlier run folder (replaced atomically).")],
    labels: LabelsOpt = None,
    as_of: AsOfOpt = None,
    model: ModelOpt = None,
    train: Annotated[bool, typer.Option("--train", help="Train a model on this input first "
                                        "(saved in the run folder as model.json).")] = False,
    previous: Annotated[Path | None, typer.Option("--previous", help="An earlier run folder: entities "
                                                  "keep its ids when they only grew.")] = None,
    incremental: Annotated[bool, typer.Option(
        "--incremental", help="The inputs hold only records new since --previous: resolve them against it "
        "without rescoring its old pairs (its model, prior and term frequencies are kept).")] = False,
    match_threshold: MatchOpt = None,
    cluster_threshold: ClusterOpt = None,
    neo4j_uri: Neo4jUriOpt = None,
    neo4j_user: Neo4jUserOpt = None,
    neo4j_database: Neo4jDbOpt = None,
    neo4j: Annotated[bool, typer.Option("--neo4j", help="Also load the run into the managed Neo4j "
                                        "(implied by --neo4j-uri).")] = False,
    force: ForceOpt = False,
    pseudonymise: PseudonymiseOpt = None,
) -> None:
    """Resolve accounts, devices and payments into entities; write entities, links and a manifest."""
    from . import pipeline
    from .detect.settings import DetectSettings

    settings = _settings(model_path=model, match_threshold=match_threshold,
                         cluster_threshold=cluster_threshold, pseudonymise=pseudonymise)
    if neo4j or neo4j_uri:
        settings = _graph_settings(settings, neo4j_uri, neo4j_user, neo4j_database)
    with _errors():  # the settings file's [detect] table and ER_DETECT_* variables, before any work
        detect_settings = DetectSettings.load(_State.config)
    with _errors(), _progress() as progress:
        result = pipeline.run(Inputs(accounts, devices, payments, labels), out, settings, as_of=as_of,
                              train_first=train, previous=previous, incremental=incremental,
                              force=force, progress=progress, detect_settings=detect_settings)
    _summary(f"{result.run_id} → {out}", result.counts, result.phase_seconds)
    if neo4j or neo4j_uri:
        with _errors(), _load_progress() as load_progress:
            loaded = pipeline.load(out, settings, progress=load_progress)
        _show_load(loaded)


@app.command("train")
def train_cmd(
    accounts: AccountsOpt,
    devices: DevicesOpt,
    payments: PaymentsOpt,
    model_out: Annotated[Path, typer.Option("--model-out", help="Where to save the model JSON.")] = Path(
        "splink_models/default.json"),
    as_of: AsOfOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --model-out even if it is not a model "
                                        "JSON.")] = False,
) -> None:
    """Estimate the Splink model (prior, u by random sampling, m by EM) and save it as JSON."""
    from . import pipeline

    settings = _settings()
    with _errors(), _progress() as progress:
        result = pipeline.train(Inputs(accounts, devices, payments), model_out, settings, as_of=as_of,
                                force=force, progress=progress)
    _summary(f"model saved to {model_out}", result.counts, result.phase_seconds)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo input and run.")] = Path(
        "demo_out"),
    size: Annotated[int, typer.Option("--size", help="Number of accounts to generate.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 7,
    train: Annotated[bool, typer.Option("--train", help="Train a model on the demo data first.")] = False,
    neo4j: Annotated[bool, typer.Option("--neo4j", help="Also load the demo run into Neo4j "
                                        "(the managed server unless --neo4j-uri).")] = False,
    neo4j_uri: Neo4jUriOpt = None,
    force: ForceOpt = False,
    pseudonymise: PseudonymiseOpt = None,
    world: Annotated[str, typer.Option("--world", help="default (tidy) or realistic (offices, households, "
                                       "kiosks, NATs and other benign look-alikes; docs/demo-data.md).")] = "default",
) -> None:
    """Generate the synthetic demo data set and run the whole pipeline on it."""
    from . import pipeline
    from .demo.run import run_demo

    settings = _settings(pseudonymise=pseudonymise)
    with _errors(), _progress() as progress:
        result, scores = run_demo(out, settings, size=size, seed=seed, train=train, force=force, world=world,
                                  progress=progress)
    _summary(f"demo → {out / 'run'}", {**result.counts, **scores}, result.phase_seconds)
    if neo4j or neo4j_uri:
        settings = _graph_settings(settings, neo4j_uri, None, None)
        with _errors(), _load_progress() as load_progress:
            loaded = pipeline.load(out / "run", settings, progress=load_progress)
        _show_load(loaded)


app.add_typer(neo4j_app, name="neo4j", help="Install, start, stop and check a local Neo4j server.")
register_detect(app)
register_lookup(app)
register_forget(app)


def main() -> None:
    """The `er` entry point: the typer app, with signals and unexpected errors turned into one line and an exit
    code (0 ok, 1 failure, 2 bad input, 3 locked, 130 SIGINT, 143 SIGTERM). --debug shows tracebacks."""
    from .interrupts import stop_on_signals

    code: int | str | None
    with stop_on_signals() as received:
        try:
            try:
                app()  # exits through SystemExit, typer's own usage errors and Ctrl-C (130) included
            finally:
                received.disarm()  # the work is complete or unwound: later signals are ignored
        except SystemExit as done:
            code = done.code if received.signum is None else _interrupted(received.name, received.exit_code)
        except Exception as exc:
            if received.signum is not None:  # DuckDB turns the interrupt into an error of its own
                code = _interrupted(received.name, received.exit_code)
            elif _State.debug:
                raise
            else:
                code = _unexpected(exc)
    # Likewise while the interpreter shuts down (the handlers above are gone by now).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(code)


def _interrupted(name: str, code: int) -> int:
    console.print(f"[yellow]Interrupted[/yellow] by {name}: stopped; outputs are complete or absent "
                  "(an interrupted `er load` resumes when run again).", soft_wrap=True)
    return code


def _unexpected(exc: Exception) -> int:
    """One line for an error that escaped the commands' own handlers."""
    if isinstance(exc, OSError) or _is_storage_error(exc):
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        console.print(f"[red]Error:[/red] {escape(reason + where)}; nothing half-written was kept.",
                      soft_wrap=True)
    else:
        first = str(exc).splitlines()[0] if str(exc) else ""
        console.print(f"[red]Internal error[/red] ({type(exc).__name__}): {escape(first)}. Please report it; "
                      "--debug shows the traceback.", soft_wrap=True)
    return EXIT_FAILURE


def _is_storage_error(exc: Exception) -> bool:
    """DuckDB reports a full or failing disk as its own error types, not OSError."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None and isinstance(exc, duckdb.IOException):
        return True
    return "No space left on device" in str(exc) or "Read-only file system" in str(exc)


if __name__ == "__main__":
    main()
