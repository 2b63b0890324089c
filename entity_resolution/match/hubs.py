"""Hub values: identifier values seen on so many accounts that they cannot belong to one person.

A carrier-NAT IP, an emulator's default device id, a test card or a placeholder email would chain unrelated
people together if Splink could use them; we find them by frequency, drop them from blocking and comparisons,
and report them (table `resolution_hubs`).
"""

from __future__ import annotations

import duckdb

from ..dbutil import scalar

# (kind, SQL yielding account_id, value) over the std_* tables; kinds are fixed here, never from input.
SOURCES: dict[str, str] = {
    "email": "SELECT account_id, email_canonical AS value FROM std_accounts",
    "email_handle": "SELECT account_id, email_handle AS value FROM std_accounts_ext",
    "phone": "SELECT account_id, phone_e164 AS value FROM std_accounts",
    "device": "SELECT account_id, device_id AS value FROM std_devices",
    "card": "SELECT account_id, card_fingerprint AS value FROM std_payments",
    "ip": "SELECT account_id, signup_ip AS value FROM std_accounts "
    "UNION ALL SELECT account_id, ip FROM std_devices",
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
