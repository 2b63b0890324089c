"""Devices, IPs, cards and phones of the realistic world: the default generator's wiring (personal devices,
hub-like groups, rings) plus the look-alikes' own, and the identity edits a shared phone needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from entity_resolution.demo import formats as fm
from entity_resolution.demo.activity import (
    ANDROID,
    DESKTOP,
    RING_SHAPES,
    TABLET,
    Activity,
    Assets,
    Events,
    GroupState,
    Pools,
    RingShape,
    finish,
    group_overlay,
    own_device,
    personal,
    rings,
)
from entity_resolution.demo.identity import AccountIdentity
from entity_resolution.demo.layout import Group, Layout
from entity_resolution.demo.world.params import WorldParams

DEFAULT_KINDS = frozenset(
    {"carrier_nat", "vpn_exit", "default_device", "test_card", "campus_ip", "internet_cafe", "family_card"}
)


def ring_shapes(p: WorldParams) -> dict[str, RingShape]:
    """The default ring shapes with this world's share of weak members, plus rings behind residential proxies:
    many IPs that look like home connections, each shared by a few members, and only one or two devices."""
    shapes = {}
    for kind, (devices, cards, ips, weak, pay_rows, disputed) in RING_SHAPES.items():
        shapes[kind] = (devices, cards, ips, max(weak, p.slip_share), pay_rows, disputed)
    shapes["resi_proxy"] = (
        lambda k, r: int(r.integers(1, 3)),
        lambda k, r: int(r.integers(1, 3)),  # rings() needs at least one card
        lambda k, r: max(2, k // 3),
        p.slip_share,
        (1, 3),
        0.2,
    )
    return shapes


@dataclass
class _Wiring:
    """What the look-alike wiring works with; store_ip is the last kiosk's store IP, for its store_wifi group."""

    rng: np.random.Generator
    layout: Layout
    assets: Assets
    ev: Events
    pools: Pools
    p: WorldParams
    store_ip: int = -1


def build_world_activity(rng: np.random.Generator, layout: Layout, moved: np.ndarray, p: WorldParams) -> Activity:
    assets, ev = Assets(), Events()
    pools = personal(rng, layout, moved, assets, ev)
    state = GroupState()
    wiring = _Wiring(rng, layout, assets, ev, pools, p)
    # Kiosks and venues last: their sign-up session is theirs, whatever NAT or office its person also uses.
    # A store_wifi group is listed right after its kiosk.
    last = {"kiosk", "store_wifi", "event_wifi"}
    for g in [g for g in layout.groups if g.kind not in last] + [g for g in layout.groups if g.kind in last]:
        if g.kind in DEFAULT_KINDS:
            group_overlay(rng, g, layout, assets, ev, pools, state)
        else:
            _lookalike(wiring, g)
    links = rings(rng, layout, assets, ev, state.hub_ips, ring_shapes(p))
    _slips(rng, layout, assets, ev, p)
    return finish(rng, layout, assets, ev, links)


def _rows(rng: np.random.Generator, members: np.ndarray, low: int, high: int) -> np.ndarray:
    """Each member repeated low..high times (several sessions)."""
    return np.repeat(members, rng.integers(low, high + 1, len(members)))


def _lookalike(w: _Wiring, g: Group) -> None:
    """The shared identifiers of one look-alike group of the realistic world and its members' sessions on them."""
    rng, layout, assets, ev, pools, p = w.rng, w.layout, w.assets, w.ev, w.pools, w.p
    base_ip, base_device = ev.dev["ip"][0], ev.dev["device"][0]
    m = g.members
    if g.kind.startswith("household_"):
        level = ("household_ip", "household_tablet", "household_card", "household_landline").index(g.kind)
        if level >= 1:  # a family tablet on the home connection (the phone is set in shared_phones)
            tablet = assets.devices(np.array([TABLET]))[0]
            users = m[(np.arange(len(m)) < 2) | (rng.random(len(m)) < 0.7)]
            ev.device_rows(users, np.full(len(users), tablet), pools.home_ip[users], 30)
        if level >= 2:  # the head's card, used by one or two others
            others = rng.permutation(m[1:])[: int(rng.integers(1, 3))]
            rows = _rows(rng, others, 1, 2)
            card = np.full(len(rows), pools.card_start[m[0]])
            ev.payment_rows(rows, card, np.full(len(rows), layout.person[m[0]]), 30, np.zeros(len(rows), bool))
    elif g.kind in ("office", "office_2exits"):
        exits = assets.ips(2 if g.kind == "office_2exits" else 1, fixed_v4=True)
        signup = m[rng.random(len(m)) < 0.3]  # signed up from work
        base_ip[pools.first_row[signup]] = exits[rng.integers(0, len(exits), len(signup))]
        rows = _rows(rng, m, 1, 4)  # work sessions on their own devices
        ev.device_rows(rows, own_device(rng, pools, rows), exits[rng.integers(0, len(exits), len(rows))], 60)
    elif g.kind == "flatmates":
        home = assets.ips(1)[0]
        rows = _rows(rng, m, 1, 3)
        ev.device_rows(rows, own_device(rng, pools, rows), np.full(len(rows), home), 30)
    elif g.kind == "kiosk":
        kiosk = assets.devices(np.array([TABLET if rng.random() < 0.5 else DESKTOP]))[0]
        w.store_ip = int(assets.ips(1, fixed_v4=True)[0])
        base_device[pools.first_row[m]] = kiosk
        base_ip[pools.first_row[m]] = w.store_ip
        rows = _rows(rng, m, 1, 3)  # then they live on their own phones, at home
        ev.device_rows(rows, own_device(rng, pools, rows), pools.home_ip[rows], 30)
        wifi = m[rng.random(len(m)) < p.kiosk_wifi]  # and some come back to the store's wifi
        ev.device_rows(wifi, own_device(rng, pools, wifi), np.full(len(wifi), w.store_ip), 30)
    elif g.kind == "store_wifi":  # shoppers who never used the kiosk
        rows = _rows(rng, m, 1, 2)
        ev.device_rows(rows, own_device(rng, pools, rows), np.full(len(rows), w.store_ip), 30)
    elif g.kind == "event_wifi":
        venue = assets.ips(1, fixed_v4=True)[0]
        base_ip[pools.first_row[m]] = venue
    elif g.kind == "recycled_ip":
        before, after = m[np.argsort(layout.created[m], kind="stable")]  # the earlier tenant first
        rows = np.full(int(rng.integers(1, 3)), before)  # who was seen at home, on that address
        ev.device_rows(rows, own_device(rng, pools, rows), np.full(len(rows), pools.home_ip[before]), 20)
        rows = np.full(int(rng.integers(1, 4)), after)
        ev.device_rows(rows, own_device(rng, pools, rows), np.full(len(rows), pools.home_ip[before]), 60)
    elif g.kind != "own_accounts":  # several accounts of one person: their own devices and cards already
        raise AssertionError(f"no wiring for look-alike kind {g.kind}")


def _slips(rng: np.random.Generator, layout: Layout, assets: Assets, ev: Events, p: WorldParams) -> None:
    """Ring members who mostly live on a clean phone of their own with home-like IPs (their ring wiring has
    them touch the ring's identifiers once or twice)."""
    members = np.concatenate([g.members for g in layout.rings])
    members = members[~layout.bridge[members] & (rng.random(len(members)) < p.slip_share)]
    phones = assets.devices(np.full(len(members), ANDROID))
    rows = _rows(rng, np.arange(len(members)), 2, 5)
    ev.device_rows(members[rows], phones[rows], assets.ips(len(rows)), 20)


def shared_phones(
    rng: np.random.Generator, layout: Layout, identity: AccountIdentity, p: WorldParams
) -> AccountIdentity:
    """Household landlines and rings' VoIP numbers: one number written on several people's accounts."""
    phone = identity.phone
    source = np.arange(layout.n)  # the account whose phone each account gives
    valid = np.asarray(phone.is_valid())
    for g in layout.groups:
        if g.kind != "household_landline":
            continue
        holder = g.members[valid[g.members]]
        if len(holder):
            uses = g.members[rng.random(len(g.members)) < p.landline_use]
            source[uses] = holder[0]
    for g in layout.rings:
        holders = g.members[valid[g.members]]
        if rng.random() >= p.voip_ring_share or len(holders) < 2:
            continue
        numbers = rng.permutation(holders)[: int(rng.integers(1, 4))]
        uses = g.members[rng.random(len(g.members)) < 0.4 + 0.5 * rng.random()]
        source[uses] = numbers[rng.integers(0, len(numbers), len(uses))]
    changed = source != np.arange(layout.n)
    return replace(identity, phone=fm.update(phone, changed, phone.take(pa.array(source[changed]))))
