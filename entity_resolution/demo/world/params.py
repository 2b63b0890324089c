"""The realistic world's knobs, drawn per seed from wide ranges, so that no detection threshold can be fitted
to one configuration: a benchmark over several seeds sees offices of 6 or of 250 people, NAT exits of 8 or of
500 users, rings that mostly share devices or mostly residential proxy IPs.

Counts are per 10,000 accounts (they scale with n); group sizes do not scale (an office is an office).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

HOUSEHOLD_SHAPES: tuple[str, ...] = ("household_ip", "household_tablet", "household_card", "household_landline")
RING_KINDS: tuple[str, ...] = ("device_farm", "card_testing", "resi_proxy")


@dataclass(frozen=True)
class WorldParams:
    # Abuse
    ring_share: float  # accounts in planted rings (bridged pairs and bursts aside), share of n
    ring_mix: tuple[float, ...]  # share of ring accounts per RING_KINDS
    ring_max: int  # largest ring drawn
    slip_share: float  # members on a clean device of their own who touch ring infrastructure once or twice
    voip_ring_share: float  # rings whose members give one of a few shared VoIP numbers
    hub_ring_share: float  # rings some of whose members also use a carrier-NAT / VPN exit
    bridged_pairs: float  # per 10k
    burst_rings: int
    burst_share: float  # accounts per burst ring, share of n
    evader_share: float  # banned people who came back, share of n
    # People and their own accounts
    rereg_share: float  # people with 2-4 accounts of their own
    household_share: float  # people living in a household with other account holders
    household_shapes: tuple[float, ...]  # share of households per HOUSEHOLD_SHAPES (each adds to the one before)
    household_big: float  # households of 5-6 people
    household_same_last: float  # members who carry the head's last name
    landline_use: float  # members of a landline household who give the landline as their phone
    # Shared places and identifiers
    office_share: float  # single-account people who work in an office behind a proxy IP
    office_max: int  # largest office (sizes log-uniform from 4)
    office_two_exits: float  # offices (campuses) with two exit IPs
    flatmate_share: float  # office workers who also share a home connection with a co-worker
    kiosks: float  # per 10k
    kiosk_max: int  # strangers per kiosk, drawn from 10..kiosk_max
    kiosk_wifi: float  # kiosk users who later use the store's wifi on their own phone
    events: float  # venue wifi sign-up spikes per 10k
    event_max: int  # guests per event, drawn from 15..event_max
    event_hours: float  # length of an event's sign-up spike
    recent_event: float  # chance that one event falls in the last week before the reference time
    nats: float  # carrier-NAT exits per 10k (sizes log-uniform 5..nat_max)
    nat_max: int
    vpns: float  # VPN exits per 10k (sizes log-uniform 3..vpn_max)
    vpn_max: int
    recycled_share: float  # single-account people whose home IP was someone else's before
    default_devices: int  # groups reporting a default device id (all-zero advertising id, emulator ids ...)
    default_max: int
    test_cards: int
    campus_cafe_family: float  # campus IPs, internet cafes and family cards, each per 10k

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


# The range each parameter is drawn from (uniform; ints inclusive), in the order they are drawn. A mix is
# (number of kinds, Dirichlet concentration): the larger, the closer to equal shares.
RANGES: dict[str, tuple[float, float] | tuple[int, int]] = {
    "ring_share": (0.02, 0.05),
    "ring_mix": (len(RING_KINDS), 2.0),
    "ring_max": (20, 60),
    "slip_share": (0.1, 0.5),
    "voip_ring_share": (0.2, 0.7),
    "hub_ring_share": (0.1, 0.5),
    "bridged_pairs": (2.0, 6.0),
    "burst_rings": (1, 3),
    "burst_share": (0.002, 0.005),
    "evader_share": (0.0015, 0.004),
    "rereg_share": (0.04, 0.12),
    "household_share": (0.08, 0.22),
    "household_shapes": (len(HOUSEHOLD_SHAPES), 3.0),
    "household_big": (0.03, 0.2),
    "household_same_last": (0.6, 0.95),
    "landline_use": (0.5, 1.0),
    "office_share": (0.04, 0.15),
    "office_max": (25, 300),
    "office_two_exits": (0.0, 0.5),
    "flatmate_share": (0.03, 0.2),
    "kiosks": (2.0, 8.0),
    "kiosk_max": (25, 90),
    "kiosk_wifi": (0.1, 0.5),
    "events": (1.0, 5.0),
    "event_max": (30, 150),
    "event_hours": (1.0, 12.0),
    "recent_event": (0.3, 0.9),
    "nats": (5.0, 20.0),
    "nat_max": (80, 600),
    "vpns": (2.0, 10.0),
    "vpn_max": (20, 200),
    "recycled_share": (0.005, 0.04),
    "default_devices": (2, 5),
    "default_max": (20, 200),
    "test_cards": (1, 3),
    "campus_cafe_family": (1.0, 4.0),
}
MIXES = frozenset({"ring_mix", "household_shapes"})


def draw_params(rng: np.random.Generator) -> WorldParams:
    kinds = {f.name: f.type for f in fields(WorldParams)}
    if list(kinds) != list(RANGES):
        raise AssertionError("RANGES must list every WorldParams field, in order")
    values: dict[str, Any] = {}
    for name, (low, high) in RANGES.items():
        if name in MIXES:
            values[name] = tuple(float(x) for x in rng.dirichlet(np.full(int(low), high)))
        elif kinds[name] == "int":
            values[name] = int(rng.integers(int(low), int(high) + 1))
        else:
            values[name] = float(low + (high - low) * rng.random())
    return WorldParams(**values)
