"""Who is who in the realistic world: the default generator's scenarios at sizes drawn per seed, plus the
benign look-alikes a real platform has (offices, households of several shapes, kiosks, event wifi, NAT and
VPN exits of every size, recycled IPs, default device ids, people with several accounts) and abuse that
tries to look benign (residential proxies, slip-ups from clean devices, shared VoIP numbers).

Every look-alike is a `Group` in `layout.groups` (an account may sit in several: an office worker who shares a
flat with a co-worker and is behind a carrier NAT); `layout.group` keeps the first one only, the
truth_lookalikes table lists them all.
"""

from __future__ import annotations

import numpy as np

from entity_resolution.demo import names as nm
from entity_resolution.demo.layout import (
    DAY_MS,
    HOUR_MS,
    LATEST_SIGNUP_MS,
    START_MS,
    WINDOW_DAYS,
    Group,
    Layout,
    S,
    _ban_evaders,
    _Builder,
    _multi_account,
    _ring_window,
    _sizes,
    _sizes_from,
    add_bridged_pair,
    add_households,
    add_ring,
    finish_layout,
    lookalikes,
    uniform_ms,
)
from entity_resolution.demo.world.params import HOUSEHOLD_SHAPES, RING_KINDS, WorldParams

MIN_ACCOUNTS = 2000  # below this the look-alike kinds do not all fit


def plan_world(rng: np.random.Generator, n: int, p: WorldParams) -> Layout:
    if n < MIN_ACCOUNTS:
        raise ValueError(f"n_accounts must be at least {MIN_ACCOUNTS} for the realistic world, got {n}")
    b = _Builder(rng)
    scale = n / 10_000
    rings: list[Group] = []
    groups: list[Group] = []

    for kind, share in zip(RING_KINDS, p.ring_mix, strict=True):
        for size in _sizes(rng, max(4, round(p.ring_share * share * n)), 4, p.ring_max):  # at least one ring
            r = add_ring(rng, b, rings, kind, size, *_ring_window(rng))
            rings[r].uses_hub = bool(rng.random() < p.hub_ring_share)
    for _ in range(max(2, round(p.bridged_pairs * scale))):  # A -- coordinator -- B, each a ring of its own
        # The coordinator uses a device of ring A (card testers may have none) and a card of ring B.
        kind_a = ("device_farm", "resi_proxy")[int(rng.integers(0, 2))]
        kind_b = RING_KINDS[int(rng.integers(0, len(RING_KINDS)))]
        add_bridged_pair(rng, b, rings, kind_a, kind_b, 5, 16)
    for _ in range(p.burst_rings):
        size = int(np.clip(round(p.burst_share * n * (0.6 + 0.8 * rng.random())), 12, 1500))
        days = 2 + 5 * rng.random()
        add_ring(rng, b, rings, "burst", size, LATEST_SIGNUP_MS - days * DAY_MS, LATEST_SIGNUP_MS)
        early = rng.random(size) < 0.15  # a few seed accounts from before the burst
        b.accounts["created"][-1][early] = np.sort(
            uniform_ms(rng, int(early.sum()), LATEST_SIGNUP_MS - 90 * DAY_MS, LATEST_SIGNUP_MS - days * DAY_MS)
        )

    _ban_evaders(rng, b, max(5, round(p.evader_share * n)))
    people_estimate = (n - b.n_accounts) / (1 + 1.6 * p.rereg_share)
    lookalikes(rng, b, groups, scale, (p.campus_cafe_family,) * 3)
    _households(rng, b, groups, round(p.household_share * people_estimate), p)
    _multi_account(
        rng, b, round(p.rereg_share * people_estimate), [2, 3, 4], [0.6, 0.3, 0.1], "reregistration", abusive=False
    )
    singles = n - b.n_accounts
    if singles < 0.4 * n:
        raise ValueError(f"n_accounts={n} leaves too few single accounts ({singles}) for the shared places")
    _shared_places(rng, b, groups, singles, scale, p)
    victims = b.people(12 * len(rings) + 50)
    layout = finish_layout(b, n, rings, groups, victims)
    _own_accounts(layout)
    return layout


def _households(rng: np.random.Generator, b: _Builder, groups: list[Group], target: int, p: WorldParams) -> None:
    """Households of 2-6 people at one postcode, mostly one last name, distinct first names and birth dates;
    each of one shape (HOUSEHOLD_SHAPES): home IP only, + family tablet, + a parent's card, + a landline."""
    big = p.household_big / 2
    rest = 1 - p.household_big
    sizes = np.asarray(
        _sizes_from(rng, max(target, 6), [2, 3, 4, 5, 6], [0.45 * rest, 0.33 * rest, 0.22 * rest, big, big])
    )
    members = add_households(rng, b, sizes, p.household_same_last)
    shape = rng.choice(len(HOUSEHOLD_SHAPES), size=len(sizes), p=np.asarray(p.household_shapes))
    shape[: len(HOUSEHOLD_SHAPES)] = np.arange(len(HOUSEHOLD_SHAPES))  # every shape at least once
    group = b.accounts["group"][-1]
    for h, (start, size) in enumerate(zip(np.cumsum(sizes) - sizes, sizes, strict=True)):
        rows = np.arange(start, start + size)
        group[rows] = len(groups)
        groups.append(Group(f"grp_{len(groups) + 1:05d}", HOUSEHOLD_SHAPES[shape[h]], False, members[rows]))


def _log_sizes(rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
    """count sizes log-uniform between low and high: many small groups, a few large ones."""
    return np.round(np.exp(rng.uniform(np.log(low), np.log(high + 1), count)) - 0.5).astype(np.int64).clip(low, high)


def _count(rng: np.random.Generator, per_10k: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(rng.poisson(per_10k * scale)))


def _shared_places(
    rng: np.random.Generator, b: _Builder, groups: list[Group], count: int, scale: float, p: WorldParams
) -> None:
    """One-account people, and the places and identifiers they share with strangers. Groups overlap (a person
    can be an office worker behind a carrier NAT); an account's scenario and group are its first one."""
    persons = b.people(count)
    created = uniform_ms(rng, count, START_MS, LATEST_SIGNUP_MS)
    base = b.n_accounts
    b.add(persons, "benign", created)
    scenario, group, created = (b.accounts[k][-1] for k in ("scenario", "group", "created"))
    free = np.ones(count, bool)  # not yet given a primary look-alike kind

    def tag(kind: str, rows: np.ndarray) -> None:
        group[rows[group[rows] < 0]] = len(groups)
        groups.append(Group(f"grp_{len(groups) + 1:05d}", kind, False, np.unique(rows) + base))

    def place(kind: str, label: str, rows: np.ndarray) -> None:
        first = free[rows] & (group[rows] < 0)
        scenario[rows[first]] = S[label]
        free[rows] = False
        tag(kind, rows)

    def draw(size: int, prefer_free: bool = True) -> np.ndarray:
        pool = np.flatnonzero(free) if prefer_free and free.sum() >= size else np.arange(count)
        return rng.choice(pool, size=min(size, len(pool)), replace=False)

    # Offices and campuses behind proxies; some co-workers also share a flat (and its connection).
    office_people = round(p.office_share * count)
    office_sizes: list[int] = []
    while sum(office_sizes) < office_people or len(office_sizes) < 2:
        office_sizes.append(int(_log_sizes(rng, 1, 4, p.office_max)[0]))
    for o, size in enumerate(office_sizes):  # the first has one exit, the second two, then as drawn
        rows = draw(size)
        two = o == 1 or (o > 1 and rng.random() < p.office_two_exits)
        place("office_2exits" if two else "office", "office_worker", rows)
        n_flat = max(int(rng.binomial(len(rows), p.flatmate_share)), 2 if o == 0 else 0)
        mates = rng.permutation(rows)[: n_flat - n_flat % 2]
        for pair in mates.reshape(-1, 2):
            extra = rng.random() < 0.2  # sometimes a third flatmate from outside the office
            rows_flat = np.append(pair, draw(1, prefer_free=False)) if extra else pair
            tag("flatmates", rows_flat)
    # Store kiosks: one device and its IP at sign-up for strangers who then use their own phones.
    # Other shoppers use the store's wifi too (kind store_wifi, listed right after its kiosk).
    for _ in range(_count(rng, p.kiosks, scale)):
        place("kiosk", "kiosk_user", draw(int(rng.integers(10, p.kiosk_max + 1))))
        shoppers = draw(int(rng.integers(2, 21)), prefer_free=False)
        tag("store_wifi", shoppers)
    # Venue wifi: a spike of sign-ups within hours; one event may fall in the last week.
    for e in range(_count(rng, p.events, scale)):
        rows = draw(int(rng.integers(15, p.event_max + 1)))
        recent = e == 0 and rng.random() < p.recent_event
        start = (
            LATEST_SIGNUP_MS - (1 + 6 * rng.random()) * DAY_MS
            if recent
            else START_MS + rng.random() * (WINDOW_DAYS - 10) * DAY_MS
        )
        created[rows] = np.sort(uniform_ms(rng, len(rows), start, start + p.event_hours * HOUR_MS))
        place("event_wifi", "event_guest", rows)
    # Carrier NAT and VPN exits of every size, many below any hub threshold.
    for kind, per_10k, low, high in (("carrier_nat", p.nats, 5, p.nat_max), ("vpn_exit", p.vpns, 3, p.vpn_max)):
        for size in _log_sizes(rng, _count(rng, per_10k, scale), low, high):
            place(kind, "hub_ip_user", draw(int(size), prefer_free=False))
    for _ in range(p.default_devices):  # names.DEFAULT_DEVICE_IDS in turn: the all-zero advertising id is second
        place("default_device", "hub_device_user", draw(int(_log_sizes(rng, 1, 5, p.default_max)[0])))
    for _ in range(p.test_cards):
        place("test_card", "test_card_user", draw(int(rng.integers(10, 151))))
    # Recycled residential IPs: a later sign-up gets an address an unrelated person used before.
    n_pairs = max(2, round(p.recycled_share * count / 2))
    for pair in draw(2 * n_pairs).reshape(-1, 2):
        pair = pair[np.argsort(created[pair])]  # the later sign-up gets the address
        if group[pair[1]] < 0:
            scenario[pair[1]] = S["recycled_ip_user"]
        tag("recycled_ip", pair)
    # The common-name trap of the default generator.
    trap = rng.choice(count, size=round(0.02 * count), replace=False)
    b.persons["common"][-1][trap] = rng.integers(0, len(nm.COMMON_NAMES), len(trap))


def _own_accounts(layout: Layout) -> None:
    """People with several accounts of their own (after numbering, so members are final account indices)."""
    rereg = np.flatnonzero(layout.scenario == S["reregistration"])
    order = rereg[np.argsort(layout.person[rereg], kind="stable")]
    persons = layout.person[order]
    cuts = np.flatnonzero(np.diff(persons)) + 1
    for members in np.split(order, cuts):
        if len(members) < 2:
            continue
        idx = len(layout.groups)
        layout.group[members[layout.group[members] < 0]] = idx
        layout.groups.append(Group(f"grp_{idx + 1:05d}", "own_accounts", False, np.sort(members)))
