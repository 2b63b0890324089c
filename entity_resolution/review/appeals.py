"""Appeals as the false positives of the signals (docs/review.md, "Appeals").

An account whose latest appeal (label origin appeal_upheld or appeal_overturned in the run's in_labels, which
include appeals fed back with `er review --import`) was overturned was flagged wrongly: it counts as a false
positive of every signal that flagged it in the run's signals. Appeals are counted whenever they were decided:
the question is how the run's flags held up, and an appeal always comes after the flag.

Signals: ring (a member of a ring), bridge, fast_growing, high_risk (risk_score >= risk_threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import runfolder

SIGNALS = ("ring", "bridge", "fast_growing", "high_risk")
DEFAULT_RISK_THRESHOLD = 0.5


@dataclass(frozen=True)
class SignalAppeals:
    signal: str
    flagged: int  # accounts the signal flagged
    appealed: int  # of them, with an appeal decided
    overturned: int  # of them, overturned: the signal's false positives
    overturn_rate: float | None  # overturned / appealed


@dataclass(frozen=True)
class AppealsReport:
    run_id: str
    risk_threshold: float
    appeals: int
    overturned: int
    signals: list[SignalAppeals]
    false_positives: list[dict[str, Any]]  # account_id, signals, risk_score, ring_id, decided_at

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "risk_threshold": self.risk_threshold, "appeals": self.appeals,
                "overturned": self.overturned, "signals": [s.__dict__ for s in self.signals],
                "false_positives": [{**f, "decided_at": str(f["decided_at"])} for f in self.false_positives]}


_APPEALS_SQL = """
WITH latest AS (
    SELECT account_id, lower(origin) = 'appeal_overturned' AS overturned, decided_at,
           row_number() OVER (PARTITION BY account_id ORDER BY decided_at DESC NULLS LAST,
                              lower(origin) = 'appeal_overturned' DESC) AS k
    FROM in_labels WHERE lower(origin) IN ('appeal_upheld', 'appeal_overturned')
), flags AS (
    SELECT account_id, risk_score, ring_id,
           ring_id IS NOT NULL AS ring, is_bridge AS bridge, fast_growing, risk_score >= $t AS high_risk
    FROM a_signals
)
SELECT f.*, l.overturned, l.decided_at FROM flags f JOIN latest l USING (account_id) WHERE l.k = 1
ORDER BY f.account_id
"""


def report(run_dir: Path, risk_threshold: float = DEFAULT_RISK_THRESHOLD) -> AppealsReport:
    """Each signal's appeals and overturns in the run folder at run_dir."""
    import pyarrow.parquet as pq

    from ..pseudonym import open_run_db

    run = runfolder.open(run_dir, (runfolder.MANIFEST, runfolder.DB, "signals.parquet"))
    signals = pq.read_table(run.paths.signals)
    con = open_run_db(run.paths.db)
    try:
        con.register("a_signals", signals)
        cur = con.execute(_APPEALS_SQL, {"t": risk_threshold})
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        flagged = {s: int(c) for s, c in zip(SIGNALS, con.execute(
            "SELECT count(*) FILTER (WHERE ring_id IS NOT NULL), count(*) FILTER (WHERE is_bridge), "
            "count(*) FILTER (WHERE fast_growing), count(*) FILTER (WHERE risk_score >= $t) FROM a_signals",
            {"t": risk_threshold}).fetchall()[0], strict=True)}
    finally:
        con.close()
    per_signal = []
    for s in SIGNALS:
        appealed = [r for r in rows if r[s]]
        over = sum(1 for r in appealed if r["overturned"])
        per_signal.append(SignalAppeals(s, flagged[s], len(appealed), over,
                                        over / len(appealed) if appealed else None))
    fps = [{"account_id": r["account_id"], "signals": [s for s in SIGNALS if r[s]], "risk_score": r["risk_score"],
            "ring_id": r["ring_id"], "decided_at": r["decided_at"]} for r in rows if r["overturned"]]
    return AppealsReport(run.manifest.run_id, risk_threshold, len(rows), len(fps), per_signal, fps)
