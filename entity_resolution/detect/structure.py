"""Components, bridges and ring parts of the entity-identifier graph, in memory with igraph.

The graph is bipartite: entities on one side, shared non-hub identifiers on the other. This is the oracle
for the Cypher versions in cypher/detect/ (same definitions, see docs/signals.md):

- component: connected set; its id is "C-" + the hex of its smallest entity id.
- bridge node: an entity or identifier whose removal leaves at least two parts of >= min_part entities.
  A bridge entity's accounts are flagged is_bridge. A bridge identifier is reported with the bridge
  entities next to it; its other users are not flagged (each still sits inside one side).
- part: a connected set once the flagged entities are removed; its id is "P-" + hex of its smallest entity.
  A flagged entity then joins the neighbouring part it shares most identifiers with (ties: the part with
  more entities, then the smaller id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Ident = tuple[str, str]  # (kind, value)


@dataclass(frozen=True)
class BridgeFact:
    kind: str  # "entity" or an identifier kind
    value: str  # entity id or identifier value
    component_id: str
    split_sizes: tuple[int, ...]  # entities per part left by the removal, largest first
    entity_ids: tuple[str, ...]  # entities flagged by this bridge (their accounts get is_bridge)
    via: tuple[Ident, ...]  # entity bridge: its identifiers into each qualifying part; identifier: itself
    part_ids: tuple[str, ...]  # ring-candidate parts next to the bridge


@dataclass(frozen=True)
class Structure:
    entity_component: dict[str, str]  # only entities with at least one shared identifier
    entity_part: dict[str, str]
    ident_component: dict[Ident, str]
    ident_part: dict[Ident, str]
    bridge_entities: frozenset[str]
    bridges: tuple[BridgeFact, ...]


def tagged(prefix: str, entity_id: str) -> str:
    """'C-'/'P-' + the entity id without its 'E-' (the Cypher and SQL versions do the same)."""
    return prefix + (entity_id[2:] if entity_id.startswith("E-") else entity_id)


def analyse(edges: Iterable[tuple[str, str, str]], min_part: int) -> Structure:
    """edges: (entity_id, kind, value), one per entity and shared identifier."""
    import igraph as ig

    names: list[str | Ident] = []
    index: dict[str | Ident, int] = {}
    pairs: list[tuple[int, int]] = []

    def node(key: str | Ident) -> int:
        if key not in index:
            index[key] = len(names)
            names.append(key)
        return index[key]

    for entity_id, kind, value in edges:
        pairs.append((node(entity_id), node((kind, value))))
    g = ig.Graph(n=len(names), edges=pairs)
    is_entity = [isinstance(n, str) for n in names]

    def entity_name(v: int) -> str:
        name = names[v]
        assert isinstance(name, str)
        return name

    membership = g.connected_components().membership
    members: dict[int, list[int]] = defaultdict(list)
    for v, c in enumerate(membership):
        members[c].append(v)
    comp_id = {c: tagged("C-", min(entity_name(v) for v in vs if is_entity[v])) for c, vs in members.items()}

    aps = set(g.articulation_points())
    qualifying: list[tuple[int, list[list[int]]]] = []  # (node, parts as vertex lists in g)
    for vs in members.values():
        if sum(is_entity[v] for v in vs) < 2 * min_part:
            continue
        sub = g.induced_subgraph(vs)
        for local, v in enumerate(vs):
            if v not in aps:
                continue
            rest = [u for u in range(len(vs)) if u != local]
            parts = sub.induced_subgraph(rest).connected_components()
            as_g = [[vs[rest[u]] for u in part] for part in parts]
            if sum(1 for p in as_g if _entities(p, is_entity) >= min_part) >= 2:
                qualifying.append((v, as_g))

    # Only entities are flagged: every user of a bridging identifier keeps a side of its own.
    bridge_vertices = {v for v, _ in qualifying if is_entity[v]}

    # Parts: components once the flagged entities are gone.
    keep = [v for v in range(len(names)) if v not in bridge_vertices]
    part_of: dict[int, str] = {}
    if keep:
        rest = g.induced_subgraph(keep)
        groups: dict[int, list[int]] = defaultdict(list)
        for local, p in enumerate(rest.connected_components().membership):
            groups[p].append(keep[local])
        for vs in groups.values():
            ents = [entity_name(v) for v in vs if is_entity[v]]
            if ents:
                pid = tagged("P-", min(ents))
                for v in vs:
                    part_of[v] = pid
    part_size = Counter(part_of[v] for v in part_of if is_entity[v])
    for b in sorted(bridge_vertices, key=entity_name):
        counts = Counter(part_of[u] for u in g.neighbors(b) if u in part_of)
        if counts:
            best = min(counts, key=lambda p: (-counts[p], -part_size[p], p))
            part_of[b] = best
    bridges = []
    for v, parts in qualifying:
        sizes = tuple(sorted((_entities(p, is_entity) for p in parts), reverse=True))
        neighbours = g.neighbors(v)
        if is_entity[v]:
            big = set().union(*(set(p) for p in parts if _entities(p, is_entity) >= min_part))
            via = tuple(sorted(_ident(names[u]) for u in neighbours if u in big))
            next_parts = {part_of[u] for u in neighbours if u in part_of} | ({part_of[v]} if v in part_of else set())
            kind, value = "entity", entity_name(v)
        else:
            ident = names[v]
            assert isinstance(ident, tuple)
            via = (ident,)
            next_parts = {part_of[u] for u in neighbours if u in part_of}
            kind, value = ident
        bridges.append(BridgeFact(
            kind=kind, value=value, component_id=comp_id[membership[v]], split_sizes=sizes,
            entity_ids=tuple(sorted(entity_name(u) for u in [v, *neighbours] if u in bridge_vertices)), via=via,
            part_ids=tuple(sorted(next_parts)),
        ))
    bridges.sort(key=lambda b: (b.component_id, b.kind, b.value))
    ent_comp = {entity_name(v): comp_id[membership[v]] for v in range(len(names)) if is_entity[v]}
    ident_comp = {n: comp_id[membership[v]] for v, n in enumerate(names) if isinstance(n, tuple)}
    return Structure(
        entity_component=ent_comp,
        entity_part={entity_name(v): p for v, p in part_of.items() if is_entity[v]},
        ident_component=ident_comp,
        ident_part={n: part_of[v] for v, n in enumerate(names) if isinstance(n, tuple) and v in part_of},
        bridge_entities=frozenset(entity_name(v) for v in bridge_vertices),
        bridges=tuple(bridges),
    )


def _ident(name: str | Ident) -> Ident:
    assert isinstance(name, tuple)
    return name


def _entities(vertices: list[int], is_entity: list[bool]) -> int:
    return sum(1 for v in vertices if is_entity[v])
