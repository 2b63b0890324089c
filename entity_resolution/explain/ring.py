"""Why a ring is a ring: its members, the identifiers that bind them (and which members each touches), the
timeline of joins, its bridges and what removing each would leave, its events across detections, and every
contribution to each member's risk score. Read from the run folder's er.duckdb and the detection's exports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, Problem
from .contributions import RiskBreakdown, breakdown, feature_rows
from .pair import hub_notes
from .sources import BRIDGES, RING_EVENTS, RINGS, RISK_FEATURES, SIGNALS

if TYPE_CHECKING:
    from .sources import Detection, Evidence


@dataclass(frozen=True)
class Member:
    account_id: str
    entity_id: str
    created_at: str | None
    is_bridge: bool
    label: str | None  # the enforcement decision known by the run's as-of: "abusive (manual_review)"
    risk: RiskBreakdown


@dataclass(frozen=True)
class Binding:
    """An identifier two or more members used."""

    kind: str
    value: str
    members: tuple[str, ...]  # the member accounts that used it
    member_entities: int
    accounts: int  # accounts of the whole run that used it (members and others)
    entities: int
    first_seen: str | None
    last_seen: str | None
    note: str | None  # a hub or a value clearly different people share


@dataclass(frozen=True)
class Join:
    """A member's arrival: when it signed up and what it shares with members who arrived before it."""

    account_id: str
    created_at: str | None
    members_so_far: int
    shares_with_earlier: tuple[str, ...]  # "kind value" of binding identifiers earlier members used


@dataclass(frozen=True)
class Bridge:
    kind: str  # entity, or the identifier's kind
    value: str
    component_id: str
    account_ids: tuple[str, ...]
    via: tuple[str, ...]
    ring_ids: tuple[str, ...]
    split_sizes: tuple[int, ...]  # entities in each part left when it is removed, largest first
    effect: str


@dataclass(frozen=True)
class RingEvent:
    detection_id: str
    as_of: str | None
    event: str  # new, grew, shrank, merged, split, dissolved, ...
    ring_id: str
    related_ring_ids: tuple[str, ...]
    accounts_before: int | None
    accounts_after: int | None
    detail: str | None


@dataclass(frozen=True)
class RingExplanation:
    run_id: str
    detection_id: str
    ring_id: str
    summary: dict[str, Any]  # the ring's row of rings.parquet
    members: tuple[Member, ...]
    bindings: tuple[Binding, ...]
    timeline: tuple[Join, ...]
    bridges: tuple[Bridge, ...]
    events: tuple[RingEvent, ...]
    risk_model: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_MEMBERS_SQL = """
SELECT e.account_id, e.entity_id, a.created_at
FROM entities e JOIN main.std_accounts a USING (account_id)
WHERE e.account_id IN (SELECT unnest($ids))
"""

# The decisions known at the run's as-of; an undated one is shown too, marked undated (detection ignores it).
_LABELS_SQL = """
SELECT account_id, label, origin, decided_at FROM in_labels
WHERE account_id IN (SELECT unnest($ids)) AND (decided_at IS NULL OR decided_at <= $as_of)
ORDER BY account_id, decided_at NULLS FIRST
"""

_BINDINGS_SQL = """
WITH m AS (SELECT DISTINCT o.kind, o.value, o.account_id FROM identifier_observations o
           WHERE o.account_id IN (SELECT unnest($ids))),
bind AS (SELECT m.kind, m.value, list(m.account_id ORDER BY m.account_id) AS members,
                count(DISTINCT e.entity_id) AS member_entities
         FROM m JOIN entities e USING (account_id)
         GROUP BY m.kind, m.value HAVING count(*) >= 2)
SELECT b.kind, b.value, b.members, b.member_entities, count(DISTINCT o.account_id) AS accounts,
       count(DISTINCT e.entity_id) AS entities, min(o.observed_at) AS first_seen, max(o.observed_at) AS last_seen
FROM bind b JOIN identifier_observations o ON o.kind = b.kind AND o.value = b.value
JOIN entities e ON e.account_id = o.account_id
GROUP BY b.kind, b.value, b.members, b.member_entities
ORDER BY len(b.members) DESC, b.kind, b.value
"""


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)


def known_labels(ev: Evidence, account_ids: list[str]) -> dict[str, str]:
    """account -> its latest decision known by the run's as-of, "abusive (manual_review)" ({} without labels)."""
    from ..tables import IN_LABELS, missing_tables

    if missing_tables(ev.con, [IN_LABELS]):
        return {}
    out = {}
    for r in ev.rows(_LABELS_SQL, {"ids": account_ids, "as_of": ev.run.manifest.as_of}):
        out[r["account_id"]] = (f"{r['label']}" + (f" ({r['origin']})" if r["origin"] else "")
                                + ("" if r["decided_at"] else ", undated"))
    return out


def members_of(ev: Evidence, account_ids: list[str], signals: pa.Table, detection: Detection) -> list[Member]:
    """The accounts with their entity, sign-up time, known label and risk breakdown, by sign-up time."""
    facts = {r["account_id"]: r for r in ev.rows(_MEMBERS_SQL, {"ids": account_ids})}
    labels = known_labels(ev, account_ids)
    picked = signals.filter(pc.is_in(signals["account_id"], pa.array(account_ids, pa.string())))
    sig = {r["account_id"]: r for r in picked.to_pylist()}
    risk = detection.manifest.get("risk") or {}
    risk_model = str(risk.get("model") or "default weights")
    intercept = (risk.get("coefficients") or {}).get("intercept")
    features = feature_rows(detection.table(RISK_FEATURES), account_ids)
    out = []
    for account_id in account_ids:
        f, s = facts.get(account_id, {}), sig.get(account_id, {})
        out.append(Member(
            account_id=account_id, entity_id=str(f.get("entity_id") or s.get("entity_id")),
            created_at=_iso(f.get("created_at")), is_bridge=bool(s.get("is_bridge")), label=labels.get(account_id),
            risk=breakdown(float(s.get("risk_score") or 0.0), list(s.get("reasons") or []), risk_model,
                           features.get(account_id), intercept)))
    out.sort(key=lambda m: (m.created_at or "", m.account_id))
    return out


def _bindings(ev: Evidence, account_ids: list[str]) -> list[Binding]:
    notes = hub_notes(ev)
    return [Binding(r["kind"], r["value"], tuple(r["members"]), int(r["member_entities"]), int(r["accounts"]),
                    int(r["entities"]), _iso(r["first_seen"]), _iso(r["last_seen"]), notes.get((r["kind"], r["value"])))
            for r in ev.rows(_BINDINGS_SQL, {"ids": account_ids})]


def _timeline(members: list[Member], bindings: list[Binding]) -> list[Join]:
    uses: dict[str, list[Binding]] = {}
    for b in bindings:
        for a in b.members:
            uses.setdefault(a, []).append(b)
    earlier: set[str] = set()
    out = []
    for n, m in enumerate(members, start=1):
        shares = tuple(f"{b.kind} {b.value}" for b in uses.get(m.account_id, [])
                       if any(o in earlier for o in b.members if o != m.account_id))
        out.append(Join(m.account_id, m.created_at, n, shares))
        earlier.add(m.account_id)
    return out


def bridges_touching(detection: Detection, ring_id: str | None, account_ids: set[str]) -> list[Bridge]:
    """The detection's bridges that name the ring or hold one of the accounts, with what removing each leaves."""
    table = detection.table(BRIDGES)
    if table is None:
        return []
    out = []
    for r in table.to_pylist():
        rings = tuple(r.get("ring_ids") or ())
        accounts = tuple(r.get("account_ids") or ())
        if (ring_id is None or ring_id not in rings) and not account_ids.intersection(accounts):
            continue
        sizes = tuple(int(s) for s in r.get("split_sizes") or ())
        what = "entity" if r["bridge_kind"] == "entity" else r["bridge_kind"]
        effect = (f"removing {what} {r['bridge_value']} would split component {r['component_id']} into "
                  f"{len(sizes)} parts of {', '.join(map(str, sizes))} entities"
                  + (f" (rings {', '.join(rings)})" if rings else ""))
        out.append(Bridge(r["bridge_kind"], r["bridge_value"], r["component_id"], accounts,
                          tuple(r.get("via") or ()), rings, sizes, effect))
    return out


def events_of(ev: Evidence, ring_id: str) -> list[RingEvent]:
    """The ring's events (as itself or as a related ring) in every detection known, oldest detection first."""
    seen: set[str] = set()
    out = []
    for d in ev.history:
        if d.detection_id in seen:
            continue
        seen.add(d.detection_id)
        table = d.table(RING_EVENTS)
        if table is None:
            continue
        for r in table.to_pylist():
            related = tuple(r.get("related_ring_ids") or ())
            if r["ring_id"] != ring_id and ring_id not in related:
                continue
            out.append(RingEvent(d.detection_id, d.as_of, r["event"], r["ring_id"], related,
                                 r.get("accounts_before"), r.get("accounts_after"), r.get("detail")))
    return out


def explain_ring(ev: Evidence, ring_id: str) -> RingExplanation:
    """The evidence of ring `ring_id` (InputError when the detection has no such ring)."""
    detection = ev.require_detection("--ring")
    rings = detection.require(RINGS)
    row = rings.filter(pc.equal(rings["ring_id"], ring_id)).to_pylist()
    if not row:
        raise InputError([Problem(str(detection.folder / f"{RINGS}.parquet"), None, "ring_id",
                                  f"a ring of detection {detection.detection_id} ({rings.num_rows} rings)",
                                  repr(ring_id))])
    signals = detection.require(SIGNALS)
    in_ring = signals.filter(pc.fill_null(pc.equal(signals["ring_id"], ring_id), False))
    account_ids = sorted(in_ring["account_id"].to_pylist())
    members = members_of(ev, account_ids, signals, detection)
    bindings = _bindings(ev, account_ids)
    summary = {k: _iso(v) if hasattr(v, "isoformat") else v for k, v in row[0].items()}
    return RingExplanation(
        run_id=ev.run.manifest.run_id, detection_id=detection.detection_id, ring_id=ring_id, summary=summary,
        members=tuple(members), bindings=tuple(bindings), timeline=tuple(_timeline(members, bindings)),
        bridges=tuple(bridges_touching(detection, ring_id, set(account_ids)
                                       | set(summary.get("bridge_account_ids") or ()))),
        events=tuple(events_of(ev, ring_id)),
        risk_model=str((detection.manifest.get("risk") or {}).get("model") or "default weights"))
