"""The bootstrap's weighted figures equal scikit-learn's with the same sample weights, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

from entity_resolution.lift import metrics


def _case(seed: int, n: int, levels: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float64)
    raw = rng.random(n) + 0.4 * y
    score = np.round(raw * levels) / levels if levels else raw  # few levels: many ties
    return score, (score > np.median(score)).astype(np.float64), y


@pytest.mark.parametrize(("seed", "levels"), [(1, None), (2, 3), (3, 1), (4, 10)])
def test_weighted_figures_equal_sklearn_with_sample_weights(seed: int, levels: int | None) -> None:
    score, flag, y = _case(seed, 300, levels)
    w = next(metrics.Resamples(len(y), 5, seed).chunks())
    got = metrics.weighted(score, flag, y, w, k=40)
    for b in range(w.shape[0]):
        sw = w[b]
        assert got["roc_auc"][b] == pytest.approx(roc_auc_score(y, score, sample_weight=sw), abs=1e-12)
        assert got["pr_auc"][b] == pytest.approx(average_precision_score(y, score, sample_weight=sw), abs=1e-12)
        # nothing flagged: precision undefined (NaN), as scikit-learn's zero_division=nan says
        want = precision_score(y, flag, sample_weight=sw, zero_division=np.nan)
        assert got["precision"][b] == pytest.approx(want, abs=1e-12, nan_ok=True)
        assert got["recall"][b] == pytest.approx(recall_score(y, flag, sample_weight=sw), abs=1e-12)


def test_precision_at_k_shares_ties() -> None:
    # scores: two above the cut, then a tie of four accounts (two abusive) for the last two places of k = 4
    score = np.array([0.9, 0.8, 0.5, 0.5, 0.5, 0.5, 0.1])
    y = np.array([1, 0, 1, 1, 0, 0, 1], dtype=np.float64)
    p = metrics.point(score, score > 0.6, y, k=4)
    assert p["precision_at_k"] == pytest.approx((1 + 2 * 0.5) / 4)
    # a score that does not tell the two kinds apart has ROC-AUC 0.5 and precision at k the base rate
    flat = metrics.point(np.zeros(7), np.zeros(7, dtype=bool), y, k=3)
    assert flat["roc_auc"] == 0.5 and flat["precision_at_k"] == pytest.approx(4 / 7)


def test_interval_holds_the_point_and_narrows_with_more_accounts() -> None:
    widths = []
    for n in (200, 3000):
        score, flag, y = _case(7, n, None)
        est = metrics.estimates(score, flag, y, metrics.Resamples(n, 300, 0), k=50)
        auc = est["roc_auc"]
        assert auc.low <= auc.value <= auc.high
        widths.append(auc.high - auc.low)
    assert widths[1] < widths[0] / 2
