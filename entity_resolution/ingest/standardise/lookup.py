"""Shared by the identifier modules: SQL string literals for our own constants, and the Python
fallback that maps each distinct value SQL could not settle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


def python_lookup(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys_sql: str,
    fn: Callable[..., tuple[Any, ...]],
    outputs: Sequence[tuple[str, pa.DataType]],
) -> None:
    """Create `table` (key columns of `keys_sql`, then `outputs`) by mapping each distinct key row."""
    import pyarrow as pa

    keys = con.sql(keys_sql).to_arrow_table()
    columns = [keys.column(i).to_pylist() for i in range(keys.num_columns)]
    results = [fn(*row) for row in zip(*columns, strict=True)]
    data: dict[str, pa.Array | pa.ChunkedArray] = dict(zip(keys.column_names, keys.columns, strict=True))
    for j, (name, dtype) in enumerate(outputs):
        data[name] = pa.array([r[j] for r in results], type=dtype)
    view = f"{table}_arrow"
    con.register(view, pa.table(data))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def lit(text: str) -> str:
    """SQL string literal for text from our own code or library metadata (never from input data)."""
    return "'" + text.replace("'", "''") + "'"
