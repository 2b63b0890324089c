"""Decisions a trust-and-safety team already took: a ~5% sample of accounts, mostly right, not always.

Noise is deliberate: some abusers won an appeal (label benign), some benign accounts were enforced by
mistake (label abusive), and benign accounts near hubs and look-alike groups get reviewed more often.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entity_resolution.demo import formats as fm
from entity_resolution.demo.layout import DAY_MS, HOUR_MS, REFERENCE_MS, Layout, S

ORIGINS: tuple[str, ...] = ("enforcement", "appeal_upheld", "appeal_overturned", "manual_review")
ENFORCEMENT, APPEAL_UPHELD, APPEAL_OVERTURNED, MANUAL_REVIEW = range(4)
LABEL_SHARE = 0.05

# Chance that an abusive account of each scenario carries a label.
ABUSIVE_COVERAGE = {
    "ban_evasion": 0.25,
    "device_farm": 0.45,
    "card_testing": 0.5,
    "coordinator": 0.3,
    "burst": 0.1,
    "resi_proxy": 0.35,  # the realistic world only
}
# How much more often benign accounts of a scenario get reviewed than ordinary ones.
BENIGN_ATTENTION = {
    "hub_ip_user": 3.0,
    "hub_device_user": 3.0,
    "test_card_user": 3.0,
    "lookalike_benign": 4.0,
    "household": 2.0,
    "reregistration": 2.0,
    # the realistic world only
    "office_worker": 2.0,
    "kiosk_user": 3.0,
    "event_guest": 3.0,
    "recycled_ip_user": 2.0,
}


@dataclass(frozen=True)
class Labels:
    account: np.ndarray
    abusive: np.ndarray  # bool: the label says abusive
    decided: np.ndarray  # epoch ms
    origin: np.ndarray  # index into ORIGINS


def make_labels(rng: np.random.Generator, layout: Layout) -> Labels:
    n = layout.n
    coverage = np.zeros(n)
    for name, p in ABUSIVE_COVERAGE.items():
        coverage[layout.scenario == S[name]] = p
    banned = layout.banned_at >= 0  # a ban evader's first account: always enforced, at the ban
    chosen = (rng.random(n) < coverage) & layout.abusive | banned
    abusive_acc = np.flatnonzero(chosen)
    origin = fm.weighted(rng, len(abusive_acc), [70, 15, 5, 10])
    origin[banned[abusive_acc]] = ENFORCEMENT

    weight = np.ones(n)
    for name, w in BENIGN_ATTENTION.items():
        weight[layout.scenario == S[name]] = w
    weight[layout.abusive] = 0
    n_benign = max(0, round(LABEL_SHARE * n) - len(abusive_acc))
    benign_acc = np.sort(rng.choice(n, size=n_benign, replace=False, p=weight / weight.sum()))
    benign_origin = fm.weighted(rng, n_benign, [12, 3, 20, 65])

    account = np.concatenate([abusive_acc, benign_acc])
    origin = np.concatenate([origin, benign_origin])
    says_abusive = (origin == ENFORCEMENT) | (origin == APPEAL_UPHELD)
    says_abusive |= (origin == MANUAL_REVIEW) & layout.abusive[account]

    created = layout.created[account]
    decided = created + HOUR_MS + (rng.random(len(account)) * 45 * DAY_MS).astype(np.int64)
    appeal = (origin == APPEAL_UPHELD) | (origin == APPEAL_OVERTURNED)
    decided = decided + appeal * (2 * DAY_MS + (rng.random(len(account)) * 18 * DAY_MS).astype(np.int64))
    decided = np.where(banned[account], layout.banned_at[account], decided)
    room = np.maximum(REFERENCE_MS - created - 60_000, 60_000)
    decided = np.where(decided > REFERENCE_MS, created + (rng.random(len(account)) * room).astype(np.int64), decided)
    decided = np.minimum(decided, REFERENCE_MS)
    return Labels(account, says_abusive, decided, origin)
