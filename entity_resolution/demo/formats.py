"""Vectorised string building for the generator: whole columns at once with pyarrow.compute.

Every function takes numpy arrays (indices, integers, epoch milliseconds) and returns a pyarrow string
array of the same length. No per-row Python.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Callable, Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Parts: TypeAlias = pa.Array | pa.ChunkedArray | str

_FIELD = re.compile(r"\{(\d+):(\d+)\}")


def join(*parts: Parts) -> pa.Array:
    """Concatenate columns and literals row by row (a null part makes a null row)."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    if not any(isinstance(a, pa.Array | pa.ChunkedArray) for a in args):
        raise ValueError("join needs at least one column")
    out = pc.binary_join_element_wise(*args, "")
    return _flat(out)


def _flat(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def take(values: Sequence[str] | pa.Array, idx: np.ndarray) -> pa.Array:
    """values[idx] as a string column."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return _flat(arr.take(pa.array(np.asarray(idx, dtype=np.int64))))


def choose(codes: np.ndarray, *options: Parts) -> pa.Array:
    """Per row, the option named by codes (0 -> first option, ...)."""
    if all(isinstance(p, str) for p in options):
        return take([str(p) for p in options], codes)
    n = len(codes)
    cols = [pa.repeat(pa.scalar(p, pa.string()), n) if isinstance(p, str) else p for p in options]
    return _flat(pc.choose(pa.array(np.asarray(codes, dtype=np.int8)), *cols))


def where(mask: np.ndarray, yes: Parts, no: Parts) -> pa.Array:
    y = pa.scalar(yes, pa.string()) if isinstance(yes, str) else yes
    n = pa.scalar(no, pa.string()) if isinstance(no, str) else no
    return _flat(pc.if_else(pa.array(np.asarray(mask, dtype=bool)), y, n))


def null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return where(mask, pa.scalar(None, values.type), values)


def scatter(n: int, parts: Sequence[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Assemble a column of length n from (row indices, values) pieces; rows not covered are null."""
    idx = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in parts] + [np.empty(0, np.int64)])
    vals = [v for _, v in parts]
    uncovered = np.ones(n, dtype=bool)
    uncovered[idx] = False
    missing = np.flatnonzero(uncovered)
    if len(missing):
        idx = np.concatenate([idx, missing])
        vals.append(pa.nulls(len(missing), pa.string()))
    merged = pa.concat_arrays([_flat(v).cast(pa.string()) for v in vals])
    order = np.empty(n, dtype=np.int64)
    order[idx] = np.arange(n)
    return merged.take(pa.array(order))


def assemble(codes: np.ndarray, builders: Sequence[Callable[[np.ndarray], pa.Array]]) -> pa.Array:
    """Per row, the value built by builders[codes[row]]; each builder sees only its own rows."""
    parts = []
    for k, build in enumerate(builders):
        rows = np.flatnonzero(codes == k)
        if len(rows):
            parts.append((rows, build(rows)))
    return scatter(len(codes), parts)


def row_hash(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each value (DuckDB's hash(): fast and multi-threaded)."""
    import duckdb

    with duckdb.connect() as con:
        con.register("hash_input", pa.table({"v": values}))
        return np.asarray(con.execute("SELECT hash(v) AS h FROM hash_input").fetchnumpy()["h"])


def first_of_hash(h: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row with the same hash."""
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    starts = np.concatenate([[True], sorted_h[1:] != sorted_h[:-1]])
    out = np.empty(len(h), dtype=np.int64)
    out[order] = order[starts][np.cumsum(starts) - 1]
    return out


def dedupe(keys: pa.Array, owner: np.ndarray, redraw: Callable[[np.ndarray], pa.Array]) -> pa.Array:
    """Redraw keys until no key is held by two owners.

    redraw(rows) returns new keys for those rows. The first round finds every row that repeats an
    earlier owner's key; later rounds only check the redrawn keys (against a sorted hash list), so
    they stay cheap at a million rows.
    """
    h = row_hash(keys)
    rows = np.flatnonzero(owner[first_of_hash(h)] != owner)
    settled = np.sort(np.delete(h, rows))
    while len(rows):
        new = redraw(rows)
        mask = np.zeros(len(owner), dtype=bool)
        mask[rows] = True
        keys = update(keys, mask, new)
        new_h = row_hash(new)
        at = np.minimum(np.searchsorted(settled, new_h), max(len(settled) - 1, 0))
        taken = settled[at] == new_h if len(settled) else np.zeros(len(new_h), dtype=bool)
        bad = taken | (first_of_hash(new_h) != np.arange(len(new_h)))
        fresh = np.sort(new_h[~bad])
        settled = np.insert(settled, np.searchsorted(settled, fresh), fresh)
        rows = rows[bad]
    return keys


def update(values: pa.Array, mask: np.ndarray, new: pa.Array) -> pa.Array:
    """values with the rows where mask is set replaced by new (given in row order)."""
    rows = np.flatnonzero(mask)
    return where(mask, scatter(len(values), [(rows, new)]), values)


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal strings ('0042')."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return _flat(pc.utf8_lpad(text, width, "0"))


def render(template: str, number: pa.Array) -> pa.Array:
    """Fill a template like '+44 {0:4} {4:10}' with slices of each row's digit string."""
    pieces: list[Parts] = []
    pos = 0
    for m in _FIELD.finditer(template):
        if m.start() > pos:
            pieces.append(template[pos : m.start()])
        start, stop = int(m.group(1)), int(m.group(2))
        pieces.append(pc.utf8_slice_codeunits(number, start, stop))
        pos = m.end()
    if pos < len(template):
        pieces.append(template[pos:])
    return join(*pieces)


def weighted(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """n draws of option indices with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def zipf_weights(k: int, exponent: float = 0.9) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** exponent
    return w / w.sum()


def hex_bytes(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """n random lowercase hex strings of 2*nbytes characters, as an 'S' numpy array."""
    raw = rng.bytes(n * nbytes)
    return np.frombuffer(binascii.hexlify(raw), dtype=f"S{2 * nbytes}")


def ascii_column(values: np.ndarray) -> pa.Array:
    """An 'S' numpy array (ASCII bytes) as a string column."""
    return _flat(pa.array(values, pa.binary()).cast(pa.string()))


def hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    """n random lowercase hex strings of 2*nbytes characters."""
    return ascii_column(hex_bytes(rng, n, nbytes))


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Random version-4-looking UUIDs, lowercase."""
    chars = hex_bytes(rng, n, 16).view("S1").reshape(n, 32).copy()
    chars[:, 12] = b"4"
    out = np.full((n, 36), b"-", dtype="S1")
    cols = [*range(0, 8), *range(9, 13), *range(14, 18), *range(19, 23), *range(24, 36)]
    out[:, cols] = chars
    return ascii_column(out.view("S36").ravel())


def ipv4(values: np.ndarray) -> pa.Array:
    """uint32 addresses as dotted quads."""
    v = np.asarray(values, dtype=np.uint32)
    octets = [pc.cast(pa.array((v >> s) & 0xFF), pa.string()) for s in (24, 16, 8, 0)]
    return join(octets[0], ".", octets[1], ".", octets[2], ".", octets[3])


def ipv6(rng: np.random.Generator, n: int) -> pa.Array:
    """Residential-looking IPv6 addresses: a provider /32, a random /64, a short interface id."""
    providers = ["2a02:c7f", "2a00:23c5", "2600:1700", "2001:56b", "2a01:cb00", "2405:201", "2804:14c"]
    prov = take(providers, rng.integers(0, len(providers), n))
    groups = [pc.utf8_ltrim(hex_strings(rng, n, 2), "0") for _ in range(3)]
    groups = [where(np.asarray(pc.equal(g, "")), "0", g) for g in groups]
    return join(prov, ":", groups[0], ":", groups[1], "::", where(np.asarray(pc.equal(groups[2], "0")), "1", groups[2]))


def unique_ints(rng: np.random.Generator, n: int, high: int) -> np.ndarray:
    """n distinct random-looking integers in [0, high), without sorting: a random affine bijection
    x -> (a*x + b) mod high applied to a shuffled range."""
    if n > high:
        raise ValueError(f"cannot draw {n} distinct values below {high}")
    while True:
        a = int(rng.integers(high // 3, high - 1))
        if math.gcd(a, high) == 1:
            break
    b = int(rng.integers(0, high))
    x = rng.permutation(n).astype(np.int64 if n * high < 1 << 62 else object)  # no int64 overflow
    return np.asarray((x * a + b) % high, dtype=np.int64)


def public_ipv4(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct random public IPv4 addresses (no private, loopback, CGNAT, test or multicast ranges)."""
    banned = {0, 10, 100, 127, 169, 172, 192, 198, 203}
    firsts = np.array([o for o in range(1, 224) if o not in banned], dtype=np.int64)
    slot = unique_ints(rng, n, len(firsts) << 24)
    return ((firsts[slot >> 24] << 24) | (slot & 0xFFFFFF)).astype(np.uint32)


def timestamps(rng: np.random.Generator, ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds (UTC) as ISO-8601 text in the mix of styles real exports show.

    Styles: '...Z', '...sssZ', '+01:00' (wall clock shifted by an hour, same instant), '+00:00', and
    naive text ('2025-03-01 10:00:00', meaning UTC), with and without fractional seconds.
    """
    n = len(ms)
    style = weighted(rng, n, [0.34, 0.18, 0.12, 0.05, 0.06, 0.15, 0.10])
    # 0 Z, 1 .fffZ, 2 +01:00, 3 .fff+01:00, 4 +00:00, 5 naive ' ', 6 naive T .fff
    shift = np.where((style == 2) | (style == 3), 3_600_000, 0)
    ts = pa.array(np.asarray(ms, dtype=np.int64) + shift).cast(pa.timestamp("ms"))
    text = pc.cast(ts, pa.string())  # 'YYYY-MM-DD HH:MM:SS.fff'
    with_t = pc.replace_substring(text, " ", "T", max_replacements=1)
    body = np.select([style == 5, (style == 1) | (style == 3) | (style == 6)], [2, 1], 0)
    suffix = take(["Z", "Z", "+01:00", "+01:00", "+00:00", "", ""], style)
    return join(
        choose(body, pc.utf8_slice_codeunits(with_t, 0, 19), with_t, pc.utf8_slice_codeunits(text, 0, 19)), suffix
    )


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as 'YYYY-MM-DD'."""
    return _flat(pc.cast(pa.array(np.asarray(days, dtype=np.int32)).cast(pa.date32()), pa.string()))
