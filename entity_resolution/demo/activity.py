"""Devices, IPs and cards, and the device/payment events that tie accounts to them.

Identifiers are numbered as they are handed out (Assets) and turned into strings at the end (render.py).
Every account gets at least one device row; its first generated row is its sign-up session, which also
gives the account's signup_ip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from entity_resolution.demo import formats as fm
from entity_resolution.demo import names as nm
from entity_resolution.demo.layout import DAY_MS, REFERENCE_MS, Group, Layout

IOS, ANDROID, DESKTOP, TABLET, EMULATOR, DEFAULT = range(6)


@dataclass
class Assets:
    """Devices, IPs and cards handed out so far (keys are positions)."""

    dev_kind: list[np.ndarray] = field(default_factory=list)
    dev_default: list[np.ndarray] = field(default_factory=list)  # index into DEFAULT_DEVICE_IDS or -1
    ip_fixed_v4: list[np.ndarray] = field(default_factory=list)  # True: always IPv4 (NAT, campus, proxies)
    card_holder: list[np.ndarray] = field(default_factory=list)  # person index of the cardholder
    card_test: list[np.ndarray] = field(default_factory=list)  # index into TEST_CARDS or -1
    n_dev: int = 0
    n_ip: int = 0
    n_card: int = 0

    def devices(self, kinds: np.ndarray, default: int = -1) -> np.ndarray:
        k = len(kinds)
        self.dev_kind.append(np.asarray(kinds))
        self.dev_default.append(np.full(k, default))
        self.n_dev += k
        return np.arange(self.n_dev - k, self.n_dev)

    def ips(self, k: int, fixed_v4: bool = False) -> np.ndarray:
        self.ip_fixed_v4.append(np.full(k, fixed_v4))
        self.n_ip += k
        return np.arange(self.n_ip - k, self.n_ip)

    def cards(self, holders: np.ndarray, test: int = -1) -> np.ndarray:
        k = len(holders)
        self.card_holder.append(np.asarray(holders))
        self.card_test.append(np.full(k, test))
        self.n_card += k
        return np.arange(self.n_card - k, self.n_card)


@dataclass
class Events:
    """Device and payment rows under construction (lists of array chunks)."""

    dev: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in ("acc", "device", "ip", "delay")})
    pay: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("acc", "card", "holder", "delay", "disputed")}
    )

    def device_rows(self, acc: np.ndarray, device: np.ndarray, ip: np.ndarray, mean_days: float) -> None:
        """Rows seen some time (mean_days on average) after each account's creation."""
        cols = (("acc", acc), ("device", device), ("ip", ip), ("delay", np.full(len(acc), mean_days)))
        for key, value in cols:
            self.dev[key].append(np.asarray(value))

    def payment_rows(
        self, acc: np.ndarray, card: np.ndarray, holder: np.ndarray, mean_days: float, disputed: np.ndarray
    ) -> None:
        cols = (
            ("acc", acc),
            ("card", card),
            ("holder", holder),
            ("delay", np.full(len(acc), mean_days)),
            ("disputed", disputed),
        )
        for key, value in cols:
            self.pay[key].append(np.asarray(value))


@dataclass(frozen=True)
class Activity:
    assets: Assets
    dev_acc: np.ndarray
    dev_device: np.ndarray
    dev_ip: np.ndarray
    dev_t: np.ndarray
    pay_acc: np.ndarray
    pay_card: np.ndarray
    pay_holder: np.ndarray
    pay_t: np.ndarray
    pay_disputed: np.ndarray
    signup_ip: np.ndarray  # ip key per account
    ring_links: dict[int, str]  # ring index -> identifier types its members share ('device|card|ip')


def after(rng: np.random.Generator, created: np.ndarray, mean_days: np.ndarray) -> np.ndarray:
    """Event times after account creation (exponential delay), never after the reference time."""
    created = np.asarray(created, dtype=np.int64)
    t = created + 60_000 + (rng.exponential(mean_days, len(created)) * DAY_MS).astype(np.int64)
    late = t > REFERENCE_MS
    room = REFERENCE_MS - created - 60_000
    t[late] = created[late] + 60_000 + (rng.random(int(late.sum())) * room[late]).astype(np.int64)
    return t


def personal_kinds(rng: np.random.Generator, k: int) -> np.ndarray:
    return fm.weighted(rng, k, [35, 40, 25])  # IOS, ANDROID, DESKTOP


def build_activity(rng: np.random.Generator, layout: Layout, moved: np.ndarray) -> Activity:
    assets, ev = Assets(), Events()
    pools = personal(rng, layout, moved, assets, ev)
    hub_ips = _overlays(rng, layout, assets, ev, pools)
    links = rings(rng, layout, assets, ev, hub_ips)
    return finish(rng, layout, assets, ev, links)


@dataclass(frozen=True)
class Pools:
    """Per account: where its own devices/cards start in the asset numbering, how many, its home IP."""

    dev_start: np.ndarray
    dev_count: np.ndarray
    card_start: np.ndarray
    card_count: np.ndarray
    home_ip: np.ndarray
    first_row: np.ndarray  # index of the account's sign-up row among the base device rows, or -1


def _owner_pool(rng: np.random.Generator, owner: np.ndarray, weights: list[float]) -> tuple[np.ndarray, ...]:
    """Group accounts by owner; each owner gets 1, 2, ... items (weights). Returns start and count per
    account, and for each item the first account of its owner."""
    uniq, first, inverse = np.unique(owner, return_index=True, return_inverse=True)
    count = 1 + fm.weighted(rng, len(uniq), weights)
    start = np.cumsum(count) - count
    return start[inverse], count[inverse], np.repeat(first, count)


def personal(rng: np.random.Generator, layout: Layout, moved: np.ndarray, assets: Assets, ev: Events) -> Pools:
    n, plan = layout.n, layout.people
    acc = np.arange(n)
    person = layout.person
    own = layout.ring < 0  # ring members and coordinators are wired in _rings
    later = layout.rank > 0
    private = n + plan.n  # owner keys above this are one account's own
    dev_owner = np.where(~later | layout.reuse_device, person, private + acc)
    card_owner = np.where(~later | layout.reuse_card, person, private + acc)
    home_person = np.where((plan.kin_head >= 0) & plan.same_postcode, plan.kin_head, np.arange(plan.n))[person]
    home_owner = np.where(moved, private + acc, home_person)

    dev_start, dev_count, dev_rep = _owner_pool(rng, dev_owner, [55, 35, 10])
    dev_start = dev_start + assets.devices(personal_kinds(rng, len(dev_rep)))[0]
    card_start, card_count, card_rep = _owner_pool(rng, card_owner, [70, 30])
    card_start = card_start + assets.cards(person[card_rep])[0]
    home_start, _, home_rep = _owner_pool(rng, home_owner, [1])
    home_ip = home_start + assets.ips(len(home_rep))[0]

    # Base device rows: 1-3 per account, the first one is the sign-up session.
    accounts = acc[own]
    k = fm.weighted(rng, len(accounts), [40, 35, 25]) + 1
    rows_acc = np.repeat(accounts, k)
    slot = np.arange(len(rows_acc)) - np.repeat(np.cumsum(k) - k, k)
    pick = np.where(slot == 0, 0, rng.integers(0, 1 << 30, len(rows_acc)) % dev_count[rows_acc])
    device = dev_start[rows_acc] + pick
    fresh = np.where(slot == 0, rng.random(len(rows_acc)) >= 0.65, rng.random(len(rows_acc)) >= 0.55)
    ip = home_ip[rows_acc].copy()
    ip[fresh] = assets.ips(int(fresh.sum()))
    first_row = np.full(n, -1)
    first_row[accounts] = np.cumsum(k) - k
    ev.device_rows(rows_acc, device, ip, 40)

    # Base payment rows: 0-2 per account on the person's own cards.
    k = fm.weighted(rng, len(accounts), [45, 37, 18])
    rows_acc = np.repeat(accounts, k)
    card = card_start[rows_acc] + rng.integers(0, 1 << 30, len(rows_acc)) % card_count[rows_acc]
    holder = np.concatenate(assets.card_holder)[card]
    disputed = rng.random(len(rows_acc)) < np.where(layout.abusive[rows_acc], 0.2, 0.005)
    ev.payment_rows(rows_acc, card, holder, 25, disputed)
    return Pools(dev_start, dev_count, card_start, card_count, home_ip, first_row)


def _overlays(rng: np.random.Generator, layout: Layout, assets: Assets, ev: Events, pools: Pools) -> list[int]:
    """Benign sharing: household devices, hub IPs/devices/cards, campus IPs, cafe PCs, family cards.
    Returns the IP key of each hub_ip group."""
    household_overlay(rng, layout, assets, ev, pools)
    state = GroupState()
    for g in layout.groups:
        group_overlay(rng, g, layout, assets, ev, pools, state)
    return state.hub_ips


@dataclass
class GroupState:
    """What group_overlay hands out across groups: hub IP keys, how many default ids and test cards so far."""

    hub_ips: list[int] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=lambda: {"hub_device": 0, "test_card": 0})


def own_device(rng: np.random.Generator, pools: Pools, accs: np.ndarray) -> np.ndarray:
    """One of each account's own devices, at random."""
    return pools.dev_start[accs] + rng.integers(0, 1 << 30, len(accs)) % pools.dev_count[accs]


def household_overlay(rng: np.random.Generator, layout: Layout, assets: Assets, ev: Events, pools: Pools) -> None:
    """Households: a family tablet on the home IP, sometimes one card used by two of them."""
    person = layout.person
    hh_acc = np.flatnonzero(layout.household >= 0)
    if len(hh_acc):
        # Members in household order, the head (lowest person number) first.
        hh_acc = hh_acc[np.lexsort((person[hh_acc], layout.household[hh_acc]))]
        hh = layout.household[hh_acc]
        n_hh = int(hh.max()) + 1
        tablet = assets.devices(np.full(n_hh, TABLET))
        position = np.arange(len(hh_acc)) - np.searchsorted(hh, hh)
        uses = (position < 2) | (rng.random(len(hh_acc)) < 0.8)
        a = hh_acc[uses]
        ev.device_rows(a, tablet[layout.household[a]], pools.home_ip[a], 30)
        head = hh_acc[position == 0]
        shares = rng.random(n_hh) < 0.3
        second = hh_acc[(position == 1) & shares[hh]]
        head_card = pools.card_start[head[layout.household[second]]]
        holder = person[head[layout.household[second]]]
        ev.payment_rows(second, head_card, holder, 30, np.zeros(len(second), bool))


# Group kinds that group_overlay wires like a hub IP, a default device id or a test card.
HUB_IP_KINDS = ("hub_ip", "carrier_nat", "vpn_exit")
HUB_DEVICE_KINDS = ("hub_device", "default_device")


def group_overlay(
    rng: np.random.Generator,
    g: Group,
    layout: Layout,
    assets: Assets,
    ev: Events,
    pools: Pools,
    state: GroupState,
) -> None:
    """The shared identifier of one benign group and the events that tie its members to it."""
    base_ip = ev.dev["ip"][0]
    base_device = ev.dev["device"][0]
    person = layout.person
    seen = state.seen
    m = g.members
    k = len(m)
    if g.kind in (*HUB_IP_KINDS, "campus_ip"):
        shared = assets.ips(1, fixed_v4=True)[0]
        if g.kind in HUB_IP_KINDS:
            state.hub_ips.append(int(shared))
        replace = rng.random(k) < (0.7 if g.kind == "campus_ip" else 0.6)
        base_ip[pools.first_row[m[replace]]] = shared
        extra = m[~replace] if g.kind != "campus_ip" else np.concatenate([m[~replace], m[rng.random(k) < 0.5]])
        ev.device_rows(extra, own_device(rng, pools, extra), np.full(len(extra), shared), 30)
    elif g.kind in HUB_DEVICE_KINDS:
        default = seen["hub_device"] % len(nm.DEFAULT_DEVICE_IDS)
        seen["hub_device"] += 1
        shared = assets.devices(np.array([DEFAULT]), default=default)[0]
        replace = rng.random(k) < 0.5
        base_device[pools.first_row[m[replace]]] = shared
        extra = m[~replace]
        ev.device_rows(extra, np.full(len(extra), shared), pools.home_ip[extra], 30)
    elif g.kind == "test_card":
        test = seen["test_card"] % len(nm.TEST_CARDS)
        seen["test_card"] += 1
        card = assets.cards(np.array([-1]), test=test)[0]
        ev.payment_rows(m, np.full(k, card), person[m], 10, rng.random(k) < 0.02)
    elif g.kind == "internet_cafe":
        pc_dev = assets.devices(np.array([DESKTOP]))[0]
        cafe_ip = assets.ips(1, fixed_v4=True)[0]
        ev.device_rows(m, np.full(k, pc_dev), np.full(k, cafe_ip), 20)
    elif g.kind == "family_card":
        head, kids = m[0], m[1:]
        n_rows = rng.integers(1, 3, len(kids))
        kid_rows = np.repeat(kids, n_rows)
        card = np.full(len(kid_rows), pools.card_start[head])
        holder = np.full(len(kid_rows), person[head])
        ev.payment_rows(kid_rows, card, holder, 30, np.zeros(len(kid_rows), bool))


Count = Callable[[int, np.random.Generator], int]
RingShape = tuple[Count, Count, Count, float, tuple[int, int], float]
RING_SHAPES: dict[str, RingShape] = {
    # kind: (devices, cards, ips as functions of ring size), weak-member share, payment rows, disputed rate
    "device_farm": (
        lambda k, r: int(np.clip(k // 5 + r.integers(1, 3), 2, 8)),
        lambda k, r: int(r.integers(1, 4)),
        lambda k, r: int(r.integers(1, 4)),
        0.3,
        (1, 3),
        0.15,
    ),
    "burst": (
        lambda k, r: int(np.clip(k // 8, 3, 60)),
        lambda k, r: int(np.clip(k // 25, 1, 20)),
        lambda k, r: int(np.clip(k // 30, 1, 20)),
        0.3,
        (1, 3),
        0.2,
    ),
    "card_testing": (
        lambda k, r: int(r.random() < 0.3),
        lambda k, r: int(r.integers(2, 5)),
        lambda k, r: int(r.integers(0, 2)),
        0.4,
        (2, 5),
        0.6,
    ),
}


def touch_matrix(rng: np.random.Generator, k: int, kinds: np.ndarray, weak: float) -> np.ndarray:
    """Which of k members use which of the ring's shared identifiers.

    Connected by construction: consecutive identifiers (in a random order) share a 'linker' member, and
    every member touches at least one identifier. Not every member touches every identifier; weak
    members touch exactly one. Every identifier has at least two members.
    """
    s = len(kinds)
    touch = np.zeros((k, s), dtype=bool)
    order = rng.permutation(s)
    linkers = rng.integers(0, k, max(s - 1, 0))
    touch[linkers, order[:-1]] = True
    touch[linkers, order[1:]] = True
    lonely = np.flatnonzero(~touch.any(axis=1))
    n_touch = np.where(rng.random(len(lonely)) < weak, 1, rng.integers(1, 4, len(lonely)))
    rows = np.repeat(lonely, n_touch)
    touch[rows, rng.integers(0, s, len(rows))] = True
    for col in np.flatnonzero(touch.sum(axis=0) < min(2, k)):
        free = np.flatnonzero(~touch[:, col])
        touch[rng.choice(free, min(2, k) - int(touch[:, col].sum()), replace=False), col] = True
    return touch


def rings(
    rng: np.random.Generator,
    layout: Layout,
    assets: Assets,
    ev: Events,
    hub_ips: list[int],
    shapes: dict[str, RingShape] | None = None,
) -> dict[int, str]:
    """Wire every planted ring (RING_SHAPES, or the given shapes) and the coordinators of bridged pairs."""
    shapes = RING_SHAPES if shapes is None else shapes
    person = layout.person
    next_victim = 0
    links: dict[int, str] = {}
    shared_devices: dict[int, np.ndarray] = {}
    shared_cards: dict[int, np.ndarray] = {}
    card_holders: dict[int, np.ndarray] = {}
    for r, g in enumerate(layout.rings):
        m = g.members[~layout.bridge[g.members]]
        k = len(m)
        dev_f, card_f, ip_f, weak, pay_rows, disputed_rate = shapes[g.kind]
        n_dev, n_card, n_ip = dev_f(k, rng), card_f(k, rng), ip_f(k, rng)
        devs = assets.devices(np.where(rng.random(n_dev) < 0.6, EMULATOR, ANDROID))
        own_card = rng.random(n_card) < (0.4 if g.kind == "device_farm" else 0.0)
        victims = layout.victims[next_victim : next_victim + n_card]
        if len(victims) < n_card:
            raise AssertionError("layout planned too few card-theft victims")
        next_victim += n_card
        holders = np.where(own_card, person[m[rng.integers(0, k, n_card)]], victims)
        cards = assets.cards(holders)
        ips = assets.ips(n_ip, fixed_v4=True)
        shared_devices[r], shared_cards[r], card_holders[r] = devs, cards, holders
        used = [name for name, count in (("device", n_dev), ("card", n_card), ("ip", n_ip)) if count]
        links[r] = "|".join(used + (["hub_ip"] if g.uses_hub and hub_ips else []))
        kinds = np.repeat([0, 1, 2], [n_dev, n_card, n_ip])
        keys = np.concatenate([devs, cards, ips])
        touch = touch_matrix(rng, k, kinds, weak)
        own = assets.devices(np.where(rng.random(k) < 0.5, EMULATOR, ANDROID))
        mi, si = np.nonzero(touch)
        # A member's proxy IP (if it touches one) is used for its device sessions.
        proxy = np.full(k, -1)
        ip_pairs = kinds[si] == 2
        proxy[mi[ip_pairs]] = keys[si[ip_pairs]]
        has_dev = np.zeros(k, bool)
        has_dev[mi[kinds[si] == 0]] = True
        no_dev = np.flatnonzero(~has_dev)  # sign up on the member's own (fresh) device
        _device_events(ev, assets, m[no_dev], own[no_dev], proxy[no_dev], 7)
        d = kinds[si] == 0
        reps = rng.integers(1, 3, int(d.sum()))
        dm, dd = np.repeat(mi[d], reps), np.repeat(keys[si[d]], reps)
        _device_events(ev, assets, m[dm], dd, proxy[dm], 7)
        extra_ip = ip_pairs & (proxy[mi] != keys[si])
        _device_events(ev, assets, m[mi[extra_ip]], own[mi[extra_ip]], keys[si[extra_ip]], 7)
        c = kinds[si] == 1
        reps = rng.integers(*pay_rows, int(c.sum()))
        cm, cc = np.repeat(mi[c], reps), np.repeat(keys[si[c]], reps)
        ev.payment_rows(m[cm], cc, holders[cc - cards[0]], 5, rng.random(len(cm)) < disputed_rate)
        if g.uses_hub and hub_ips:
            hub = hub_ips[int(rng.integers(0, len(hub_ips)))]
            on_hub = np.flatnonzero(rng.random(k) < 0.4)
            ev.device_rows(m[on_hub], own[on_hub], np.full(len(on_hub), hub), 7)
    for r, g in enumerate(layout.rings):
        if g.coordinator < 0:
            continue
        c = np.array([g.coordinator])
        own = assets.devices(np.array([ANDROID]))
        _device_events(ev, assets, c, own, np.array([-1]), 7)
        device = rng.choice(shared_devices[r], 1)
        _device_events(ev, assets, c, device, np.array([-1]), 7)
        pick = rng.integers(0, len(shared_cards[g.bridged_to]), 1)
        card, holder = shared_cards[g.bridged_to][pick], card_holders[g.bridged_to][pick]
        ev.payment_rows(c, card, holder, 7, np.array([rng.random() < 0.5]))
    return links


def _device_events(
    ev: Events, assets: Assets, acc: np.ndarray, device: np.ndarray, ip: np.ndarray, mean_days: float
) -> None:
    """Device rows; where ip is -1 a fresh residential/mobile IP is used."""
    ip = np.asarray(ip).copy()
    need = ip < 0
    ip[need] = assets.ips(int(need.sum()))
    ev.device_rows(acc, device, ip, mean_days)


def finish(rng: np.random.Generator, layout: Layout, assets: Assets, ev: Events, links: dict[int, str]) -> Activity:
    dev = {k: np.concatenate(v) for k, v in ev.dev.items()}
    pay = {k: np.concatenate(v) for k, v in ev.pay.items()}
    dev["t"] = after(rng, layout.created[dev["acc"]], dev["delay"])
    pay["t"] = after(rng, layout.created[pay["acc"]], pay["delay"])
    # Each account's first generated row is its sign-up session: minutes after creation.
    order = np.argsort(dev["acc"], kind="stable")
    starts = np.concatenate([[True], dev["acc"][order][1:] != dev["acc"][order][:-1]])
    signup_rows = order[starts]
    accounts = dev["acc"][signup_rows]
    if len(accounts) != layout.n or not np.array_equal(accounts, np.arange(layout.n)):
        raise AssertionError("every account needs at least one device row")
    dev["t"][signup_rows] = layout.created + rng.integers(2_000, 600_000, layout.n)
    signup_ip = dev["ip"][signup_rows]
    return Activity(
        assets=assets,
        dev_acc=dev["acc"],
        dev_device=dev["device"],
        dev_ip=dev["ip"],
        dev_t=dev["t"],
        pay_acc=pay["acc"],
        pay_card=pay["card"],
        pay_holder=pay["holder"],
        pay_t=pay["t"],
        pay_disputed=pay["disputed"].astype(bool),
        signup_ip=signup_ip,
        ring_links=links,
    )
