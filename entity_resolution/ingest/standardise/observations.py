"""identifier_observations: who used which identifier when, one row per use, written once after standardisation.

    identifier_observations(account_id, kind, value, observed_at, disputed, source)

kind is one of KINDS; value the standardised identifier; observed_at when the use was seen (an account's own
e-mail, phone and sign-up IP: its created_at; a device or payment row: its observed_at); disputed the payment
row's flag (cards only, NULL for the other kinds); source the input the row came from (accounts, devices,
payments). An account's e-mail and phone are one row each; a device row gives a device and (if it has one) an
IP use; a payment row a card use. Values that did not standardise (NULL) are not uses.

This is the one place the account -> identifier relation is spelled out. The Neo4j loader's used_* steps, the
bulk import, the in-process detection and hub counting aggregate from it instead of each naming the std_*
tables and columns (docs/design.md, "The identifier table").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...tables import IDENTIFIER_OBSERVATIONS

if TYPE_CHECKING:
    import duckdb

# The identifier kinds, as the graph (docs/graph-model.md), detection and hub lists name them.
KINDS = ("email", "phone", "device", "card", "ip")
# (kind, source table, value column, time column, disputed column or None): every use of an identifier.
USES: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("email", "std_accounts", "email_canonical", "created_at", None),
    ("phone", "std_accounts", "phone_e164", "created_at", None),
    ("ip", "std_accounts", "signup_ip", "created_at", None),
    ("device", "std_devices", "device_id", "observed_at", None),
    ("ip", "std_devices", "ip", "observed_at", None),
    ("card", "std_payments", "card_fingerprint", "observed_at", "disputed"),
)


def observations_sql(table: str = IDENTIFIER_OBSERVATIONS, prefix: str = "") -> str:
    """CREATE `table` from the std_* tables (named with `prefix`, e.g. "base_"). Names are ours, not input."""
    parts = [
        f"SELECT account_id, '{kind}' AS kind, {value} AS value, {time}::TIMESTAMPTZ AS observed_at, "
        f"{disputed or 'NULL'}::BOOLEAN AS disputed, '{source.removeprefix('std_')}' AS source "
        f"FROM {prefix}{source} WHERE {value} IS NOT NULL"
        for kind, source, value, time, disputed in USES
    ]
    return f"CREATE OR REPLACE TABLE {table} AS\n" + "\nUNION ALL ".join(parts)


def write_observations(con: duckdb.DuckDBPyConnection) -> None:
    """Create identifier_observations from std_accounts, std_devices and std_payments."""
    con.execute(observations_sql())
