"""Small DuckDB helpers. DuckDB 2 refuses new work while a result is unfinished, so results are drained."""

from __future__ import annotations

from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The first column of the first row (the whole result is fetched, leaving the connection free)."""
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...]:
    rows = con.execute(sql, params or {}).fetchall()
    if not rows:
        raise LookupError("query returned no row")
    return tuple(rows[0])
