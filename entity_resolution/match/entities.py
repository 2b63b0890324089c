"""Entity ids that stay put.

Rule: an entity's id is derived from its anchor account, the member created first (ties: smallest
account_id): `E-` + the first 16 hex digits of md5(anchor account_id). The same input gives the same ids.
A rerun with added data keeps an entity's id when its membership only grew, because accounts added later
are created later and so never displace the anchor. When a previous run's entities are given, an entity
that contains all the members of exactly one previous entity keeps that entity's id whatever its anchor
(this covers back-filled accounts created earlier than the anchor).
"""

from __future__ import annotations

import duckdb

ENTITIES_SQL = """
CREATE OR REPLACE TABLE entities AS
WITH members AS (
    SELECT c.account_id, c.cluster_id, a.created_at
    FROM clusters c JOIN std_accounts a USING (account_id)
),
anchors AS (
    SELECT cluster_id, arg_min(account_id, (created_at, account_id)) AS anchor, count(*) AS entity_size
    FROM members GROUP BY cluster_id
)
SELECT m.account_id, 'E-' || substr(md5(x.anchor), 1, 16) AS entity_id, x.entity_size
FROM members m JOIN anchors x USING (cluster_id)
ORDER BY entity_id, m.account_id
"""

# A new entity inherits a previous id when it holds every member of that previous entity and no other
# previous entity wholly; the previous entities come from `previous_entities(account_id, entity_id)`.
CARRY_OVER_SQL = """
CREATE OR REPLACE TABLE entities AS
WITH prev_size AS (
    SELECT entity_id AS prev_id, count(*) AS n FROM previous_entities GROUP BY entity_id
),
overlap AS (
    SELECT e.entity_id, p.entity_id AS prev_id, count(*) AS n
    FROM entities e JOIN previous_entities p USING (account_id)
    GROUP BY e.entity_id, p.entity_id
),
contained AS (
    SELECT o.entity_id, o.prev_id
    FROM overlap o JOIN prev_size s USING (prev_id)
    WHERE o.n = s.n
),
unique_parent AS (
    SELECT entity_id, min(prev_id) AS prev_id FROM contained GROUP BY entity_id HAVING count(*) = 1
)
SELECT e.account_id, coalesce(u.prev_id, e.entity_id) AS entity_id, e.entity_size
FROM entities e LEFT JOIN unique_parent u USING (entity_id)
ORDER BY entity_id, account_id
"""


def assign_entity_ids(con: duckdb.DuckDBPyConnection, previous_entities: str | None = None) -> None:
    """Create `entities(account_id, entity_id, entity_size)` from `clusters`.

    `previous_entities` is the path of an earlier run's entities.parquet, if any.
    """
    con.execute(ENTITIES_SQL)
    if previous_entities is not None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE previous_entities AS "
            "SELECT account_id, entity_id FROM read_parquet($path)",
            {"path": previous_entities},
        )
        con.execute(CARRY_OVER_SQL)
