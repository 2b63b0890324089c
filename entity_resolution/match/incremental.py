"""Incremental resolution: add new records to a previous run without scoring its old pairs again.

The run starts from a copy of the baseline's er.duckdb. New rows are standardised and appended; hubs and
shared values are counted again for the values the new rows hold (the others keep the baseline's: see
hubs_and_shared), the name-block cap over everything. The accounts whose profile or blocking can have
changed are "affected": the new accounts, old accounts with new device or payment rows, accounts holding a
value whose hub or shared status changed and accounts whose full name crossed the name-block cap. Only pairs
with an affected account are blocked (the same rules as a full run, model.BLOCKING_KEYS) and scored, with the
baseline's prior and term-frequency tables; every other pair keeps its baseline score. So the result equals a
full run over all the data that used the baseline's prior and term frequencies (tested); a fresh full run
re-estimates both, and the difference that makes is measured in docs/performance.md.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..dbutil import scalar
from ..ingest.standardise.observations import observations_sql
from ..tables import IDENTIFIER_OBSERVATIONS, INCREMENTAL_AFFECTED, STD_TABLES, missing_tables
from .hubs import SOURCES as HUB_SOURCES
from .hubs import find_hubs, hub_counts_sql
from .hubs import sources as hub_sources
from .model import BLOCKING_KEYS
from .profiles import NAME_BLOCK_MAX_ACCOUNTS, STD_ACCOUNTS_EXT_SQL, profiles_sql
from .shared import CREATE_SHARED_IF_MISSING_SQL, CREATE_SHARED_SQL, find_shared, find_shared_sql

# Tables standardisation writes from the new rows alone, appended under the baseline's: the standardised rows and
# their identifier uses (so the observations equal those of a full run over all rows; tested).
APPENDED = (*STD_TABLES, IDENTIFIER_OBSERVATIONS)


def set_base_aside(con: duckdb.DuckDBPyConnection) -> str | None:
    """Rename the baseline's tables that standardisation, hub and shared-value finding recreate. Returns why
    the baseline's hubs and shared values cannot be carried over (hubs_and_shared), None when they can."""
    why = None
    # A baseline made before shared values existed has none: all of today's shared values then count as
    # changed, so their holders are re-profiled and re-scored, as a full run would.
    if missing_tables(con, ["resolution_shared"]):
        why = "the baseline has no shared values (made before them)"
    con.execute(CREATE_SHARED_IF_MISSING_SQL)
    # A baseline made before the identifier table existed: derive it from its std_* tables, as ingest would have.
    if missing_tables(con, [IDENTIFIER_OBSERVATIONS]):
        why = why or f"the baseline has no {IDENTIFIER_OBSERVATIONS} (made before it)"
        con.execute(observations_sql())
    for table in (*APPENDED, "std_accounts_ext", "resolution_hubs", "resolution_shared"):
        con.execute(f"ALTER TABLE {table} RENAME TO base_{table}")
    return why


def append_new_rows(con: duckdb.DuckDBPyConnection) -> None:
    """After standardise() made std_* and identifier_observations from the new rows only: keep those as new_*,
    put them under the base's."""
    con.execute(STD_ACCOUNTS_EXT_SQL)
    for table in (*APPENDED, "std_accounts_ext"):
        con.execute(f"ALTER TABLE {table} RENAME TO new_{table}")
        con.execute(f"ALTER TABLE base_{table} RENAME TO {table}")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_{table}")


def hubs_and_shared(con: duckdb.DuckDBPyConnection, hub_min_accounts: int, full_reason: str | None) -> dict[str, Any]:
    """Recreate resolution_hubs and resolution_shared over all the data (after append_new_rows); returns how
    (for the run manifest).

    Both are per-value results: a value's hub status and account count depend only on the rows holding it,
    its shared status also on its holders' standardised accounts, and on whether it is a hub. Rows are only
    appended (the baseline's rows and its accounts' std rows stay as they were; a new account's id is new,
    ingest checks it). So a value no new row holds has exactly the baseline's result, and only the values the
    new rows hold ("touched") are counted again, over all their rows. This takes the baseline's tables to follow
    this code's definitions, as the rest of an incremental run already does (its kept profiles and predictions
    were made with them). full_reason (set_base_aside): count everything, as a full run does."""
    if full_reason is not None:
        find_hubs(con, hub_min_accounts)
        find_shared(con)
        return {"mode": "full", "reason": full_reason}
    new = hub_sources("new_")
    con.execute("CREATE OR REPLACE TEMP TABLE inc_touched AS SELECT DISTINCT kind, value FROM (" + "\nUNION ALL\n".join(
        f"SELECT '{kind}' AS kind, value FROM ({src}) WHERE value IS NOT NULL" for kind, src in new.items()) + ")")
    con.execute(f"""
        CREATE OR REPLACE TABLE resolution_hubs AS
        SELECT kind, value, account_count FROM base_resolution_hubs ANTI JOIN inc_touched USING (kind, value)
        UNION ALL
        {hub_counts_sql(only="inc_touched")}
    """, {"min_accounts": hub_min_accounts})
    con.execute(CREATE_SHARED_SQL)
    con.execute("""
        INSERT INTO resolution_shared
        SELECT kind, value, account_count, clashing_pairs FROM base_resolution_shared
        ANTI JOIN inc_touched USING (kind, value)
    """)
    con.execute(find_shared_sql(only="inc_touched"))
    touched = int(scalar(con, "SELECT count(*) FROM inc_touched"))
    con.execute("DROP TABLE inc_touched")
    return {"mode": "incremental", "reason": "values no new row holds keep the baseline's result",
            "values_recounted": touched}


def affected_accounts(con: duckdb.DuckDBPyConnection) -> int:
    """After hubs_and_shared: create inc_affected(account_id); return its size."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE inc_hub_changes AS
        (SELECT kind, value FROM resolution_hubs EXCEPT SELECT kind, value FROM base_resolution_hubs)
        UNION ALL
        (SELECT kind, value FROM base_resolution_hubs EXCEPT SELECT kind, value FROM resolution_hubs)
        UNION ALL
        (SELECT kind, value FROM resolution_shared EXCEPT SELECT kind, value FROM base_resolution_shared)
        UNION ALL
        (SELECT kind, value FROM base_resolution_shared EXCEPT SELECT kind, value FROM resolution_shared)
    """)
    hub_holders = "\nUNION ALL\n".join(
        f"SELECT s.account_id FROM ({src}) s JOIN inc_hub_changes c ON c.kind = '{kind}' AND c.value = s.value"
        for kind, src in HUB_SOURCES.items()
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE inc_affected AS
        WITH new_names AS (
            SELECT first_name, last_name, count(*) AS added FROM new_std_accounts
            WHERE first_name IS NOT NULL AND last_name IS NOT NULL GROUP BY ALL
        ),
        crossed AS (  -- names whose side of the name-block cap changed
            SELECT n.first_name, n.last_name
            FROM new_names n JOIN std_accounts a USING (first_name, last_name)
            GROUP BY n.first_name, n.last_name, n.added
            HAVING (count(*) > $cap) <> (count(*) - n.added > $cap)
        )
        SELECT DISTINCT account_id FROM (
            SELECT account_id FROM new_std_accounts
            UNION ALL SELECT account_id FROM new_std_devices
            UNION ALL SELECT account_id FROM new_std_payments
            UNION ALL SELECT a.account_id FROM std_accounts a JOIN crossed USING (first_name, last_name)
            UNION ALL {hub_holders}
        )
    """, {"cap": NAME_BLOCK_MAX_ACCOUNTS})
    # Kept in er.duckdb: the only accounts whose standardised rows, identifier uses and predictions differ
    # from the baseline's (the delta load compares those alone). Replaces a baseline's own list.
    con.execute(f"CREATE OR REPLACE TABLE {INCREMENTAL_AFFECTED} AS SELECT account_id FROM inc_affected ORDER BY 1")
    return int(scalar(con, "SELECT count(*) FROM inc_affected"))


def refresh_profiles(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the profiles of the affected accounts only."""
    con.execute(profiles_sql(table="inc_profiles", only_affected=True), {"name_block_max": NAME_BLOCK_MAX_ACCOUNTS})
    con.execute("DELETE FROM profiles WHERE unique_id IN (SELECT account_id FROM inc_affected)")
    con.execute("INSERT INTO profiles BY NAME SELECT * FROM inc_profiles")


def candidate_pairs_sql() -> str:
    """Every pair with an affected account that a full run's blocking would produce, as Splink's blocked-pairs
    table: match_key is the first rule (in order) that finds the pair, join keys ordered as in dedupe."""
    parts = []
    for i, (columns, array) in enumerate(BLOCKING_KEYS):
        if array is None:
            on = " AND ".join(f'a."{c}" = p."{c}"' for c in columns)
            parts.append(f"SELECT {i} AS mk, a.unique_id AS x, p.unique_id AS y "
                         f"FROM inc_a a JOIN profiles p ON {on}")
        else:
            parts.append(
                f"SELECT {i} AS mk, a.unique_id AS x, p.unique_id AS y "
                f'FROM (SELECT unique_id, unnest("{array}") AS v FROM inc_a) a '
                f'JOIN (SELECT unique_id, unnest("{array}") AS v FROM profiles) p ON a.v = p.v'
            )
    union = "\n    UNION ALL ".join(parts)
    return f"""
CREATE OR REPLACE TEMP TABLE inc_pairs AS
WITH inc_a AS (SELECT * FROM profiles WHERE unique_id IN (SELECT account_id FROM inc_affected)),
raw AS (
    {union}
)
SELECT CAST(min(mk) AS VARCHAR) AS match_key, least(x, y) AS join_key_l, greatest(x, y) AS join_key_r
FROM raw WHERE x <> y
GROUP BY least(x, y), greatest(x, y)
"""


def block_pairs(con: duckdb.DuckDBPyConnection) -> int:
    """Create inc_pairs (to score) and inc_kept (baseline predictions without an affected account)."""
    con.execute(candidate_pairs_sql())
    con.execute("""
        CREATE OR REPLACE TEMP TABLE inc_kept AS
        SELECT * FROM predictions
        WHERE unique_id_l NOT IN (SELECT account_id FROM inc_affected)
          AND unique_id_r NOT IN (SELECT account_id FROM inc_affected)
    """)
    return int(scalar(con, "SELECT count(*) FROM inc_pairs"))


def drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    scratch = ("base_resolution_hubs", "base_resolution_shared")
    for table in (*scratch, *(f"new_{t}" for t in (*APPENDED, "std_accounts_ext"))):
        con.execute(f"DROP TABLE IF EXISTS {table}")
