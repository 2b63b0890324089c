"""Erase forgotten accounts from Neo4j in one transaction, leaving a Tombstone per account (cypher/forget/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from ..graph.cypher import load_cypher


@dataclass(frozen=True)
class GraphForgetResult:
    accounts_deleted: int
    identifiers_deleted: int
    prefixes_deleted: int
    entities_resized: int
    entities_removed: int
    rings_scrubbed: int
    tombstones: int


def _forget(tx: ManagedTransaction, ids: list[str], tombstones: list[dict[str, Any]]) -> GraphForgetResult:
    def one(name: str, **params: Any) -> Any:
        return tx.run(load_cypher(name), params).single(strict=True)

    # Identifiers first: "used only by them" is only visible while their uses are still there.
    identifiers = one("forget/delete_identifiers", ids=ids)["deleted"]
    prefixes = one("forget/delete_orphan_prefixes")["deleted"]
    rings = one("forget/scrub_rings", ids=ids)["rings"]
    accounts = one("forget/delete_accounts", ids=ids)
    entities = one("forget/resize_entities", entity_ids=accounts["entity_ids"])
    marked = one("forget/merge_tombstones", rows=tombstones)["tombstones"]
    return GraphForgetResult(int(accounts["deleted"]), int(identifiers), int(prefixes), int(entities["resized"]),
                             int(entities["removed"]), int(rings), int(marked))


def forget_in_graph(driver: Driver, ids: list[str], hashes: list[str], when: datetime, reason: str,
                    database: str = "neo4j") -> GraphForgetResult:
    """Delete the accounts' personal data from the graph (all or nothing) and leave their tombstones."""
    rows = [{"account_sha256": h, "forgotten_at": when.isoformat(), "reason": reason} for h in hashes]
    driver.execute_query(load_cypher("forget/tombstone_constraint"), database_=database)
    with driver.session(database=database) as session:
        result: GraphForgetResult = session.execute_write(_forget, ids, rows)
    return result
