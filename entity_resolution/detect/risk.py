"""risk_score: independent contributions combined as 1 - prod(1 - c), each with its reason in words.

Every contribution c is a weight (DetectSettings.weight_*) times a strength in 0..1, so the score stays in
0..1, never decreases when a signal is added, and each reason can be read off on its own. See docs/signals.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import DetectSettings


@dataclass(frozen=True)
class AccountSignals:
    ring_id: str | None
    ring_entities: int
    ring_identifiers: int
    is_bridge: bool
    bridged_rings: tuple[str, ...]
    fast_growing: bool
    growth_reason: str
    shared_identifier_count: int
    entity_accounts: int
    entity_emails: int
    entity_disputed: int


def score(s: AccountSignals, settings: DetectSettings) -> tuple[float, list[str]]:
    parts: list[tuple[float, str]] = []
    if s.ring_id is not None:
        parts.append((settings.weight_ring,
                      f"member of ring {s.ring_id}: {s.ring_entities} entities sharing "
                      f"{s.ring_identifiers} identifiers"))
        size = min(1.0, (s.ring_entities - settings.ring_min_entities + 1) / 10)
        parts.append((settings.weight_ring_size * size, f"ring of {s.ring_entities} entities"))
    if s.is_bridge:
        between = " and ".join(s.bridged_rings) if s.bridged_rings else "two groups"
        parts.append((settings.weight_bridge, f"bridge between {between}"))
    if s.fast_growing:
        parts.append((settings.weight_fast, s.growth_reason))
    if s.shared_identifier_count:
        parts.append((settings.weight_shared * min(1.0, s.shared_identifier_count / 3),
                      f"shares {_n(s.shared_identifier_count, 'identifier')} with other entities"))
    if s.entity_disputed:
        parts.append((settings.weight_disputed * min(1.0, s.entity_disputed / 2),
                      f"its entity has {_n(s.entity_disputed, 'disputed payment')}"))
    if s.entity_accounts >= 2 and s.entity_emails >= 2:
        parts.append((settings.weight_churn,
                      f"its entity holds {s.entity_accounts} accounts under {s.entity_emails} e-mail addresses"))
    remaining = 1.0
    reasons = []
    for c, reason in parts:
        if c > 0:
            remaining *= 1.0 - c
            reasons.append(f"{reason} (+{c:.2f})")
    return round(1.0 - remaining, 6), reasons


def _n(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")
