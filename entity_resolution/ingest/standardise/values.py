"""Row-level rules that need no lookup table: country, postcode, card digits (as DuckDB macros)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise.lookup import lit

if TYPE_CHECKING:
    import duckdb

# Macros this module creates; standardise() drops them.
MACROS = (
    "_country",
    "_postcode",
    "_card_digits",
)


def create_value_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Row-level rules that need no lookup table: country, postcode, card digits."""
    aliases = ", ".join(f"{lit(k)}: {lit(v)}" for k, v in sorted(rules.COUNTRY_ALIASES.items()))
    zip_countries = ", ".join(lit(c) for c in sorted(rules.ZIP_COUNTRIES))
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
