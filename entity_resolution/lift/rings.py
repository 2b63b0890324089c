"""Ring-level figures: how pure the detected rings are, and how much known abuse the top rings hold.

- purity: per ring, the share of its judged (labelled) members that are abusive; averaged over the rings with
  at least one judged member (a ring nobody has decided on says nothing either way);
- top-k share: of the known-abusive judged accounts, the share that sit in the k rings with the highest mean
  member risk_score (the rings an analyst would open first; the ranking never looks at a label).
Both are computed for each bootstrap resample of accounts (weights), as the account figures are.
"""

from __future__ import annotations

import numpy as np

RING_METRICS = ("purity", "top_rings_abusive_share")


def ring_matrix(rings: dict[str, tuple[np.ndarray, float]], n: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Membership (judged accounts x rings, ordered by mean risk, highest first; ties by ring id) and whether
    each account is in one of the top rings."""
    order = sorted(rings, key=lambda r: (-rings[r][1], r))
    member = np.zeros((n, len(order)))
    for j, r in enumerate(order):
        member[rings[r][0], j] = 1.0
    in_top = member[:, :top].sum(axis=1) > 0 if order else np.zeros(n, dtype=bool)
    return member, in_top


def weighted(y: np.ndarray, member: np.ndarray, in_top: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """RING_METRICS for each row of weights w (resamples x judged accounts); NaN where undefined."""
    judged = w @ member  # resamples x rings: judged members drawn
    abusive = (w * y) @ member
    with np.errstate(invalid="ignore", divide="ignore"):
        per_ring = np.where(judged > 0, abusive / np.where(judged > 0, judged, 1), np.nan)
        counted = (judged > 0).sum(axis=1)
        purity = np.where(counted > 0, np.nansum(per_ring, axis=1) / np.maximum(counted, 1), np.nan)
        known = (w * y).sum(axis=1)
        share = np.where(known > 0, (w * y * in_top).sum(axis=1) / np.where(known > 0, known, 1), np.nan)
    return {"purity": purity, "top_rings_abusive_share": share}
