"""Ring figures, flags and the paired comparison on hand-made detections (no run folder)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from entity_resolution.errors import InputError
from entity_resolution.lift import metrics
from entity_resolution.lift import rings as ring_figures
from entity_resolution.lift.quality import Options, compare, judge
from entity_resolution.lift.scored import Scored, flags
from entity_resolution.lift.without import parse


def _scored(risk: list[float], y: list[int], rings: dict[str, list[int]]) -> Scored:
    n = len(y)
    r = np.array(risk)
    return Scored(run_id="run-x", detection_id=None, as_of=datetime(2026, 1, 1, tzinfo=UTC),
                  account_id=np.array([f"a{i:03d}" for i in range(n)], dtype=object),
                  entity_id=np.array([f"e{i}" for i in range(n)], dtype=object), y=np.array(y, dtype=float),
                  signals={"risk_score": r, "in_something": (r > 0.5).astype(float)},
                  rings={k: (np.array(v), float(r[v].mean())) for k, v in rings.items()})


def test_ring_purity_and_top_ring_share() -> None:
    # ring A (high risk): 2 abusive of 2 judged; ring B: 1 abusive of 2; ring C: nobody judged abusive (0 of 1)
    s = _scored([0.9, 0.9, 0.6, 0.6, 0.2, 0.1, 0.1], [1, 1, 1, 0, 0, 1, 0], {"A": [0, 1], "B": [2, 3], "C": [4]})
    member, in_top = ring_figures.ring_matrix(s.rings, s.n, top=1)
    got = ring_figures.weighted(s.y, member, in_top, np.ones((1, s.n)))
    assert got["purity"][0] == pytest.approx((1 + 0.5 + 0) / 3)
    assert got["top_rings_abusive_share"][0] == pytest.approx(2 / 4)  # A holds 2 of the 4 abusive accounts
    assert ring_figures.judged_rings(member) == 3


def test_comparing_a_detection_with_itself_changes_nothing() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random(200) < 0.3).astype(int).tolist()
    s = _scored((rng.random(200) * 0.5 + 0.5 * np.array(y)).tolist(), y, {"A": list(range(10))})
    change = compare(s, s, {}, {}, Options(resamples=100))
    for figures in change.change.values():
        for e in figures.values():
            assert e.value == 0 or np.isnan(e.value)
            assert not e.significant
    q = judge(s, {"in_something": 0.0}, Options(resamples=100))
    assert q.signals["risk_score"]["roc_auc"].value > 0.8 and q.k == sum(y)


def test_resamples_are_the_same_every_time_and_in_any_chunking() -> None:
    r = metrics.Resamples(50, 7, seed=3)
    a, b = np.vstack(list(r.chunks())), np.vstack(list(r.chunks()))
    assert (a == b).all() and a.shape == (7, 50) and (a.sum(axis=1) == 50).all()


def test_flags_scores_at_threshold_counts_above_their_floor() -> None:
    assert flags("risk_score", np.array([0.2, 0.5]), 0.0, 0.5).tolist() == [False, True]
    assert flags("component_size", np.array([1.0, 2.0]), 1.0, 0.5).tolist() == [False, True]
    assert flags("is_bridge", np.array([0.0, 1.0]), 0.0, 0.5).tolist() == [False, True]


def test_without_names_a_source_or_an_optional_column() -> None:
    assert parse("payments").column is None and parse("devices").source == "devices"
    assert parse("signup_ip").source == "accounts" and parse("disputed").source == "payments"
    for bad in ("accounts", "email", "card_fingerprint", "nonsense"):
        with pytest.raises(InputError, match="optional input column"):
            parse(bad)
