"""How each account writes down its person's identity: the account-level formatting noise and the
deliberate variation of re-registrations and ban evaders.

Modes (one per account):
  FIRST      a person's first account: light formatting noise only
  REREG      a later account of the same person: e-mail variants, typos, nicknames, reformatted phone
  EVADER     a banned person's later account: fresh e-mail, different or no phone, same name and DOB
  SYNTHETIC  an identity made up by an abuser: more missing phones, throwaway mailboxes
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.dtypes import StringDType

from entity_resolution.demo import formats as fm
from entity_resolution.demo import names as nm
from entity_resolution.demo import people as pp

FIRST, REREG, EVADER, SYNTHETIC = 0, 1, 2, 3


@dataclass(frozen=True)
class AccountIdentity:
    full_name: pa.Array
    email: pa.Array
    phone: pa.Array
    date_of_birth: pa.Array
    postcode: pa.Array
    country: pa.Array
    postcode_canonical: pa.Array  # where the account says it lives (before formatting), null if unknown
    moved: np.ndarray  # bool: the account gives a new address (so a new home IP)


def _by_mode(rng: np.random.Generator, mode: np.ndarray, weights: Mapping[int, Sequence[float]]) -> np.ndarray:
    """Draw a variant code per account from the weights of its mode."""
    out = np.zeros(len(mode), dtype=np.int64)
    for m, w in weights.items():
        rows = np.flatnonzero(mode == m)
        out[rows] = fm.weighted(rng, len(rows), w)
    return out


def render_identity(
    rng: np.random.Generator, people: pp.People, person: np.ndarray, mode: np.ndarray
) -> AccountIdentity:
    first, last = people.first[person], people.last[person]
    name = full_names(rng, first, last, mode)
    email = emails(rng, people, person, mode)
    phone = phones(rng, people, person, mode)
    dob = birth_dates(rng, people.dob[person], mode)
    postcode, canonical, moved = addresses(rng, people, person, mode)
    country = fm.take(nm.COUNTRIES, people.country[person])
    country = fm.where(rng.random(len(person)) < 0.02, pc.utf8_lower(country), country)
    return AccountIdentity(name, email, phone, dob, postcode, country, canonical, moved)


# -- names -------------------------------------------------------------------------------------------

NAME_WEIGHTS: dict[int, list[float]] = {
    # canonical, lower, UPPER, no accents, double space, "Last, First", "Last First", nickname,
    # typo in first, typo in last, initial
    FIRST: [86, 2, 2, 5, 1, 1.5, 0.5, 1.5, 0.5, 0.5, 0],
    SYNTHETIC: [90, 2, 2, 3, 1, 1, 0, 0, 0.5, 0.5, 0],
    REREG: [42, 4, 4, 7, 2, 4, 4, 12, 7, 7, 7],
    EVADER: [80, 3, 3, 10, 2, 2, 0, 0, 0, 0, 0],
}


def full_names(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, mode: np.ndarray) -> pa.Array:
    fn, ln = pp.first_names(), pp.last_names()
    code = _by_mode(rng, mode, NAME_WEIGHTS)

    def f(r: np.ndarray) -> pa.Array:
        return fm.take(fn.text, first[r])

    def s(r: np.ndarray) -> pa.Array:
        return fm.take(ln.text, last[r])

    return fm.assemble(
        code,
        [
            lambda r: fm.join(f(r), " ", s(r)),
            lambda r: pc.utf8_lower(fm.join(f(r), " ", s(r))),
            lambda r: pc.utf8_upper(fm.join(f(r), " ", s(r))),
            lambda r: fm.join(fm.take(fn.ascii, first[r]), " ", fm.take(ln.ascii, last[r])),
            lambda r: fm.join(f(r), "  ", s(r)),
            lambda r: fm.join(s(r), ", ", f(r)),
            lambda r: fm.join(s(r), " ", f(r)),
            lambda r: fm.join(pc.coalesce(fm.take(fn.nick, first[r]), f(r)), " ", s(r)),
            lambda r: fm.join(typo(rng, f(r)), " ", s(r)),
            lambda r: fm.join(f(r), " ", typo(rng, s(r))),
            lambda r: fm.join(pc.utf8_slice_codeunits(f(r), 0, 1), ". ", s(r)),
        ],
    )


def typo(rng: np.random.Generator, values: pa.Array) -> pa.Array:
    """One keyboard slip per value: a dropped, doubled or swapped letter, or a wrong vowel."""
    s = np.asarray(values.to_numpy(zero_copy_only=False)).astype(StringDType())
    n = len(s)
    length = np.strings.str_len(s)
    i = np.minimum(rng.integers(1, np.maximum(length - 1, 2)), np.maximum(length - 2, 0))
    op = rng.integers(0, 4, n)
    head, rest = np.strings.slice(s, 0, i), np.strings.slice(s, i + 1, None)
    here = np.strings.slice(s, i, i + 1)
    nxt, tail = np.strings.slice(s, i + 1, i + 2), np.strings.slice(s, i + 2, None)
    vowel = np.asarray(list("aeiou"), dtype=StringDType())[rng.integers(0, 5, n)]
    out = np.where(
        op == 0,
        head + rest,
        np.where(op == 1, head + here + here + rest, np.where(op == 2, head + nxt + here + tail, head + vowel + rest)),
    )
    out = np.where(length > 3, out, s)
    return pa.array(out.astype(object), pa.string())


# -- e-mail ------------------------------------------------------------------------------------------

EMAIL_WEIGHTS = {
    # as-is(+noise), plus-tag, gmail dots, gmail<->googlemail, other provider, fresh handle, name+digits
    REREG: [6, 20, 14, 8, 14, 26, 12],
    EVADER: [0, 0, 0, 0, 0, 60, 40],
    FIRST: [1, 0, 0, 0, 0, 0, 0],
    SYNTHETIC: [1, 0, 0, 0, 0, 0, 0],
}


def emails(rng: np.random.Generator, people: pp.People, person: np.ndarray, mode: np.ndarray) -> pa.Array:
    n = len(person)
    base_local = fm.take(people.email_local, person)
    base_domain = fm.take(people.email_domain, person)
    gmail = np.asarray(pc.is_in(base_domain, value_set=pa.array(list(nm.GMAIL_DOMAINS))))
    code = _by_mode(rng, mode, EMAIL_WEIGHTS)
    code = np.where(((code == 2) | (code == 3)) & ~gmail, 1, code)

    def loc(r: np.ndarray) -> pa.Array:
        return base_local.take(pa.array(r))

    def dom(r: np.ndarray) -> pa.Array:
        return base_domain.take(pa.array(r))

    def fresh(r: np.ndarray, styles: list[float]) -> pa.Array:
        p = person[r]
        style = fm.weighted(rng, len(r), styles)
        return pp.email_locals(rng, people.first[p], people.last[p], people.dob[p], people.german_email[p], style)

    def provider(r: np.ndarray) -> pa.Array:
        synthetic = mode[r] == SYNTHETIC
        return pp.email_domains(rng, people.country[person[r]], synthetic | (mode[r] == EVADER))

    def plus(r: np.ndarray) -> pa.Array:
        return fm.join(loc(r), "+", fm.take(nm.PLUS_TAGS, rng.integers(0, len(nm.PLUS_TAGS), len(r))))

    local = fm.assemble(
        code,
        [
            loc,
            plus,
            lambda r: toggle_dots(rng, loc(r)),
            loc,
            loc,
            lambda r: fresh(r, [0, 0, 0, 0, 0, 0, 1, 0, 4, 2, 0]),
            lambda r: fresh(r, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3]),
        ],
    )
    swapped = fm.where(np.asarray(pc.equal(base_domain, "gmail.com")), "googlemail.com", "gmail.com")
    domain = fm.assemble(
        code,
        [
            dom,
            dom,
            dom,
            lambda r: swapped.take(pa.array(r)),
            lambda r: other_provider(rng, dom(r), provider(r)),
            provider,
            provider,
        ],
    )
    local, domain = pp.unique_mailboxes(rng, local, domain, person)
    # Display noise: capitalised, shouted or padded addresses (what a form lets through).
    noisy = (code == 0) & ((mode == REREG) | (rng.random(n) < 0.07))
    style = np.where(noisy, rng.integers(1, 5, n), 0)
    email = fm.join(local, "@", domain)

    def part(col: pa.Array, r: np.ndarray) -> pa.Array:
        return col.take(pa.array(r))

    return fm.assemble(
        style,
        [
            lambda r: part(email, r),
            lambda r: fm.join(pc.utf8_capitalize(part(local, r)), "@", pc.utf8_capitalize(part(domain, r))),
            lambda r: pc.utf8_upper(part(email, r)),
            lambda r: fm.join(" ", part(email, r), " "),
            lambda r: fm.join(part(local, r), "@", pc.utf8_capitalize(part(domain, r))),
        ],
    )


def toggle_dots(rng: np.random.Generator, local: pa.Array) -> pa.Array:
    """Gmail ignores dots: remove them, or add one where there was none."""
    has_dot = np.asarray(pc.match_substring(local, "."))
    cut = rng.integers(1, 4, len(local))
    code = np.where(has_dot, 0, cut)

    def insert_dot(k: int) -> Callable[[np.ndarray], pa.Array]:
        def build(r: np.ndarray) -> pa.Array:
            text = local.take(pa.array(r))
            return fm.join(pc.utf8_slice_codeunits(text, 0, k), ".", pc.utf8_slice_codeunits(text, k))

        return build

    def drop_dots(r: np.ndarray) -> pa.Array:
        return pc.replace_substring(local.take(pa.array(r)), ".", "")

    return fm.assemble(code, [drop_dots, insert_dot(1), insert_dot(2), insert_dot(3)])


def other_provider(rng: np.random.Generator, current: pa.Array, drawn: pa.Array) -> pa.Array:
    """drawn, except where it equals current: then the next big provider."""
    same = np.asarray(pc.equal(current, drawn))
    alt = fm.where(np.asarray(pc.equal(current, "outlook.com")), "gmail.com", "outlook.com")
    return fm.where(same, alt, drawn)


# -- phones ------------------------------------------------------------------------------------------

PHONE_WEIGHTS = {
    # habit format, missing, other format, new number
    FIRST: [94, 6, 0, 0],
    SYNTHETIC: [70, 30, 0, 0],
    REREG: [20, 20, 50, 10],
    EVADER: [0, 20, 0, 80],
}


def phones(rng: np.random.Generator, people: pp.People, person: np.ndarray, mode: np.ndarray) -> pa.Array:
    n = len(person)
    kind = people.phone_kind[person]
    n_templates = np.array([len(t) for t in pp.PHONE_TEMPLATES])[kind]
    habit = people.phone_habit[person]
    code = _by_mode(rng, mode, PHONE_WEIGHTS)
    other = (habit + rng.integers(1, 7, n)) % n_templates
    template = np.where(code == 2, other, habit)
    nsn = fm.take(people.phone, person)
    new = code == 3
    if new.any():
        rows = np.flatnonzero(new)
        nsn = fm.update(nsn, new, pp.numbers_for(rng, kind, rows))
        owner = np.where(new, -1 - np.arange(n), person)  # a new number belongs to nobody else
        nsn = fm.dedupe(nsn, owner, lambda r: pp.numbers_for(rng, kind, r))
    width = 8
    combo = np.where(code == 1, -1, kind * width + template)
    builders = [
        (lambda t: lambda r: fm.render(t, nsn.take(pa.array(r))))(pp.PHONE_TEMPLATES[k][j])
        if j < len(pp.PHONE_TEMPLATES[k])
        else (lambda r: pa.nulls(len(r), pa.string()))
        for k in range(len(pp.PHONE_TEMPLATES))
        for j in range(width)
    ]
    return fm.assemble(combo, builders)


# -- dates of birth ----------------------------------------------------------------------------------

DOB_WEIGHTS = {FIRST: [96, 4, 0], SYNTHETIC: [95, 5, 0], REREG: [80, 10, 10], EVADER: [95, 5, 0]}


def birth_dates(rng: np.random.Generator, dob: np.ndarray, mode: np.ndarray) -> pa.Array:
    code = _by_mode(rng, mode, DOB_WEIGHTS)  # same, missing, one-digit typo
    typoed = np.where(code == 2, one_digit_typo(rng, dob), dob)
    return fm.null_where(code == 1, fm.dates(typoed))


def one_digit_typo(rng: np.random.Generator, dob: np.ndarray) -> np.ndarray:
    """Change one digit of the day, month or year, keeping the date valid."""
    n = len(dob)
    d = dob.astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (d - month_start).astype(np.int64) + 1
    new_digit = lambda v: (v - v % 10) + (v % 10 + rng.integers(1, 10, n)) % 10  # noqa: E731
    op = rng.integers(0, 3, n)
    year2 = np.where(op == 0, new_digit(year), year)
    month2 = np.where(op == 1, new_digit(month), month)
    day2 = np.where(op == 2, new_digit(day), day)
    ok = (month2 >= 1) & (month2 <= 12) & (day2 >= 1)
    month2 = np.where(ok, month2, month)
    day2 = np.where(ok, day2, day)
    year2 = np.where(ok, year2, new_digit(year))
    start = (year2 - 1970) * 12 + (month2 - 1)
    days_in_month = (start + 1).astype("datetime64[M]").astype("datetime64[D]") - start.astype("datetime64[M]").astype(
        "datetime64[D]"
    )
    day2 = np.minimum(day2, days_in_month.astype(np.int64))
    return (start.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day2 - 1).astype(np.int64)


# -- addresses ---------------------------------------------------------------------------------------

POSTCODE_WEIGHTS = {FIRST: [97, 3, 0], SYNTHETIC: [95, 5, 0], REREG: [70, 10, 20], EVADER: [75, 25, 0]}
# Formatting per country: as-is, lower, no space, lower no space, padded, ZIP+4, spaced PIN, no dash.
POSTCODE_STYLES: dict[str, list[float]] = {
    "GB": [55, 10, 20, 10, 5, 0, 0, 0],
    "US": [86, 0, 0, 0, 2, 12, 0, 0],
    "IN": [88, 0, 0, 0, 2, 0, 10, 0],
    "BR": [68, 0, 0, 0, 2, 0, 0, 30],
}


def addresses(
    rng: np.random.Generator, people: pp.People, person: np.ndarray, mode: np.ndarray
) -> tuple[pa.Array, pa.Array, np.ndarray]:
    n = len(person)
    code = _by_mode(rng, mode, POSTCODE_WEIGHTS)  # same, missing, moved
    country = people.country[person]
    canonical = fm.take(people.postcode, person)
    moved = code == 2
    if moved.any():
        rows = np.flatnonzero(moved)
        canonical = fm.where(moved, fm.scatter(n, [(rows, pp.postcodes(rng, country[rows]))]), canonical)
    canonical = fm.null_where(code == 1, canonical)
    return format_postcodes(rng, canonical, country), canonical, moved


def format_postcodes(rng: np.random.Generator, canonical: pa.Array, country: np.ndarray) -> pa.Array:
    n = len(canonical)
    style = np.zeros(n, dtype=np.int64)
    for c, code in enumerate(nm.COUNTRIES):
        rows = np.flatnonzero(country == c)
        style[rows] = fm.weighted(rng, len(rows), POSTCODE_STYLES.get(code, [98, 0, 0, 0, 2, 0, 0, 0]))

    def v(r: np.ndarray) -> pa.Array:
        return canonical.take(pa.array(r))

    return fm.assemble(
        style,
        [
            v,
            lambda r: pc.utf8_lower(v(r)),
            lambda r: pc.replace_substring(v(r), " ", ""),
            lambda r: pc.utf8_lower(pc.replace_substring(v(r), " ", "")),
            lambda r: fm.join(" ", v(r), " "),
            lambda r: fm.join(v(r), "-", fm.digits(rng.integers(0, 10_000, len(r)), 4)),
            lambda r: fm.join(pc.utf8_slice_codeunits(v(r), 0, 3), " ", pc.utf8_slice_codeunits(v(r), 3)),
            lambda r: pc.replace_substring(v(r), "-", ""),
        ],
    )
