"""What a detection backend (in-process or Neo4j) hands to the shared finishing step, as Arrow tables.

Both backends compute these facts independently from the same data; `finish` then weighs the evidence (rings,
bridges: evidence.py), assigns ring ids, scores risk and writes the files, so the equivalence test compares
exactly what each backend computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

ACCOUNTS = pa.schema([
    ("account_id", pa.string()),
    ("entity_id", pa.string()),
    ("created_at", TS),
    ("last_seen", TS),  # its newest identifier use (or sign-up) as of
    ("component_id", pa.string()),
    ("shared_identifier_count", pa.int64()),  # shared non-hub identifiers this account used
    ("entity_accounts", pa.int64()),  # accounts of its entity (as of)
    ("entity_emails", pa.int64()),  # distinct e-mail addresses across the entity's accounts
    ("entity_disputed", pa.int64()),  # disputed payments across the entity's accounts
])
COMPONENTS = pa.schema([
    ("component_id", pa.string()),
    ("entity_count", pa.int64()),
    ("account_count", pa.int64()),
    ("growth_1d", pa.int64()),
    ("growth_7d", pa.int64()),
    ("growth_30d", pa.int64()),
])
# The accounts once finish.weigh has weighed the evidence (evidence.py): what the learned risk reads.
WEIGHED_ACCOUNTS = pa.schema([
    *ACCOUNTS,
    ("part_id", pa.string()),  # its ring (P- + smallest entity hex); null outside every ring
    ("grows_with", pa.string()),  # the ring whose growth it counts in (its own, or as an associate)
    ("is_bridge", pa.bool_()),
])
ENTITIES = pa.schema([  # entities with a shared non-hub identifier: what the evidence rules (evidence.py) weigh
    ("entity_id", pa.string()),
    ("identifier_count", pa.int64()),  # distinct identifiers its accounts used as of
])
PARTS = pa.schema([  # rings: groups that pass the evidence rules (finish.py builds these from evidence.py)
    ("part_id", pa.string()),
    ("entity_count", pa.int64()),
    ("account_count", pa.int64()),
    ("device_count", pa.int64()),
    ("card_count", pa.int64()),
    ("ip_count", pa.int64()),
    ("email_count", pa.int64()),
    ("phone_count", pa.int64()),
    ("first_seen", TS),
    ("last_seen", TS),
    ("growth_7d", pa.int64()),
])
BRIDGES = pa.schema([
    ("bridge_kind", pa.string()),  # "entity" or an identifier kind
    ("bridge_value", pa.string()),  # entity id or identifier value
    ("component_id", pa.string()),
    ("split_sizes", pa.list_(pa.int64())),  # entities per part left by the removal, largest first
    ("account_ids", pa.list_(pa.string())),  # accounts flagged is_bridge by it
    ("via", pa.list_(pa.string())),  # "kind:value" identifiers forming the bridging links
    ("part_ids", pa.list_(pa.string())),
])
EDGES = pa.schema([  # the detection graph: each entity linked to each shared non-hub identifier it used
    ("entity_id", pa.string()),
    ("kind", pa.string()),
    ("value", pa.string()),
])
HUBS = pa.schema([
    ("kind", pa.string()),
    ("value", pa.string()),
    ("entity_count", pa.int64()),
    ("account_count", pa.int64()),
])


@dataclass(frozen=True)
class Facts:
    run_id: str  # the resolution run the data came from
    as_of: datetime
    backend: str  # "in-process", "neo4j-gds" or "neo4j-cypher"
    hub_threshold: int
    accounts: pa.Table
    components: pa.Table
    hubs: pa.Table
    # EDGES (any order): rings and bridges are weighed on it (detect/evidence.py), and proximity to enforced
    # accounts walks it (detect/learned.py)
    edges: pa.Table = field(default_factory=lambda: EDGES.empty_table())
    entities: pa.Table = field(default_factory=lambda: ENTITIES.empty_table())


def table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)
