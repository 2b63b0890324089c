"""Reviewers' pair decisions in the clustering: must-links join, cannot-links split (docs/review.md).

Entities are the connected components of same-person links. A must-link is one more edge. A cannot-link
between two accounts of one component cannot be honoured by dropping its own edge alone (the two stay
connected through the others), so that component is rebuilt greedily: must-links first, then its same-person
links from the most to the least probable, each added unless it would put a cannot-linked pair into one
entity. The strongest evidence survives and the weakest link on every path between the pair is the one cut;
components without a violated cannot-link keep their plain connected components.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Pair = tuple[int, int]


@dataclass(frozen=True)
class PairConstraints:
    """Account pairs reviewers called the same person (must) or not the same person (cannot)."""

    must: tuple[tuple[str, str], ...] = ()
    cannot: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.must or self.cannot)


@dataclass
class Outcome:
    membership: list[int]  # node -> component, with the constraints
    model_membership: list[int]  # node -> component, same-person links alone (what the model says)
    skipped_must: set[Pair] = field(default_factory=set)  # must-links that would join a cannot-linked pair


class _Sets:
    """Union-find that refuses a union putting a cannot-linked pair into one set."""

    def __init__(self, nodes: Sequence[int], cannot: Sequence[Pair]) -> None:
        self.parent = {n: n for n in nodes}
        self.apart: dict[int, set[int]] = {n: set() for n in nodes}  # root -> nodes its set may not meet
        for a, b in cannot:
            if a in self.parent and b in self.parent:
                self.apart[a].add(b)
                self.apart[b].add(a)

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if any(self.find(x) == rb for x in self.apart[ra]) or any(self.find(x) == ra for x in self.apart[rb]):
            return False
        if len(self.apart[ra]) < len(self.apart[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.apart[ra] |= self.apart.pop(rb)
        return True


def _components(n: int, edges: Sequence[Pair]) -> list[int]:
    import igraph as ig

    return list(ig.Graph(n=n, edges=list(edges)).connected_components().membership)


def cluster(n: int, edges: Sequence[Pair], order: Sequence[float], must: Sequence[Pair],
            cannot: Sequence[Pair]) -> Outcome:
    """Components of nodes 0..n-1 under the same-person `edges` (with their probabilities, `order`) and the
    constraints (node pairs)."""
    model = _components(n, edges)
    if not must and not cannot:
        return Outcome(model, model)
    joined = _components(n, [*edges, *must])
    violated = {joined[a] for a, b in cannot if joined[a] == joined[b]}
    if not violated:
        return Outcome(joined, model)
    nodes = [i for i in range(n) if joined[i] in violated]
    inside = set(nodes)
    sets = _Sets(nodes, [(a, b) for a, b in cannot if a in inside])
    skipped = {(a, b) for a, b in must if a in inside and not sets.join(a, b)}
    ranked = sorted((i for i, (a, _) in enumerate(edges) if a in inside), key=lambda i: (-order[i], edges[i]))
    for i in ranked:
        sets.join(*edges[i])
    membership = list(joined)
    fresh = max(joined, default=-1) + 1
    relabel: dict[int, int] = {}
    for i in nodes:
        root = sets.find(i)
        if root not in relabel:
            relabel[root] = fresh
            fresh += 1
        membership[i] = relabel[root]
    return Outcome(membership, model, skipped)
