"""The shortest evidence path between two accounts in the graph of accounts, identifiers and same-person links
built from the run folder (er.duckdb's identifier_observations and predictions; no Neo4j).

The graph has a node per account and per identifier (kind, value); an account is joined to each identifier it
used and to each account it has a same-person link with. Hub identifiers (values left out of matching as seen on
too many accounts, and the detection's hubs) are not followed: a carrier-NAT IP on 300 accounts is no evidence.
Accounts are reached layer by layer in DuckDB from account A (one layer: accounts one shared identifier or one link
away), so only the neighbourhood is read, never the whole graph; the shortest path is then found with igraph on
what was read. A link is one edge and an identifier two (account - identifier - account), so of two equally short
chains the one through a Splink link wins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sources import Evidence

MAX_HOPS = 6  # account-to-account steps searched; a longer chain is no evidence an analyst can use
MAX_ACCOUNTS = 200_000  # stop widening the search past this many accounts reached (a hub-like neighbourhood)
LINK = "link"

_IDENTIFIER_HOPS_SQL = """
SELECT DISTINCT o.account_id AS src, o.kind, o.value, p.account_id AS dst
FROM identifier_observations o
JOIN identifier_observations p ON p.kind = o.kind AND p.value = o.value AND p.account_id <> o.account_id
WHERE o.account_id IN (SELECT unnest($frontier))
  AND NOT list_contains($hubs, o.kind || ':' || o.value)
"""

_LINK_HOPS_SQL = """
SELECT unique_id_l AS src, unique_id_r AS dst, match_probability FROM predictions
WHERE same_person AND unique_id_l IN (SELECT unnest($frontier))
UNION ALL
SELECT unique_id_r AS src, unique_id_l AS dst, match_probability FROM predictions
WHERE same_person AND unique_id_r IN (SELECT unnest($frontier))
"""

_IDENTIFIER_USE_SQL = """
SELECT o.kind, o.value, count(DISTINCT o.account_id) AS accounts, count(DISTINCT e.entity_id) AS entities
FROM identifier_observations o JOIN entities e USING (account_id)
WHERE list_contains($keys, o.kind || ':' || o.value)
GROUP BY o.kind, o.value
"""


@dataclass(frozen=True)
class PathStep:
    """From one account to the next: through an identifier both used (via = its kind) or a same-person link."""

    from_account: str
    to_account: str
    via: str  # "link", or the identifier's kind: email, phone, device, card, ip
    value: str | None  # the identifier (None for a link)
    accounts: int | None  # accounts that used the identifier (None for a link)
    entities: int | None  # entities those accounts belong to
    match_probability: float | None  # the link's (None for an identifier)


@dataclass(frozen=True)
class EvidencePath:
    steps: tuple[PathStep, ...]
    accounts_searched: int

    @property
    def hops(self) -> int:
        return len(self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"hops": self.hops, "accounts_searched": self.accounts_searched,
                "steps": [asdict(s) for s in self.steps]}


def evidence_path(ev: Evidence, a: str, b: str, hubs: set[tuple[str, str]], *, max_hops: int = MAX_HOPS,
                  max_accounts: int = MAX_ACCOUNTS) -> EvidencePath | None:
    """The shortest chain of shared identifiers and same-person links from account a to account b, or None when
    there is none within max_hops account steps (hub identifiers never followed)."""
    import igraph as ig

    hub_keys = sorted(f"{k}:{v}" for k, v in hubs)
    seen = {a}
    frontier = [a]
    # edges of the bipartite graph: (account, identifier key) and (account, account) for links
    ident_edges: set[tuple[str, str, str, str]] = set()  # (account, kind, value, other account)
    link_edges: dict[tuple[str, str], float] = {}
    for _ in range(max_hops):
        if not frontier or b in seen or len(seen) > max_accounts:
            break
        reached: set[str] = set()
        for src, kind, value, dst in ev.con.execute(
                _IDENTIFIER_HOPS_SQL, {"frontier": frontier, "hubs": hub_keys}).fetchall():
            ident_edges.add((src, kind, value, dst))
            reached.add(dst)
        for src, dst, p in ev.con.execute(_LINK_HOPS_SQL, {"frontier": frontier}).fetchall():
            link_edges[(min(src, dst), max(src, dst))] = float(p)
            reached.add(dst)
        frontier = sorted(reached - seen)
        seen |= reached
    if b not in seen:
        return None

    # Sorted insertion: igraph's breadth-first search then picks the same path on every run.
    names: dict[str, int] = {}

    def vertex(name: str) -> int:
        return names.setdefault(name, len(names))

    edges: list[tuple[int, int]] = []
    for x, y in sorted(link_edges):
        edges.append((vertex("a:" + x), vertex("a:" + y)))
    for src, kind, value, dst in sorted(ident_edges):
        node = vertex(f"i:{kind}:{value}")
        edges.append((vertex("a:" + src), node))
        edges.append((vertex("a:" + dst), node))
    graph = ig.Graph(n=len(names), edges=edges)
    route = graph.get_shortest_paths(names["a:" + a], to=names["a:" + b], output="vpath")[0]
    label = {i: n for n, i in names.items()}
    nodes = [label[i] for i in route]
    steps: list[tuple[str, str, str, str | None, float | None]] = []  # from, to, via, value, probability
    i = 0
    while i < len(nodes) - 1:
        here = nodes[i][2:]
        nxt = nodes[i + 1]
        if nxt.startswith("a:"):
            there = nxt[2:]
            steps.append((here, there, LINK, None, link_edges[(min(here, there), max(here, there))]))
            i += 1
        else:
            kind, value = nxt[2:].split(":", 1)
            steps.append((here, nodes[i + 2][2:], kind, value, None))
            i += 2
    use = {(r[0], r[1]): (int(r[2]), int(r[3])) for r in ev.con.execute(
        _IDENTIFIER_USE_SQL, {"keys": [f"{s[2]}:{s[3]}" for s in steps if s[2] != LINK]}).fetchall()}
    return EvidencePath(
        steps=tuple(PathStep(f, t, via, value,
                             use.get((via, value or ""), (None, None))[0] if via != LINK else None,
                             use.get((via, value or ""), (None, None))[1] if via != LINK else None, p)
                    for f, t, via, value, p in steps),
        accounts_searched=len(seen))
