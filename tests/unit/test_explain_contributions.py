"""Reading risk contributions back from what detection wrote (entity_resolution/explain/contributions.py)."""

from __future__ import annotations

import math

import pytest

from entity_resolution.detect.risk import AccountSignals, score
from entity_resolution.detect.settings import DetectSettings
from entity_resolution.explain.contributions import DEFAULT, breakdown, parse_reasons


def test_default_weight_reasons_give_back_every_contribution() -> None:
    signals = AccountSignals(ring_id="R-1", ring_entities=7, ring_identifiers=4, is_bridge=True,
                             bridged_rings=("R-1", "R-2"), fast_growing=True, growth_reason="grew fast",
                             shared_identifier_count=2, entity_accounts=3, entity_emails=3, entity_disputed=1)
    risk, reasons = score(signals, DetectSettings())
    got = breakdown(risk, reasons, DEFAULT, None)
    assert got.complete and len(got.contributions) == len(reasons) == 7
    assert 1 - math.prod(1 - c.contribution for c in got.contributions) == pytest.approx(risk, abs=0.01)
    assert any("R-1" in c.reason for c in got.contributions)


def test_learned_reasons_keep_their_headline_and_signs() -> None:
    headline, parts = parse_reasons([
        "risk 0.83 learned from 120 decisions as of 2026-10-31 (its own decision held out: fold 2 of 5)",
        "in a ring (+0.45)", "its component holds 1 accounts (-0.20)"])
    assert headline is not None and headline.startswith("risk 0.83")
    assert [(p.reason, p.contribution) for p in parts] == [("in a ring", 0.45), ("its component holds 1 accounts",
                                                                                 -0.2)]


def test_learned_features_give_every_contribution_and_the_intercept() -> None:
    features = {"account_id": "a", "decision": None, "in_ring": 1.0, "contribution_in_ring": 0.4,
                "ring_size": 12.0, "contribution_ring_size": 0.25, "growth_7d": 0.0, "contribution_growth_7d": 0.0}
    got = breakdown(0.7, ["risk 0.70 learned from 100 decisions as of 2026-10-31", "in a ring (+0.40)"],
                    "logistic regression (scikit-learn, L2)", features, intercept=0.2)
    assert got.complete and got.intercept == 0.2
    assert [(c.feature, c.contribution) for c in got.contributions] == [("in_ring", 0.4), ("ring_size", 0.25)]
    assert got.contributions[1].reason == "its ring holds 12 accounts"
    labelled = breakdown(0.7, [], "logistic regression (scikit-learn, L2)", {**features, "decision": "abusive"},
                         intercept=0.2)
    assert labelled.intercept is None, "a fold's model scored it: the final intercept does not apply"
