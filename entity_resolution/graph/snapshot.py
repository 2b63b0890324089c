"""A digest of the graph's data (nodes, relationships, properties with their Cypher types) to prove loads are
idempotent and that the bulk import gives the online load's graph."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from neo4j import Driver

from .cypher import load_cypher


@dataclass(frozen=True)
class Snapshot:
    nodes: int
    relationships: int
    digest: str
    # per label set and per relationship type: a differing digest then shows where first
    labels: tuple[tuple[str, int], ...] = ()
    types: tuple[tuple[str, int], ...] = ()


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()  # its Cypher type and zone come from the server (the queries' `types`)
    return value


def snapshot(driver: Driver, database: str = "neo4j", ignore: frozenset[str] = frozenset()) -> Snapshot:
    """ignore: property names left out (e.g. the run tags, which say which load last wrote a row)."""
    nodes, _, _ = driver.execute_query(load_cypher("admin/graph_snapshot_nodes"), database_=database)
    rels, _, _ = driver.execute_query(load_cypher("admin/graph_snapshot_rels"), database_=database)

    def props(record: Any) -> Any:
        values = _canon({k: v for k, v in record["props"].items() if k not in ignore})
        return [values, sorted(t for t in record["types"] if t[0] not in ignore)]

    lines = sorted(json.dumps([sorted(r["labels"]), props(r)], default=str) for r in nodes)
    lines += sorted(json.dumps([r["type"], r["start"], r["end"], props(r)], default=str) for r in rels)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    labels = Counter(":".join(sorted(r["labels"])) for r in nodes)
    types = Counter(str(r["type"]) for r in rels)
    return Snapshot(len(nodes), len(rels), digest, tuple(sorted(labels.items())), tuple(sorted(types.items())))


def wipe(driver: Driver, database: str = "neo4j") -> None:
    with driver.session(database=database) as session:
        session.run(load_cypher("admin/wipe")).consume()
