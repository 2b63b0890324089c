"""The DuckDB tables of a run's er.duckdb that stages hand to each other, by name, and the check that they exist.

A stage that reads another's table names it through these constants, so a renamed table is one edit and a
missing one is a clear error (an er.duckdb of another version or of another program) instead of DuckDB's
"Catalog Error" from the middle of a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, Problem

if TYPE_CHECKING:
    import duckdb

# ingest/read.py: the typed input tables
IN_ACCOUNTS, IN_DEVICES, IN_PAYMENTS, IN_LABELS = "in_accounts", "in_devices", "in_payments", "in_labels"
# ingest/standardise: one row per input row, standardised
STD_ACCOUNTS, STD_DEVICES, STD_PAYMENTS = "std_accounts", "std_devices", "std_payments"
STD_TABLES = (STD_ACCOUNTS, STD_DEVICES, STD_PAYMENTS)
# ingest/standardise/observations.py: who used which identifier when (the one account -> identifier relation)
IDENTIFIER_OBSERVATIONS = "identifier_observations"
# match/: profiles, hub and shared values, every scored pair, entities
PROFILES, PREDICTIONS, ENTITIES = "profiles", "predictions", "entities"
RESOLUTION_HUBS, RESOLUTION_SHARED = "resolution_hubs", "resolution_shared"
# match/resolve.py: reviewers' must- and cannot-links and what the clustering did with each (`er review`)
REVIEW_CONSTRAINTS = "review_constraints"
# match/incremental.py: an incremental run's affected accounts, the only ones whose rows differ from its
# baseline's (the delta load compares those alone, graph/loader.py)
INCREMENTAL_AFFECTED = "incremental_affected"

# What a reader of a finished run folder may count on finding.
RUN_TABLES = (*STD_TABLES, IDENTIFIER_OBSERVATIONS, PROFILES, PREDICTIONS, ENTITIES, RESOLUTION_HUBS)


def missing_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str], catalog: str | None = None) -> list[str]:
    """The names (tables or views, in any schema of `catalog`, default the current database) that do not exist."""
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = coalesce($c, current_database()) "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = coalesce($c, current_database())",
        {"c": catalog}).fetchall()}
    return [n for n in names if n not in have]


def require_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str], where: Path | str,
                   catalog: str | None = None) -> None:
    """Raise InputError (exit 2) naming `where` (the database file) and every table it lacks."""
    missing = missing_tables(con, names, catalog)
    if missing:
        raise InputError([Problem(str(where), None, None, "an er.duckdb written by `er run` of this version",
                                  f"no table {', '.join(missing)}")])
