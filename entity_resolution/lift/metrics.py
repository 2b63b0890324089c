"""Quality of one score against decisions, and its bootstrap over accounts.

Point figures come from scikit-learn (precision_score, recall_score, roc_auc_score, average_precision_score).
A bootstrap needs each figure on hundreds of resamples for every signal: calling scikit-learn that often costs
3 ms a pair (measured: 30 s for nine signals at 1,000 resamples), so resamples are computed at once here, as
integer weights (how often each account was drawn) over the same sorted scores. With weights scikit-learn
computes the very same numbers (sample_weight); tests/unit/test_lift_metrics.py checks they agree, ties
included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

METRICS = ("precision", "recall", "precision_at_k", "roc_auc", "pr_auc")
# Resamples are drawn and computed a chunk at a time, a chunk holding about this many weights (8 bytes each,
# a few copies alive at once): 100,000 accounts x 1,000 resamples in one piece would take gigabytes.
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class Estimate:
    """A figure and its 95 % bootstrap interval (percentiles); NaN when it is undefined (one class only)."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float | None]:
        return {k: (None if np.isnan(v) else round(float(v), 4))
                for k, v in (("value", self.value), ("low", self.low), ("high", self.high))}

    @property
    def significant(self) -> bool:
        """The interval excludes zero (for a difference)."""
        return bool(self.low > 0 or self.high < 0)


def point(score: np.ndarray, flag: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    """Every figure of METRICS on all accounts, with scikit-learn (precision at k: ours, ties shared)."""
    from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

    both = 0 < y.sum() < len(y)
    return {
        "precision": float(precision_score(y, flag, zero_division=np.nan)) if flag.any() else float("nan"),
        "recall": float(recall_score(y, flag, zero_division=np.nan)),
        "precision_at_k": float(weighted(score, flag, y, np.ones((1, len(y))), k)["precision_at_k"][0]),
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
    }


@dataclass(frozen=True)
class Resamples:
    """n_boot resamples of n accounts (drawn with replacement, seeded), as weights: how often each account was
    drawn. chunks() yields them a few at a time and always the same ones, so every signal, and both sides of
    a paired comparison, see the very same resamples."""

    n: int
    n_boot: int
    seed: int

    def chunks(self) -> Iterator[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        step = max(1, min(self.n_boot, CHUNK_CELLS // max(self.n, 1)))
        for start in range(0, self.n_boot, step):
            rows = min(step, self.n_boot - start)
            draws = rng.integers(0, self.n, (rows, self.n))
            w = np.zeros((rows, self.n))
            for r in range(rows):
                w[r] = np.bincount(draws[r], minlength=self.n)
            yield w


def weighted(score: np.ndarray, flag: np.ndarray, y: np.ndarray, w: np.ndarray | Resamples,
             k: int) -> dict[str, np.ndarray]:
    """Every figure of METRICS for each resample (a weights matrix, resamples x accounts, or Resamples). A
    resample's accounts are those with weight > 0, each counted weight times; NaN where a figure is undefined."""
    chunks = w.chunks() if isinstance(w, Resamples) else iter([w])
    out: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    for chunk in chunks:
        for name, values in _weighted_chunk(score, flag, y, chunk, k).items():
            out[name].append(values)
    return {m: np.concatenate(v) for m, v in out.items()}


def _weighted_chunk(score: np.ndarray, flag: np.ndarray, y: np.ndarray, w: np.ndarray,
                    k: int) -> dict[str, np.ndarray]:
    pos_w, neg_w = w * y, w * (1 - y)
    n_pos, n_neg = pos_w.sum(axis=1), neg_w.sum(axis=1)
    tp = (pos_w * flag).sum(axis=1)
    flagged = (w * flag).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(flagged > 0, tp / flagged, np.nan)
        recall = np.where(n_pos > 0, tp / n_pos, np.nan)
    # Groups of tied scores, highest first: every figure below moves a whole group at once (as scikit-learn's
    # thresholds at distinct scores do).
    order = np.argsort(-score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos_g = np.add.reduceat(pos_w[:, order], starts, axis=1)
    neg_g = np.add.reduceat(neg_w[:, order], starts, axis=1)
    all_g = pos_g + neg_g
    # ROC-AUC: P(score of a positive > score of a negative), ties counting half
    neg_below = n_neg[:, None] - np.cumsum(neg_g, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos_g * (neg_below + 0.5 * neg_g)).sum(axis=1) / (n_pos * n_neg)
        # PR-AUC as average precision: sum over thresholds of (recall step) x precision
        cum_tp, cum_all = np.cumsum(pos_g, axis=1), np.cumsum(all_g, axis=1)
        prec = np.where(cum_all > 0, cum_tp / np.where(cum_all > 0, cum_all, 1), 0.0)
        ap = (pos_g * prec).sum(axis=1) / n_pos
    both = (n_pos > 0) & (n_neg > 0)
    auc = np.where(both, auc, np.nan)
    ap = np.where(both, ap, np.nan)
    # Precision at k, ties shared: the accounts of the group that crosses k count in proportion.
    total = w.sum(axis=1)
    kk = np.minimum(float(k), total)
    crossing = np.argmax(cum_all >= kk[:, None] - 1e-9, axis=1)
    rows = np.arange(w.shape[0])
    before_all = cum_all[rows, crossing] - all_g[rows, crossing]
    before_tp = cum_tp[rows, crossing] - pos_g[rows, crossing]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(all_g[rows, crossing] > 0, pos_g[rows, crossing] / all_g[rows, crossing], 0.0)
        p_at_k = np.where(kk > 0, (before_tp + (kk - before_all) * share) / kk, np.nan)
    return {"precision": precision, "recall": recall, "precision_at_k": p_at_k, "roc_auc": auc, "pr_auc": ap}


def interval(values: np.ndarray, point_value: float) -> Estimate:
    """The 2.5 and 97.5 percentiles of the resampled values (undefined resamples left out)."""
    kept = values[~np.isnan(values)]
    if not len(kept) or np.isnan(point_value):
        return Estimate(point_value, float("nan"), float("nan"))
    low, high = np.percentile(kept, [2.5, 97.5])
    return Estimate(point_value, float(low), float(high))


def estimates(score: np.ndarray, flag: np.ndarray, y: np.ndarray, w: np.ndarray | Resamples,
              k: int) -> dict[str, Estimate]:
    """Every figure of METRICS with its interval over the resamples w."""
    values = point(score, flag, y, k)
    boot = weighted(score, flag, y, w, k)
    return {m: interval(boot[m], values[m]) for m in METRICS}


def as_dicts(est: dict[str, Estimate]) -> dict[str, Any]:
    return {m: e.as_dict() for m, e in est.items()}
