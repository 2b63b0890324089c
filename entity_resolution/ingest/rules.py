"""Standardisation rules as pure functions, one value at a time.

These are the reference for each rule (see docs/standardisation.md). `standardise/` runs the same
rules as DuckDB SQL over whole tables and calls the library-backed ones here (phone, email validity,
disposable domains, accent folding, IP) only for the distinct values SQL cannot decide itself.
The unit tests check that both give the same answers.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from anyascii import anyascii

# Names: honorifics dropped from the start, generational/academic suffixes from the end.
TITLES: frozenset[str] = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd", "fr", "lord", "lady"}
)
SUFFIXES: frozenset[str] = frozenset(
    {"jr", "jnr", "sr", "snr", "ii", "iii", "iv", "phd", "md", "esq", "dds", "mba", "obe", "mbe", "cbe"}
)
AFFIXES: frozenset[str] = TITLES | SUFFIXES

# Emails: providers that ignore dots in the local part, and domains that are aliases of another.
DOT_INSENSITIVE_DOMAINS: frozenset[str] = frozenset({"gmail.com"})
DOMAIN_ALIASES: dict[str, str] = {"googlemail.com": "gmail.com"}

# Countries: ISO 3166-1 alpha-2 expected; "UK" is common in the wild but is not the ISO code.
COUNTRY_ALIASES: dict[str, str] = {"UK": "GB"}
# Countries that use US ZIP codes, where a bare 9-digit postcode is ZIP+4.
ZIP_COUNTRIES: frozenset[str] = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})

_APOSTROPHES = re.compile(r"['`]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ZIP4_SEPARATED = re.compile(r"[0-9]{5}[ -][0-9]{4}")
_ZIP4_BARE = re.compile(r"[0-9]{9}")
_CARD_SEPARATORS = str.maketrans("", "", " \t\n\f\r-")


def normalise_country(raw: str | None) -> str | None:
    """Upper-case ISO alpha-2 code; "UK" becomes "GB"."""
    if raw is None or not raw.strip():
        return None
    code = raw.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


# --- email ---------------------------------------------------------------------------------------


def canonical_email(raw: str | None) -> str | None:
    """Lower-cased address with plus-tags stripped (and dots, for Gmail); None unless `local@domain`.

    Says nothing about validity: see `email_is_valid`.
    """
    if raw is None:
        return None
    email = raw.strip().lower()
    if email.count("@") != 1:
        return None
    local, domain = email.split("@")
    if not local or not domain:
        return None
    domain = DOMAIN_ALIASES.get(domain, domain)
    if "+" in local and not local.startswith("+"):
        local = local.split("+", 1)[0]
    if domain in DOT_INSENSITIVE_DOMAINS:
        local = local.replace(".", "")
    if not local:
        return None
    return f"{local}@{domain}"


def email_is_valid(raw: str) -> bool:
    """Syntax check by email-validator (no DNS)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@cache
def _disposable_blocklist() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable_domain(domain: str | None) -> bool:
    """True if the domain, or a parent domain of it, is on the disposable-email-domains blocklist."""
    if not domain:
        return False
    blocklist = _disposable_blocklist()
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


# --- names ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameParts:
    norm: str | None
    first: str | None
    last: str | None


def fold_name(raw: str) -> str:
    """NFKC, casefold and transliterate to lower-case ASCII ("Zoë" -> "zoe", "Łukasz" -> "lukasz").

    Works word by word (split on " "), so SQL can fold each distinct word once.
    """
    return " ".join(anyascii(unicodedata.normalize("NFKC", w).casefold()).lower() for w in raw.split(" "))


def name_tokens(raw: str | None) -> list[str]:
    """Name words in "first ... last" order, without punctuation, titles or suffixes.

    Apostrophes join ("O'Brien" -> "obrien"); any other punctuation separates ("Mary-Jane" ->
    "mary jane"). "Last, First" is turned round; comma-separated parts made only of titles or
    suffixes ("Smith, John, Jr.") are dropped first.
    """
    if raw is None:
        return []
    folded = _APOSTROPHES.sub("", fold_name(raw))
    parts = [" ".join(_NON_ALNUM.sub(" ", part).split()) for part in folded.split(",")]
    if len(parts) >= 2:
        parts = [p for p in parts if p and not set(p.split()) <= AFFIXES]
        parts = parts[1:] + parts[:1]
    tokens = " ".join(parts).split()
    start = next((i for i, t in enumerate(tokens) if t not in TITLES), len(tokens))
    end = len(tokens) - next((i for i, t in enumerate(reversed(tokens)) if t not in SUFFIXES), len(tokens))
    return tokens[start:end]


def normalise_name(raw: str | None) -> NameParts:
    """Full normalised name, first token as first name, last token as last name (if 2+ tokens)."""
    tokens = name_tokens(raw)
    if not tokens:
        return NameParts(None, None, None)
    return NameParts(" ".join(tokens), tokens[0], tokens[-1] if len(tokens) >= 2 else None)


# --- postcode ------------------------------------------------------------------------------------


def normalise_postcode(raw: str | None, country: str | None) -> str | None:
    """Upper case, letters and digits only; US ZIP+4 cut to the 5-digit ZIP."""
    if raw is None:
        return None
    text = raw.strip()
    if _ZIP4_SEPARATED.fullmatch(text) or (normalise_country(country) in ZIP_COUNTRIES and _ZIP4_BARE.fullmatch(text)):
        return text[:5]
    return "".join(c for c in text if c.isalnum()).upper() or None


# --- phone ---------------------------------------------------------------------------------------


def normalise_phone(raw: str | None, country: str | None) -> str | None:
    """E.164 by phonenumbers, with the record's country as default region; None if not a valid number."""
    import phonenumbers

    if raw is None:
        return None
    try:
        number = phonenumbers.parse(raw, normalise_country(country))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- IP and card ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpParts:
    ip: str
    prefix: str


def normalise_ip(raw: str | None) -> IpParts | None:
    """Canonical address and its network (IPv4 /24, IPv6 /48); IPv4-mapped IPv6 becomes IPv4."""
    if raw is None:
        return None
    try:
        addr = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        # IPv4-mapped addresses are IPv4; rebuilding from the integer drops a %scope suffix
        addr = addr.ipv4_mapped or ipaddress.IPv6Address(int(addr))
    if isinstance(addr, ipaddress.IPv4Address):
        return IpParts(str(addr), str(ipaddress.IPv4Network((int(addr), 24), strict=False)))
    return IpParts(str(addr), str(ipaddress.IPv6Network((int(addr), 48), strict=False)))


def card_digits(raw: str | None, min_len: int, max_len: int) -> str | None:
    """Digits of a card BIN or last-4 as a string (leading zeros kept); None if not all digits."""
    if raw is None:
        return None
    text = raw.translate(_CARD_SEPARATORS)
    if not (min_len <= len(text) <= max_len and text.isascii() and text.isdigit()):
        return None
    return text
