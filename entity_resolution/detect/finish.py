"""From a backend's Facts to the output tables: ring ids, fast growth, risk score, events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from . import rings as ring_ids
from .facts import TS, Facts
from .risk import AccountSignals, score
from .settings import DetectSettings

SIGNALS = pa.schema([
    ("account_id", pa.string()),
    ("entity_id", pa.string()),
    ("component_id", pa.string()),
    ("component_size", pa.int64()),
    ("ring_id", pa.string()),
    ("ring_size", pa.int64()),
    ("shared_identifier_count", pa.int64()),
    ("is_bridge", pa.bool_()),
    ("growth_7d", pa.int64()),
    ("fast_growing", pa.bool_()),
    ("risk_score", pa.float64()),
    ("reasons", pa.list_(pa.string())),
])
RINGS = pa.schema([
    ("ring_id", pa.string()),
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
    ("bridge_account_ids", pa.list_(pa.string())),
])
HUBS = pa.schema([
    ("kind", pa.string()),
    ("value", pa.string()),
    ("entity_count", pa.int64()),
    ("account_count", pa.int64()),
    ("reason", pa.string()),
])
RING_EVENTS = pa.schema([
    ("event", pa.string()),
    ("ring_id", pa.string()),
    ("related_ring_ids", pa.list_(pa.string())),
    ("accounts_before", pa.int64()),
    ("accounts_after", pa.int64()),
    ("detail", pa.string()),
])
COMPONENTS = pa.schema([
    ("component_id", pa.string()),
    ("entity_count", pa.int64()),
    ("account_count", pa.int64()),
    ("growth_1d", pa.int64()),
    ("growth_7d", pa.int64()),
    ("growth_30d", pa.int64()),
    ("fast_growing", pa.bool_()),
    ("new_since_previous", pa.int64()),
    ("ring_ids", pa.list_(pa.string())),
])
BRIDGES = pa.schema([
    ("bridge_kind", pa.string()),
    ("bridge_value", pa.string()),
    ("component_id", pa.string()),
    ("split_sizes", pa.list_(pa.int64())),
    ("account_ids", pa.list_(pa.string())),
    ("via", pa.list_(pa.string())),
    ("ring_ids", pa.list_(pa.string())),
])


@dataclass(frozen=True)
class Previous:
    """The previous detection: ring id -> member accounts, and every account it scored."""

    source: str
    rings: dict[str, frozenset[str]]
    accounts: frozenset[str]


@dataclass(frozen=True)
class Outputs:
    signals: pa.Table
    rings: pa.Table
    hubs: pa.Table
    ring_events: pa.Table
    components: pa.Table
    bridges: pa.Table
    counts: dict[str, int] = field(default_factory=dict)

    def tables(self) -> dict[str, pa.Table]:
        return {"signals": self.signals, "rings": self.rings, "hubs": self.hubs, "ring_events": self.ring_events,
                "components": self.components, "bridges": self.bridges}


def fast_growth(row: dict[str, Any], settings: DetectSettings) -> tuple[bool, str]:
    """Whether a component grows fast, and why: the first window (1, 7, 30 days) over its threshold."""
    size = max(int(row["account_count"]), 1)
    for days, share in ((1, settings.fast_share_1d), (7, settings.fast_share_7d), (30, settings.fast_share_30d)):
        grown = int(row[f"growth_{days}d"])
        if grown >= settings.fast_min_accounts and grown >= share * size:
            return True, (f"its component gained {grown} of its {size} accounts in the last {days} "
                          f"day{'s' if days > 1 else ''} (threshold {share:.0%})")
    return False, ""


def finish(facts: Facts, settings: DetectSettings, previous: Previous | None) -> Outputs:
    accounts = facts.accounts.to_pylist()
    parts = {r["part_id"]: r for r in facts.parts.to_pylist()}
    members: dict[str, set[str]] = defaultdict(set)
    anchor: dict[str, tuple[datetime, str]] = {}
    for a in accounts:
        part = a["part_id"]
        if part in parts:
            members[part].add(a["account_id"])
            key = (a["created_at"], a["account_id"])
            anchor[part] = min(anchor.get(part, key), key)
    ids, events = ring_ids.assign(
        {p: frozenset(m) for p, m in members.items()}, {p: k[1] for p, k in anchor.items()},
        previous.rings if previous else None,
    )

    bridges_out, bridged_rings, ring_bridges = _bridges(facts, ids)
    components, comp_rows = _components(facts, settings, ids, accounts, previous)

    signals = []
    for a in accounts:
        ring = ids.get(a["part_id"]) if a["part_id"] in parts else None
        part = parts.get(a["part_id"]) if ring else None
        comp = comp_rows[a["component_id"]]
        identifiers = sum(part[f"{k}_count"] for k in ("device", "card", "ip", "email", "phone")) if part else 0
        risk, reasons = score(AccountSignals(
            ring_id=ring, ring_entities=part["entity_count"] if part else 0, ring_identifiers=identifiers,
            is_bridge=a["is_bridge"], bridged_rings=bridged_rings.get(a["account_id"], ()),
            fast_growing=comp["fast_growing"], growth_reason=comp["reason"],
            shared_identifier_count=a["shared_identifier_count"], entity_accounts=a["entity_accounts"],
            entity_emails=a["entity_emails"], entity_disputed=a["entity_disputed"],
        ), settings)
        signals.append({
            "account_id": a["account_id"], "entity_id": a["entity_id"], "component_id": a["component_id"],
            "component_size": comp["account_count"], "ring_id": ring,
            "ring_size": part["account_count"] if part else 0,
            "shared_identifier_count": a["shared_identifier_count"], "is_bridge": a["is_bridge"],
            "growth_7d": comp["growth_7d"], "fast_growing": comp["fast_growing"], "risk_score": risk,
            "reasons": reasons,
        })
    signals.sort(key=lambda r: r["account_id"])
    rings = sorted(({**{k: v for k, v in parts[p].items() if k != "part_id"}, "ring_id": ids[p],
                     "bridge_account_ids": sorted(ring_bridges.get(ids[p], ()))} for p in members),
                   key=lambda r: r["ring_id"])
    hubs = [{**h, "reason": f"seen on {h['entity_count']} entities (hub above {facts.hub_threshold})"}
            for h in facts.hubs.to_pylist()]
    counts = {
        "accounts": len(signals), "rings": len(rings), "accounts_in_rings": sum(1 for s in signals if s["ring_id"]),
        "bridge_accounts": sum(1 for s in signals if s["is_bridge"]), "hubs": len(hubs),
        "fast_growing_components": sum(1 for c in comp_rows.values() if c["fast_growing"]),
        "ring_events": len(events),
    }
    return Outputs(
        signals=pa.Table.from_pylist(signals, SIGNALS), rings=pa.Table.from_pylist(rings, RINGS),
        hubs=pa.Table.from_pylist(hubs, HUBS), ring_events=pa.Table.from_pylist([e.row() for e in events], RING_EVENTS),
        components=components, bridges=bridges_out, counts=counts,
    )


def _bridges(facts: Facts, ids: dict[str, str]) -> tuple[pa.Table, dict[str, tuple[str, ...]], dict[str, set[str]]]:
    rows = []
    bridged: dict[str, set[str]] = defaultdict(set)  # account -> rings it bridges
    ring_bridges: dict[str, set[str]] = defaultdict(set)  # ring -> bridge accounts
    for b in facts.bridges.to_pylist():
        rings = sorted({ids[p] for p in b["part_ids"] if p in ids})
        rows.append({k: b[k] for k in ("bridge_kind", "bridge_value", "component_id", "split_sizes",
                                       "account_ids", "via")} | {"ring_ids": rings})
        for a in b["account_ids"]:
            bridged[a].update(rings)
            for r in rings:
                ring_bridges[r].add(a)
    return (pa.Table.from_pylist(rows, BRIDGES), {a: tuple(sorted(r)) for a, r in bridged.items()}, ring_bridges)


def _components(facts: Facts, settings: DetectSettings, ids: dict[str, str], accounts: list[dict[str, Any]],
                previous: Previous | None) -> tuple[pa.Table, dict[str, dict[str, Any]]]:
    rings_of: dict[str, set[str]] = defaultdict(set)
    new_accounts: dict[str, int] = defaultdict(int)
    for a in accounts:
        if a["part_id"] in ids:
            rings_of[a["component_id"]].add(ids[a["part_id"]])
        if previous is not None and a["account_id"] not in previous.accounts:
            new_accounts[a["component_id"]] += 1
    by_id: dict[str, dict[str, Any]] = {}
    rows = []
    for c in facts.components.to_pylist():
        fast, reason = fast_growth(c, settings)
        by_id[c["component_id"]] = {**c, "fast_growing": fast, "reason": reason}
        if c["entity_count"] >= 2 or fast:
            rows.append({**c, "fast_growing": fast,
                         "new_since_previous": new_accounts.get(c["component_id"], 0) if previous else None,
                         "ring_ids": sorted(rings_of.get(c["component_id"], ()))})
    return pa.Table.from_pylist(rows, COMPONENTS), by_id
