"""Incremental structure: reuse the previous detection's components where nothing changed.

The components (`structure.components`) are a function of the shared-edge set (entity, kind, value: every
entity linked to every shared non-hub identifier it used), and a component's id depends on its own edges
only. So:

1. the new edge set is computed in full (SQL, as of the new as_of, with the new hub threshold);
2. it is compared with the previous detection's edge set (saved in its folder): every node (entity or
   identifier) on an edge present in only one of the two is *changed*;
3. a previous component holding no changed node is *clean*: all edges at its nodes are the same, so it is a
   whole component of the new graph with exactly the same edges, and its previous id carries over;
4. the remaining edges (changed components, and everything new) are a union of whole components of the
   new graph: their components are found afresh and the two results merged.

Hub threshold or hub-set changes, an earlier or later as_of, new accounts, entities that gained, lost or
changed accounts: all of them show up as edge differences, so the merged result is the full analysis, by
construction. The full analysis is used instead when there is no usable saved state (no previous, an `er
detect` export from Neo4j, other detection parameters or state version) or when the changed components hold
more than MAX_SHARE of the edges (nothing to gain); the manifest says which and why.

Version 1 of the state also held each component's cut points and parts (an articulation-point analysis no
output had read since the evidence rules, evidence.py, took over rings and bridges): version 2 drops it, and
a version 1 state is not reused (one full analysis, then incremental again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .settings import DetectSettings
from .structure import components

STATE_VERSION = 2
MAX_SHARE = 0.5  # above this share of edges in changed components, analyse everything
EDGES, NODES = "detect_state_edges", "detect_state_nodes"
STATE_FILES = (EDGES, NODES)
ENTITY = "entity"  # node_kind of entity nodes (identifier nodes carry their kind: device, card, ...)

EDGE_SCHEMA = pa.schema([("entity_id", pa.string()), ("kind", pa.string()), ("value", pa.string())])
NODE_SCHEMA = pa.schema([
    ("node_kind", pa.string()),
    ("node_value", pa.string()),
    ("component_id", pa.string()),
])


@dataclass(frozen=True)
class StructureResult:
    """The analysis as tables (what the SQL joins and what the next run reuses), and how it was obtained."""

    edges: pa.Table  # EDGE_SCHEMA: the full shared-edge set
    nodes: pa.Table  # NODE_SCHEMA: every entity and identifier on a shared edge
    info: dict[str, Any] = field(default_factory=dict)  # mode, reason, counts (for the manifest)

    def state_tables(self) -> dict[str, pa.Table]:
        return {EDGES: self.edges, NODES: self.nodes}

    def entities(self) -> pa.Table:
        t = self.nodes.filter(pc.equal(self.nodes["node_kind"], ENTITY))
        return pa.table({"entity_id": t["node_value"], "component_id": t["component_id"]})

    def identifiers(self) -> pa.Table:
        t = self.nodes.filter(pc.not_equal(self.nodes["node_kind"], ENTITY))
        return pa.table({"kind": t["node_kind"], "value": t["node_value"], "component_id": t["component_id"]})


def state_manifest(settings: DetectSettings) -> dict[str, Any]:
    return {"version": STATE_VERSION, "bridge_min_part_entities": settings.bridge_min_part_entities,
            "files": [f"{name}.parquet" for name in STATE_FILES]}


@dataclass(frozen=True)
class PreviousState:
    source: str
    edges: pa.Table
    nodes: pa.Table


def read_state(folder: Path, settings: DetectSettings) -> PreviousState | str:
    """The structure a previous in-process detection saved, or why it cannot be reused."""
    manifest = folder / "detect_manifest.json"
    if not manifest.is_file():
        return f"{folder} holds no detect_manifest.json"
    try:
        saved = json.loads(manifest.read_text(encoding="utf-8")).get("structure_state")
    except (OSError, ValueError) as exc:
        return f"the previous detect_manifest.json is unreadable ({exc})"
    if not saved:
        return "the previous detection saved no structure state (a Neo4j export or an older version)"
    if saved.get("version") != STATE_VERSION:
        return f"the previous structure state has version {saved.get('version')}, this code reads {STATE_VERSION}"
    # conservative: a state saved under other parameters is not reused, though components do not read this one
    if saved.get("bridge_min_part_entities") != settings.bridge_min_part_entities:
        return (f"bridge_min_part_entities changed ({saved.get('bridge_min_part_entities')} -> "
                f"{settings.bridge_min_part_entities})")
    paths = {name: folder / f"{name}.parquet" for name in STATE_FILES}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        return f"the previous structure state is incomplete (missing {', '.join(missing)})"
    try:
        tables = {name: pq.read_table(p) for name, p in paths.items()}
        edges = tables[EDGES].select(EDGE_SCHEMA.names).cast(EDGE_SCHEMA)
        nodes = tables[NODES].select(NODE_SCHEMA.names).cast(NODE_SCHEMA)
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        return f"the previous structure state is unreadable ({exc})"
    return PreviousState(source=str(folder), edges=edges, nodes=nodes)


def _analyse_all(edges: pa.Table) -> pa.Table:
    entity_component, ident_component = components(zip(
        edges["entity_id"].to_pylist(), edges["kind"].to_pylist(), edges["value"].to_pylist(), strict=True))
    return pa.table({
        "node_kind": [ENTITY] * len(entity_component) + [k for k, _ in ident_component],
        "node_value": list(entity_component) + [v for _, v in ident_component],
        "component_id": list(entity_component.values()) + list(ident_component.values()),
    }, schema=NODE_SCHEMA)


def full(edges: pa.Table, settings: DetectSettings, reason: str) -> StructureResult:
    nodes = _analyse_all(edges)
    found = len(set(nodes["component_id"].to_pylist())) if nodes.num_rows else 0
    return StructureResult(edges=edges, nodes=nodes, info={
        "mode": "full", "reason": reason, "edges": edges.num_rows, "components_reused": 0,
        "components_recomputed": found, "edges_analysed": edges.num_rows,
    })


def incremental(con: duckdb.DuckDBPyConnection, edges: pa.Table, prev: PreviousState,
                settings: DetectSettings) -> StructureResult:
    """Reuse prev for every component without a changed node; analyse the rest (see the module docstring)."""
    con.register("x_new_edges", edges)
    con.register("x_prev_edges", prev.edges)
    con.register("x_prev_nodes", prev.nodes)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE x_changed AS
        (SELECT entity_id, kind, value FROM x_new_edges EXCEPT SELECT entity_id, kind, value FROM x_prev_edges)
        UNION ALL
        (SELECT entity_id, kind, value FROM x_prev_edges EXCEPT SELECT entity_id, kind, value FROM x_new_edges)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE x_clean AS
        WITH changed_nodes AS (
            SELECT '{ENTITY}' AS node_kind, entity_id AS node_value FROM x_changed
            UNION SELECT kind, value FROM x_changed
        ), dirty AS (
            SELECT DISTINCT n.component_id FROM x_prev_nodes n JOIN changed_nodes USING (node_kind, node_value)
        )
        SELECT n.* FROM x_prev_nodes n ANTI JOIN dirty USING (component_id)
    """)
    rest = con.sql(f"""
        SELECT e.entity_id, e.kind, e.value FROM x_new_edges e
        ANTI JOIN (SELECT node_value AS entity_id FROM x_clean WHERE node_kind = '{ENTITY}') c USING (entity_id)
        ORDER BY ALL
    """).to_arrow_table().cast(EDGE_SCHEMA)
    changed = int(con.execute("SELECT count(*) FROM x_changed").fetchall()[0][0])
    if edges.num_rows and rest.num_rows > MAX_SHARE * edges.num_rows:
        result = full(edges, settings, f"the changes reach {rest.num_rows:,} of {edges.num_rows:,} shared edges "
                                       f"(more than {MAX_SHARE:.0%}): a full analysis costs the same")
        return StructureResult(edges=result.edges, nodes=result.nodes, info={**result.info, "edges_changed": changed})
    clean = con.sql("SELECT * FROM x_clean").to_arrow_table().cast(NODE_SCHEMA)
    clean_components = set(pc.unique(clean["component_id"]).to_pylist())
    new_nodes = _analyse_all(rest)
    recomputed = len(set(new_nodes["component_id"].to_pylist()))
    return StructureResult(edges=edges, nodes=pa.concat_tables([clean, new_nodes]), info={
        "mode": "incremental", "reason": f"reused the structure of {prev.source} for unchanged components",
        "edges": edges.num_rows, "edges_changed": changed, "edges_analysed": rest.num_rows,
        "components_reused": len(clean_components), "components_recomputed": recomputed,
    })
