"""Hub values: identifier values seen on so many accounts that they cannot belong to one person.

A carrier-NAT IP, an emulator's default device id, a test card or a placeholder email would chain unrelated
people together if Splink could use them; we find them by frequency, drop them from blocking and comparisons,
and report them (table `resolution_hubs`).
"""

from __future__ import annotations

import duckdb

from ..dbutil import scalar

# (kind, SQL yielding account_id, value); kinds are fixed here, never from input. The identifiers come from the
# one account -> identifier table (ingest/standardise/observations.py); the email handle and the IP prefix are
# matching keys derived from them, read from the tables that hold them.
_OBSERVED = "SELECT account_id, value FROM {prefix}identifier_observations WHERE kind = '{kind}'"


def sources(prefix: str = "") -> dict[str, str]:
    """kind -> SQL yielding (account_id, value); prefix: our own table-name prefix (incremental.py reads the
    new rows alone from new_*), never input."""
    return {
        "email": _OBSERVED.format(prefix=prefix, kind="email"),
        "email_handle": f"SELECT account_id, email_handle AS value FROM {prefix}std_accounts_ext",
        "phone": _OBSERVED.format(prefix=prefix, kind="phone"),
        "device": _OBSERVED.format(prefix=prefix, kind="device"),
        "card": _OBSERVED.format(prefix=prefix, kind="card"),
        "ip": _OBSERVED.format(prefix=prefix, kind="ip"),
        "ip_prefix": f"SELECT account_id, signup_ip_prefix AS value FROM {prefix}std_accounts "
        f"UNION ALL SELECT account_id, ip_prefix FROM {prefix}std_devices",
    }


SOURCES: dict[str, str] = sources()


def hub_counts_sql(min_accounts_param: str = "$min_accounts", only: str | None = None) -> str:
    """(kind, value, account_count) of every hub; only: a table of ours with (kind, value) to count just
    those values (incremental.py)."""
    parts = []
    for kind, src in SOURCES.items():
        restrict = f" SEMI JOIN (SELECT value FROM {only} WHERE kind = '{kind}') o USING (value)" if only else ""
        parts.append(
            f"SELECT '{kind}' AS kind, value, count(DISTINCT account_id) AS account_count "
            f"FROM ({src}) s{restrict} WHERE value IS NOT NULL GROUP BY value "
            f"HAVING count(DISTINCT account_id) > {min_accounts_param}"
        )
    return "\nUNION ALL\n".join(parts)


def find_hubs_sql(min_accounts_param: str = "$min_accounts") -> str:
    return "CREATE OR REPLACE TABLE resolution_hubs AS\n" + hub_counts_sql(min_accounts_param)


def find_hubs(con: duckdb.DuckDBPyConnection, min_accounts: int) -> int:
    """Create `resolution_hubs(kind, value, account_count)`; return how many hubs were found."""
    con.execute(find_hubs_sql(), {"min_accounts": min_accounts})
    return int(scalar(con, "SELECT count(*) FROM resolution_hubs"))
