"""Personal names (account holder and cardholder): folded to ASCII, titles and suffixes dropped, split.

ASCII names are handled in SQL; only distinct non-ASCII words go to anyascii (rules.fold_name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entity_resolution.ingest import rules
from entity_resolution.ingest.standardise.lookup import python_lookup

if TYPE_CHECKING:
    import duckdb

# Scratch tables this module creates; standardise() drops them.
TEMP_TABLES = (
    "_std_name_raw",
    "_std_name_words",
    "_std_word_folded",
    "_std_name_folded",
    "_std_name",
)


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


def build_name_lookup(con: duckdb.DuckDBPyConnection) -> None:
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
    python_lookup(
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
