"""The CLI's one error -> exit code handler and root flags (entity_resolution.cli.common), on a small app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from entity_resolution.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_LOCKED, Root, cli_errors
from entity_resolution.errors import GraphError, InputError, LockedError, Problem
from entity_resolution.settings import parse_time

PROBLEMS = [Problem("accounts.csv", 3, "created_at", "an ISO-8601 timestamp", "'31/02/2024'"),
            Problem("devices.csv", None, None, "a non-empty file", "an empty file (0 bytes)")]
RAISED = {"input": InputError(PROBLEMS), "locked": LockedError("another `er detect` (pid 1) holds it"),
          "graph": GraphError("Neo4j at bolt://127.0.0.1:7687 is unreachable")}


def _app(listed: bool = True) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(debug: bool = typer.Option(False, "--debug"), quiet: bool = typer.Option(False, "--quiet")) -> None:
        """Test root."""

    @app.command()
    def fail(ctx: typer.Context, what: str) -> None:
        with cli_errors(Root.of(ctx).debug, listed=listed):
            raise RAISED[what]

    @app.command()
    def flags(ctx: typer.Context) -> None:
        root = Root.of(ctx)
        print(f"quiet={root.quiet} debug={root.debug} config={root.config}")

    return app


@pytest.mark.parametrize(("what", "code", "shown"), [
    ("input", EXIT_BAD_INPUT, "Bad input (2 problem(s)); nothing was written:"),
    ("locked", EXIT_LOCKED, "Locked: another `er detect` (pid 1) holds it"),
    ("graph", EXIT_FAILURE, "Error: Neo4j at bolt://127.0.0.1:7687 is unreachable"),
])
def test_each_error_has_its_exit_code_and_one_message(what: str, code: int, shown: str) -> None:
    result = CliRunner().invoke(_app(), ["fail", what])
    assert result.exit_code == code
    assert shown in result.output
    assert "Traceback" not in result.output


def test_bad_input_lists_every_problem_with_where_expected_and_found() -> None:
    out = CliRunner().invoke(_app(), ["fail", "input"]).output
    assert "  - accounts.csv row 3, column created_at: expected an ISO-8601 timestamp, found '31/02/2024'" in out
    assert "  - devices.csv: expected a non-empty file, found an empty file (0 bytes)" in out
    one_line = CliRunner().invoke(_app(listed=False), ["fail", "input"]).output
    assert one_line.startswith("Bad input: 2 input problem(s):")


def test_debug_reraises_for_the_traceback_but_a_lock_is_still_exit_3() -> None:
    result = CliRunner().invoke(_app(), ["--debug", "fail", "graph"])
    assert isinstance(result.exception, GraphError)
    assert CliRunner().invoke(_app(), ["--debug", "fail", "locked"]).exit_code == EXIT_LOCKED


def test_root_flags_come_from_each_invocation_not_an_earlier_one() -> None:
    app = _app()
    assert "quiet=True debug=True" in CliRunner().invoke(app, ["--quiet", "--debug", "flags"]).output
    assert "quiet=False debug=False config=None" in CliRunner().invoke(app, ["flags"]).output


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (" 2026-01-02 03:04:05 ", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),  # no offset: UTC
    ("2026-01-02T05:04:05+02:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
])
def test_as_of_text_parses_one_way_everywhere(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected
    assert parse_time(text).tzinfo is not None


def test_as_of_that_is_not_iso_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_time("31/02/2024")
