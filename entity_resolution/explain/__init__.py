"""Explain a run's decisions from the run folder alone (no Neo4j): why two accounts are (or are not) one person,
why a ring is a ring, and what makes up an account's risk score.

    from entity_resolution.explain import Evidence, explain_pair, explain_ring, explain_account

    with Evidence.open(Path("out/run")) as ev:        # InputError (exit 2) when it is not a run folder
        pair = explain_pair(ev, "acct_1", "acct_2")   # Splink's waterfall, shared identifiers, evidence path
        ring = explain_ring(ev, "R-0123456789abcdef") # members, binding identifiers, timeline, bridges, events, risk
        acct = explain_account(ev, "acct_1")

Every result is a frozen dataclass with `to_dict()` (the JSON of `er explain --format json`).
"""

from __future__ import annotations

from .account import AccountExplanation, explain_account
from .pair import PairExplanation, explain_pair, explain_pair_with_chart
from .ring import RingExplanation, explain_ring
from .sources import Evidence

__all__ = ["AccountExplanation", "Evidence", "PairExplanation", "RingExplanation", "explain_account",
           "explain_pair", "explain_pair_with_chart", "explain_ring"]
