"""What an investigation notebook asks of a run (notebooks/investigation.ipynb): a ring's members and the
identifiers that bind them, the evidence of one scored pair, and a ring's growth. Read-only over the exports
and the published tables of er.duckdb (hashed identifiers with --pseudonymise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from ..errors import InputError, Problem
from ..runfolder import RunPaths
from .sources import Detection

if TYPE_CHECKING:
    import duckdb


def _run_db(det: Detection) -> duckdb.DuckDBPyConnection:
    from ..pseudonym import open_run_db

    if det.run is None:
        raise InputError([Problem(str(det.folder), None, None, "a detection whose run folder is at hand",
                                  "none (detection on the graph, or the run folder moved)")])
    return open_run_db(RunPaths(det.run).db)


def largest_rings(det: Detection, n: int = 10) -> pa.Table:
    """The `n` largest rings (rings.parquet), largest first."""
    rings = det.table("rings")
    if rings is None:
        return pa.table({"ring_id": pa.array([], pa.string())})
    return rings.sort_by([("account_count", "descending"), ("ring_id", "ascending")]).slice(0, n)


_MEMBERS_SQL = """
SELECT s.account_id, s.entity_id, a.created_at, s.risk_score, s.is_bridge, s.reasons
FROM sig s LEFT JOIN std_accounts a USING (account_id)
WHERE s.ring_id = $ring
ORDER BY a.created_at, s.account_id
"""

_BINDING_SQL = """
SELECT o.kind, o.value, count(DISTINCT o.account_id) AS members, min(o.observed_at) AS first_seen,
       max(o.observed_at) AS last_seen
FROM identifier_observations o SEMI JOIN sig s ON s.account_id = o.account_id AND s.ring_id = $ring
WHERE o.value IS NOT NULL
GROUP BY o.kind, o.value
HAVING count(DISTINCT o.account_id) >= 2
ORDER BY members DESC, o.kind, o.value
"""


def ring_members(det: Detection, ring_id: str) -> pa.Table:
    """The ring's accounts with their entity, sign-up time, risk score, bridge flag and reasons, oldest first."""
    con = _run_db(det)
    try:
        con.register("sig", det.signals(["account_id", "entity_id", "ring_id", "risk_score", "is_bridge",
                                         "reasons"]))
        return con.sql(_MEMBERS_SQL, params={"ring": ring_id}).to_arrow_table()
    finally:
        con.close()


def binding_identifiers(det: Detection, ring_id: str) -> pa.Table:
    """The identifiers two or more of the ring's members used, with how many members each touches."""
    con = _run_db(det)
    try:
        con.register("sig", det.signals(["account_id", "ring_id"]))
        return con.sql(_BINDING_SQL, params={"ring": ring_id}).to_arrow_table()
    finally:
        con.close()


@dataclass(frozen=True)
class PairEvidence:
    account_a: str
    account_b: str
    match_probability: float
    match_weight: float
    prior_weight: float  # match_weight minus every comparison's contribution: the prior Splink started from
    contributions: dict[str, float]  # comparison -> its match weight for this pair (term-frequency adjusted)
    levels: dict[str, int]  # comparison -> the level the pair fell in (Splink's gamma; -1 null)
    same_person: bool | None


def pair_evidence(det: Detection, account_a: str, account_b: str) -> PairEvidence | None:
    """The scored evidence of the pair (either order) from er.duckdb's predictions; None when it was not scored
    (not blocked together, or below the link floor)."""
    con = _run_db(det)
    try:
        columns = [r[0] for r in con.execute("SELECT name FROM pragma_table_info('predictions')").fetchall()]
        comparisons = [c[len("gamma_"):] for c in columns if c.startswith("gamma_")]
        rows = con.sql(
            "SELECT * FROM predictions WHERE (unique_id_l = $a AND unique_id_r = $b) "
            "OR (unique_id_l = $b AND unique_id_r = $a)", params={"a": account_a, "b": account_b}).to_arrow_table()
    finally:
        con.close()
    if rows.num_rows == 0:
        return None
    row = rows.to_pylist()[0]
    contributions = {c: float(row.get(f"mw_{c}") or 0.0) + float(row.get(f"mw_tf_adj_{c}") or 0.0)
                     for c in comparisons}
    return PairEvidence(
        account_a=row["unique_id_l"], account_b=row["unique_id_r"],
        match_probability=float(row["match_probability"]), match_weight=float(row["match_weight"]),
        prior_weight=float(row["match_weight"]) - sum(contributions.values()), contributions=contributions,
        levels={c: int(row[f"gamma_{c}"]) for c in comparisons}, same_person=row.get("same_person"))


def ring_growth(det: Detection, ring_ids: list[str]) -> dict[str, list[tuple[datetime, int]]]:
    """Weekly sign-ups of the members of each of `ring_ids` (every other ring summed as "other rings")."""
    import duckdb

    from .figures import ring_growth as weekly

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("r_signals", det.signals(["account_id", "ring_id"]))
        return weekly(con, det, ring_ids)
    finally:
        con.close()
