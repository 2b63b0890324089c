"""Enforcement decisions as of a point in time: which accounts a trust-and-safety team called abusive or benign.

The rules (docs/signals.md, "Risk learned from labels"):
- only decisions made at or before as-of count; a decision without `decided_at` cannot be placed in time and
  is ignored (counted in the manifest), so a back-dated detection never sees a later decision;
- `appeal_overturned` means benign, whatever its `label` column says (the ban was taken back);
- an account's latest decision as of wins; on the same instant the later step of the process wins
  (appeal_overturned, then appeal_upheld, then manual_review, then enforcement, then no origin), and on a
  full tie benign wins (a wrong ban costs the user; the model is told less, not more);
- decisions on accounts the detection did not score (created after as-of) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa

# What a labels table holds: the run's in_labels (docs/data-contract.md).
RAW = pa.schema([
    ("account_id", pa.string()),
    ("label", pa.string()),
    ("decided_at", pa.timestamp("us", tz="UTC")),
    ("origin", pa.string()),
])
# label and origin: the deciding row as given (`abusive` is what detection reads from them)
DECISIONS = pa.schema([("account_id", pa.string()), ("abusive", pa.bool_()), ("label", pa.string()),
                       ("origin", pa.string())])


@dataclass(frozen=True)
class Decisions:
    table: pa.Table  # DECISIONS: one row per account, ordered by account_id
    given: int  # label rows handed in
    after_as_of: int  # rows decided after as-of (ignored)
    undated: int  # rows without decided_at (ignored)
    unknown_account: int  # rows whose account was not scored (ignored)

    @property
    def abusive(self) -> int:
        return int(sum(self.table["abusive"].to_pylist()))

    @property
    def benign(self) -> int:
        return self.table.num_rows - self.abusive

    def counts(self) -> dict[str, int]:
        return {"label_rows": self.given, "ignored_after_as_of": self.after_as_of, "ignored_undated": self.undated,
                "ignored_unknown_account": self.unknown_account, "accounts_labelled": self.table.num_rows,
                "abusive": self.abusive, "benign": self.benign}


def read_labels(run_dir: Path) -> pa.Table | None:
    """The run folder's in_labels (every row, undated ones included), or None when it holds none."""
    from ..pseudonym import open_run_db

    con = open_run_db(run_dir / "er.duckdb")
    try:
        table = con.sql("SELECT account_id, label, decided_at, origin FROM in_labels "
                        "ORDER BY account_id, decided_at, origin, label").to_arrow_table()
    finally:
        con.close()
    return table.cast(RAW) if table.num_rows else None


_DECISIONS_SQL = """
WITH known AS (
    SELECT l.* FROM l_raw l SEMI JOIN l_accounts USING (account_id)
    WHERE l.decided_at <= $as_of
), ranked AS (
    SELECT account_id, label, origin,
           coalesce(lower(origin), '') <> 'appeal_overturned' AND lower(label) = 'abusive' AS abusive,
           row_number() OVER (
               PARTITION BY account_id
               ORDER BY decided_at DESC,
                        CASE lower(origin) WHEN 'appeal_overturned' THEN 4 WHEN 'appeal_upheld' THEN 3
                             WHEN 'manual_review' THEN 2 WHEN 'enforcement' THEN 1 ELSE 0 END DESC,
                        abusive ASC
           ) AS k
    FROM known
)
SELECT account_id, abusive, label, origin FROM ranked WHERE k = 1 ORDER BY account_id
"""

_IGNORED_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE decided_at > $as_of),
       count(*) FILTER (WHERE decided_at IS NULL),
       count(*) FILTER (WHERE decided_at <= $as_of AND account_id NOT IN (SELECT account_id FROM l_accounts))
FROM l_raw
"""


def decisions(labels: pa.Table, as_of: datetime, accounts: pa.Array) -> Decisions:
    """Each scored account's decision as of as_of, by the rules above. accounts: the scored account ids."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("l_raw", labels.select([f.name for f in RAW]).cast(RAW))
        con.register("l_accounts", pa.table({"account_id": accounts.cast(pa.string())}))
        table = con.sql(_DECISIONS_SQL, params={"as_of": as_of}).to_arrow_table().cast(DECISIONS)
        given, after, undated, unknown = con.execute(_IGNORED_SQL, {"as_of": as_of}).fetchall()[0]
    finally:
        con.close()
    return Decisions(table=table, given=int(given), after_as_of=int(after), undated=int(undated),
                     unknown_account=int(unknown))
