"""Turn numbered devices, IPs and cards into the strings the output files carry."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entity_resolution.demo import formats as fm
from entity_resolution.demo import identity as ident
from entity_resolution.demo import names as nm
from entity_resolution.demo import people as pp
from entity_resolution.demo.activity import ANDROID, DEFAULT, DESKTOP, EMULATOR, IOS, TABLET, Assets

UA_FAMILIES: tuple[str, ...] = ("ios", "android", "desktop", "tablet", "emulator")


def device_ids(rng: np.random.Generator, assets: Assets) -> tuple[pa.Array, np.ndarray]:
    """Device id per device key, and its user-agent family (index into UA_FAMILIES)."""
    kind = np.concatenate(assets.dev_kind)
    default = np.concatenate(assets.dev_default)
    n = len(kind)
    r = rng.random(n)
    # 0 upper-case UUID (iOS IDFV), 1 lower-case UUID (web cookie / SDK id), 2 16-hex ANDROID_ID, 3 fixed
    style = np.select(
        [kind == IOS, kind == DESKTOP, kind == ANDROID, kind == TABLET, kind == EMULATOR],
        [0, 1, np.where(r < 0.6, 2, 1), np.where(r < 0.5, 0, 2), 2],
        default=3,
    )
    ids = fm.assemble(
        style,
        [
            lambda rows: pc.utf8_upper(fm.uuids(rng, len(rows))),
            lambda rows: fm.uuids(rng, len(rows)),
            lambda rows: fm.hex_strings(rng, len(rows), 8),
            lambda rows: fm.take(nm.DEFAULT_DEVICE_IDS, default[rows]),
        ],
    )
    spoof = rng.random(n) < 0.4  # farm phones and emulators often claim to be ordinary Androids
    family = np.select(
        [kind == IOS, kind == ANDROID, kind == DESKTOP, kind == TABLET, (kind == EMULATOR) | (kind == DEFAULT)],
        [0, 1, 2, 3, np.where(spoof, 1, 4)],
    )
    return ids, family


def user_agents(rng: np.random.Generator, family: np.ndarray, device_of_row: np.ndarray) -> pa.Array:
    """A fixed browser/app per device; later rows sometimes show a newer version."""
    flat: list[str] = []
    offsets, sizes = [], []
    for name in UA_FAMILIES:
        offsets.append(len(flat))
        sizes.append(len(nm.USER_AGENTS[name]))
        flat.extend(nm.USER_AGENTS[name])
    offset, size = np.asarray(offsets)[family], np.asarray(sizes)[family]
    base = rng.integers(0, 1 << 30, len(family)) % size
    fam_row = family[device_of_row]
    bump = rng.random(len(device_of_row)) < 0.15
    version = (base[device_of_row] + bump) % np.asarray(sizes)[fam_row]
    return fm.take(flat, offset[device_of_row] + version)


def ip_strings(rng: np.random.Generator, assets: Assets) -> pa.Array:
    fixed = np.concatenate(assets.ip_fixed_v4)
    n = len(fixed)
    v6 = ~fixed & (rng.random(n) < 0.08)
    v4 = fm.ipv4(fm.public_ipv4(rng, n))
    rows = np.flatnonzero(v6)
    return fm.where(v6, fm.scatter(n, [(rows, fm.ipv6(rng, len(rows)))]), v4)


def card_columns(rng: np.random.Generator, assets: Assets, people: pp.People) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Fingerprint, BIN and last four digits per card key (BIN follows the holder's country)."""
    holder = np.concatenate(assets.card_holder)
    test = np.concatenate(assets.card_test)
    n = len(holder)
    fingerprint = fm.hex_strings(rng, n, 8)
    country = np.where(holder >= 0, people.country[np.maximum(holder, 0)], 0)
    code = np.asarray(nm.COUNTRIES)[country]
    prefixes = sorted({p for values in nm.BIN_PREFIXES.values() for p in values})
    market = np.where(code == "IN", 1, np.where(code == "BR", 2, 0))
    prefix = np.empty(n, dtype=np.int64)
    for m, key in enumerate(("default", "IN", "BR")):
        rows = np.flatnonzero(market == m)
        options = np.asarray([prefixes.index(p) for p in nm.BIN_PREFIXES[key]])
        prefix[rows] = options[rng.integers(0, len(options), len(rows))]

    def bin_builder(p: str) -> Callable[[np.ndarray], pa.Array]:
        width = 6 - len(p)
        if width == 0:
            return lambda rows: fm.take([p], np.zeros(len(rows), np.int64))
        return lambda rows: fm.join(p, fm.digits(rng.integers(0, 10**width, len(rows)), width))

    bins = fm.assemble(prefix, [bin_builder(p) for p in prefixes])
    last4 = fm.digits(rng.integers(0, 10_000, n), 4)
    is_test = test >= 0
    bins = fm.where(is_test, fm.take([b for b, _ in nm.TEST_CARDS], np.maximum(test, 0)), bins)
    last4 = fm.where(is_test, fm.take([x for _, x in nm.TEST_CARDS], np.maximum(test, 0)), last4)
    return fingerprint, bins, last4


def cardholder_names(rng: np.random.Generator, people: pp.People, holder: np.ndarray) -> pa.Array:
    """Name on the card as typed at checkout: often upper-case ASCII, often just an initial."""
    fn, ln = pp.first_names(), pp.last_names()
    code = fm.weighted(rng, len(holder), [40, 33, 12, 3, 7, 5])
    first, last = people.first[holder], people.last[holder]

    def ascii_name(r: np.ndarray) -> pa.Array:
        return fm.join(fm.take(fn.ascii, first[r]), " ", fm.take(ln.ascii, last[r]))

    def initial(r: np.ndarray) -> pa.Array:
        return pc.utf8_slice_codeunits(fm.take(fn.ascii, first[r]), 0, 1)

    return fm.assemble(
        code,
        [
            lambda r: pc.utf8_upper(ascii_name(r)),
            lambda r: fm.join(fm.take(fn.text, first[r]), " ", fm.take(ln.text, last[r])),
            lambda r: pc.utf8_upper(fm.join(initial(r), " ", fm.take(ln.ascii, last[r]))),
            lambda r: pc.utf8_lower(ascii_name(r)),
            lambda r: pa.nulls(len(r), pa.string()),
            ascii_name,
        ],
    )


def billing_address(rng: np.random.Generator, people: pp.People, holder: np.ndarray) -> tuple[pa.Array, pa.Array]:
    n = len(holder)
    country = people.country[holder]
    canonical = fm.null_where(rng.random(n) < 0.08, fm.take(people.postcode, holder))
    postcode = ident.format_postcodes(rng, canonical, country)
    code = fm.take(nm.COUNTRIES, country)
    return postcode, fm.where(rng.random(n) < 0.03, pc.utf8_lower(code), code)
