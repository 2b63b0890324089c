"""Ring-level figures: how pure the detected rings are, and how much known abuse the top rings hold.

- purity: per ring, the share of its judged (labelled) members that are abusive; averaged over the rings with
  at least one judged member (a ring nobody has decided on says nothing either way);
- top-k share: of the known-abusive judged accounts, the share that sit in the k rings with the highest mean
  member risk_score (the rings an analyst would open first; the ranking never looks at a label).
Both are computed for each bootstrap resample of accounts (weights), as the account figures are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .metrics import Resamples

RING_METRICS = ("purity", "top_rings_abusive_share")


def ring_matrix(rings: dict[str, tuple[np.ndarray, float]], n: int, top: int) -> tuple[Any, np.ndarray]:
    """Membership (a sparse judged accounts x rings matrix, rings ordered by mean risk, highest first, ties by
    ring id) and whether each account is in one of the top rings."""
    from scipy.sparse import csr_array

    order = sorted(rings, key=lambda r: (-rings[r][1], r))
    rows = np.concatenate([rings[r][0] for r in order]) if order else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([np.full(len(rings[r][0]), j) for j, r in enumerate(order)]) if order else rows
    member = csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, len(order)))
    in_top = np.zeros(n, dtype=bool)
    for r in order[:top]:
        in_top[rings[r][0]] = True
    return member, in_top


def judged_rings(member: Any) -> int:
    """Rings with at least one judged member."""
    return int((np.asarray(member.sum(axis=0)).ravel() > 0).sum())


def weighted(y: np.ndarray, member: Any, in_top: np.ndarray, w: np.ndarray | Resamples) -> dict[str, np.ndarray]:
    """RING_METRICS for each resample (weights matrix or Resamples); NaN where undefined."""
    out: dict[str, list[np.ndarray]] = {m: [] for m in RING_METRICS}
    for chunk in (w.chunks() if isinstance(w, Resamples) else iter([w])):
        for name, values in _chunk(y, member, in_top, chunk).items():
            out[name].append(values)
    return {m: np.concatenate(v) for m, v in out.items()}


def _chunk(y: np.ndarray, member: Any, in_top: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    judged = np.asarray((member.T @ w.T).T)  # resamples x rings: judged members drawn
    abusive = np.asarray((member.T @ (w * y).T).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_ring = np.where(judged > 0, abusive / np.where(judged > 0, judged, 1), 0.0)
        counted = (judged > 0).sum(axis=1)
        purity = np.where(counted > 0, per_ring.sum(axis=1) / np.maximum(counted, 1), np.nan)
        known = (w * y).sum(axis=1)
        share = np.where(known > 0, (w * y * in_top).sum(axis=1) / np.where(known > 0, known, 1), np.nan)
    return {"purity": purity, "top_rings_abusive_share": share}
