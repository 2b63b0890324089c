"""Standardise the typed input tables (in_*) into matching-ready tables (std_*), inside DuckDB.

`standardise(con)` reads in_accounts, in_devices and in_payments (see ingest/__init__.py) and creates
std_accounts, std_devices and std_payments. Each rule is documented in docs/standardisation.md and
written once as a pure function in rules.py, the reference the tests hold this SQL to.

Speed: whatever a regular expression can decide runs as DuckDB SQL over whole tables. Python sees
only distinct values that SQL cannot settle: emails outside a plain-ASCII subset (email-validator),
non-ASCII name words (anyascii), IP text other than dotted-quad IPv4 and plain IPv6 (ipaddress),
and phone numbers in unusual shapes (phonenumbers). Parsing a phone number costs phonenumbers
~0.1 ms, too slow for a million distinct numbers, so numbers written with digits, separators and an
optional leading "+" are parsed and validated in SQL with phonenumbers' own metadata patterns,
following its parse() and is_valid_number() step by step (see phones.py).

One module per kind of value: emails.py, names.py, phones.py, ips.py, and values.py for the row-level
rules (country, postcode, card digits); lookup.py holds what they share. This module builds the
output tables from their lookups and drops their scratch tables and macros; observations.py then writes
identifier_observations, the one account -> identifier table, from the std_* tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_resolution.ingest.standardise import emails, ips, names, observations, phones, values

if TYPE_CHECKING:
    import duckdb

__all__ = ["standardise"]

_TEMP_TABLES = emails.TEMP_TABLES + names.TEMP_TABLES + ips.TEMP_TABLES + phones.TEMP_TABLES
_MACROS = values.MACROS + ips.MACROS + phones.MACROS


def standardise(con: duckdb.DuckDBPyConnection) -> None:
    """Create std_accounts, std_devices and std_payments from in_accounts, in_devices, in_payments, and from
    them identifier_observations (observations.py)."""
    try:
        values.create_value_macros(con)
        emails.build_email_lookup(con)
        names.build_name_lookup(con)
        phones.build_phone_lookup(con)
        ips.build_ip_lookup(con)
        con.execute(_std_accounts_sql())
        con.execute(_std_devices_sql())
        con.execute(_std_payments_sql())
        observations.write_observations(con)
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        for macro in _MACROS:
            con.execute(f"DROP MACRO IF EXISTS {macro}")


# --- output tables: one row per input row, joined to the lookups ----------------------------------


def _std_accounts_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_accounts AS
    WITH a AS (SELECT *, _country(country) AS country_norm, _ipv4(signup_ip) AS v4 FROM in_accounts)
    SELECT a.account_id, a.created_at,
           a.email AS email_raw, e.email_canonical, e.email_local, e.email_domain,
           e.email_valid, e.email_disposable,
           a.full_name AS full_name_raw, n.name_norm, n.first_name, n.last_name,
           a.phone AS phone_raw, p.phone_e164,
           a.date_of_birth, _postcode(a.postcode, a.country_norm) AS postcode, a.country_norm AS country,
           CASE WHEN a.v4 THEN a.signup_ip ELSE ip.ip END AS signup_ip,
           CASE WHEN a.v4 THEN _ipv4_prefix(a.signup_ip) ELSE ip.ip_prefix END AS signup_ip_prefix
    FROM a
    LEFT JOIN _std_email e ON e.email_raw = a.email
    LEFT JOIN _std_name n ON n.name_raw = a.full_name
    LEFT JOIN _std_phone p ON p.phone = a.phone AND p.region = coalesce(a.country_norm, '')
    LEFT JOIN _std_ip ip ON ip.ip_raw = a.signup_ip
    """


def _std_devices_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_devices AS
    WITH d AS (SELECT *, _ipv4(ip) AS v4 FROM in_devices)
    SELECT d.account_id, d.observed_at, d.device_id,
           CASE WHEN d.v4 THEN d.ip ELSE ip.ip END AS ip,
           CASE WHEN d.v4 THEN _ipv4_prefix(d.ip) ELSE ip.ip_prefix END AS ip_prefix,
           d.user_agent
    FROM d
    LEFT JOIN _std_ip ip ON ip.ip_raw = d.ip
    """


def _std_payments_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_payments AS
    WITH p AS (SELECT *, _country(billing_country) AS country_norm FROM in_payments)
    SELECT p.account_id, p.observed_at, p.card_fingerprint,
           _card_digits(p.card_bin, 6, 8) AS card_bin, _card_digits(p.card_last4, 4, 4) AS card_last4,
           n.name_norm AS cardholder_name_norm, n.first_name AS cardholder_first,
           n.last_name AS cardholder_last,
           _postcode(p.billing_postcode, p.country_norm) AS billing_postcode,
           p.country_norm AS billing_country, p.disputed
    FROM p
    LEFT JOIN _std_name n ON n.name_raw = p.cardholder_name
    """
