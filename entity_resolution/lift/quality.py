"""The quality of a detection's signals against decisions, and the change between two detections of the same
accounts (paired bootstrap: the same resampled accounts score both, so what moves is the detection, not luck
in drawing accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import metrics
from . import rings as ring_figures
from .metrics import METRICS, Estimate
from .scored import Scored, flags


@dataclass(frozen=True)
class Options:
    k: int | None = None  # precision at k; None: the number of abusive judged accounts (R-precision)
    threshold: float = 0.5  # a risk score at or above flags the account
    top_rings: int = 10
    resamples: int = 1000
    seed: int = 0

    def k_for(self, scored: Scored) -> int:
        return self.k if self.k is not None else max(int(scored.y.sum()), 1)


@dataclass(frozen=True)
class Quality:
    signals: dict[str, dict[str, Estimate]]  # signal -> metric -> estimate
    rings: dict[str, Estimate]
    ring_counts: dict[str, int]
    k: int

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "signals": {s: metrics.as_dicts(m) for s, m in self.signals.items()},
                "rings": {**{m: e.as_dict() for m, e in self.rings.items()}, **self.ring_counts}}


def judge(scored: Scored, floors: dict[str, float], opts: Options) -> Quality:
    """Every signal's figures and the ring figures, each with its bootstrap interval."""
    if scored.n == 0:
        return Quality({}, {}, {"rings": len(scored.rings), "rings_with_judged_members": 0}, 0)
    w = metrics.Resamples(scored.n, opts.resamples, opts.seed)
    k = opts.k_for(scored)
    out = {name: metrics.estimates(values, flags(name, values, floors.get(name, 0.0), opts.threshold), scored.y,
                                   w, k)
           for name, values in scored.signals.items()}
    member, in_top = ring_figures.ring_matrix(scored.rings, scored.n, opts.top_rings)
    boot = ring_figures.weighted(scored.y, member, in_top, w)
    whole = ring_figures.weighted(scored.y, member, in_top, np.ones((1, scored.n)))
    ring_est = {m: metrics.interval(boot[m], float(whole[m][0])) for m in ring_figures.RING_METRICS}
    counts = {"rings": len(scored.rings), "rings_with_judged_members": ring_figures.judged_rings(member),
              "top_rings": min(opts.top_rings, len(scored.rings))}
    return Quality(out, ring_est, counts, k)


@dataclass(frozen=True)
class Change:
    """Each figure on the base detection, on the other, and base minus other with its paired interval."""

    base: dict[str, dict[str, float]]
    other: dict[str, dict[str, float]]
    change: dict[str, dict[str, Estimate]]
    accounts: int
    k: int

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sig, figures in self.change.items():
            out[sig] = {m: {"with": _r(self.base[sig][m]), "without": _r(self.other[sig][m]),
                            "change": e.as_dict(), "significant": e.significant}
                        for m, e in figures.items()}
        return {"accounts": self.accounts, "k": self.k, "figures": out}


def compare(base: Scored, other: Scored, floors_base: dict[str, float], floors_other: dict[str, float],
            opts: Options) -> Change:
    """base minus other for every signal both have and for the ring figures, on the accounts both judged."""
    common = np.intersect1d(base.account_id.astype(str), other.account_id.astype(str))
    ib = np.searchsorted(base.account_id.astype(str), common)
    io = np.searchsorted(other.account_id.astype(str), common)
    y = base.y[ib]
    w = metrics.Resamples(len(common), opts.resamples, opts.seed)
    k = opts.k if opts.k is not None else max(int(y.sum()), 1)
    ones = np.ones((1, len(common)))
    base_pt: dict[str, dict[str, float]] = {}
    other_pt: dict[str, dict[str, float]] = {}
    change: dict[str, dict[str, Estimate]] = {}
    for name in [s for s in base.signals if s in other.signals]:
        a, b = base.signals[name][ib], other.signals[name][io]
        fa = flags(name, a, floors_base.get(name, 0.0), opts.threshold)
        fb = flags(name, b, floors_other.get(name, 0.0), opts.threshold)
        pa_, pb = metrics.point(a, fa, y, k), metrics.point(b, fb, y, k)
        da, db = metrics.weighted(a, fa, y, w, k), metrics.weighted(b, fb, y, w, k)
        base_pt[name], other_pt[name] = pa_, pb
        change[name] = {m: metrics.interval(da[m] - db[m], pa_[m] - pb[m]) for m in METRICS}
    # rings: each detection's own rings, restricted to the common accounts
    figures = []
    for s, idx in ((base, ib), (other, io)):
        pos = np.full(s.n, -1)
        pos[idx] = np.arange(len(common))
        rings = {r: (pos[m][pos[m] >= 0], risk) for r, (m, risk) in s.rings.items()}
        member, in_top = ring_figures.ring_matrix(rings, len(common), opts.top_rings)
        figures.append((ring_figures.weighted(y, member, in_top, w), ring_figures.weighted(y, member, in_top, ones)))
    (boot_a, whole_a), (boot_b, whole_b) = figures
    base_pt["rings"] = {m: float(whole_a[m][0]) for m in ring_figures.RING_METRICS}
    other_pt["rings"] = {m: float(whole_b[m][0]) for m in ring_figures.RING_METRICS}
    change["rings"] = {m: metrics.interval(boot_a[m] - boot_b[m], base_pt["rings"][m] - other_pt["rings"][m])
                       for m in ring_figures.RING_METRICS}
    return Change(base_pt, other_pt, change, len(common), k)


def _r(v: float) -> float | None:
    return None if np.isnan(v) else round(float(v), 4)
