"""Real-world people: names, dates of birth, phone numbers, postcodes and e-mail addresses.

A person's attributes are canonical (one true phone number, one postcode). How each account writes them
down is decided later, in identity.py. All columns are built whole-column at a time.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entity_resolution.demo import formats as fm
from entity_resolution.demo import name_tails as tails
from entity_resolution.demo import names as nm

REFERENCE_DAY = 20_757  # 2026-10-31 as days since 1970-01-01

_FOLD = str.maketrans({"ß": "ss", "Æ": "Ae", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "Oe", "œ": "oe", "ł": "l"})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_fold(text: str) -> str:
    """'José Müller' -> 'Jose Muller' (what a keyboard without accents produces)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def email_form(text: str, german: bool = False) -> str:
    """Name as it appears inside an e-mail address: ASCII letters only, lower case."""
    folded = ascii_fold(text.translate(_GERMAN) if german else text)
    return "".join(c for c in folded.lower() if c.isalnum())


@dataclass(frozen=True)
class NameTable:
    """Every name the generator can use, with its derived forms, indexed by position."""

    text: pa.Array
    ascii: pa.Array
    email: pa.Array
    email_de: pa.Array
    nick: pa.Array  # first names only: the short form, or null
    pools: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]  # (culture, gender) -> (indices, weights)


# Share of draws that go to the curated, most-common names (Zipf-weighted); the rest spread evenly
# over the long tail. Tuned so the top full name in a culture is about 0.1% of its people.
HEAD_SHARE = {"first": 0.35, "last": 0.25}


def _table(entries: list[tuple[str, str, int, bool]], nicknames: dict[str, str], head_share: float) -> NameTable:
    """entries: (name, culture, gender or -1 for never drawn, is_head)."""
    texts = [e[0] for e in entries]
    members: dict[tuple[str, int], list[int]] = {}
    for pos, (_, culture, gender, _head) in enumerate(entries):
        if gender >= 0:
            members.setdefault((culture, gender), []).append(pos)
    pools = {}
    for key, idx in members.items():
        head = np.array([entries[i][3] for i in idx])
        w = np.zeros(len(idx))
        w[head] = head_share * fm.zipf_weights(int(head.sum()), 0.6)
        w[~head] = (1 - head_share) / max(int((~head).sum()), 1)
        pools[key] = (np.asarray(idx), w / w.sum())
    return NameTable(
        text=pa.array(texts),
        ascii=pa.array([ascii_fold(t) for t in texts]),
        email=pa.array([email_form(t) for t in texts]),
        email_de=pa.array([email_form(t, german=True) for t in texts]),
        nick=pa.array([nicknames.get(t) for t in texts], pa.string()),
        pools=pools,
    )


@cache
def first_names() -> NameTable:
    entries = [
        (name, culture, gender, is_head)
        for culture in nm.CULTURE_NAMES
        for gender in (0, 1)
        for is_head, names in ((True, nm.FIRST_NAMES[culture][gender]), (False, tails.FIRST_TAILS[culture][gender]))
        for name in names
    ]
    known = {(e[0], e[1]) for e in entries}
    entries += [(f, c, -1, False) for f, _, c in nm.COMMON_NAMES if (f, c) not in known]  # drawn only as traps
    return _table(entries, nm.NICKNAMES, HEAD_SHARE["first"])


@cache
def last_names() -> NameTable:
    entries = [
        (name, culture, 0, is_head)
        for culture in nm.CULTURE_NAMES
        for is_head, names in ((True, nm.LAST_NAMES[culture]), (False, tails.LAST_TAILS[culture]))
        for name in names
    ]
    known = {(e[0], e[1]) for e in entries}
    entries += [(last, c, -1, False) for _, last, c in nm.COMMON_NAMES if (last, c) not in known]
    return _table(entries, {}, HEAD_SHARE["last"])


def _lookup(table: NameTable, name: str) -> int:
    return int(table.text.index(name).as_py())


@dataclass(frozen=True)
class People:
    """Canonical attributes of n people (index = person number)."""

    country: np.ndarray  # index into names.COUNTRIES
    first: np.ndarray  # index into first_names()
    last: np.ndarray  # index into last_names()
    dob: np.ndarray  # days since 1970-01-01
    phone: pa.Array  # national significant number, digits only
    phone_kind: np.ndarray  # index into PHONE_TEMPLATES
    phone_habit: np.ndarray  # the template this person usually writes their number in
    postcode: pa.Array  # canonical postcode
    email_local: pa.Array
    email_domain: pa.Array
    german_email: np.ndarray  # bool: writes ü as ue in e-mail addresses

    def __len__(self) -> int:
        return len(self.country)


@dataclass(frozen=True)
class PersonPlan:
    """What the population layout fixes about people before their attributes are drawn."""

    n: int
    kin_head: np.ndarray  # person whose last name/postcode/country this person shares, or -1
    same_last: np.ndarray  # bool: takes the head's last name
    same_postcode: np.ndarray  # bool: lives at the head's postcode
    common: np.ndarray  # index into names.COMMON_NAMES, or -1
    young: np.ndarray  # bool: 18-24 (students)
    synthetic: np.ndarray  # bool: an identity made up by an abuser
    country: np.ndarray  # forced country index, or -1


def make_people(rng: np.random.Generator, plan: PersonPlan) -> People:
    n = plan.n
    country = fm.weighted(rng, n, nm.COUNTRY_WEIGHTS)
    country = np.where(plan.country >= 0, plan.country, country)
    kin = plan.kin_head >= 0
    country[kin] = country[plan.kin_head[kin]]

    first, last = _draw_names(rng, country, plan)
    # Ages at the reference date; everyone was at least 18 when the window opened 540 days earlier.
    age_years = np.where(plan.young, 20 + 6 * rng.random(n), 20 + 62 * rng.beta(2.0, 3.5, n))
    dob = REFERENCE_DAY - np.round(age_years * 365.25).astype(np.int64) - rng.integers(0, 30, n)

    phone, phone_kind = phone_numbers(rng, country)
    n_templates = np.array([len(t) for t in PHONE_TEMPLATES])[phone_kind]
    habit = np.minimum(fm.weighted(rng, n, [50, 20, 12, 8, 5, 3, 2]), n_templates - 1)
    postcode = postcodes(rng, country)
    same_pc = kin & plan.same_postcode
    source = np.arange(n)
    source[same_pc] = plan.kin_head[same_pc]
    postcode = postcode.take(pa.array(source))

    german = (country == nm.COUNTRIES.index("DE")) & (rng.random(n) < 0.6)
    local, domain = make_emails(rng, first, last, country, dob, plan.synthetic, german, plan.common >= 0)
    return People(country, first, last, dob, phone, phone_kind, habit, postcode, local, domain, german)


def _draw_names(rng: np.random.Generator, country: np.ndarray, plan: PersonPlan) -> tuple[np.ndarray, ...]:
    n = len(country)
    firsts, lasts = first_names(), last_names()
    n_cultures = len(nm.CULTURE_NAMES)
    home = np.array([nm.CULTURE_NAMES.index(c) for c in nm.CULTURES])[country]
    mixed_first = plan.synthetic | (rng.random(n) < 0.12)
    first_culture = np.where(mixed_first, rng.integers(0, n_cultures, n), home)
    last_culture = np.where(rng.random(n) < 0.12, rng.integers(0, n_cultures, n), home)
    gender = rng.integers(0, 2, n)
    first = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    for c, culture in enumerate(nm.CULTURE_NAMES):
        for g in (0, 1):
            rows = np.flatnonzero((first_culture == c) & (gender == g))
            idx, w = firsts.pools[(culture, g)]
            first[rows] = rng.choice(idx, size=len(rows), p=w)
        rows = np.flatnonzero(last_culture == c)
        idx, w = lasts.pools[(culture, 0)]
        last[rows] = rng.choice(idx, size=len(rows), p=w)
    kin = np.flatnonzero((plan.kin_head >= 0) & plan.same_last)
    last[kin] = last[plan.kin_head[kin]]
    # Relatives get their own first names (no Jr./Sr. twins: that would be a different trap).
    for _ in range(20):
        twin = kin[_same_first_as_relative(first, plan.kin_head, kin)]
        if not len(twin):
            break
        for c, culture in enumerate(nm.CULTURE_NAMES):
            for g in (0, 1):
                rows = twin[(first_culture[twin] == c) & (gender[twin] == g)]
                idx, _w = firsts.pools[(culture, g)]
                first[rows] = idx[rng.integers(0, len(idx), len(rows))]
    trap = np.flatnonzero(plan.common >= 0)
    if len(trap):
        common_first = np.array([_lookup(firsts, f) for f, _, _ in nm.COMMON_NAMES])
        common_last = np.array([_lookup(lasts, s) for _, s, _ in nm.COMMON_NAMES])
        first[trap] = common_first[plan.common[trap]]
        last[trap] = common_last[plan.common[trap]]
    return first, last


def _same_first_as_relative(first: np.ndarray, head: np.ndarray, kin: np.ndarray) -> np.ndarray:
    """For relatives (listed right after their head), whether an earlier relative has the same first name."""
    same = first[kin] == first[head[kin]]
    for offset in (1, 2, 3):
        earlier = np.maximum(kin - offset, 0)
        related = (head[earlier] == head[kin]) & (earlier > head[kin])
        same |= related & (first[earlier] == first[kin])
    return same


# Phone numbers. Each kind has a national significant number of fixed length and the ways people
# write it; the first template is the most common.
PHONE_KINDS: tuple[str, ...] = ("GB_mobile", "GB_london", "US", "DE", "FR", "ES", "IN", "BR", "IT")
PHONE_TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("0{0:4} {4:10}", "+44 {0:4} {4:10}", "+44{0:10}", "0{0:10}", "+44 (0){0:4} {4:10}", "0{0:4}-{4:10}"),
    ("0{0:2} {2:6} {6:10}", "+44 {0:2} {2:6} {6:10}", "(0{0:2}) {2:6} {6:10}", "0{0:10}", "+44{0:10}"),
    (
        "({0:3}) {3:6}-{6:10}",
        "+1 ({0:3}) {3:6}-{6:10}",
        "{0:3}.{3:6}.{6:10}",
        "{0:3}-{3:6}-{6:10}",
        "+1{0:10}",
        "1-{0:3}-{3:6}-{6:10}",
        "{0:10}",
    ),
    ("0{0:3} {3:11}", "+49 {0:3} {3:11}", "0{0:3}/{3:11}", "+49 (0){0:3} {3:11}", "+49{0:11}", "0{0:3}-{3:11}"),
    (
        "0{0:1} {1:3} {3:5} {5:7} {7:9}",
        "+33 {0:1} {1:3} {3:5} {5:7} {7:9}",
        "0{0:9}",
        "+33{0:9}",
        "0{0:1}.{1:3}.{3:5}.{5:7}.{7:9}",
    ),
    ("{0:3} {3:6} {6:9}", "+34 {0:3} {3:5} {5:7} {7:9}", "+34{0:9}", "{0:9}", "+34 {0:3} {3:6} {6:9}"),
    ("+91 {0:5} {5:10}", "0{0:5} {5:10}", "{0:10}", "+91-{0:10}", "+91 {0:10}"),
    ("({0:2}) {2:7}-{7:11}", "+55 {0:2} {2:7}-{7:11}", "{0:11}", "+55{0:11}", "({0:2}) {2:3} {3:7}-{7:11}"),
    ("{0:3} {3:6} {6:10}", "+39 {0:3} {3:6} {6:10}", "{0:10}", "+39 {0:10}", "0039 {0:3} {3:10}"),
)


def _nsn(rng: np.random.Generator, kind: int, n: int) -> pa.Array:
    """n random national significant numbers of one phone kind."""
    r = rng.integers
    if kind == 0:  # GB mobile 07xxx: 71-75, 77-79
        mobile = ["71", "73", "74", "75", "77", "78", "79"]
        return fm.join(fm.take(mobile, r(0, len(mobile), n)), fm.digits(r(0, 10**8, n), 8))
    if kind == 1:  # London 020 3xxx / 7xxx / 8xxx
        return fm.join("20", fm.take(["3", "7", "8"], r(0, 3, n)), fm.digits(r(0, 10**7, n), 7))
    if kind == 2:
        area = np.asarray(nm.US_AREA_CODES)[r(0, len(nm.US_AREA_CODES), n)]
        return fm.join(fm.digits(area, 3), fm.digits(r(200, 1000, n), 3), fm.digits(r(0, 10**4, n), 4))
    if kind == 3:
        pre = np.asarray(nm.DE_MOBILE_PREFIXES)[r(0, len(nm.DE_MOBILE_PREFIXES), n)]
        return fm.join(fm.digits(pre, 3), fm.digits(r(10**7, 10**8, n), 8))
    if kind == 4:  # FR mobiles 06 (not the 069x overseas blocks) and 073-078
        prefixes = [f"6{d}" for d in range(9)] + [f"7{d}" for d in range(3, 9)]
        return fm.join(fm.take(prefixes, r(0, len(prefixes), n)), fm.digits(r(0, 10**7, n), 7))
    if kind == 5:  # ES mobiles 6xx and 71x-74x
        prefixes = [f"6{d}" for d in range(10)] + [f"7{d}" for d in range(1, 5)]
        return fm.join(fm.take(prefixes, r(0, len(prefixes), n)), fm.digits(r(0, 10**7, n), 7))
    if kind == 6:
        return fm.join(fm.digits(r(6, 10, n), 1), fm.digits(r(0, 10**9, n), 9))
    if kind == 7:
        ddd = np.asarray(nm.BR_AREA_CODES)[r(0, len(nm.BR_AREA_CODES), n)]
        return fm.join(fm.digits(ddd, 2), "9", fm.digits(r(0, 10**8, n), 8))
    return fm.join("3", fm.digits(r(20, 100, n), 2), fm.digits(r(0, 10**7, n), 7))


def numbers_for(rng: np.random.Generator, kind: np.ndarray, rows: np.ndarray) -> pa.Array:
    """A fresh random number of the right kind for each row."""
    k = kind[rows]
    return fm.scatter(len(rows), [(np.flatnonzero(k == j), _nsn(rng, j, int((k == j).sum()))) for j in range(9)])


def phone_numbers(rng: np.random.Generator, country: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """One distinct phone number per person, consistent with the person's country."""
    n = len(country)
    kind = np.asarray([0, 2, 3, 4, 5, 6, 7, 8])[country]
    kind = np.where((kind == 0) & (rng.random(n) < 0.15), 1, kind)
    numbers = numbers_for(rng, kind, np.arange(n))
    numbers = fm.dedupe(numbers, np.arange(n), lambda rows: numbers_for(rng, kind, rows))
    return numbers, kind


def postcodes(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """Canonical postcodes in each country's format ('SW1A 1AA', '02139', '75011', '01310-100')."""
    n = len(country)
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for c, code in enumerate(nm.COUNTRIES):
        rows = np.flatnonzero(country == c)
        k = len(rows)
        r = rng.integers
        if code == "GB":
            letters = list(nm.GB_INWARD_LETTERS)
            value = fm.join(
                fm.take(nm.GB_OUTWARD, r(0, len(nm.GB_OUTWARD), k)),
                " ",
                fm.digits(r(0, 10, k), 1),
                fm.take(letters, r(0, len(letters), k)),
                fm.take(letters, r(0, len(letters), k)),
            )
        elif code == "FR":
            value = fm.join(fm.digits(r(1, 96, k), 2), fm.digits(r(0, 100, k) * 10, 3))
        elif code == "ES":
            value = fm.join(fm.digits(r(1, 53, k), 2), fm.digits(r(0, 1000, k), 3))
        elif code == "IN":
            value = fm.digits(r(110_001, 856_000, k), 6)
        elif code == "BR":
            value = fm.join(fm.digits(r(1_000, 99_999, k), 5), "-", fm.digits(r(0, 1000, k), 3))
        else:  # US, DE, IT: five digits, often with a leading zero
            value = fm.digits(r(1_001, 99_950, k), 5)
        parts.append((rows, value))
    return fm.scatter(n, parts)


def canonical_email(local: pa.Array, domain: pa.Array) -> pa.Array:
    """The mailbox an address delivers to: no +tag, case-folded, gmail dots removed, googlemail=gmail."""
    base = pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(local, r"\+.*$", "")))
    dom = pc.utf8_lower(pc.utf8_trim_whitespace(domain))
    gmail = pc.is_in(dom, value_set=pa.array(list(nm.GMAIL_DOMAINS)))
    base = pc.if_else(gmail, pc.replace_substring(base, ".", ""), base)
    dom = pc.if_else(gmail, pa.scalar("gmail.com"), dom)
    return fm.join(base, "@", dom)


EMAIL_STYLES = 11


def email_locals(
    rng: np.random.Generator,
    first: np.ndarray,
    last: np.ndarray,
    dob: np.ndarray,
    german: np.ndarray,
    style: np.ndarray,
) -> pa.Array:
    """Local parts in one of EMAIL_STYLES styles (0 'jose.muller' ... 10 'jose.muller42')."""
    fn, ln = first_names(), last_names()

    def f(rows: np.ndarray) -> pa.Array:
        return fm.where(german[rows], fm.take(fn.email_de, first[rows]), fm.take(fn.email, first[rows]))

    def s(rows: np.ndarray) -> pa.Array:
        return fm.where(german[rows], fm.take(ln.email_de, last[rows]), fm.take(ln.email, last[rows]))

    def yy(rows: np.ndarray) -> pa.Array:
        years = dob[rows].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        return fm.digits(years % 100, 2)

    def num(rows: np.ndarray, high: int) -> pa.Array:
        return pc.cast(pa.array(rng.integers(1, high, len(rows))), pa.string())

    def handle(rows: np.ndarray) -> pa.Array:
        words, k = nm.HANDLE_WORDS, len(rows)
        pick = rng.integers(0, len(words), (2, k))
        return fm.join(fm.take(words, pick[0]), fm.take(words, pick[1]), fm.digits(rng.integers(0, 100, k), 2))

    def bot(rows: np.ndarray) -> pa.Array:
        return fm.join(f(rows), fm.hex_strings(rng, len(rows), 3))

    return fm.assemble(
        style,
        [
            lambda r: fm.join(f(r), ".", s(r)),
            lambda r: fm.join(f(r), s(r)),
            lambda r: fm.join(pc.utf8_slice_codeunits(f(r), 0, 1), s(r)),
            lambda r: fm.join(f(r), "_", s(r)),
            lambda r: fm.join(s(r), ".", f(r)),
            lambda r: fm.join(f(r), ".", s(r), yy(r)),
            lambda r: fm.join(f(r), num(r, 1000)),
            lambda r: fm.join(s(r), f(r)),
            handle,
            bot,
            lambda r: fm.join(f(r), ".", s(r), num(r, 100)),
        ],
    )


def email_domains(rng: np.random.Generator, country: np.ndarray, synthetic: np.ndarray) -> pa.Array:
    n = len(country)
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for c, code in enumerate(nm.COUNTRIES):
        options = nm.GLOBAL_DOMAINS + nm.LOCAL_DOMAINS[code]
        rows = np.flatnonzero((country == c) & ~synthetic)
        pick = fm.weighted(rng, len(rows), [w for _, w in options])
        parts.append((rows, fm.take([d for d, _ in options], pick)))
    rows = np.flatnonzero(synthetic)  # throwaway identities: free webmail only
    bulk = ["gmail.com", "outlook.com", "proton.me", "yahoo.com", "hotmail.com", "mail.com", "gmx.com"]
    parts.append((rows, fm.take(bulk, fm.weighted(rng, len(rows), [5, 2, 2, 1, 1, 1, 1]))))
    return fm.scatter(n, parts)


def make_emails(
    rng: np.random.Generator,
    first: np.ndarray,
    last: np.ndarray,
    country: np.ndarray,
    dob: np.ndarray,
    synthetic: np.ndarray,
    german: np.ndarray,
    common: np.ndarray,
) -> tuple[pa.Array, pa.Array]:
    """One e-mail address per person, no two people sharing a mailbox (see canonical_email).
    People with very common names get name-derived addresses (michaelsmith@, smith.michael@, ...)."""
    n = len(first)
    style = np.select(
        [synthetic, common],
        [
            fm.weighted(rng, n, [1, 1, 0, 0, 0, 2, 3, 0, 4, 4, 5]),
            fm.weighted(rng, n, [5, 4, 3, 2, 3, 3, 0, 2, 0, 0, 3]),
        ],
        fm.weighted(rng, n, [24, 13, 9, 4, 4, 10, 7, 3, 12, 6, 8]),
    )
    local = email_locals(rng, first, last, dob, german, style)
    domain = email_domains(rng, country, synthetic)
    own = (rng.random(n) < 0.03) & ~synthetic  # family/vanity domain: jose@muller.es
    if own.any():
        surname = fm.take(last_names().email, last)
        tld = fm.take(nm.TLDS, country)
        domain = fm.where(own, fm.join(surname, ".", tld), domain)
        local = fm.where(own, fm.take(first_names().email, first), local)
    return unique_mailboxes(rng, local, domain, np.arange(n))


def unique_mailboxes(
    rng: np.random.Generator, local: pa.Array, domain: pa.Array, owner: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """Append digits to local parts until no mailbox is shared by two owners."""
    state = {"local": local}

    def redraw(rows: np.ndarray) -> pa.Array:
        idx = pa.array(rows)
        old = state["local"].take(idx)
        extra = pc.cast(pa.array(rng.integers(1, 10_000, len(rows))), pa.string())
        base = pc.replace_substring_regex(old, r"\+.*$", "")
        tag = pc.replace_substring_regex(old, r"^[^+]*", "")
        new = fm.join(base, extra, tag)
        mask = np.zeros(len(owner), dtype=bool)
        mask[rows] = True
        state["local"] = fm.update(state["local"], mask, new)
        return canonical_email(new, domain.take(idx))

    fm.dedupe(canonical_email(local, domain), owner, redraw)
    return state["local"], domain
