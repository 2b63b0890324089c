"""Evidence per field on MATCHES: how each compared field of a pair came out, and what it weighed.

For every comparison of the model (match/model.py: names, e-mail, phone, birth date, postcode, devices, cards,
IPs) a link carries `ev_<field>`, the comparison level as a word, and `mw_<field>`, the field's match weight
(Splink's `mw_<field>` plus its term-frequency adjustment `mw_tf_adj_<field>`, in bits):

- `agree`: the top level (an exact match, a shared device);
- `fuzzy`: a level between the top and the bottom (Jaro-Winkler, one digit apart, a shared IP prefix);
- `disagree`: the bottom level ("all other comparisons");
- `missing`: one side had no value (weight 0).

The top level of each comparison comes from the run's own model.json (levels are numbered from the bottom,
0, up to the top; -1 is the null level), held in a temporary table so both the online load (loader.py) and the
bulk import (bulk_import.py) read the same words from the same SQL. A run folder without model.json falls back
to the highest level seen in its predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from neo4j import Driver

from ..match.model import INFRA_COMPARISONS, PERSONAL_COMPARISONS
from ..runfolder import RunPaths
from .cypher import load_cypher

FIELDS: tuple[str, ...] = PERSONAL_COMPARISONS + INFRA_COMPARISONS
LEVELS_TABLE = "temp.main.er_match_levels"  # read-only run databases still take temporary tables


def register_levels(con: duckdb.DuckDBPyConnection, run_dir: Path) -> None:
    """Create the temporary table of each field's top comparison level for `evidence_sql()`."""
    tops: dict[str, int] = {}
    model_path = RunPaths(run_dir).model
    if model_path.is_file():
        model = json.loads(model_path.read_text(encoding="utf-8"))
        for comparison in model.get("comparisons", []):
            name = comparison.get("output_column_name")
            levels = [lv for lv in comparison.get("comparison_levels", []) if not lv.get("is_null_level")]
            if name in FIELDS and levels:
                tops[name] = len(levels) - 1
    con.execute("CREATE OR REPLACE TEMP TABLE er_match_levels (field VARCHAR, top INTEGER)")
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'predictions'").fetchall()}
    for field in FIELDS:
        if field not in tops and f"gamma_{field}" in columns:
            seen = con.execute(f"SELECT max(gamma_{field}) FROM predictions").fetchone()  # FIELDS constant
            if seen and seen[0] is not None:
                tops[field] = int(seen[0])
    con.executemany("INSERT INTO temp.main.er_match_levels VALUES ($1, $2)", sorted(tops.items()))


# Comparisons with a term-frequency adjusted level (model.py's TF_COLUMNS feed these): predictions has
# mw_tf_adj_<field> for them.
TF_FIELDS = ("first_name", "last_name", "email", "phone", "dob", "postcode")


def _evidence_sql() -> str:
    """`struct_pack(ev_<field> := ..., mw_<field> := ...) AS evidence` over predictions (our constants only).

    A struct, so the online load sets every field with `SET m += row.evidence` (a null removes the property,
    as an empty field of the bulk import leaves it absent) and the bulk import reads `evidence.ev_<field>`."""
    items = []
    for f in FIELDS:
        top = f"(SELECT top FROM {LEVELS_TABLE} WHERE field = '{f}')"
        items.append(
            f"ev_{f} := CASE WHEN gamma_{f} < 0 THEN 'missing' WHEN gamma_{f} = 0 THEN 'disagree' "
            f"WHEN gamma_{f} >= {top} THEN 'agree' WHEN gamma_{f} > 0 THEN 'fuzzy' END")
        weight = f"mw_{f} + coalesce(mw_tf_adj_{f}, 0)" if f in TF_FIELDS else f"mw_{f}"
        items.append(f"mw_{f} := {weight}")
    return "struct_pack(" + ", ".join(items) + ") AS evidence"


EVIDENCE_SQL = _evidence_sql()


def set_display(driver: Driver, database: str) -> None:
    """Short Browser captions (`display`) on accounts and entities that have none (load/set_display.cypher).
    Auto-commit: the query commits in batches (CALL ... IN TRANSACTIONS)."""
    with driver.session(database=database) as session:
        session.run(load_cypher("load/set_display")).consume()
