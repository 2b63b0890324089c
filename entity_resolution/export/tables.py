"""Write DuckDB query results as CSV and Parquet through Arrow (no file paths formatted into SQL)."""

from __future__ import annotations

from pathlib import Path

import duckdb


def write_table(con: duckdb.DuckDBPyConnection, query: str, base: Path) -> int:
    """Write `query`'s result to base.csv and base.parquet; return the row count."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = con.sql(query).to_arrow_table()
    pq.write_table(table, base.with_suffix(".parquet"))
    pacsv.write_csv(
        table,
        base.with_suffix(".csv"),
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    )
    return table.num_rows
