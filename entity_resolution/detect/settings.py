"""Detection parameters: one frozen dataclass, recorded in every manifest. docs/signals.md explains each.

Set from the settings file's [detect] table, ER_DETECT_<FIELD> variables and flags (DetectSettings.load).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..settings import check_fields, coerce, known_table, layers, read_toml

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
    # Evidence (detect/evidence.py): an IP is weak evidence, and none on more than ip_max_entities entities; an
    # identifier on at least terminal_min_entities entities whose median own share (identifiers nobody else
    # uses / all its identifiers) is at least terminal_own_share is a terminal (kiosk, default id), no evidence,
    # unless at least wave_share of them signed up within wave_days of each other (coordination comes in waves).
    ip_max_entities: int = 8
    terminal_min_entities: int = 10
    terminal_own_share: float = 0.6
    wave_days: int = 7
    wave_share: float = 0.5
    # Rings: at least ring_min_entities entities sharing at least ring_min_identifiers identifiers, of them at
    # least ring_min_strong strong ones (device, card, phone, e-mail); an entity sharing no strong identifier
    # in the group stays only when at least associate_share of its identifiers are the group's.
    ring_min_entities: int = 3
    ring_min_identifiers: int = 2
    ring_min_strong: int = 1
    associate_share: float = 0.4
    # Households: up to household_max_entities entities sharing at most one identifier of each kind and no
    # e-mail are not rings (home connection, family tablet, a parent's card, a landline).
    household_max_entities: int = 6
    # Bridges: removal must leave at least two groups of at least this many entities that each stand as a
    # ring on their own evidence.
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
    # Risk learned from enforcement decisions (the run's labels): on when labels are given; cross-fitted over
    # label_folds folds; needs label_min_decisions abusive and as many benign decisions as of as-of, else the
    # weights above apply (docs/signals.md, "Risk learned from labels").
    learn_from_labels: bool = True
    label_folds: int = 5
    label_min_decisions: int = 20
    # None: the run's as_of (in-process) or the loaded run's as_of (Neo4j).
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        # Settings built in code get the checks load() applies to the file, variables and flags.
        check_fields(self, _out_of_range)

    @classmethod
    def load(cls, config_file: Path | None = None, environ: Mapping[str, str] | None = None,
             **flags: Any) -> DetectSettings:
        """Defaults, then the settings file's [detect] table (keys are the field names), then ER_DETECT_<FIELD>
        variables, then flags (None means 'not given'). Same coercion and messages as Settings.load."""
        table: dict[str, Any] = {}
        if config_file is not None:
            table = known_table(cls, config_file, "detect", read_toml(config_file).get("detect", {}))
        env = os.environ if environ is None else environ
        values, origin = layers(cls, "detect ", {n: f"{config_file} key detect.{n}" for n in table}, table,
                                env, "ER_DETECT_", flags)
        return cls(**coerce(cls, _out_of_range, values, origin))

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


_COUNTS = ("hub_max_entities", "hub_floor", "ring_min_identifiers", "household_max_entities", "fast_min_accounts",
           "ip_max_entities", "terminal_min_entities", "ring_min_strong")
_SHARES = ("terminal_own_share", "associate_share", "wave_share")


def _out_of_range(name: str, value: Any) -> str | None:
    """What `name` should be, when value is not that; None when it is fine."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if name in _COUNTS and not (whole and value >= 0):
        return "a count >= 0"
    if name == "ring_min_entities" and not (whole and value >= 2):
        return "a whole number >= 2 (a ring joins at least two entities)"
    if name == "label_folds" and not (whole and value >= 2):
        return "a whole number >= 2 (cross-fitting needs two folds)"
    if name == "label_min_decisions" and not (whole and value >= 1):
        return "a whole number >= 1"
    if name in ("bridge_min_part_entities", "wave_days") and not (whole and value >= 1):
        return "a whole number >= 1"
    if name == "hub_percentile" and value is not None and not (
            isinstance(value, int | float) and 0.0 < value < 1.0):
        return "a share in (0, 1) (or unset: no percentile rule)"
    if (name.startswith(("fast_share", "weight_")) or name in _SHARES) and not (
            isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0):
        return "a value in [0, 1]"
    if name == "as_of" and value is not None and not (isinstance(value, datetime) and value.tzinfo is not None):
        return "a timezone-aware time (or unset: the run's as-of)"
    return None
