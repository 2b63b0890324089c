"""Phone numbers to E.164, parsed and validated as phonenumbers does.

Numbers made of digits, the separators " ().-/" and an optional leading "+" are parsed in SQL,
step by step as phonenumbers.parse() does (international prefix, country calling code, national
prefix with its transform rule, possible lengths), and validated as is_valid_number() does (the
region for the number, then its type patterns). A step that needs a region's patterns runs once
per region present in the data, with the patterns as query parameters (one CASE over all regions
takes DuckDB minutes to plan). Anything else (letters, extensions, unknown calling codes,
non-geographic numbers) is left undecided and goes to phonenumbers itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise.lookup import lit, python_lookup

if TYPE_CHECKING:
    import duckdb

# Scratch tables and macros this module creates; standardise() drops them.
TEMP_TABLES = (
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
MACROS = (
    "_ph_cc",
    "_ph_too_long",
    "_ph_accept",
)

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
        f"({lit(m.region)}, {lit(m.cc)}, {lit(codes[m.cc][0])}, {list(m.lengths)}::INT[], "
        f"{list(m.local_lengths)}::INT[], {str(m.modelled).lower()})"
        for m in regions.values()
    )
    cc_rows = ", ".join(
        f"({lit(cc)}, {lit(rs[0])}, {str('001' not in rs and all(regions[r].modelled for r in rs)).lower()})"
        for cc, rs in codes.items()
        if all(r in regions or r == "001" for r in rs)
    )
    by_len: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for cc in codes:
        by_len[len(cc)].append(lit(cc))
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


def build_phone_lookup(con: duckdb.DuckDBPyConnection) -> None:
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
    python_lookup(
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


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> None:
    """Execute with the named parameters that `sql` uses (DuckDB rejects unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    con.execute(sql, {k: v for k, v in params.items() if k in used})
