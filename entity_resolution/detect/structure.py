"""Components of the entity-identifier graph, in memory with igraph.

The graph is bipartite: entities on one side, shared non-hub identifiers on the other. A component is a
connected set; its id is "C-" + the hex of its smallest entity id (the Cypher and SQL versions do the same,
see docs/signals.md). Rings and bridges are not structure: the evidence rules (evidence.py) find them.
"""

from __future__ import annotations

from collections.abc import Iterable

Ident = tuple[str, str]  # (kind, value)


def tagged(prefix: str, entity_id: str) -> str:
    """'C-'/'P-' + the entity id without its 'E-' (the Cypher and SQL versions do the same)."""
    return prefix + (entity_id[2:] if entity_id.startswith("E-") else entity_id)


def components(edges: Iterable[tuple[str, str, str]]) -> tuple[dict[str, str], dict[Ident, str]]:
    """edges: (entity_id, kind, value), one per entity and shared identifier. Returns the component id of
    every entity and of every identifier on an edge."""
    import igraph as ig

    index: dict[str | Ident, int] = {}
    pairs: list[tuple[int, int]] = []
    for entity_id, kind, value in edges:
        pairs.append((index.setdefault(entity_id, len(index)), index.setdefault((kind, value), len(index))))
    membership = ig.Graph(n=len(index), edges=pairs).connected_components().membership
    smallest: dict[int, str] = {}
    for name, v in index.items():
        if isinstance(name, str):
            c = membership[v]
            smallest[c] = min(smallest.get(c, name), name)
    comp_id = {c: tagged("C-", e) for c, e in smallest.items()}
    entity_component: dict[str, str] = {}
    ident_component: dict[Ident, str] = {}
    for name, v in index.items():
        if isinstance(name, str):
            entity_component[name] = comp_id[membership[v]]
        else:
            ident_component[name] = comp_id[membership[v]]
    return entity_component, ident_component
