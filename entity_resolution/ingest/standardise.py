"""Standardise the typed input tables (in_*) into matching-ready tables (std_*), inside DuckDB.

`standardise(con)` reads in_accounts, in_devices and in_payments (see ingest/__init__.py) and creates
std_accounts, std_devices and std_payments. Each rule is documented in docs/standardisation.md and
written once as a pure function in rules.py, the reference the tests hold this SQL to.

Speed: whatever a regular expression can decide runs as DuckDB SQL over whole tables. Python sees
only distinct values that SQL cannot settle: emails outside a plain-ASCII subset (email-validator),
non-ASCII name words (anyascii), IP text other than dotted-quad IPv4 and plain IPv6 (ipaddress),
and phone numbers in unusual shapes (phonenumbers). Parsing a phone number costs phonenumbers
~0.1 ms, too slow for a million distinct numbers, so numbers written with digits, separators and an
optional leading "+" are parsed and validated in SQL with phonenumbers' own metadata patterns,
following its parse() and is_valid_number() step by step (see the phone section below).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from entity_resolution.ingest import rules

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_TEMP_TABLES = (
    "_std_email",
    "_std_email_py",
    "_std_domain_py",
    "_std_name_raw",
    "_std_name_words",
    "_std_word_folded",
    "_std_name_folded",
    "_std_name",
    "_std_ip_raw",
    "_std_ip6",
    "_std_ip_py",
    "_std_ip",
    "_std_phone_in",
    "_std_phone_fast",
    "_std_phone_py",
    "_std_phone",
    "_ph_meta",
    "_ph_ccmeta",
    "_ph_k",
    "_ph_d",
    "_ph_t",
    "_ph_m",
    "_ph_n",
    "_ph_pending",
    "_ph_left",
    "_ph_step",
    "_ph_valid",
)
_MACROS = (
    "_country",
    "_postcode",
    "_card_digits",
    "_ipv4",
    "_ipv4_prefix",
    "_ph_cc",
    "_ph_too_long",
    "_ph_accept",
)


def standardise(con: duckdb.DuckDBPyConnection) -> None:
    """Create std_accounts, std_devices and std_payments from in_accounts, in_devices, in_payments."""
    try:
        _create_value_macros(con)
        _build_email_lookup(con)
        _build_name_lookup(con)
        _build_phone_lookup(con)
        _build_ip_lookup(con)
        con.execute(_std_accounts_sql())
        con.execute(_std_devices_sql())
        con.execute(_std_payments_sql())
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
        for macro in _MACROS:
            con.execute(f"DROP MACRO IF EXISTS {macro}")


# --- output tables -------------------------------------------------------------------------------


def _std_accounts_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_accounts AS
    WITH a AS (SELECT *, _country(country) AS country_norm, _ipv4(signup_ip) AS v4 FROM in_accounts)
    SELECT a.account_id, a.created_at,
           a.email AS email_raw, e.email_canonical, e.email_local, e.email_domain,
           e.email_valid, e.email_disposable,
           a.full_name AS full_name_raw, n.name_norm, n.first_name, n.last_name,
           a.phone AS phone_raw, p.phone_e164,
           a.date_of_birth, _postcode(a.postcode, a.country_norm) AS postcode, a.country_norm AS country,
           CASE WHEN a.v4 THEN a.signup_ip ELSE ip.ip END AS signup_ip,
           CASE WHEN a.v4 THEN _ipv4_prefix(a.signup_ip) ELSE ip.ip_prefix END AS signup_ip_prefix
    FROM a
    LEFT JOIN _std_email e ON e.email_raw = a.email
    LEFT JOIN _std_name n ON n.name_raw = a.full_name
    LEFT JOIN _std_phone p ON p.phone = a.phone AND p.region = coalesce(a.country_norm, '')
    LEFT JOIN _std_ip ip ON ip.ip_raw = a.signup_ip
    """


def _std_devices_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_devices AS
    WITH d AS (SELECT *, _ipv4(ip) AS v4 FROM in_devices)
    SELECT d.account_id, d.observed_at, d.device_id,
           CASE WHEN d.v4 THEN d.ip ELSE ip.ip END AS ip,
           CASE WHEN d.v4 THEN _ipv4_prefix(d.ip) ELSE ip.ip_prefix END AS ip_prefix,
           d.user_agent
    FROM d
    LEFT JOIN _std_ip ip ON ip.ip_raw = d.ip
    """


def _std_payments_sql() -> str:
    return """
    CREATE OR REPLACE TABLE std_payments AS
    WITH p AS (SELECT *, _country(billing_country) AS country_norm FROM in_payments)
    SELECT p.account_id, p.observed_at, p.card_fingerprint,
           _card_digits(p.card_bin, 6, 8) AS card_bin, _card_digits(p.card_last4, 4, 4) AS card_last4,
           n.name_norm AS cardholder_name_norm, n.first_name AS cardholder_first,
           n.last_name AS cardholder_last,
           _postcode(p.billing_postcode, p.country_norm) AS billing_postcode,
           p.country_norm AS billing_country, p.disputed
    FROM p
    LEFT JOIN _std_name n ON n.name_raw = p.cardholder_name
    """


def _create_value_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Row-level rules that need no lookup table: country, postcode, card digits."""
    aliases = ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in sorted(rules.COUNTRY_ALIASES.items()))
    zip_countries = ", ".join(_lit(c) for c in sorted(rules.ZIP_COUNTRIES))
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO _country(c) AS
        CASE WHEN nullif(trim(c), '') IS NOT NULL
             THEN coalesce(MAP {{{aliases}}}[upper(trim(c))], upper(trim(c))) END"""
    )
    # Cheap tests first: regexp_replace runs only on values that need it.
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO _postcode(pc, country) AS
        CASE WHEN length(trim(pc)) IN (9, 10)
                  AND (regexp_full_match(trim(pc), '[0-9]{{5}}[ -][0-9]{{4}}')
                       OR (country IN ({zip_countries}) AND regexp_full_match(trim(pc), '[0-9]{{9}}')))
             THEN substr(trim(pc), 1, 5)
             WHEN regexp_full_match(pc, '[A-Za-z0-9]*') THEN nullif(upper(pc), '')
             ELSE nullif(upper(regexp_replace(pc, '[^\\pL\\pN]', '', 'g')), '') END"""
    )
    separators = "' -' || chr(9) || chr(10) || chr(12) || chr(13)"  # as rules.card_digits
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO _card_digits(s, lo, hi) AS
        CASE WHEN length(s) BETWEEN lo AND hi AND regexp_full_match(s, '[0-9]*') THEN s
             WHEN length(translate(s, {separators}, '')) BETWEEN lo AND hi
                  AND regexp_full_match(translate(s, {separators}, ''), '[0-9]*')
             THEN translate(s, {separators}, '') END"""
    )


# --- Python on distinct values -------------------------------------------------------------------


def _python_lookup(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys_sql: str,
    fn: Callable[..., tuple[Any, ...]],
    outputs: Sequence[tuple[str, pa.DataType]],
) -> None:
    """Create `table` (key columns of `keys_sql`, then `outputs`) by mapping each distinct key row."""
    import pyarrow as pa

    keys = con.sql(keys_sql).to_arrow_table()
    columns = [keys.column(i).to_pylist() for i in range(keys.num_columns)]
    results = [fn(*row) for row in zip(*columns, strict=True)]
    data: dict[str, pa.Array | pa.ChunkedArray] = dict(zip(keys.column_names, keys.columns, strict=True))
    for j, (name, dtype) in enumerate(outputs):
        data[name] = pa.array([r[j] for r in results], type=dtype)
    view = f"{table}_arrow"
    con.register(view, pa.table(data))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> None:
    """Execute with the named parameters that `sql` uses (DuckDB rejects unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    con.execute(sql, {k: v for k, v in params.items() if k in used})


def _lit(text: str) -> str:
    """SQL string literal for text from our own code or library metadata (never from input data)."""
    return "'" + text.replace("'", "''") + "'"


# --- email ---------------------------------------------------------------------------------------

# Addresses in this ASCII subset are valid for email-validator (syntax only, globally deliverable):
# dot-atom local part; hostname labels, no "--" (IDNA rules), last label ends with a letter.
_ATEXT = "[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_EMAIL_PLAIN = rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]*)?[a-z]"


def _email_sql() -> str:
    return """
    CREATE OR REPLACE TEMP TABLE _std_email AS
    WITH raw AS (
        SELECT email_raw, lower(trim(email_raw)) AS e
        FROM (SELECT DISTINCT email AS email_raw FROM in_accounts WHERE email IS NOT NULL)
    ),
    shaped AS (  -- local@domain: exactly one "@", something on both sides
        SELECT email_raw, e, strpos(e, '@') AS at_pos,
               strpos(e, '@') > 1 AND strpos(e, '@') < length(e)
               AND strpos(substr(e, strpos(e, '@') + 1), '@') = 0 AS shaped
        FROM raw
    ),
    parts AS (
        SELECT email_raw, e, at_pos,
               CASE WHEN shaped THEN substr(e, 1, at_pos - 1) END AS local0,
               CASE WHEN shaped THEN substr(e, at_pos + 1) END AS domain0
        FROM shaped
    ),
    canon AS (
        SELECT *,
               coalesce(list_extract($alias_to, list_position($alias_from, domain0)), domain0) AS domain,
               CASE WHEN strpos(local0, '+') > 1 THEN split_part(local0, '+', 1) ELSE local0 END AS local1
        FROM parts
    )
    SELECT email_raw, domain0 AS shape_domain,
           -- TRUE: surely valid, FALSE: surely invalid, NULL: ask email-validator
           CASE WHEN at_pos = 0 THEN false
                WHEN domain0 IS NOT NULL AND length(e) <= 254 AND length(domain0) <= 253
                     AND NOT contains(domain0, '--')
                     AND NOT list_contains($special, split_part(domain0, '.', -1))
                     AND regexp_full_match(e, $plain)
                     AND (length(domain0) < 64 OR NOT regexp_matches(domain0, '[^.]{64}'))
                THEN true END AS fast_valid,
           nullif(CASE WHEN list_contains($dot_insensitive, domain) THEN replace(local1, '.', '')
                       ELSE local1 END, '') AS canon_local,
           domain AS canon_domain
    FROM canon
    """


def _build_email_lookup(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    aliases = sorted(rules.DOMAIN_ALIASES.items())
    con.execute(
        _email_sql(),
        {
            "alias_from": [a for a, _ in aliases],
            "alias_to": [b for _, b in aliases],
            "dot_insensitive": sorted(rules.DOT_INSENSITIVE_DOMAINS),
            "plain": _EMAIL_PLAIN,
            "special": list(SPECIAL_USE_DOMAIN_NAMES),
        },
    )
    _python_lookup(
        con,
        "_std_email_py",
        "SELECT email_raw FROM _std_email WHERE fast_valid IS NULL",
        lambda raw: (rules.email_is_valid(raw.strip()),),
        [("valid", pa.bool_())],
    )
    _python_lookup(
        con,
        "_std_domain_py",
        "SELECT DISTINCT shape_domain FROM _std_email WHERE shape_domain IS NOT NULL",
        lambda domain: (rules.is_disposable_domain(domain),),
        [("disposable", pa.bool_())],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _std_email AS
        WITH v AS (
            SELECT e.*, coalesce(e.fast_valid, p.valid) AS email_valid, coalesce(d.disposable, false) AS disp
            FROM _std_email e
            LEFT JOIN _std_email_py p USING (email_raw)
            LEFT JOIN _std_domain_py d USING (shape_domain)
        )
        SELECT email_raw, email_valid, disp AS email_disposable,
               CASE WHEN email_valid AND canon_local IS NOT NULL THEN canon_local || '@' || canon_domain END
                   AS email_canonical,
               CASE WHEN email_valid AND canon_local IS NOT NULL THEN canon_local END AS email_local,
               CASE WHEN email_valid AND canon_local IS NOT NULL THEN canon_domain END AS email_domain
        FROM v
        """
    )


# --- names ---------------------------------------------------------------------------------------


def _name_sql() -> str:
    # Same steps as rules.name_tokens: join apostrophes; turn "Last, First" round, dropping parts
    # made only of titles/suffixes; punctuation to spaces; drop leading titles, trailing suffixes.
    # Each regexp_replace runs only where its regexp_matches says it would change something:
    # most names are already clean, and matching is much cheaper than replacing.
    return """
    CREATE OR REPLACE TEMP TABLE _std_name AS
    WITH folded AS (
        SELECT r.name_raw, replace(replace(coalesce(f.folded, lower(r.name_raw)), '''', ''), '`', '') AS s
        FROM _std_name_raw r LEFT JOIN _std_name_folded f USING (name_raw)
    ),
    parts AS (
        SELECT name_raw,
               CASE WHEN contains(s, ',') THEN array_to_string(list_concat(p[2:], p[1:1]), ' ') ELSE s END AS s
        FROM (SELECT name_raw, s,
                     CASE WHEN contains(s, ',') THEN list_filter(
                         list_transform(string_split(s, ','),
                                        lambda p: trim(regexp_replace(p, '[^a-z0-9]+', ' ', 'g'))),
                         lambda p: p <> '' AND NOT list_has_all($affixes, string_split(p, ' '))) END AS p
              FROM folded)
    ),
    spaced AS (
        SELECT name_raw,
               CASE WHEN regexp_matches(s, '[^a-z0-9 ]|^ | $|  ')
                    THEN trim(regexp_replace(s, '[^a-z0-9]+', ' ', 'g')) ELSE s END AS s
        FROM parts
    ),
    untitled AS (
        SELECT name_raw,
               CASE WHEN regexp_matches(s, $titles_re) THEN regexp_replace(s, $titles_re, '') ELSE s END AS s
        FROM spaced
    ),
    clean AS (
        SELECT name_raw,
               CASE WHEN regexp_matches(s, $suffixes_re) THEN regexp_replace(s, $suffixes_re, '') ELSE s END AS s
        FROM untitled
    )
    SELECT name_raw, nullif(s, '') AS name_norm, nullif(split_part(s, ' ', 1), '') AS first_name,
           CASE WHEN contains(s, ' ') THEN split_part(s, ' ', -1) END AS last_name
    FROM clean
    """


def _build_name_lookup(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa

    con.execute(
        """CREATE OR REPLACE TEMP TABLE _std_name_raw AS
           SELECT full_name AS name_raw FROM in_accounts WHERE full_name IS NOT NULL
           UNION SELECT cardholder_name FROM in_payments WHERE cardholder_name IS NOT NULL"""
    )
    # ASCII folds with lower(). Other names are folded word by word (rules.fold_name works per
    # space-separated word): there are far fewer distinct words than names.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _std_name_words AS
           SELECT name_raw, w.pos, w.word
           FROM _std_name_raw,
                LATERAL (SELECT unnest(string_split(name_raw, ' ')) AS word,
                                generate_subscripts(string_split(name_raw, ' '), 1) AS pos) w
           WHERE strlen(name_raw) <> length(name_raw)"""
    )
    _python_lookup(
        con,
        "_std_word_folded",
        "SELECT DISTINCT word FROM _std_name_words WHERE strlen(word) <> length(word)",
        lambda word: (rules.fold_name(word),),
        [("folded", pa.string())],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _std_name_folded AS
           SELECT n.name_raw, string_agg(coalesce(f.folded, lower(n.word)), ' ' ORDER BY n.pos) AS folded
           FROM _std_name_words n LEFT JOIN _std_word_folded f USING (word)
           GROUP BY n.name_raw"""
    )
    con.execute(
        _name_sql(),
        {
            "affixes": sorted(rules.AFFIXES),
            "titles_re": f"^(?:(?:{'|'.join(sorted(rules.TITLES))})(?: |$))+",
            "suffixes_re": f"(?:(?:^| )(?:{'|'.join(sorted(rules.SUFFIXES))}))+$",
        },
    )


# --- IP ------------------------------------------------------------------------------------------

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Exactly the dotted quads ipaddress accepts (no leading zeros), already in canonical form. These
# are handled row by row in SQL; only the other values (IPv6, junk) go to ipaddress, once each.
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


_HEXTET = "[0-9a-f]{1,4}"
_IPV6_FULL = rf"(?:{_HEXTET}:){{7}}{_HEXTET}"
_IPV6_COMPRESSED = rf"(?:(?:{_HEXTET}:)*{_HEXTET})?::(?:(?:{_HEXTET}:)*{_HEXTET})?"


def _zero_run_sql(x: str) -> str:
    """Length of the longest run (2+) of "0" hextets in the colon-joined hextets `x`."""
    whens = " ".join(f"WHEN contains(':' || {x} || ':', {_lit(':' + '0:' * k)}) THEN {k}" for k in range(8, 1, -1))
    return f"CASE {whens} ELSE 0 END"


def _compressed_sql(x: str, run: str, pos: str) -> str:
    """RFC 5952 text as ipaddress writes it: the first longest zero run becomes "::"."""
    return f"""CASE WHEN {run} = 0 THEN {x}
                    ELSE CASE WHEN {pos} = 1 THEN '' ELSE substr({x}, 1, {pos} - 2) END
                         || '::' || substr({x}, {pos} + 2 * {run}) END"""


def _ipv6_sql() -> str:
    # Plain IPv6 text (hex groups, at most one "::") in SQL; IPv4-mapped, embedded dotted quads,
    # scope ids and junk are left to ipaddress.
    return f"""
    CREATE OR REPLACE TEMP TABLE _std_ip6 AS
    WITH s AS (SELECT ip_raw, lower(ip_raw) AS s FROM _std_ip_raw WHERE contains(ip_raw, ':')),
    parts AS (
        SELECT ip_raw,
               CASE WHEN regexp_full_match(s, $full) THEN string_split(s, ':') END AS full_h,
               CASE WHEN regexp_full_match(s, $compressed)
                    THEN list_filter(string_split(split_part(s, '::', 1), ':'), lambda h: h <> '') END AS lo,
               CASE WHEN regexp_full_match(s, $compressed)
                    THEN list_filter(string_split(split_part(s, '::', 2), ':'), lambda h: h <> '') END AS hi
        FROM s
    ),
    h AS (
        SELECT ip_raw,
               list_transform(
                   coalesce(full_h, CASE WHEN len(lo) + len(hi) <= 7 THEN list_concat(
                       lo, list_transform(range(8 - len(lo) - len(hi)), lambda i: '0'), hi) END),
                   lambda x: coalesce(nullif(ltrim(x, '0'), ''), '0')) AS h
        FROM parts
    ),
    x AS (
        SELECT ip_raw, array_to_string(h, ':') AS ip_x,
               array_to_string(list_concat(h[1:3], ['0', '0', '0', '0', '0']), ':') AS pre_x
        FROM h
        WHERE h IS NOT NULL AND NOT (h[1:5] = ['0', '0', '0', '0', '0'] AND h[6] = 'ffff')
    ),
    r AS (SELECT *, {_zero_run_sql("ip_x")} AS ip_run, {_zero_run_sql("pre_x")} AS pre_run FROM x),
    p AS (
        SELECT *, strpos(':' || ip_x || ':', ':' || repeat('0:', ip_run)) AS ip_pos,
               strpos(':' || pre_x || ':', ':' || repeat('0:', pre_run)) AS pre_pos
        FROM r
    )
    SELECT ip_raw, {_compressed_sql("ip_x", "ip_run", "ip_pos")} AS ip,
           {_compressed_sql("pre_x", "pre_run", "pre_pos")} || '/48' AS ip_prefix
    FROM p
    """


def _build_ip_lookup(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa

    def to_parts(raw: str) -> tuple[str | None, str | None]:
        parts = rules.normalise_ip(raw)
        return (parts.ip, parts.prefix) if parts else (None, None)

    con.execute(f"CREATE OR REPLACE TEMP MACRO _ipv4(s) AS regexp_full_match(s, {_lit(_IPV4)})")
    con.execute(
        """CREATE OR REPLACE TEMP MACRO _ipv4_prefix(s) AS
           substr(s, 1, length(s) - strpos(reverse(s), '.') + 1) || '0/24'"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _std_ip_raw AS
           SELECT signup_ip AS ip_raw FROM in_accounts WHERE signup_ip IS NOT NULL AND NOT _ipv4(signup_ip)
           UNION SELECT ip FROM in_devices WHERE ip IS NOT NULL AND NOT _ipv4(ip)"""
    )
    con.execute(_ipv6_sql(), {"full": _IPV6_FULL, "compressed": _IPV6_COMPRESSED})
    _python_lookup(
        con,
        "_std_ip_py",
        "SELECT ip_raw FROM _std_ip_raw ANTI JOIN _std_ip6 USING (ip_raw)",
        to_parts,
        [("ip", pa.string()), ("ip_prefix", pa.string())],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _std_ip AS
           SELECT ip_raw, ip, ip_prefix FROM _std_ip6 UNION ALL SELECT ip_raw, ip, ip_prefix FROM _std_ip_py"""
    )


# --- phone ---------------------------------------------------------------------------------------
#
# Numbers made of digits, the separators " ().-/" and an optional leading "+" are parsed in SQL,
# step by step as phonenumbers.parse() does (international prefix, country calling code, national
# prefix with its transform rule, possible lengths), and validated as is_valid_number() does (the
# region for the number, then its type patterns). A step that needs a region's patterns runs once
# per region present in the data, with the patterns as query parameters (one CASE over all regions
# takes DuckDB minutes to plan). Anything else (letters, extensions, unknown calling codes,
# non-geographic numbers) is left undecided and goes to phonenumbers itself.

_PHONE_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_PHONE_SEPARATORS = " ().-/"
_PHONE_SIMPLE = "\\+?[0-9]{3,30}"
_MAX_NSN = 17  # phonenumbers' _MAX_LENGTH_FOR_NSN
_TRANSFORM_RULE = re.compile(r"(?:[0-9]|\\[1-9])*")  # digits and \N group references only


@dataclass(frozen=True)
class _PhoneRegion:
    """The parts of one region's phonenumbers metadata that parsing and validation use."""

    region: str
    cc: str
    lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]
    general: str
    idd: str | None
    national_prefix: str | None  # national_prefix_for_parsing
    transform: str | None
    transform_group: int  # the capturing group whose presence triggers the transform
    leading_digits: str | None
    types: tuple[tuple[tuple[int, ...], str], ...]
    modelled: bool  # False: leave to phonenumbers


@cache
def _phone_regions() -> dict[str, _PhoneRegion]:
    from phonenumbers import SUPPORTED_REGIONS, PhoneMetadata

    out: dict[str, _PhoneRegion] = {}
    for region in sorted(SUPPORTED_REGIONS):
        meta = PhoneMetadata.metadata_for_region(region)
        general = meta.general_desc if meta is not None else None
        if meta is None or general is None:
            continue
        npfp = meta.national_prefix_for_parsing or None
        transform = meta.national_prefix_transform_rule or None
        types = []
        for name in _PHONE_TYPES:
            desc = getattr(meta, name)
            if desc is not None and desc.national_number_pattern:
                types.append((tuple(desc.possible_length), desc.national_number_pattern))
        modelled = bool(general.national_number_pattern and general.possible_length) and (
            transform is None or (npfp is not None and bool(_TRANSFORM_RULE.fullmatch(transform)))
        )
        out[region] = _PhoneRegion(
            region=region,
            cc=str(meta.country_code),
            lengths=tuple(general.possible_length),
            local_lengths=tuple(general.possible_length_local_only),
            general=general.national_number_pattern or "",
            idd=meta.international_prefix or None,
            national_prefix=npfp,
            transform=transform,
            transform_group=re.compile(npfp).groups if npfp else 0,
            leading_digits=meta.leading_digits or None,
            types=tuple(types),
            modelled=modelled,
        )
    return out


@cache
def _phone_calling_codes() -> dict[str, tuple[str, ...]]:
    """Calling code -> its regions, main region first (phonenumbers' order); "001" = non-geographic."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return {str(cc): tuple(regions) for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


def _phone_in_sql() -> str:
    # fast_region: a number with "+" does not depend on the default region unless it is undecided.
    return f"""
    CREATE OR REPLACE TEMP TABLE _std_phone_in AS
    WITH p AS (
        SELECT DISTINCT phone, coalesce(_country(country), '') AS region
        FROM in_accounts WHERE phone IS NOT NULL
    ),
    k AS (SELECT phone, region, translate(phone, '{_PHONE_SEPARATORS}', '') AS key FROM p)
    SELECT phone, region, key, CASE WHEN starts_with(key, '+') THEN '' ELSE region END AS fast_region
    FROM k
    """


def _phone_meta_sql() -> list[str]:
    regions = _phone_regions()
    codes = _phone_calling_codes()
    rows = ", ".join(
        f"({_lit(m.region)}, {_lit(m.cc)}, {_lit(codes[m.cc][0])}, {list(m.lengths)}::INT[], "
        f"{list(m.local_lengths)}::INT[], {str(m.modelled).lower()})"
        for m in regions.values()
    )
    cc_rows = ", ".join(
        f"({_lit(cc)}, {_lit(rs[0])}, {str('001' not in rs and all(regions[r].modelled for r in rs)).lower()})"
        for cc, rs in codes.items()
        if all(r in regions or r == "001" for r in rs)
    )
    by_len: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for cc in codes:
        by_len[len(cc)].append(_lit(cc))
    cc_case = " ".join(
        f"WHEN list_contains([{', '.join(ccs)}], substr(s, 1, {n})) THEN substr(s, 1, {n})" for n, ccs in by_len.items()
    )
    return [
        f"""CREATE OR REPLACE TEMP TABLE _ph_meta AS SELECT * FROM (VALUES {rows})
            AS t(region, cc, main_region, lens, local_lens, modelled)""",
        f"""CREATE OR REPLACE TEMP TABLE _ph_ccmeta AS SELECT * FROM (VALUES {cc_rows})
            AS t(cc, main_region, modelled)""",
        # phonenumbers' _extract_country_code (calling codes are prefix-free)
        f"CREATE OR REPLACE TEMP MACRO _ph_cc(s) AS CASE {cc_case} END",
        # _test_number_length(...) is TOO_LONG / is not TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY, INVALID_LENGTH
        """CREATE OR REPLACE TEMP MACRO _ph_too_long(k, lens, local_lens) AS
           NOT list_contains(local_lens, k) AND k > list_max(lens)""",
        """CREATE OR REPLACE TEMP MACRO _ph_accept(k, lens, local_lens) AS
           NOT list_contains(local_lens, k) AND (list_contains(lens, k) OR k > list_max(lens))""",
        """CREATE OR REPLACE TEMP TABLE _ph_k AS
           SELECT DISTINCT key, fast_region AS region, starts_with(key, '+') AS plus
           FROM _std_phone_in WHERE regexp_full_match(key, '"""
        + _PHONE_SIMPLE
        + "')",
        """CREATE OR REPLACE TEMP TABLE _ph_d(key VARCHAR, region VARCHAR, intl VARCHAR, pot VARCHAR,
                                              gen_key BOOLEAN, gen_pot BOOLEAN)""",
        "CREATE OR REPLACE TEMP TABLE _ph_m(key VARCHAR, region VARCHAR, n1 VARCHAR)",
        "CREATE OR REPLACE TEMP TABLE _ph_valid(key VARCHAR, region VARCHAR, ok BOOLEAN)",
    ]


def _np_apply_sql(n: str, m: _PhoneRegion, params: dict[str, Any]) -> str:
    """phonenumbers' _maybe_strip_national_prefix_carrier_code on column `n`, for region `m`."""
    if not m.national_prefix:
        return n
    params.update(np=f"^(?:{m.national_prefix})", gen=m.general)
    new = f"regexp_replace({n}, $np, '')"
    if m.transform:
        params["rule"] = m.transform
        new = (
            f"CASE WHEN regexp_extract({n}, $np, {m.transform_group}) <> '' "
            f"THEN regexp_replace({n}, $np, $rule) ELSE {new} END"
        )
    return f"""CASE WHEN {n} IS NULL OR {n} = '' OR NOT regexp_matches({n}, $np) THEN {n}
                    WHEN regexp_full_match({n}, $gen) AND NOT regexp_full_match({new}, $gen) THEN {n}
                    ELSE {new} END"""


def _type_ok_sql(n: str, m: _PhoneRegion, params: dict[str, Any]) -> str:
    """phonenumbers' _number_type_helper(n, metadata) != UNKNOWN."""

    def desc(name: str, lengths: Sequence[int], pattern: str) -> str:  # _is_number_matching_desc
        params[name] = pattern
        if not lengths:
            return f"regexp_full_match({n}, ${name})"
        params[f"{name}_len"] = list(lengths)
        return f"(list_contains(${name}_len, length({n})) AND regexp_full_match({n}, ${name}))"

    types = " OR ".join(desc(f"t{i}", lengths, pattern) for i, (lengths, pattern) in enumerate(m.types))
    return f"({desc('g', m.lengths, m.general)} AND ({types or 'false'}))"


def _phone_default_region_sql(m: _PhoneRegion, params: dict[str, Any]) -> str:
    """Steps that use the default region: its IDD prefix, or its own calling code at the start."""
    params.update(r=m.region, cc=m.cc, gen=m.general)
    intl = "NULL"
    if m.idd:
        params["idd"] = f"^(?:{m.idd})"
        # _parse_prefix_as_idd: not an IDD if a 0 follows (calling codes never start with 0)
        intl = """CASE WHEN regexp_matches(key, $idd) AND NOT starts_with(regexp_replace(key, $idd, ''), '0')
                       THEN regexp_replace(key, $idd, '') END"""
    return f"""
    INSERT INTO _ph_d
    SELECT key, region, intl, pot, regexp_full_match(key, $gen), regexp_full_match(pot, $gen)
    FROM (SELECT key, region, {intl} AS intl, {_np_apply_sql("pot0", m, params)} AS pot
          FROM (SELECT key, region,
                       CASE WHEN starts_with(key, $cc) THEN substr(key, length($cc) + 1) END AS pot0
                FROM _ph_k WHERE region = $r AND NOT plus))
    """


def _phone_route_sql() -> str:
    # route: intl (after "+" or an IDD prefix), national, null (phonenumbers raises: no number),
    # python (not modelled here). cc/n0: calling code and national number before the national
    # prefix is stripped with the metadata of m_region.
    return """
    CREATE OR REPLACE TEMP TABLE _ph_t AS
    WITH b AS (
        SELECT k.key, k.region, k.plus, m.region IS NOT NULL AS d_known, m.modelled AS d_modelled,
               m.cc AS d_cc, m.main_region AS d_main, m.lens AS d_lens, m.local_lens AS d_local,
               CASE WHEN k.plus THEN substr(k.key, 2) ELSE d.intl END AS intl, d.pot, d.gen_key, d.gen_pot
        FROM _ph_k k
        LEFT JOIN _ph_meta m ON m.region = k.region
        LEFT JOIN _ph_d d ON d.key = k.key AND d.region = k.region
    ),
    c AS (SELECT b.*, _ph_cc(b.intl) AS i_cc FROM b),
    r AS (
        SELECT c.*, cm.main_region AS i_main,
               CASE WHEN intl IS NOT NULL THEN
                        CASE WHEN length(intl) <= 2 THEN 'null'
                             WHEN i_cc IS NULL THEN CASE WHEN plus THEN 'python' ELSE 'null' END
                             WHEN NOT cm.modelled THEN 'python'
                             ELSE 'intl' END
                    WHEN NOT d_known THEN 'null'
                    WHEN NOT d_modelled THEN 'python'
                    ELSE 'national' END AS route,
               -- _maybe_extract_country_code: keep the number without the calling code if that
               -- fits the plan and the whole does not, or the whole is too long
               coalesce(pot IS NOT NULL AND ((NOT gen_key AND gen_pot)
                                             OR _ph_too_long(length(key), d_lens, d_local)), false) AS use_pot
        FROM c LEFT JOIN _ph_ccmeta cm ON cm.cc = c.i_cc
    )
    SELECT key, region, route,
           CASE route WHEN 'intl' THEN i_cc WHEN 'national' THEN d_cc END AS cc,
           CASE route WHEN 'intl' THEN substr(intl, length(i_cc) + 1)
                      WHEN 'national' THEN CASE WHEN use_pot THEN pot ELSE key END END AS n0,
           CASE route WHEN 'intl' THEN i_main
                      WHEN 'national' THEN CASE WHEN use_pot THEN d_main ELSE region END END AS m_region
    FROM r
    """


def _phone_national_prefix_sql(m: _PhoneRegion, params: dict[str, Any]) -> str:
    params["r"] = m.region
    return f"""
    INSERT INTO _ph_m
    SELECT key, region, {_np_apply_sql("n0", m, params)} FROM _ph_t
    WHERE m_region = $r AND route IN ('intl', 'national') AND length(n0) >= 2
    """


def _phone_nsn_sql() -> str:
    # parse(): the stripped number is kept only if its length is possible for the region.
    return f"""
    CREATE OR REPLACE TEMP TABLE _ph_n AS
    SELECT t.key, t.region, t.cc,
           CASE WHEN t.route IN ('intl', 'national') AND NOT mm.modelled THEN 'python' ELSE t.route END
               AS route,
           CASE WHEN m.n1 IS NULL THEN NULL
                WHEN _ph_accept(length(m.n1), mm.lens, mm.local_lens) THEN m.n1 ELSE t.n0 END AS nn
    FROM _ph_t t
    LEFT JOIN _ph_meta mm ON mm.region = t.m_region
    LEFT JOIN _ph_m m ON m.key = t.key AND m.region = t.region;

    CREATE OR REPLACE TEMP TABLE _ph_pending AS
    SELECT key, region, cc, nn FROM _ph_n
    WHERE route IN ('intl', 'national') AND length(nn) BETWEEN 2 AND {_MAX_NSN}
    """


def _phone_validate(con: duckdb.DuckDBPyConnection) -> None:
    """is_valid_number: the calling code's first region that claims the number must accept it."""
    regions = _phone_regions()
    codes = _phone_calling_codes()
    for (cc,) in con.execute("SELECT DISTINCT cc FROM _ph_pending ORDER BY cc").fetchall():
        members = [regions[r] for r in codes[cc]]
        if len(members) == 1:
            params: dict[str, Any] = {"cc": cc}
            ok = _type_ok_sql("nn", members[0], params)
            _run(con, f"INSERT INTO _ph_valid SELECT key, region, {ok} FROM _ph_pending WHERE cc = $cc", params)
            continue
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _ph_left AS SELECT key, region, nn FROM _ph_pending WHERE cc = ?", [cc]
        )
        for m in members:  # _region_code_for_number_from_list
            params = {}
            ok = _type_ok_sql("nn", m, params)
            claim, ok_if_claimed = ok, "true"
            if m.leading_digits:
                params["ld"] = f"^(?:{m.leading_digits})"
                claim, ok_if_claimed = "regexp_matches(nn, $ld)", ok
            _run(con, f"CREATE OR REPLACE TEMP TABLE _ph_step AS SELECT *, {claim} AS claimed FROM _ph_left", params)
            _run(con, f"INSERT INTO _ph_valid SELECT key, region, {ok_if_claimed} FROM _ph_step WHERE claimed", params)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _ph_left AS SELECT key, region, nn FROM _ph_step WHERE NOT claimed"
            )


def _build_phone_lookup(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa

    regions = _phone_regions()
    con.execute(_phone_in_sql())
    for sql in _phone_meta_sql():
        con.execute(sql)
    # Per-region steps run once per region present, with that region's patterns as parameters.
    for (region,) in con.execute("SELECT DISTINCT region FROM _ph_k WHERE NOT plus").fetchall():
        if region in regions and regions[region].modelled:
            params: dict[str, Any] = {}
            _run(con, _phone_default_region_sql(regions[region], params), params)
    con.execute(_phone_route_sql())
    m_regions = "SELECT DISTINCT m_region FROM _ph_t WHERE route IN ('intl', 'national')"
    for (region,) in con.execute(m_regions).fetchall():
        if region in regions and regions[region].modelled:
            params = {}
            _run(con, _phone_national_prefix_sql(regions[region], params), params)
    con.execute(_phone_nsn_sql())
    _phone_validate(con)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _std_phone_fast AS
        SELECT n.key, n.region, n.route <> 'python' AS decided,
               CASE WHEN v.ok THEN '+' || n.cc || n.nn END AS e164
        FROM _ph_n n LEFT JOIN _ph_valid v ON v.key = n.key AND v.region = n.region
        """
    )
    _python_lookup(
        con,
        "_std_phone_py",
        """SELECT DISTINCT p.phone, p.region FROM _std_phone_in p
           LEFT JOIN _std_phone_fast f ON f.key = p.key AND f.region = p.fast_region
           WHERE f.decided IS NOT true""",
        lambda phone, region: (rules.normalise_phone(phone, region or None),),
        [("e164", pa.string())],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _std_phone AS
        SELECT p.phone, p.region, CASE WHEN f.decided THEN f.e164 ELSE py.e164 END AS phone_e164
        FROM _std_phone_in p
        LEFT JOIN _std_phone_fast f ON f.key = p.key AND f.region = p.fast_region
        LEFT JOIN _std_phone_py py ON py.phone = p.phone AND py.region = p.region
        """
    )
