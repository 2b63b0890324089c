"""One account's evidence: its entity and the links that made it, the identifiers it used and how many entities
each touches, its detection signals (ring, bridge, growth) and every contribution to its risk score."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from .contributions import RiskBreakdown
from .pair import SharedIdentifier, hub_notes
from .ring import Bridge, Member, bridges_touching, known_labels, members_of
from .sources import SIGNALS

if TYPE_CHECKING:
    from .sources import Evidence


@dataclass(frozen=True)
class Link:
    """A pair the run scored (above the link floor) with this account on one side."""

    other_account_id: str
    other_entity_id: str
    match_probability: float
    match_weight: float
    personal_weight: float
    same_person: bool


@dataclass(frozen=True)
class AccountExplanation:
    run_id: str
    account_id: str
    entity_id: str
    entity_accounts: tuple[str, ...]
    created_at: str | None
    label: str | None
    links: tuple[Link, ...]
    identifiers: tuple[SharedIdentifier, ...]  # every identifier it used; accounts/entities across the run
    detection_id: str | None
    signals: dict[str, Any] | None  # its row of signals (component, ring, bridge, growth), None without detection
    risk: RiskBreakdown | None
    bridges: tuple[Bridge, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_ENTITY_SQL = """
SELECT e.entity_id, list(o.account_id ORDER BY o.account_id) AS accounts, min(a.created_at) FILTER (
           WHERE a.account_id = $a) AS created_at
FROM entities e JOIN entities o USING (entity_id) JOIN main.std_accounts a ON a.account_id = o.account_id
WHERE e.account_id = $a
GROUP BY e.entity_id
"""

_LINKS_SQL = """
SELECT CASE WHEN p.unique_id_l = $a THEN p.unique_id_r ELSE p.unique_id_l END AS other, e.entity_id,
       p.match_probability, p.match_weight, p.personal_weight, p.same_person
FROM predictions p
JOIN entities e ON e.account_id = CASE WHEN p.unique_id_l = $a THEN p.unique_id_r ELSE p.unique_id_l END
WHERE p.unique_id_l = $a OR p.unique_id_r = $a
ORDER BY p.match_weight DESC, other
"""

_IDENTIFIERS_SQL = """
WITH mine AS (SELECT DISTINCT kind, value FROM identifier_observations WHERE account_id = $a)
SELECT o.kind, o.value, count(DISTINCT o.account_id) AS accounts, count(DISTINCT e.entity_id) AS entities
FROM mine JOIN identifier_observations o USING (kind, value) JOIN entities e ON e.account_id = o.account_id
GROUP BY o.kind, o.value
ORDER BY entities DESC, accounts DESC, o.kind, o.value
"""


def explain_account(ev: Evidence, account_id: str) -> AccountExplanation:
    """The evidence around one account (InputError when the run has no such account)."""
    ev.check_accounts(account_id)
    entity = ev.rows(_ENTITY_SQL, {"a": account_id})[0]
    links = tuple(Link(r["other"], r["entity_id"], float(r["match_probability"]), float(r["match_weight"]),
                       float(r["personal_weight"]), bool(r["same_person"]))
                  for r in ev.rows(_LINKS_SQL, {"a": account_id}))
    notes = hub_notes(ev)
    identifiers = tuple(SharedIdentifier(r["kind"], r["value"], int(r["accounts"]), int(r["entities"]),
                                         notes.get((r["kind"], r["value"])))
                        for r in ev.rows(_IDENTIFIERS_SQL, {"a": account_id}))
    signals_row: dict[str, Any] | None = None
    member: Member | None = None
    bridges: tuple[Bridge, ...] = ()
    detection = ev.detection
    if detection is not None:
        signals = detection.require(SIGNALS)
        rows = signals.filter(pc.equal(signals["account_id"], account_id)).to_pylist()
        if rows:
            signals_row = {k: v for k, v in rows[0].items() if k != "reasons"}
            member = members_of(ev, [account_id], signals, detection)[0]
        bridges = tuple(bridges_touching(detection, None, {account_id}))
    created = entity["created_at"]
    return AccountExplanation(
        run_id=ev.run.manifest.run_id, account_id=account_id, entity_id=entity["entity_id"],
        entity_accounts=tuple(entity["accounts"]),
        created_at=created.isoformat() if created is not None else None,
        label=known_labels(ev, [account_id]).get(account_id), links=links, identifiers=identifiers,
        detection_id=detection.detection_id if detection else None, signals=signals_row,
        risk=member.risk if member else None, bridges=bridges)
