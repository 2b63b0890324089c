"""Stable ring ids and ring events between two detections.

A ring keeps its id while it keeps most of its members: the new ring holding more than half of a previous
ring's accounts is its successor and inherits its id (when several previous rings pass that test for one new
ring, the one contributing most accounts gives the id and the others are 'merged' into it). A previous ring
whose accounts now sit in two or more new rings (each holding at least 2 accounts and a fifth of them) is
'split'. A fresh ring's id is "R-" + 16 hex digits of md5 of its anchor (the account created first, ties by
smallest id), so the same data gives the same ids with or without a previous run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SPLIT_MIN_SHARE = 0.2
SPLIT_MIN_ACCOUNTS = 2


@dataclass(frozen=True)
class RingEvent:
    event: str  # new, grown, shrunk, merged, split, dissolved
    ring_id: str  # the ring the event is about (the previous id for merged/split/dissolved)
    related_ring_ids: tuple[str, ...]
    accounts_before: int | None
    accounts_after: int | None
    detail: str

    def row(self) -> dict[str, Any]:
        return {
            "event": self.event, "ring_id": self.ring_id, "related_ring_ids": list(self.related_ring_ids),
            "accounts_before": self.accounts_before, "accounts_after": self.accounts_after, "detail": self.detail,
        }


def fresh_id(anchor_account: str) -> str:
    return "R-" + hashlib.md5(f"ring:{anchor_account}".encode()).hexdigest()[:16]


def assign(
    new: Mapping[str, frozenset[str]],
    anchors: Mapping[str, str],
    previous: Mapping[str, frozenset[str]] | None,
) -> tuple[dict[str, str], list[RingEvent]]:
    """Ring ids for the new rings (keyed by part id) and the events since `previous` (ring id -> accounts)."""
    prev = dict(previous or {})
    owner: dict[str, str] = {}  # account -> new part
    for part, accounts in new.items():
        for a in accounts:
            owner[a] = part
    overlap: dict[str, dict[str, int]] = {}  # previous ring -> new part -> shared accounts
    for ring, accounts in prev.items():
        counts: dict[str, int] = {}
        for a in accounts:
            if a in owner:
                counts[owner[a]] = counts.get(owner[a], 0) + 1
        overlap[ring] = counts
    successor: dict[str, str] = {}
    for ring, counts in overlap.items():
        if counts:
            part = min(counts, key=lambda p: (-counts[p], p))
            if counts[part] * 2 > len(prev[ring]):
                successor[ring] = part
    heirs: dict[str, list[str]] = {}
    for ring, part in successor.items():
        heirs.setdefault(part, []).append(ring)
    ids: dict[str, str] = {}
    for part, rings in heirs.items():
        ids[part] = min(rings, key=lambda r: (-overlap[r][part], -len(prev[r]), r))
    taken = set(prev) | set(ids.values())
    for part in sorted(new):
        if part not in ids:
            base = candidate = fresh_id(anchors[part])
            n = 1
            while candidate in taken:  # a dissolved ring's id is never reused for another group
                n += 1
                candidate = f"{base}-{n}"
            ids[part] = candidate
            taken.add(candidate)
    return ids, _events(new, prev, overlap, successor, ids, previous is not None)


def _events(new: Mapping[str, frozenset[str]], prev: Mapping[str, frozenset[str]],
            overlap: dict[str, dict[str, int]], successor: dict[str, str], ids: dict[str, str],
            had_previous: bool) -> list[RingEvent]:
    events: list[RingEvent] = []
    explained: set[str] = set()  # new parts covered by a continued, merged or split event
    for ring in sorted(prev):
        before = len(prev[ring])
        pieces = sorted(p for p, k in overlap[ring].items()
                        if k >= SPLIT_MIN_ACCOUNTS and k >= SPLIT_MIN_SHARE * before)
        if len(pieces) >= 2:
            targets = tuple(sorted(ids[p] for p in pieces))
            explained.update(pieces)
            events.append(RingEvent("split", ring, targets, before, sum(len(new[p]) for p in pieces),
                                    f"{ring} split into {', '.join(targets)}"))
            continue
        part = successor.get(ring)
        if part is None:
            kept = sum(overlap[ring].values())
            events.append(RingEvent("dissolved", ring, (), before, None,
                                    f"{ring} dissolved: {kept} of its {before} accounts are in a ring now"))
            continue
        explained.add(part)
        after = len(new[part])
        if ids[part] != ring:
            events.append(RingEvent("merged", ring, (ids[part],), before, after, f"{ring} merged into {ids[part]}"))
        elif after > before or after < before:
            kind = "grown" if after > before else "shrunk"
            joined = after - overlap[ring][part]
            left = before - overlap[ring][part]
            events.append(RingEvent(kind, ring, (), before, after,
                                    f"{ring} {kind} from {before} to {after} accounts ({joined} joined, {left} left)"))
    for part in sorted(new, key=lambda p: ids[p]):
        if part not in explained:
            detail = "new ring" if had_previous else "new ring (no previous detection to compare with)"
            events.append(RingEvent("new", ids[part], (), None, len(new[part]), detail))
    return sorted(events, key=lambda e: (e.ring_id, e.event))
