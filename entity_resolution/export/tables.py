"""Write DuckDB query results as CSV and Parquet through Arrow (no file paths formatted into SQL).

CSV files are made safe to open in a spreadsheet (OWASP, "CSV Injection"): a text cell that starts with a
character a spreadsheet would read as the start of a formula (= + - @, tab, carriage return, and their
full-width forms) gets a leading single quote, which spreadsheets show as text and do not evaluate. Parquet files
keep the raw values: tools that read Parquet do not evaluate cells, and investigators need the exact identifier.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# The first characters OWASP lists, plus the full-width forms some spreadsheets also accept.
FORMULA_START = r"^[=+\-@\t\r＝＋－＠]"
CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed")


def _safe_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    risky = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
    if not pc.any(risky).as_py():
        return column
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def spreadsheet_safe(table: pa.Table) -> pa.Table:
    """The table with every risky text cell quoted as text (see the module docstring)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = _safe_text(column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_csv(table: pa.Table, path: Path) -> None:
    """Write a spreadsheet-safe CSV of table to path."""
    pacsv.write_csv(spreadsheet_safe(table), path, write_options=CSV_OPTIONS)


def write_table(con: duckdb.DuckDBPyConnection, query: str, base: Path) -> int:
    """Write `query`'s result to base.csv and base.parquet; return the row count."""
    import pyarrow.parquet as pq

    table = con.sql(query).to_arrow_table()
    pq.write_table(table, base.with_suffix(".parquet"))
    write_csv(table, base.with_suffix(".csv"))
    return table.num_rows
