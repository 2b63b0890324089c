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
_OBSERVED = "SELECT account_id, value FROM identifier_observations WHERE kind = '{kind}'"
SOURCES: dict[str, str] = {
    "email": _OBSERVED.format(kind="email"),
    "email_handle": "SELECT account_id, email_handle AS value FROM std_accounts_ext",
    "phone": _OBSERVED.format(kind="phone"),
    "device": _OBSERVED.format(kind="device"),
    "card": _OBSERVED.format(kind="card"),
    "ip": _OBSERVED.format(kind="ip"),
    "ip_prefix": "SELECT account_id, signup_ip_prefix AS value FROM std_accounts "
    "UNION ALL SELECT account_id, ip_prefix FROM std_devices",
}


def find_hubs_sql(min_accounts_param: str = "$min_accounts") -> str:
    parts = [
        f"SELECT '{kind}' AS kind, value, count(DISTINCT account_id) AS account_count "
        f"FROM ({src}) WHERE value IS NOT NULL GROUP BY value "
        f"HAVING count(DISTINCT account_id) > {min_accounts_param}"
        for kind, src in SOURCES.items()
    ]
    return "CREATE OR REPLACE TABLE resolution_hubs AS\n" + "\nUNION ALL\n".join(parts)


def find_hubs(con: duckdb.DuckDBPyConnection, min_accounts: int) -> int:
    """Create `resolution_hubs(kind, value, account_count)`; return how many hubs were found."""
    con.execute(find_hubs_sql(), {"min_accounts": min_accounts})
    return int(scalar(con, "SELECT count(*) FROM resolution_hubs"))
