"""IP addresses: canonical text and the network prefix (/24 for IPv4, /48 for IPv6).

Dotted-quad IPv4 is handled row by row in SQL, plain IPv6 in SQL over distinct values; the rest goes
to ipaddress (rules.normalise_ip), once each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise.lookup import lit, python_lookup

if TYPE_CHECKING:
    import duckdb

# Scratch tables and macros this module creates; standardise() drops them.
TEMP_TABLES = (
    "_std_ip_raw",
    "_std_ip6",
    "_std_ip_py",
    "_std_ip",
)
MACROS = (
    "_ipv4",
    "_ipv4_prefix",
)

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Exactly the dotted quads ipaddress accepts (no leading zeros), already in canonical form. These
# are handled row by row in SQL; only the other values (IPv6, junk) go to ipaddress, once each.
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


_HEXTET = "[0-9a-f]{1,4}"
_IPV6_FULL = rf"(?:{_HEXTET}:){{7}}{_HEXTET}"
_IPV6_COMPRESSED = rf"(?:(?:{_HEXTET}:)*{_HEXTET})?::(?:(?:{_HEXTET}:)*{_HEXTET})?"


def _zero_run_sql(x: str) -> str:
    """Length of the longest run (2+) of "0" hextets in the colon-joined hextets `x`."""
    whens = " ".join(f"WHEN contains(':' || {x} || ':', {lit(':' + '0:' * k)}) THEN {k}" for k in range(8, 1, -1))
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


def build_ip_lookup(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow as pa

    def to_parts(raw: str) -> tuple[str | None, str | None]:
        parts = rules.normalise_ip(raw)
        return (parts.ip, parts.prefix) if parts else (None, None)

    con.execute(f"CREATE OR REPLACE TEMP MACRO _ipv4(s) AS regexp_full_match(s, {lit(_IPV4)})")
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
    python_lookup(
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
