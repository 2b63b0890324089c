"""Standardisation on Spark: the same rules as the DuckDB engine, not written a second time.

The DuckDB engine (ingest/standardise/) builds lookup tables of distinct raw values (_std_email, _std_name,
_std_phone, _std_ip) and row-level macros (_country, _postcode, _card_digits, _ipv4, _ipv4_prefix), then joins
them in three SELECTs that make std_accounts, std_devices and std_payments. Its SQL fast paths are held equal
to the pure reference functions of ingest/rules.py by tests (tests/unit/test_standardise.py).

Here:
- the lookups and the row-level functions are those reference functions, run by Spark as vectorised pandas UDFs
  (lookups over DISTINCT values only, as the DuckDB engine does for what its SQL cannot settle);
- the three assembling SELECTs are the DuckDB engine's own, transpiled from DuckDB SQL to Spark SQL by SQLGlot,
  so a change there (a new column, another join) reaches this engine without an edit here.

The lookups' composition (valid -> canonical, local part, domain; name -> norm, first, last; ...) follows what
the DuckDB engine's tables hold; tests/integration/test_spark_engine.py checks the two engines' std_* tables
are equal row for row on the standardisation test cases and on the demo data.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot

from ..ingest import rules
from ..ingest.standardise import _std_accounts_sql, _std_devices_sql, _std_payments_sql

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

INPUTS = ("in_accounts", "in_devices", "in_payments")
OUTPUTS = {"std_accounts": _std_accounts_sql, "std_devices": _std_devices_sql, "std_payments": _std_payments_sql}


# --- one distinct raw value -> its lookup row, from the reference rules ------------------------------------------


def email_row(raw: str) -> tuple[Any, ...]:
    """(email_valid, email_disposable, email_canonical, email_local, email_domain) of one raw address."""
    valid = rules.email_is_valid(raw.strip())
    e = raw.strip().lower()
    local, _, domain0 = e.partition("@")
    shaped = bool(local) and bool(domain0) and "@" not in domain0
    canonical = rules.canonical_email(raw) if valid else None
    local_c, _, domain_c = (canonical or "").partition("@")
    return (valid, rules.is_disposable_domain(domain0) if shaped else False, canonical,
            local_c or None, domain_c or None)


def name_row(raw: str) -> tuple[Any, ...]:
    parts = rules.normalise_name(raw)
    return (parts.norm, parts.first, parts.last)


def phone_row(raw: str, region: str) -> tuple[Any, ...]:
    return (rules.normalise_phone(raw, region or None),)


def ip_row(raw: str) -> tuple[Any, ...]:
    parts = rules.normalise_ip(raw)
    return (parts.ip, parts.prefix) if parts else (None, None)


# (view, SELECT of its distinct keys in Spark SQL over the in_* views, key columns, output schema, row function)
LOOKUPS: tuple[tuple[str, str, tuple[str, ...], str, Callable[..., tuple[Any, ...]]], ...] = (
    ("_std_email", "SELECT DISTINCT email AS email_raw FROM in_accounts WHERE email IS NOT NULL",
     ("email_raw",), "email_raw string, email_valid boolean, email_disposable boolean, email_canonical string, "
     "email_local string, email_domain string", email_row),
    ("_std_name", "SELECT full_name AS name_raw FROM in_accounts WHERE full_name IS NOT NULL UNION "
     "SELECT cardholder_name FROM in_payments WHERE cardholder_name IS NOT NULL",
     ("name_raw",), "name_raw string, name_norm string, first_name string, last_name string", name_row),
    ("_std_phone", "SELECT DISTINCT phone, coalesce(_country(country), '') AS region FROM in_accounts "
     "WHERE phone IS NOT NULL", ("phone", "region"), "phone string, region string, phone_e164 string", phone_row),
    ("_std_ip", "SELECT signup_ip AS ip_raw FROM in_accounts WHERE signup_ip IS NOT NULL UNION "
     "SELECT ip FROM in_devices WHERE ip IS NOT NULL", ("ip_raw",), "ip_raw string, ip string, ip_prefix string",
     ip_row),
)


def _map_rows(keys: tuple[str, ...], fn: Callable[..., tuple[Any, ...]],
              names: list[str]) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def apply(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        for batch in batches:
            rows = [fn(*k) for k in zip(*(batch[c].tolist() for c in keys), strict=True)]
            out = pd.DataFrame(rows, columns=names[len(keys):], dtype=object)
            for c in keys:
                out.insert(keys.index(c), c, batch[c].to_numpy())
            yield out
    return apply


# --- row-level functions, registered under the DuckDB macros' names --------------------------------------------


def _ipv4(raw: str | None) -> bool:
    """The DuckDB macro's fast path: a value that is already a canonical IPv4 address is kept as it is."""
    parts = rules.normalise_ip(raw)
    return parts is not None and parts.ip == raw and "." in raw


def _ipv4_prefix(raw: str | None) -> str | None:
    parts = rules.normalise_ip(raw)
    return parts.prefix if parts else None


def _values(series: pd.Series) -> list[Any]:
    """A pandas column as Python values, with pandas' missing values (None, NaN, NA) as None."""
    import pandas as pd

    return [None if pd.isna(v) else v for v in series.tolist()]


def _register_functions(spark: SparkSession) -> None:
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def vectorised(fn: Callable[..., Any], arity: int, kind: str) -> Any:
        def udf(*columns: pd.Series) -> pd.Series:
            values = [_values(c) for c in columns]
            return pd.Series([fn(*row) for row in zip(*values, strict=True)], dtype=object)

        # pandas_udf reads the argument count from the annotations, which must be real types (this module's
        # are strings, `from __future__ import annotations`), one per argument.
        def fixed(*columns: Any) -> Any:
            return udf(*columns)

        fixed.__annotations__ = {**{f"c{i}": pd.Series for i in range(arity)}, "return": pd.Series}
        fixed.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(f"c{i}", inspect.Parameter.POSITIONAL_ONLY, annotation=pd.Series)
             for i in range(arity)], return_annotation=pd.Series)
        return pandas_udf(fixed, kind)  # type: ignore[call-overload]

    spark.udf.register("_country", vectorised(rules.normalise_country, 1, "string"))
    spark.udf.register("_postcode", vectorised(rules.normalise_postcode, 2, "string"))
    spark.udf.register("_card_digits", vectorised(rules.card_digits, 3, "string"))
    spark.udf.register("_ipv4", vectorised(_ipv4, 1, "boolean"))
    spark.udf.register("_ipv4_prefix", vectorised(_ipv4_prefix, 1, "string"))


def spark_select(create_sql: str) -> str:
    """The SELECT of one of the DuckDB engine's CREATE TABLE ... AS statements, in Spark SQL (SQLGlot)."""
    statement = sqlglot.parse_one(create_sql, read="duckdb")
    return str(statement.expression.sql(dialect="spark"))


def standardise_on_spark(con: duckdb.DuckDBPyConnection, spark: SparkSession, scratch: Path) -> None:
    """Create std_accounts, std_devices and std_payments in `con` from its in_* tables, computed by Spark.
    The caller writes identifier_observations and the profiles from them, as for the DuckDB engine."""
    for table in INPUTS:
        path = scratch / f"{table}.parquet"
        con.table(table).write_parquet(str(path))
        spark.read.parquet(str(path)).createOrReplaceTempView(table)
    _register_functions(spark)
    for view, keys_sql, keys, schema, fn in LOOKUPS:
        names = [part.split()[0] for part in schema.split(", ")]
        frame: DataFrame = spark.sql(keys_sql).mapInPandas(_map_rows(keys, fn, names), schema)
        # Written once and read back: two of the SELECTs join each name and IP lookup, and a view would run the
        # Python rules again for each.
        path = scratch / f"{view}.parquet"
        frame.write.mode("overwrite").parquet(str(path))
        spark.read.parquet(str(path)).createOrReplaceTempView(view)
    for table, sql in OUTPUTS.items():
        path = scratch / f"{table}.parquet"
        spark.sql(spark_select(sql())).write.mode("overwrite").parquet(str(path))
        # Same column types as the DuckDB engine's tables: Spark's Parquet has no TIMESTAMPTZ of its own.
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet($p)", {"p": f"{path}/*.parquet"})
