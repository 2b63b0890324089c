"""One matching profile per account: personal attributes plus lists of the account's devices, cards and IPs.

Why account-level profiles (not link_and_dedupe over three sources): devices and payments carry no personal
identity of their own; they are multi-valued attributes of an account. Matching accounts with array
comparisons makes "every account ends in exactly one entity" hold by construction. See docs/design.md.
"""

from __future__ import annotations

import duckdb

from ..dbutil import scalar

# The handle is the email local part with separators removed, so "john.smith@outlook.com" and
# "johnsmith@gmail.com" compare on the same footing. A handle spelled from the account's own name
# ("michaelsmith84", "msmith") says nothing the name comparisons don't already say: counting it again
# double-counts the name and, at 1M accounts, chains every "michael smith" together
# (splink5-notes.md). Such handles are left out of matching; the exact-email level still sees them.
STD_ACCOUNTS_EXT_SQL = """
CREATE OR REPLACE TABLE std_accounts_ext AS
WITH h AS (
    SELECT account_id,
           nullif(regexp_replace(email_local, '[._\\-]', '', 'g'), '') AS handle,
           replace(coalesce(first_name, ''), ' ', '') AS f,
           replace(coalesce(last_name, ''), ' ', '') AS l
    FROM std_accounts
)
SELECT account_id,
       CASE WHEN regexp_replace(handle, '[0-9]+', '', 'g')
                 IN (f || l, l || f, left(f, 1) || l, f || left(l, 1), l || left(f, 1), f, l)
            THEN NULL ELSE handle END AS email_handle
FROM h
"""

# The name-only blocking rule pairs every two accounts with the same full name. At 1M accounts the commonest
# names ("david brown": 2,370 accounts) made 16M of the 17M candidate pairs, 85% of resolution time, while
# such pairs with nothing else in common never reach the same-person gate (common names carry little
# weight). Names held by more than this many accounts get no name-only block (name_key is NULL); they are
# still blocked with postcode, birth date, email, phone, devices and cards. Measured on 1M accounts: 6 of
# 147,158 true same-person pairs lost, 16.2M -> 1.0M candidate pairs (docs/performance.md).
NAME_BLOCK_MAX_ACCOUNTS = 100

PROFILES_SQL = """
CREATE OR REPLACE {kind} {table} AS
WITH hub AS (  -- values left out of matching: hubs (hubs.py) and values clearly different people share (shared.py)
    SELECT kind, value FROM resolution_hubs UNION ALL SELECT kind, value FROM resolution_shared
),
dev AS (
    SELECT account_id,
           list(DISTINCT device_id ORDER BY device_id) AS devices
    FROM std_devices d
    WHERE NOT EXISTS (SELECT 1 FROM hub WHERE kind = 'device' AND value = d.device_id) {only}
    GROUP BY account_id
),
dev_ip AS (
    SELECT account_id, ip, ip_prefix FROM std_devices WHERE ip IS NOT NULL {only}
    UNION ALL
    SELECT account_id, signup_ip, signup_ip_prefix FROM std_accounts WHERE signup_ip IS NOT NULL {only}
),
ips AS (
    SELECT account_id,
           list(DISTINCT ip ORDER BY ip) FILTER (
               WHERE NOT EXISTS (SELECT 1 FROM hub WHERE kind = 'ip' AND value = i.ip)) AS ips,
           list(DISTINCT ip_prefix ORDER BY ip_prefix) FILTER (
               WHERE ip_prefix IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM hub WHERE kind = 'ip_prefix' AND value = i.ip_prefix)
                 AND NOT EXISTS (SELECT 1 FROM hub WHERE kind = 'ip' AND value = i.ip)) AS ip_prefixes
    FROM dev_ip i
    GROUP BY account_id
),
pay AS (
    SELECT account_id, list(DISTINCT card_fingerprint ORDER BY card_fingerprint) AS cards
    FROM std_payments p
    WHERE NOT EXISTS (SELECT 1 FROM hub WHERE kind = 'card' AND value = p.card_fingerprint) {only}
    GROUP BY account_id
),
names AS (
    SELECT first_name, last_name, count(*) AS n FROM std_accounts
    WHERE first_name IS NOT NULL AND last_name IS NOT NULL
    GROUP BY ALL
)
SELECT
    a.account_id AS unique_id,
    a.created_at,
    a.first_name,
    a.last_name,
    CASE WHEN a.email_canonical IN (SELECT value FROM hub WHERE kind = 'email') THEN NULL
         ELSE a.email_canonical END AS email_canonical,
    CASE WHEN x.email_handle IN (SELECT value FROM hub WHERE kind = 'email_handle') THEN NULL
         ELSE x.email_handle END AS email_handle,
    CASE WHEN a.phone_e164 IN (SELECT value FROM hub WHERE kind = 'phone') THEN NULL
         ELSE a.phone_e164 END AS phone,
    strftime(a.date_of_birth, '%Y-%m-%d') AS dob,
    a.postcode,
    nullif(dev.devices, []) AS devices,
    nullif(pay.cards, []) AS cards,
    nullif(ips.ips, []) AS ips,
    nullif(ips.ip_prefixes, []) AS ip_prefixes,
    CASE WHEN names.n <= $name_block_max THEN a.first_name || ' ' || a.last_name END AS name_key
FROM std_accounts a
JOIN std_accounts_ext x USING (account_id)
LEFT JOIN dev USING (account_id)
LEFT JOIN pay USING (account_id)
LEFT JOIN ips USING (account_id)
LEFT JOIN names ON names.first_name = a.first_name AND names.last_name = a.last_name
WHERE true {only}
ORDER BY a.account_id
"""


def profiles_sql(table: str = "profiles", only_affected: bool = False) -> str:
    """The profiles of every account, or (incremental runs) of the accounts in inc_affected only."""
    only = "AND account_id IN (SELECT account_id FROM inc_affected)" if only_affected else ""
    return PROFILES_SQL.format(kind="TEMP TABLE" if only_affected else "TABLE", table=table, only=only)


def build_profiles(con: duckdb.DuckDBPyConnection, hub_min_accounts: int) -> int:
    """Create `profiles` (one row per account, hub and shared values removed); return the row count."""
    from .hubs import find_hubs
    from .shared import find_shared

    con.execute(STD_ACCOUNTS_EXT_SQL)
    find_hubs(con, hub_min_accounts)
    find_shared(con)
    con.execute(profiles_sql(), {"name_block_max": NAME_BLOCK_MAX_ACCOUNTS})
    return int(scalar(con, "SELECT count(*) FROM profiles"))
