"""Who is who: how many accounts each scenario gets, which person owns each account, which ring, group
or household it belongs to, and when it was created. Attributes and activity come later.

Sizes are fractions of n_accounts; the few hub-like groups grow with sqrt(n) in number and size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from entity_resolution.demo import identity as ident
from entity_resolution.demo import names as nm
from entity_resolution.demo.people import PersonPlan

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
REFERENCE_MS = 1_793_448_000_000  # 2026-10-31T12:00:00Z: no timestamp is later
WINDOW_DAYS = 540
START_MS = REFERENCE_MS - WINDOW_DAYS * DAY_MS
LATEST_SIGNUP_MS = REFERENCE_MS - HOUR_MS

SCENARIOS: tuple[str, ...] = (
    "benign",  # one person, one account
    "common_name",  # benign, with one of the few very common full names (the false-merge trap)
    "reregistration",  # benign person with 2-4 accounts
    "ban_evasion",  # abusive person who re-registers after a ban
    "household",  # benign people sharing a home device, home IP and postcode
    "hub_ip_user",  # benign, seen on a carrier-NAT / VPN exit IP shared by hundreds
    "hub_device_user",  # benign, reports a default/emulator device id shared by hundreds
    "test_card_user",  # benign, tried a processor test card shared by hundreds
    "lookalike_benign",  # benign groups that share an identifier: campus IP, internet cafe, family card
    "device_farm",  # abusive ring: synthetic identities cycling through shared devices
    "card_testing",  # abusive ring: synthetic identities sharing a few stolen cards
    "coordinator",  # abusive account bridging two rings (device with one, card with the other)
    "burst",  # abusive ring that grew fast in the last days
    # The realistic world (demo/world) adds these; the default generator never uses them.
    "office_worker",  # benign, works behind an office/campus proxy IP
    "kiosk_user",  # benign, signed up on a store kiosk, then lives on their own phone
    "event_guest",  # benign, signed up on a venue's wifi during an event
    "recycled_ip_user",  # benign, got a residential IP that belonged to someone else before
    "resi_proxy",  # abusive ring behind residential proxy IPs
)
S = {name: i for i, name in enumerate(SCENARIOS)}


@dataclass
class Group:
    """A planted ring (abusive) or a benign group that shares one identifier."""

    group_id: str
    kind: str  # device_farm, card_testing, burst, hub_ip, hub_device, test_card, campus_ip, ...
    abusive: bool
    members: np.ndarray  # account indices
    bridged_to: int = -1  # index of the partner ring (bridged pairs)
    coordinator: int = -1  # account index of the coordinator (on ring A of a bridged pair)
    uses_hub: bool = False  # some members also use a hub IP


@dataclass
class Layout:
    n: int
    person: np.ndarray  # person index per account
    rank: np.ndarray  # 0 for a person's first account
    mode: np.ndarray  # identity.FIRST / REREG / EVADER / SYNTHETIC
    scenario: np.ndarray  # index into SCENARIOS
    created: np.ndarray  # epoch ms
    ring: np.ndarray  # index into rings, or -1
    group: np.ndarray  # index into groups, or -1
    household: np.ndarray  # household number, or -1
    bridge: np.ndarray  # bool
    abusive: np.ndarray  # bool
    banned_at: np.ndarray  # epoch ms when a ban evader's first account was banned, else -1
    reuse_device: np.ndarray  # bool: a later account that signs in on the person's own devices
    reuse_card: np.ndarray  # bool: a later account that pays with the person's own cards
    rings: list[Group]
    groups: list[Group]
    people: PersonPlan
    victims: np.ndarray  # person indices with no account: cardholders of stolen cards


@dataclass
class _Builder:
    rng: np.random.Generator
    accounts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    persons: dict[str, list[np.ndarray]] = field(default_factory=dict)
    n_accounts: int = 0
    n_people: int = 0

    def people(
        self,
        k: int,
        *,
        kin_head: np.ndarray | None = None,
        same_last: bool | np.ndarray = False,
        same_postcode: bool = False,
        common: np.ndarray | None = None,
        young: bool = False,
        synthetic: bool = False,
        country: int | np.ndarray = -1,
    ) -> np.ndarray:
        ids = np.arange(self.n_people, self.n_people + k)
        cols = {
            "kin_head": kin_head if kin_head is not None else np.full(k, -1),
            "same_last": np.broadcast_to(same_last, k),
            "same_postcode": np.full(k, same_postcode),
            "common": common if common is not None else np.full(k, -1),
            "young": np.full(k, young),
            "synthetic": np.full(k, synthetic),
            "country": np.broadcast_to(country, k),
        }
        for key, value in cols.items():
            self.persons.setdefault(key, []).append(np.asarray(value))
        self.n_people += k
        return ids

    def add(
        self,
        person: np.ndarray,
        scenario: str,
        created: np.ndarray,
        *,
        rank: np.ndarray | None = None,
        mode: int | np.ndarray = ident.FIRST,
        ring: int = -1,
        group: int = -1,
        household: np.ndarray | None = None,
        bridge: bool = False,
        abusive: bool = False,
        banned_at: np.ndarray | None = None,
        reuse_device: np.ndarray | None = None,
        reuse_card: np.ndarray | None = None,
    ) -> np.ndarray:
        k = len(person)
        cols = {
            "person": person,
            "rank": rank if rank is not None else np.zeros(k, np.int64),
            "mode": np.broadcast_to(mode, k),
            "scenario": np.full(k, S[scenario]),
            "created": created,
            "ring": np.full(k, ring),
            "group": np.full(k, group),
            "household": household if household is not None else np.full(k, -1),
            "bridge": np.full(k, bridge),
            "abusive": np.full(k, abusive),
            "banned_at": banned_at if banned_at is not None else np.full(k, -1),
            "reuse_device": reuse_device if reuse_device is not None else np.zeros(k, bool),
            "reuse_card": reuse_card if reuse_card is not None else np.zeros(k, bool),
        }
        for key, value in cols.items():
            self.accounts.setdefault(key, []).append(np.asarray(value))
        ids = np.arange(self.n_accounts, self.n_accounts + k)
        self.n_accounts += k
        return ids

    def column(self, key: str, store: dict[str, list[np.ndarray]]) -> np.ndarray:
        return np.concatenate(store[key])


def uniform_ms(rng: np.random.Generator, k: int, start: float, end: float) -> np.ndarray:
    return (start + rng.random(k) * (end - start)).astype(np.int64)


def _sizes(rng: np.random.Generator, target: int, low: int, high: int) -> list[int]:
    """Group sizes between low and high (skewed small) adding up to about target."""
    sizes: list[int] = []
    while sum(sizes) < target:
        sizes.append(int(low + round((high - low) * rng.beta(1.2, 2.2))))
    return sizes


def _ring_window(rng: np.random.Generator) -> tuple[float, float]:
    """Start and end of a ring's sign-up period: a few days for some, weeks for others."""
    span = (0.5 + 2.5 * rng.random()) if rng.random() < 0.3 else (7 + 49 * rng.random())
    start = START_MS + rng.random() * (LATEST_SIGNUP_MS - START_MS - span * DAY_MS - 10 * DAY_MS)
    return start, start + span * DAY_MS


def plan(rng: np.random.Generator, n: int) -> Layout:
    if n < 1000:
        raise ValueError(f"n_accounts must be at least 1000 to hold every scenario, got {n}")
    b = _Builder(rng)
    scale = n / 10_000
    hub_scale = max(scale, 1.0) ** 0.5
    rings: list[Group] = []
    groups: list[Group] = []

    def ring(kind: str, size: int, start: float, end: float, scenario: str | None = None) -> int:
        return add_ring(rng, b, rings, kind, size, start, end, scenario)

    for size in _sizes(rng, round(0.025 * n), 5, 30):
        r = ring("device_farm", size, *_ring_window(rng))
        rings[r].uses_hub = bool(rng.random() < 0.25)
    for size in _sizes(rng, round(0.012 * n), 8, 30):
        ring("card_testing", size, *_ring_window(rng))
    for _ in range(max(3, round(3 * scale))):  # bridged pairs: A -- coordinator -- B
        add_bridged_pair(rng, b, rings, "device_farm", "card_testing")
    n_burst = max(1, round(n / 250_000))
    for _ in range(n_burst):
        size = int(np.clip(round(0.004 * n / n_burst * (0.8 + 0.4 * rng.random())), 25, 1500))
        days = 3 + 4 * rng.random()
        r = ring("burst", size, LATEST_SIGNUP_MS - days * DAY_MS, LATEST_SIGNUP_MS)
        early = rng.random(size) < 0.15  # a few seed accounts from before the burst
        b.accounts["created"][-1][early] = np.sort(
            uniform_ms(rng, int(early.sum()), LATEST_SIGNUP_MS - 90 * DAY_MS, LATEST_SIGNUP_MS - days * DAY_MS)
        )

    _ban_evaders(rng, b, max(5, round(0.0025 * n)))
    remaining = n - b.n_accounts
    people_estimate = remaining / 1.12
    lookalikes(rng, b, groups, scale)
    _households(rng, b, round(0.03 * people_estimate))
    _reregistrations(rng, b, round(0.08 * people_estimate))
    singles = n - b.n_accounts
    if singles < 0.4 * n:
        raise ValueError(f"n_accounts={n} leaves too few single accounts ({singles}) for the hub scenarios")
    _singles(rng, b, groups, singles, n, hub_scale)
    victims = b.people(12 * len(rings) + 50)

    return finish_layout(b, n, rings, groups, victims)


def add_ring(
    rng: np.random.Generator,
    b: _Builder,
    rings: list[Group],
    kind: str,
    size: int,
    start: float,
    end: float,
    scenario: str | None = None,
) -> int:
    """Plant an abusive ring of synthetic identities signing up between start and end; its index."""
    country = int(_draw_country(rng))
    home = np.where(rng.random(size) < 0.8, country, -1)
    persons = b.people(size, synthetic=True, country=home)
    created = np.sort(uniform_ms(rng, size, start, min(end, LATEST_SIGNUP_MS)))
    idx = len(rings)
    members = b.add(persons, scenario or kind, created, mode=ident.SYNTHETIC, ring=idx, abusive=True)
    rings.append(Group(f"ring_{idx + 1:04d}", kind, True, members))
    return idx


def add_bridged_pair(
    rng: np.random.Generator, b: _Builder, rings: list[Group], kind_a: str, kind_b: str, low: int = 5, high: int = 13
) -> int:
    """Two rings A and B and a coordinator account that joins them (it is counted in ring A); A's index."""
    start, end = _ring_window(rng)
    a = add_ring(rng, b, rings, kind_a, int(rng.integers(low, high)), start, end)
    b_start = start + rng.random() * (end - start)
    c = add_ring(rng, b, rings, kind_b, int(rng.integers(low, high)), b_start, b_start + (end - start))
    person = b.people(1, synthetic=True)
    when = uniform_ms(rng, 1, b_start, min(b_start + (end - start), LATEST_SIGNUP_MS))
    coord = b.add(person, "coordinator", when, mode=ident.SYNTHETIC, ring=a, bridge=True, abusive=True)
    rings[a].bridged_to, rings[c].bridged_to, rings[a].coordinator = c, a, int(coord[0])
    rings[a].members = np.append(rings[a].members, coord)
    return a


def finish_layout(b: _Builder, n: int, rings: list[Group], groups: list[Group], victims: np.ndarray) -> Layout:
    """Concatenate the builder's columns and number accounts in sign-up order (groups follow)."""
    acc = {k: b.column(k, b.accounts) for k in b.accounts}
    per = {k: b.column(k, b.persons) for k in b.persons}
    person_plan = PersonPlan(
        n=b.n_people,
        kin_head=per["kin_head"],
        same_last=per["same_last"].astype(bool),
        same_postcode=per["same_postcode"].astype(bool),
        common=per["common"],
        young=per["young"].astype(bool),
        synthetic=per["synthetic"].astype(bool),
        country=per["country"],
    )
    # Number accounts in sign-up order, so every file can list them in that order without reshuffling.
    order = np.argsort(acc["created"], kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    acc = {k: v[order] for k, v in acc.items()}
    for g in rings + groups:
        g.members = position[g.members]
        if g.coordinator >= 0:
            g.coordinator = int(position[g.coordinator])
    return Layout(
        n=n,
        person=acc["person"],
        rank=acc["rank"],
        mode=acc["mode"],
        scenario=acc["scenario"],
        created=acc["created"],
        ring=acc["ring"],
        group=acc["group"],
        household=acc["household"],
        bridge=acc["bridge"].astype(bool),
        abusive=acc["abusive"].astype(bool),
        banned_at=acc["banned_at"],
        reuse_device=acc["reuse_device"].astype(bool),
        reuse_card=acc["reuse_card"].astype(bool),
        rings=rings,
        groups=groups,
        people=person_plan,
        victims=victims,
    )


def _draw_country(rng: np.random.Generator) -> int:
    w = np.asarray(nm.COUNTRY_WEIGHTS)
    return int(rng.choice(len(w), p=w / w.sum()))


def _multi_account(
    rng: np.random.Generator,
    b: _Builder,
    n_people: int,
    counts: list[int],
    probs: list[float],
    scenario: str,
    abusive: bool,
    common: np.ndarray | None = None,
) -> None:
    """People with several accounts: created over time, later ones are variants of the first."""
    persons = b.people(n_people, common=common)
    k = rng.choice(counts, size=n_people, p=probs)
    person = np.repeat(persons, k)
    rank = np.arange(len(person)) - np.repeat(np.cumsum(k) - k, k)
    later = rank > 0
    if abusive:  # banned some time after the first account, back after the ban
        first = uniform_ms(rng, n_people, START_MS, REFERENCE_MS - 60 * DAY_MS)
        banned = first + (2 + 38 * rng.random(n_people)) * DAY_MS
        lo = np.repeat(banned + HOUR_MS, k)
        hi = np.minimum(lo + 150 * DAY_MS, LATEST_SIGNUP_MS)
        banned_at = np.where(later, -1, np.repeat(banned, k)).astype(np.int64)
        mode = np.where(later, ident.EVADER, ident.FIRST)
        reuse_device, reuse_card = later, later & (rng.random(len(person)) < 0.4)
    else:
        first = uniform_ms(rng, n_people, START_MS, REFERENCE_MS - 30 * DAY_MS)
        lo = np.repeat(first + DAY_MS, k)
        hi = np.full(len(person), LATEST_SIGNUP_MS)
        banned_at = None
        mode = np.where(later, ident.REREG, ident.FIRST)
        reuse_device = later & (rng.random(len(person)) < 0.75)
        reuse_card = later & (rng.random(len(person)) < 0.45)
    t = lo + rng.random(len(person)) * (hi - lo)
    # Sort each person's later accounts in time so rank follows creation order.
    t = np.where(later, t, np.repeat(first, k)).astype(np.int64)
    order = np.lexsort((t, person))
    t = t[order]
    b.add(
        person,
        scenario,
        t,
        rank=rank,
        mode=mode,
        abusive=abusive,
        banned_at=banned_at,
        reuse_device=reuse_device,
        reuse_card=reuse_card,
    )


def _ban_evaders(rng: np.random.Generator, b: _Builder, n_people: int) -> None:
    _multi_account(rng, b, n_people, [2, 3], [0.7, 0.3], "ban_evasion", abusive=True)


def _reregistrations(rng: np.random.Generator, b: _Builder, n_people: int) -> None:
    common = np.where(rng.random(n_people) < 0.03, rng.integers(0, len(nm.COMMON_NAMES), n_people), -1)
    _multi_account(rng, b, n_people, [2, 3, 4], [0.6, 0.3, 0.1], "reregistration", abusive=False, common=common)


def _households(rng: np.random.Generator, b: _Builder, target_people: int) -> None:
    sizes = np.asarray(_sizes_from(rng, max(target_people, 4), [2, 3, 4], [0.45, 0.35, 0.2]))
    add_households(rng, b, sizes, 0.85)


def add_households(rng: np.random.Generator, b: _Builder, sizes: np.ndarray, same_last: float) -> np.ndarray:
    """Households of the given sizes at one postcode each (a same_last share carry the head's last name),
    created over the whole window; their account indices, household by household."""
    total = int(sizes.sum())
    first = b.n_people + np.cumsum(sizes) - sizes
    head = np.repeat(first, sizes)
    is_head = np.arange(b.n_people, b.n_people + total) == head
    persons = b.people(
        total,
        kin_head=np.where(is_head, -1, head),
        same_last=rng.random(total) < same_last,
        same_postcode=True,
    )
    household = np.repeat(np.arange(len(sizes)), sizes)
    return b.add(persons, "household", uniform_ms(rng, total, START_MS, LATEST_SIGNUP_MS), household=household)


def _sizes_from(rng: np.random.Generator, target: int, values: list[int], probs: list[float]) -> list[int]:
    draws = rng.choice(values, size=target, p=probs)
    cut = int(np.searchsorted(np.cumsum(draws), target)) + 1
    return [int(v) for v in draws[:cut]]


def lookalikes(
    rng: np.random.Generator,
    b: _Builder,
    groups: list[Group],
    scale: float,
    per_10k: tuple[float, float, float] = (2.5, 2.5, 5.0),
) -> None:
    """Benign groups that share one identifier, at sizes that look like small rings: campus IPs, internet
    cafes and family cards (per_10k of each)."""
    specs = [
        ("campus_ip", max(2, round(per_10k[0] * scale)), 20, 50),
        ("internet_cafe", max(2, round(per_10k[1] * scale)), 6, 10),
        ("family_card", max(3, round(per_10k[2] * scale)), 2, 3),
    ]
    for kind, count, low, high in specs:
        for _ in range(count):
            size = int(rng.integers(low, high + 1))
            country = _draw_country(rng)
            if kind == "family_card":  # a parent's card used by grown-up children living elsewhere
                head = b.n_people
                kin = np.where(np.arange(size) == 0, -1, head)
                persons = b.people(size, kin_head=kin, same_last=True, country=country)
            else:
                persons = b.people(size, young=kind == "campus_ip", country=country)
            idx = len(groups)
            members = b.add(persons, "lookalike_benign", uniform_ms(rng, size, START_MS, LATEST_SIGNUP_MS), group=idx)
            groups.append(Group(f"grp_{idx + 1:04d}", kind, False, members))


def _singles(rng: np.random.Generator, b: _Builder, groups: list[Group], count: int, n: int, hub_scale: float) -> None:
    """One-account people; some of them are the unrelated crowd behind hub IPs, devices and cards."""
    persons = b.people(count)
    created = uniform_ms(rng, count, START_MS, LATEST_SIGNUP_MS)
    first = b.n_accounts
    ids = b.add(persons, "benign", created)
    scenario = b.accounts["scenario"][-1]
    group = b.accounts["group"][-1]
    pool = rng.permutation(ids) - first
    pos = 0
    for kind, label, n_hubs, share in [
        ("hub_ip", "hub_ip_user", max(4, round(4 * hub_scale)), 0.18),
        ("hub_device", "hub_device_user", max(2, round(2 * hub_scale)), 0.03),
        ("test_card", "test_card_user", max(2, round(2 * hub_scale)), 0.02),
    ]:
        sizes = np.round(share * n / n_hubs * (0.7 + 0.6 * rng.random(n_hubs))).astype(int)
        for size in sizes:
            rows = pool[pos : pos + size]
            pos += size
            idx = len(groups)
            scenario[rows] = S[label]
            group[rows] = idx
            groups.append(Group(f"grp_{idx + 1:04d}", kind, False, rows + first))
    # The common-name trap: distinct people sharing one of a few very common full names.
    n_common = round(0.025 * count)
    rows = pool[pos : pos + n_common]
    scenario[rows] = S["common_name"]
    b.persons["common"][-1][rows] = rng.integers(0, len(nm.COMMON_NAMES), len(rows))
