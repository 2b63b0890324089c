"""The `er` app: the root options, the command groups and the entry point that turns signals and unexpected
errors into one line and an exit code."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .. import __version__
from . import detect, evaluate, explain, forget, load, lookup, metrics, neo4j, report, review, run
from .common import EXIT_FAILURE, console, out_console

app = typer.Typer(
    help="Identity-graph entity resolution for trust-and-safety teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class _State:
    debug = False  # for main(), which handles what escapes the commands once the click context is gone


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
    _State.debug = debug  # the commands read the flags from the click context (common.root_flag)


# The order of `er --help`.
load.register(app)
run.register(app)
neo4j.register(app)
detect.register(app)
evaluate.register(app)  # issue 13: measure lift (entity_resolution/lift/)
lookup.register(app)
forget.register(app)
explain.register(app)
review.register(app)
report.register(app)
metrics.register(app)


def main() -> None:
    """The `er` entry point: the typer app, with signals and unexpected errors turned into one line and an exit
    code (0 ok, 1 failure, 2 bad input, 3 locked, 130 SIGINT, 143 SIGTERM). --debug shows tracebacks."""
    from ..interrupts import stop_on_signals

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
