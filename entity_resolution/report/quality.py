"""Point-in-time label quality of a detection: its scores against the decisions known at its as-of.

Only decisions made at or before the detection's as-of count, `appeal_overturned` counts as benign and an
account's latest decision wins (detect/labels.py owns those rules). With risk learned from the same labels
(detect/learned.py), each account's score comes from a model fitted without its entity (cross-fitted), so these
figures are out-of-fold, not in-sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class LabelQuality:
    labelled: int  # scored accounts with a decision known at as-of
    abusive: int
    benign: int
    roc_auc: float  # risk_score against abusive (nan when one class is missing)
    average_precision: float
    flagged_labelled: int  # accounts in a ring that have a decision
    flagged_precision: float  # share of them decided abusive (nan when none)
    abusive_in_rings: float  # recall of ring membership over the abusive decisions (nan when none)
    scores_abusive: list[float]  # risk_score of the labelled accounts, per side (for the chart)
    scores_benign: list[float]


def label_quality(signals: pa.Table, labels: pa.Table, as_of: datetime) -> LabelQuality | None:
    """The quality of `signals` (account_id, ring_id, risk_score) on `labels` (detect/labels.RAW) as of `as_of`;
    None when no decision is known by then."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from ..detect.labels import decisions

    known = decisions(labels, as_of, signals["account_id"].combine_chunks()).table
    if known.num_rows == 0:
        return None
    abusive = dict(zip(known["account_id"].to_pylist(), known["abusive"].to_pylist(), strict=True))
    rows = signals.filter(pc.is_in(signals["account_id"], known["account_id"])).select(
        ["account_id", "ring_id", "risk_score"]).to_pylist()
    y = [bool(abusive[r["account_id"]]) for r in rows]
    scores = [float(r["risk_score"] or 0.0) for r in rows]
    both = 0 < sum(y) < len(y)
    flagged = [a for a, r in zip(y, rows, strict=True) if r["ring_id"]]
    return LabelQuality(
        labelled=len(y), abusive=sum(y), benign=len(y) - sum(y),
        roc_auc=float(roc_auc_score(y, scores)) if both else math.nan,
        average_precision=float(average_precision_score(y, scores)) if sum(y) else math.nan,
        flagged_labelled=len(flagged),
        flagged_precision=sum(flagged) / len(flagged) if flagged else math.nan,
        abusive_in_rings=sum(flagged) / sum(y) if sum(y) else math.nan,
        scores_abusive=[s for s, a in zip(scores, y, strict=True) if a],
        scores_benign=[s for s, a in zip(scores, y, strict=True) if not a],
    )
