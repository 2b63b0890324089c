"""Rings and bridges on the strength of evidence, from the facts both backends hand over (docs/signals.md,
"Evidence"): the shared edges (entity, identifier) and, per entity, how many identifiers it uses. Both
backends feed the same facts in, so their rings and bridges are the same.

- An identifier shared by distinct entities is **strong** evidence (device, card, phone, e-mail) or **weak**
  (IP); an IP on more than ip_max_entities entities (an office, a venue, a NAT exit) is no evidence.
- A **terminal** identifier (a kiosk, a default device id, a store's IP) is used by at least
  terminal_min_entities entities, at least terminal_own_share of whom share no other identifier with another
  of its users (the place's own IP, used by all of them and maybe more, aside), and fewer than wave_share
  of whom signed up within wave_days of each other: a place strangers pass through at their own times, not
  coordination; it is no evidence. Sign-ups in a wave are coordination (a burst on its devices).
- Entities joined by evidence form a group. An entity that shares no strong identifier inside its group is an
  **associate**, kept only when at least associate_share of its identifiers are the group's (a person on a
  ring's residential proxy IPs, not a stranger who once used the same connection). An entity outside every
  ring that uses an identifier most of whose users are one ring's members grows with that ring (growth).
- A group is a **ring** with at least ring_min_entities entities, ring_min_identifiers distinct pieces of
  evidence (identifiers used by exactly the same members count once), ring_min_strong strong identifiers,
  and not a **household** (at most household_max_entities entities sharing at most one identifier of each
  kind, no e-mail: a home connection, a family tablet, a parent's card, a landline).
- A **bridge** is an entity whose removal splits a ring into at least two groups of at least
  bridge_min_part_entities entities that each stand as a ring on their own evidence; a cut point inside one
  ring is not a bridge. Found greedily (smallest entity id first), then each side is looked at again. A
  bridge entity joins the ring it shares most identifiers with (ties: more entities, then smaller id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from .settings import DetectSettings
from .structure import tagged

Ident = tuple[str, str]  # (kind, value)
STRONG_KINDS = frozenset({"device", "card", "phone", "email"})


@dataclass(frozen=True)
class Ring:
    part_id: str
    entities: tuple[str, ...]
    counts: dict[str, int]  # kind -> identifiers shared by two or more of its entities


@dataclass(frozen=True)
class Bridge:
    entity_id: str
    split_sizes: tuple[int, ...]  # entities per group left by the removal, largest first
    via: tuple[Ident, ...]  # its identifiers into the groups that stand as rings
    part_ids: tuple[str, ...]  # the rings next to it


@dataclass(frozen=True)
class Evidence:
    rings: tuple[Ring, ...]
    entity_part: dict[str, str]
    bridges: tuple[Bridge, ...]
    kept: dict[Ident, str]  # identifier -> "strong" or "weak" (those that are evidence)
    # entity outside every ring -> the ring whose members are most of the users of an identifier it shares
    # (growth counts them with the ring: a burst's accounts on its own proxy IP)
    associates: dict[str, str]


def _in_wave(times: list[datetime], wave: timedelta) -> int:
    """The most sign-ups (sorted times) within one window of length wave."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > wave:
            start += 1
        best = max(best, end - start + 1)
    return best


def _loners(ident: Ident, es: set[str], users: dict[Ident, set[str]], all_of: dict[str, set[Ident]]) -> int:
    """Users of ident who share no other identifier with another of its users, the place's own (its IP, used
    by all of them and maybe more) aside: they live on identifiers of their own and only passed through."""
    n = 0
    for e in es:
        if not any(len(users[i] & es) >= 2 for i in all_of[e] if i != ident and not users[i] >= es):
            n += 1
    return n


class _Rules:
    def __init__(self, users: dict[Ident, set[str]], kept: dict[Ident, str], settings: DetectSettings) -> None:
        self.users, self.kept, self.s = users, kept, settings

    def shared_in(self, group: set[str], idents: Iterable[Ident]) -> dict[Ident, frozenset[str]]:
        out = {}
        for i in idents:
            inside = self.users[i] & group
            if len(inside) >= 2:
                out[i] = frozenset(inside)
        return out

    def is_ring(self, group: set[str], of: dict[str, set[Ident]]) -> bool:
        s = self.s
        if len(group) < s.ring_min_entities:
            return False
        shared = self.shared_in(group, {i for e in group for i in of[e]})
        if len(set(shared.values())) < s.ring_min_identifiers:
            return False
        if sum(1 for i in shared if self.kept[i] == "strong") < s.ring_min_strong:
            return False
        per_kind: dict[str, int] = defaultdict(int)
        for kind, _ in shared:
            per_kind[kind] += 1
        household = (len(group) <= s.household_max_entities and per_kind["email"] == 0
                     and all(n <= 1 for n in per_kind.values()))
        return not household


def analyse(edges: pa.Table, entities: pa.Table, accounts: pa.Table, settings: DetectSettings) -> Evidence:
    """edges: facts.EDGES (entity, kind, value); entities: facts.ENTITIES (identifiers each entity used);
    accounts: facts.ACCOUNTS (entity_id, created_at: when each entity first signed up)."""
    users: dict[Ident, set[str]] = defaultdict(set)
    for e, k, v in zip(edges["entity_id"].to_pylist(), edges["kind"].to_pylist(), edges["value"].to_pylist(),
                       strict=True):
        users[(k, v)].add(e)
    totals = dict(zip(entities["entity_id"].to_pylist(), entities["identifier_count"].to_pylist(), strict=True))
    all_of: dict[str, set[Ident]] = defaultdict(set)
    for ident, es in users.items():
        for e in es:
            all_of[e].add(ident)
    # each linked entity's first sign-up, in Arrow: turning all accounts' times into Python objects to keep
    # the few linked ones took 4 s at 1M accounts
    linked = accounts.select(["entity_id", "created_at"]).filter(
        pc.is_in(accounts["entity_id"], pa.array(list(all_of), accounts.schema.field("entity_id").type)))
    firsts = linked.group_by("entity_id").aggregate([("created_at", "min")])
    first: dict[str, datetime] = dict(zip(firsts["entity_id"].to_pylist(), firsts["created_at_min"].to_pylist(),
                                          strict=True))
    wave = timedelta(days=settings.wave_days)
    kept: dict[Ident, str] = {}
    for ident, es in users.items():
        if len(es) < 2:
            continue
        if (len(es) >= settings.terminal_min_entities
                and _in_wave(sorted(first[e] for e in es if e in first), wave) < settings.wave_share * len(es)
                and _loners(ident, es, users, all_of) >= settings.terminal_own_share * len(es)):
            continue  # a terminal: strangers passing through, at their own times
        if ident[0] == "ip":
            if len(es) <= settings.ip_max_entities:
                kept[ident] = "weak"
        elif ident[0] in STRONG_KINDS:
            kept[ident] = "strong"
    of: dict[str, set[Ident]] = defaultdict(set)
    for ident in kept:
        for e in users[ident]:
            of[e].add(ident)
    rules = _Rules(users, kept, settings)
    count = {e: max(totals.get(e, 0), len(of[e])) for e in of}

    groups = _groups(set(of), of, users)
    settled: list[set[str]] = []  # groups whose every entity belongs by the associate rule
    pending = sorted(groups, key=min)
    while pending:  # keep associates that belong; a group that lost some is looked at again
        group = pending.pop()
        members = set()
        for e in group:
            mine = [i for i in of[e] if len(users[i] & group) >= 2]
            if any(kept[i] == "strong" for i in mine) or len(mine) >= settings.associate_share * count[e]:
                members.add(e)
        if members == group:
            settled.append(group)
        elif members:
            pending.extend(sorted(_groups(members, of, users), key=min))
    bridges_found: list[tuple[str, tuple[int, ...], list[set[str]]]] = []
    final: list[set[str]] = []
    work = [g for g in settled if rules.is_ring(g, of)]
    while work:
        group = work.pop()
        cut = _bridge(group, of, users, rules, settings)
        if cut is None:
            final.append(group)
            continue
        entity, sizes, parts = cut
        bridges_found.append((entity, sizes, parts))
        work.extend(p for p in parts if rules.is_ring(p, of))
    part_of = {e: tagged("P-", min(g)) for g in final for e in g}
    size = {tagged("P-", min(g)): len(g) for g in final}
    bridges: list[Bridge] = []
    for entity, sizes, parts in sorted(bridges_found):
        near: dict[str, int] = defaultdict(int)
        for i in of[entity]:
            for p in {part_of[u] for u in users[i] if u != entity and u in part_of}:
                near[p] += 1
        if near:
            part_of[entity] = min(near, key=lambda p: (-near[p], -size[p], p))
        big = set().union(*parts)
        via = tuple(sorted(i for i in of[entity] if users[i] & big))
        bridges.append(Bridge(entity, sizes, via, tuple(sorted(near))))
    members_of: dict[str, set[str]] = defaultdict(set)
    for e, p in part_of.items():
        members_of[p].add(e)
    out = []
    for p, ms in sorted(members_of.items()):
        per_kind: dict[str, int] = defaultdict(int)
        for kind, _ in rules.shared_in(ms, {i for e in ms for i in of[e]}):
            per_kind[kind] += 1
        out.append(Ring(p, tuple(sorted(ms)), dict(per_kind)))
    associates: dict[str, str] = {}
    for _, es in sorted(users.items()):
        inside: dict[str, int] = defaultdict(int)
        for e in es:
            if e in part_of:
                inside[part_of[e]] += 1
        for p, n in inside.items():
            if 2 * n > len(es):
                # not `es - part_of.keys()`: a set minus a dict view walks the whole view (every ring
                # member) for each identifier, 25 s at 1M accounts; the members of es are few
                for e in sorted(u for u in es if u not in part_of):
                    associates.setdefault(e, p)
    return Evidence(tuple(out), part_of, tuple(bridges), kept, associates)


def _groups(entities: set[str], of: dict[str, set[Ident]], users: dict[Ident, set[str]]) -> list[set[str]]:
    """Connected sets of entities, linked by evidence identifiers two or more of them use."""
    seen: set[str] = set()
    out = []
    for start in sorted(entities):
        if start in seen:
            continue
        group, stack = {start}, [start]
        while stack:
            e = stack.pop()
            for i in of[e]:
                for u in users[i]:
                    if u in entities and u not in group:
                        group.add(u)
                        stack.append(u)
        seen |= group
        if len(group) >= 2:
            out.append(group)
    return out


def _bridge(group: set[str], of: dict[str, set[Ident]], users: dict[Ident, set[str]], rules: _Rules,
            settings: DetectSettings) -> tuple[str, tuple[int, ...], list[set[str]]] | None:
    """The first entity (by id) whose removal leaves two or more groups of bridge_min_part_entities that
    each stand as a ring: (entity, split sizes, those groups); None when there is none."""
    import igraph as ig

    min_part = settings.bridge_min_part_entities
    if len(group) < 2 * min_part + 1:
        return None
    names = sorted(group)
    index = {e: n for n, e in enumerate(names)}
    idents = sorted({i for e in group for i in of[e] if len(users[i] & group) >= 2})
    for n, i in enumerate(idents, start=len(names)):
        index[i] = n  # type: ignore[index]
    pairs = [(index[e], index[i]) for i in idents for e in users[i] & group]  # type: ignore[index]
    g = ig.Graph(n=len(index), edges=pairs)
    for v in sorted(a for a in g.articulation_points() if a < len(names)):
        entity = names[v]
        rest = group - {entity}
        parts = _groups(rest, of, users)
        alone = len(rest) - sum(len(p) for p in parts)
        standing = [p for p in parts if len(p) >= min_part and rules.is_ring(p, of)]
        if len(standing) >= 2:
            sizes = tuple(sorted([len(p) for p in parts] + [1] * alone, reverse=True))
            return entity, sizes, parts
    return None
