"""Shared values: identifier values that clearly different people give, so they say nothing about who is who.

A family landline written on every family member's account, a ring's few VoIP numbers, a parent's card used by
the children, a family tablet or a home connection: each is held by few accounts (far below the hub
threshold, hubs.py) but by several people. Splink's term-frequency adjustment cannot see that: two or five
holders make a value rare, hence strong evidence, and a landline agreement outweighed different first names
and birth dates (issue 11: 256 of the 303 false merges at 10,000 accounts were landline households).

A value is shared when two of its holders are clearly different identities (identity.py): their first names
disagree beyond anything one person writes (not equal, Jaro-Winkler below the name comparison's lowest level, not
an initial of the other, not the surname of the other written first) and their birth dates disagree beyond a typo
(both given, more than one edit apart, not day and month swapped). A person's own accounts, with their nicknames,
typos and formats, do not disagree on both at once; members of one household or one ring nearly always do. Shared
values are left out of matching as hubs are (profiles.py) and listed in `resolution_shared`.
"""

from __future__ import annotations

import duckdb

from ..dbutil import scalar
from .hubs import SOURCES
from .identity import clearly_different_sql

# Kinds checked for sharing: every hub kind but the IP prefix (a /24 is a neighbourhood: shared by nature,
# and already only the weakest level of the IP comparison).
SHARED_KINDS = ("email", "email_handle", "phone", "device", "card", "ip")

CREATE_SHARED_SQL = (
    "CREATE OR REPLACE TABLE resolution_shared "
    "(kind VARCHAR, value VARCHAR, account_count BIGINT, clashing_pairs BIGINT)"
)
# A baseline run made before shared values existed has no such table (incremental.py).
CREATE_SHARED_IF_MISSING_SQL = (
    "CREATE TABLE IF NOT EXISTS resolution_shared "
    "(kind VARCHAR, value VARCHAR, account_count BIGINT, clashing_pairs BIGINT)"
)


def find_shared_sql(only: str | None = None) -> str:
    """Fill resolution_shared; only: a table of ours with (kind, value) to look at just those values
    (incremental.py)."""
    held = "\nUNION ALL\n".join(
        f"SELECT '{kind}' AS kind, account_id, value FROM ({SOURCES[kind]}) s"
        + (f" SEMI JOIN (SELECT value FROM {only} WHERE kind = '{kind}') o USING (value)" if only else "")
        for kind in SHARED_KINDS
    )
    return f"""
INSERT INTO resolution_shared
WITH held AS (
    SELECT DISTINCT h.kind, h.value, h.account_id
    FROM ({held}) h
    WHERE h.value IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM resolution_hubs r WHERE r.kind = h.kind AND r.value = h.value)
),
multi AS (  -- only values on two or more accounts can be shared
    SELECT kind, value FROM held GROUP BY ALL HAVING count(*) > 1
),
who AS (
    SELECT h.kind, h.value, h.account_id, a.first_name, a.last_name,
           strftime(a.date_of_birth, '%Y-%m-%d') AS dob
    FROM held h JOIN multi USING (kind, value) JOIN std_accounts a USING (account_id)
),
clashes AS (
    SELECT x.kind, x.value, count(*) AS clashing_pairs
    FROM who x JOIN who y ON x.kind = y.kind AND x.value = y.value AND x.account_id < y.account_id
    WHERE {clearly_different_sql("x.{}", "y.{}")}
    GROUP BY ALL
)
SELECT c.kind, c.value, count(DISTINCT w.account_id), any_value(c.clashing_pairs)
FROM clashes c JOIN who w USING (kind, value)
GROUP BY ALL
"""


def find_shared(con: duckdb.DuckDBPyConnection) -> int:
    """Create `resolution_shared(kind, value, account_count, clashing_pairs)` (after `resolution_hubs`); return
    how many shared values were found."""
    con.execute(CREATE_SHARED_SQL)
    con.execute(find_shared_sql())
    return int(scalar(con, "SELECT count(*) FROM resolution_shared"))
