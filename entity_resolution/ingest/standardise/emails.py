"""Email addresses: validity (email-validator), disposable domains and the canonical address.

Addresses in a plain-ASCII subset are settled in SQL; only the rest go to email-validator, once each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise.lookup import python_lookup

if TYPE_CHECKING:
    import duckdb

# Scratch tables this module creates; standardise() drops them.
TEMP_TABLES = (
    "_std_email",
    "_std_email_py",
    "_std_domain_py",
)

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


def build_email_lookup(con: duckdb.DuckDBPyConnection) -> None:
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
    python_lookup(
        con,
        "_std_email_py",
        "SELECT email_raw FROM _std_email WHERE fast_valid IS NULL",
        lambda raw: (rules.email_is_valid(raw.strip()),),
        [("valid", pa.bool_())],
    )
    python_lookup(
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
