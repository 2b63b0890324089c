"""The audit trail: every decision in force and what it did in this run (review_audit.csv/.parquet in the run
folder, docs/review.md). One row per decision; `status` is a word, `detail` a sentence.

status by kind: pair split | already_apart | joined | already_together | conflict | not_in_run;
ring suppressed | reflagged | absent (reject), flagged | not_flagged (confirm); account label_added | not_in_run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..detect.output import csv_view
from ..export.tables import write_csv
from ..runfolder import REVIEW_AUDIT
from ..tables import REVIEW_CONSTRAINTS
from .apply import ReviewInputs
from .decisions import Decision

if TYPE_CHECKING:
    import duckdb

    from ..detect.rejected import RingOutcome

AUDIT = REVIEW_AUDIT
SCHEMA = pa.schema([
    ("decision_id", pa.string()),
    ("kind", pa.string()),
    ("answer", pa.string()),
    ("source", pa.string()),
    ("reviewer", pa.string()),
    ("decided_at", pa.timestamp("us", tz="UTC")),
    ("note", pa.string()),
    ("account_ids", pa.list_(pa.string())),
    ("ring_id", pa.string()),
    ("run_id_at_decision", pa.string()),
    ("entity_ids_at_decision", pa.list_(pa.string())),
    ("status", pa.string()),
    ("detail", pa.string()),
    ("entity_ids_now", pa.list_(pa.string())),  # pairs and accounts: their entities in this run
    ("ring_ids_now", pa.list_(pa.string())),  # their rings in this run
    ("new_accounts", pa.list_(pa.string())),  # a rejected ring flagged again: its members the reviewer did not see
    ("new_identifiers", pa.list_(pa.string())),  # ... and its binding identifiers the reviewer did not see
])


def pair_effects(con: duckdb.DuckDBPyConnection, review: ReviewInputs) -> dict[str, dict[str, Any]]:
    """decision_id -> status, detail and entities now, for the pair and account decisions (reads
    review_constraints and entities of the run's database, before it is closed)."""
    entity = dict(con.execute(
        "SELECT account_id, entity_id FROM entities WHERE list_contains($ids, account_id)",
        {"ids": sorted({a for d in review.decisions for a in d.account_ids if d.kind != "ring"})}).fetchall())
    size = dict(con.execute(
        "SELECT entity_id, any_value(entity_size) FROM entities WHERE list_contains($e, entity_id) GROUP BY 1",
        {"e": sorted(set(entity.values()))}).fetchall())
    effects = {(r[0], r[1], r[2]): (r[3], r[4]) for r in con.execute(
        "SELECT account_id_l, account_id_r, constraint_kind, model_together, applied FROM review_constraints"
    ).fetchall()} if _has_table(con, REVIEW_CONSTRAINTS) else {}
    out: dict[str, dict[str, Any]] = {}
    for d in review.decisions:
        if d.kind == "ring":
            continue
        now = [entity.get(a) for a in d.account_ids]
        if None in now:
            missing = sum(1 for e in now if e is None)
            out[d.decision_id] = {"status": "not_in_run", "entity_ids_now": [e for e in now if e],
                                  "detail": f"{missing} of its accounts not in this run (later, forgotten or "
                                            "outside the as-of): nothing to apply"}
            continue
        shown = " and ".join(f"{e} ({size.get(e)} accounts)" for e in dict.fromkeys(now))
        if d.kind == "account":
            out[d.decision_id] = {"status": "label_added", "entity_ids_now": now, "detail": (
                f"label {d.answer} (origin {d.origin}) decided at {d.decided_at.isoformat()}: counts for "
                "detections as of that time or later")}
            continue
        kind = "must_link" if d.answer == "match" else "cannot_link"
        model_together, applied = effects.get((d.account_ids[0], d.account_ids[1], kind), (None, None))
        if kind == "cannot_link":
            status = "split" if model_together else "already_apart"
            detail = (f"cannot-link: the model alone put both in one entity; now {shown}" if model_together
                      else f"cannot-link: the model kept them apart too ({shown})")
        elif applied is False:
            status, detail = "conflict", (f"must-link not applied: joining them would put a cannot-linked pair "
                                          f"in one entity; they stay in {shown}")
        else:
            status = "already_together" if model_together else "joined"
            detail = (f"must-link: the model alone kept them apart; now both in {shown}" if not model_together
                      else f"must-link: the model put them together too ({shown})")
        out[d.decision_id] = {"status": status, "detail": detail, "entity_ids_now": now}
    return out


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $n", {"n": name})
                .fetchall()[0][0])


def ring_effects(review: ReviewInputs, outcomes: Sequence[RingOutcome], signals: pa.Table) -> dict[str, dict[str, Any]]:
    """decision_id -> status, detail and ring ids now, for the ring decisions (from the detection's outputs)."""
    ring_of = {a: r for a, r in zip(signals["account_id"].to_pylist(), signals["ring_id"].to_pylist(), strict=True)
               if r is not None}
    by_id = {o.decision_id: o for o in outcomes}
    out: dict[str, dict[str, Any]] = {}
    for d in review.decisions:
        if d.kind != "ring":
            continue
        rings = sorted({ring_of[a] for a in d.account_ids if a in ring_of})
        if d.answer == "reject" and d.decision_id in by_id:
            o = by_id[d.decision_id]
            out[d.decision_id] = {"status": o.status, "ring_ids_now": list(o.part_ids) or rings,
                                  "detail": f"rejected ring {d.ring_id or ''}: {o.detail}".replace("  ", " "),
                                  "new_accounts": list(o.new_accounts), "new_identifiers": list(o.new_identifiers)}
        else:
            flagged = bool(rings)
            out[d.decision_id] = {"status": "flagged" if flagged else "not_flagged", "ring_ids_now": rings,
                                  "detail": (f"confirmed ring {d.ring_id or ''}: its accounts are in "
                                             f"{', '.join(rings)}" if flagged else
                                             f"confirmed ring {d.ring_id or ''}: none of its accounts is in a "
                                             "ring now").replace("  ", " ")}
    return out


def table(decisions: Sequence[Decision], effects: dict[str, dict[str, Any]]) -> pa.Table:
    rows = []
    for d in decisions:
        e = effects.get(d.decision_id, {})
        rows.append({
            "decision_id": d.decision_id, "kind": d.kind, "answer": d.answer, "source": d.source,
            "reviewer": d.reviewer, "decided_at": d.decided_at, "note": d.note, "account_ids": list(d.account_ids),
            "ring_id": d.ring_id, "run_id_at_decision": d.run_id, "entity_ids_at_decision": list(d.entity_ids),
            "status": e.get("status"), "detail": e.get("detail"), "entity_ids_now": e.get("entity_ids_now", []),
            "ring_ids_now": e.get("ring_ids_now", []), "new_accounts": e.get("new_accounts", []),
            "new_identifiers": e.get("new_identifiers", []),
        })
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def write(folder: Path, audit: pa.Table) -> None:
    """review_audit.parquet and .csv (lists joined by "|", cells spreadsheet-safe) in the run folder."""
    import pyarrow.parquet as pq

    pq.write_table(audit, folder / f"{AUDIT}.parquet")
    write_csv(csv_view(audit), folder / f"{AUDIT}.csv")
