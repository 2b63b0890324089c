"""Detection parameters: one frozen dataclass, recorded in every manifest. docs/signals.md explains each."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from ..errors import EntityResolutionError

# Identifier kinds that join entities, in output order. The Neo4j labels are Device, Card, IP, Email, Phone.
KINDS: tuple[str, ...] = ("device", "card", "ip", "email", "phone")


@dataclass(frozen=True)
class DetectSettings:
    # Hubs: identifiers seen on too many entities to be evidence of coordination (NAT/VPN exits, test cards,
    # default device ids). Hub when entity count > hub_max_entities, or > the hub_percentile quantile of the
    # entity counts of shared identifiers (only when hub_percentile is set) but never at or below hub_floor.
    hub_max_entities: int = 50
    hub_percentile: float | None = None
    hub_floor: int = 10
    # Rings: at least ring_min_entities entities sharing at least ring_min_identifiers identifiers.
    ring_min_entities: int = 3
    ring_min_identifiers: int = 2
    # Households: up to household_max_entities entities sharing at most one device, one IP and one card
    # are not rings (a family tablet on the home connection, a parent's card).
    household_max_entities: int = 4
    # Bridges: removal must leave at least two parts of at least this many entities each (bigger than a
    # household, so a bridge joins two groups that could each be a ring).
    bridge_min_part_entities: int = 5
    # Growth: accounts of a component created in the last 1, 7 and 30 days before as_of. Fast-growing when,
    # for any window, at least fast_min_accounts new accounts make at least that window's share of the
    # component's accounts.
    fast_min_accounts: int = 5
    fast_share_1d: float = 0.10
    fast_share_7d: float = 0.25
    fast_share_30d: float = 0.50
    # Risk score weights (each contribution is weight x strength in 0..1; combined as 1 - prod(1 - c)).
    weight_ring: float = 0.60
    weight_ring_size: float = 0.20
    weight_bridge: float = 0.50
    weight_fast: float = 0.50
    weight_shared: float = 0.15
    weight_disputed: float = 0.30
    weight_churn: float = 0.10
    # None: the run's as_of (in-process) or the loaded run's as_of (Neo4j).
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        problems = []
        for name in ("hub_max_entities", "hub_floor", "ring_min_entities", "ring_min_identifiers",
                     "household_max_entities", "bridge_min_part_entities", "fast_min_accounts"):
            if int(getattr(self, name)) < 0:
                problems.append(f"{name}: expected a count >= 0, got {getattr(self, name)}")
        if self.ring_min_entities < 2:
            problems.append(f"ring_min_entities: expected at least 2, got {self.ring_min_entities}")
        if self.bridge_min_part_entities < 1:
            problems.append(f"bridge_min_part_entities: expected at least 1, got {self.bridge_min_part_entities}")
        if self.hub_percentile is not None and not 0.0 < self.hub_percentile < 1.0:
            problems.append(f"hub_percentile: expected a share in (0, 1) or None, got {self.hub_percentile}")
        for f in fields(self):
            if f.name.startswith(("fast_share", "weight_")) and not 0.0 <= getattr(self, f.name) <= 1.0:
                problems.append(f"{f.name}: expected a value in [0, 1], got {getattr(self, f.name)}")
        if self.as_of is not None and self.as_of.tzinfo is None:
            problems.append("as_of: expected a timezone-aware datetime")
        if problems:
            raise EntityResolutionError("invalid detection settings: " + "; ".join(problems))

    def with_overrides(self, **overrides: Any) -> DetectSettings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        return out

    def hub_threshold(self, shared_degrees: list[int]) -> int:
        """The entity count above which a shared identifier is a hub, given the entity counts of every
        identifier seen on at least two entities."""
        threshold = self.hub_max_entities
        if self.hub_percentile is not None and shared_degrees:
            ordered = sorted(shared_degrees)
            # nearest-rank quantile: same value whichever backend counted the degrees
            rank = max(1, math.ceil(len(ordered) * self.hub_percentile))
            threshold = min(threshold, max(self.hub_floor, ordered[rank - 1]))
        return int(threshold)
