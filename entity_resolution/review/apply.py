"""What the decisions in force mean for the next `er run` (docs/review.md, "What a decision does"):

- pair no_match: a cannot-link (the two accounts end in different entities: match/constraints.py);
- pair match: a must-link (they end in one entity, unless that would join a cannot-linked pair);
- ring reject: the same group is not flagged again without new evidence (detect/rejected.py);
- ring confirm: kept in the audit trail (the ring is flagged as before);
- account abusive / benign: a label (origin manual_review, or appeal_upheld / appeal_overturned for
  appeals) added to the run's in_labels, decided at the decision's time, so point-in-time rules apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from ..detect.rejected import RejectedRing
from ..match.constraints import PairConstraints
from .decisions import Decision, in_force, read

if TYPE_CHECKING:
    import duckdb

    from ..settings import Settings


@dataclass(frozen=True)
class ReviewInputs:
    """The decisions in force (the latest per subject), as the run's stages take them."""

    decisions: tuple[Decision, ...] = ()

    def _pairs(self, answer: str) -> tuple[tuple[str, str], ...]:
        return tuple((d.account_ids[0], d.account_ids[1]) for d in self.decisions
                     if d.kind == "pair" and d.answer == answer)

    @property
    def constraints(self) -> PairConstraints:
        return PairConstraints(must=self._pairs("match"), cannot=self._pairs("no_match"))

    @property
    def rejected(self) -> list[RejectedRing]:
        return [RejectedRing(d.decision_id, d.ring_id, frozenset(d.account_ids), frozenset(d.identifiers))
                for d in self.decisions if d.kind == "ring" and d.answer == "reject"]

    def labels(self) -> pa.Table:
        rows = [{"account_id": d.account_ids[0], "label": d.answer, "decided_at": d.decided_at, "origin": d.origin}
                for d in self.decisions if d.kind == "account"]
        return pa.Table.from_pylist(rows, schema=pa.schema([
            ("account_id", pa.string()), ("label", pa.string()), ("decided_at", pa.timestamp("us", tz="UTC")),
            ("origin", pa.string())]))


def for_run(settings: Settings) -> ReviewInputs:
    """The decisions in force in the settings' decisions file (none when there is no file)."""
    return ReviewInputs(tuple(in_force(read(settings.review_decisions))))


def add_labels(con: duckdb.DuckDBPyConnection, review: ReviewInputs, incremental: bool = False) -> int:
    """Add the account decisions to in_labels (accounts of this run only: in_accounts, and for an incremental
    run also its baseline's std_accounts; a row already there is not added twice, so an incremental run's
    copied in_labels stays as a full run's). Returns the rows added."""
    table = review.labels()
    if table.num_rows == 0:
        return 0
    con.register("review_labels", table)
    try:
        before = int(con.execute("SELECT count(*) FROM in_labels").fetchall()[0][0])
        con.execute(_ADD_LABELS_INCREMENTAL_SQL if incremental else _ADD_LABELS_SQL)
        return int(con.execute("SELECT count(*) FROM in_labels").fetchall()[0][0]) - before
    finally:
        con.unregister("review_labels")


_ADD_LABELS_SQL = """
INSERT INTO in_labels (account_id, label, decided_at, origin)
SELECT account_id, label, decided_at, origin FROM review_labels r
WHERE account_id IN (SELECT account_id FROM in_accounts)
  AND NOT EXISTS (SELECT 1 FROM in_labels l WHERE l.account_id = r.account_id AND l.label = r.label
                  AND l.decided_at = r.decided_at AND l.origin IS NOT DISTINCT FROM r.origin)
"""
_ADD_LABELS_INCREMENTAL_SQL = _ADD_LABELS_SQL.replace(
    "FROM in_accounts)", "FROM in_accounts UNION ALL SELECT account_id FROM std_accounts)")
