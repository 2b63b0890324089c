"""Risk score, fast growth and detection settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from entity_resolution.detect.finish import fast_growth
from entity_resolution.detect.risk import AccountSignals, score
from entity_resolution.detect.settings import DetectSettings
from entity_resolution.errors import EntityResolutionError

NOTHING = AccountSignals(ring_id=None, ring_entities=0, ring_identifiers=0, is_bridge=False, bridged_rings=(),
                         fast_growing=False, growth_reason="", shared_identifier_count=0, entity_accounts=1,
                         entity_emails=1, entity_disputed=0)
S = DetectSettings()


def test_no_signal_scores_zero_without_reasons() -> None:
    assert score(NOTHING, S) == (0.0, [])


def test_each_signal_adds_and_explains_itself() -> None:
    ring = replace(NOTHING, ring_id="R-1", ring_entities=12, ring_identifiers=5)
    bridge = replace(ring, is_bridge=True, bridged_rings=("R-1", "R-2"))
    fast = replace(bridge, fast_growing=True, growth_reason="its component gained 40 accounts")
    scores = [score(s, S)[0] for s in (NOTHING, ring, bridge, fast)]
    assert scores == sorted(scores) and len(set(scores)) == 4
    assert all(0.0 <= x <= 1.0 for x in scores)
    risk, reasons = score(fast, S)
    assert any("member of ring R-1: 12 entities sharing 5 identifiers" in r for r in reasons)
    assert any("bridge between R-1 and R-2" in r for r in reasons)
    assert any("gained 40 accounts" in r for r in reasons)
    # 1 - prod(1 - c): the reasons' contributions reproduce the score
    contributions = [float(r.rsplit("(+", 1)[1].rstrip(")")) for r in reasons]
    remaining = 1.0
    for c in contributions:
        remaining *= 1 - c
    assert risk == pytest.approx(1 - remaining, abs=0.01)


def test_entity_signals() -> None:
    churn = replace(NOTHING, entity_accounts=3, entity_emails=3)
    disputed = replace(NOTHING, entity_disputed=1)
    assert score(churn, S)[1] == ["its entity holds 3 accounts under 3 e-mail addresses (+0.10)"]
    assert score(disputed, S)[1] == ["its entity has 1 disputed payment (+0.15)"]
    assert score(replace(NOTHING, entity_accounts=3, entity_emails=1), S)[0] == 0.0


def test_fast_growth_needs_enough_new_accounts_relative_to_size() -> None:
    base = {"account_count": 40, "growth_1d": 0, "growth_7d": 0, "growth_30d": 0}
    assert fast_growth({**base, "growth_7d": 30}, S)[0]
    assert "30 of its 40 accounts in the last 7 days" in fast_growth({**base, "growth_7d": 30}, S)[1]
    assert not fast_growth({**base, "growth_7d": 9}, S)[0]  # 22 % < 25 %
    assert not fast_growth({**base, "account_count": 4, "growth_7d": 4}, S)[0]  # fewer than 5 new accounts
    assert fast_growth({**base, "growth_1d": 5, "growth_7d": 5, "growth_30d": 5}, S)[0]  # 12.5 % in a day
    assert not fast_growth({**base, "account_count": 100, "growth_30d": 40}, S)[0]


def test_settings_collect_every_problem() -> None:
    with pytest.raises(EntityResolutionError) as err:
        DetectSettings(ring_min_entities=1, weight_ring=2.0, hub_percentile=1.5, as_of=datetime(2026, 1, 1))
    message = str(err.value)
    for name in ("ring_min_entities", "weight_ring", "hub_percentile", "as_of"):
        assert name in message


def test_hub_threshold() -> None:
    assert S.hub_threshold([2, 3, 500]) == 50
    pct = DetectSettings(hub_percentile=0.9, hub_floor=10)
    degrees = list(range(2, 102))  # 100 values: the 90th (nearest rank) is 91
    assert pct.hub_threshold(degrees) == 50  # never above hub_max_entities
    assert DetectSettings(hub_percentile=0.2, hub_floor=10).hub_threshold(degrees) == 21
    assert DetectSettings(hub_percentile=0.01, hub_floor=10).hub_threshold(degrees) == 10  # floor
