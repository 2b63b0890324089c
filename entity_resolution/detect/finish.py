"""From a backend's Facts to the output tables: ring ids, fast growth, risk score, events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import evidence
from . import facts as F
from . import rejected as rejected_rings
from . import rings as ring_ids
from .facts import Facts
from .labels import Decisions
from .rejected import RejectedRing, RingOutcome
from .risk import AccountSignals, score
from .settings import DetectSettings

SIGNALS = pa.schema([
    ("account_id", pa.string()),
    ("entity_id", pa.string()),
    ("component_id", pa.string()),
    ("component_size", pa.int64()),
    ("ring_id", pa.string()),
    ("ring_size", pa.int64()),
    ("shared_identifier_count", pa.int64()),
    ("is_bridge", pa.bool_()),
    ("growth_7d", pa.int64()),
    ("fast_growing", pa.bool_()),
    ("risk_score", pa.float64()),
    ("reasons", pa.list_(pa.string())),
])
# The output tables extend the backends' facts (facts.py) with what finishing adds: the same columns, once.
RINGS = pa.schema([("ring_id", pa.string()), *[f for f in F.PARTS if f.name != "part_id"],
                   ("bridge_account_ids", pa.list_(pa.string()))])
HUBS = F.HUBS.append(pa.field("reason", pa.string()))
RING_EVENTS = pa.schema([
    ("event", pa.string()),
    ("ring_id", pa.string()),
    ("related_ring_ids", pa.list_(pa.string())),
    ("accounts_before", pa.int64()),
    ("accounts_after", pa.int64()),
    ("detail", pa.string()),
])
COMPONENTS = pa.schema([*F.COMPONENTS, ("fast_growing", pa.bool_()), ("new_since_previous", pa.int64()),
                        ("ring_ids", pa.list_(pa.string()))])
BRIDGES = pa.schema([*[f for f in F.BRIDGES if f.name != "part_ids"], ("ring_ids", pa.list_(pa.string()))])


@dataclass(frozen=True)
class Previous:
    """The previous detection: ring id -> member accounts, and every account it scored (a string array)."""

    source: str
    rings: dict[str, frozenset[str]]
    accounts: pa.Array


@dataclass(frozen=True)
class Outputs:
    signals: pa.Table
    rings: pa.Table
    hubs: pa.Table
    ring_events: pa.Table
    components: pa.Table
    bridges: pa.Table
    counts: dict[str, int] = field(default_factory=dict)
    # with labels: how risk was scored (manifest "risk") and the per-account features (risk_features.parquet)
    risk: dict[str, Any] | None = None
    risk_features: pa.Table | None = None
    # rings reviewers rejected (rejected.py): what each rejection did, part ids turned into ring ids
    rejected: tuple[RingOutcome, ...] = ()

    def tables(self) -> dict[str, pa.Table]:
        return {"signals": self.signals, "rings": self.rings, "hubs": self.hubs, "ring_events": self.ring_events,
                "components": self.components, "bridges": self.bridges}


def fast_growth(row: dict[str, Any], settings: DetectSettings, what: str = "ring") -> tuple[bool, str]:
    """Whether a ring grows fast, and why: the first window (1, 7, 30 days) over its threshold."""
    size = max(int(row["account_count"]), 1)
    for days, share in ((1, settings.fast_share_1d), (7, settings.fast_share_7d), (30, settings.fast_share_30d)):
        grown = int(row[f"growth_{days}d"])
        if grown >= settings.fast_min_accounts and grown >= share * size:
            return True, (f"its {what} gained {grown} of its {size} accounts in the last {days} "
                          f"day{'s' if days > 1 else ''} (threshold {share:.0%})")
    return False, ""


def finish(facts: Facts, settings: DetectSettings, previous: Previous | None,
           labels: pa.Table | None = None, rejected: Sequence[RejectedRing] = ()) -> Outputs:
    """Ring ids, growth, risk and events from the facts, vectorised: per-account work runs in DuckDB over the
    Arrow tables; Python only sees ring members, fast-growing components and the distinct risk inputs.

    labels: enforcement decisions (labels.RAW); when given and learn_from_labels is set, risk is learned from
    them (detect/learned.py) instead of the default weights.
    rejected: rings reviewers rejected; the same groups without new evidence are not flagged (rejected.py)."""
    import duckdb

    accounts, parts_table, bridges_table = weigh(facts, settings)
    accounts, parts_table, outcomes = rejected_rings.apply(accounts, parts_table, facts.edges, rejected)
    facts = replace(facts, accounts=accounts)  # learned risk reads ring parts from the accounts
    parts = {r["part_id"]: r for r in parts_table.to_pylist()}
    in_ring = accounts.filter(pc.is_in(accounts["part_id"], pa.array(list(parts), pa.string())))
    members: dict[str, set[str]] = defaultdict(set)
    anchor: dict[str, tuple[datetime, str]] = {}
    for a in in_ring.select(["account_id", "part_id", "created_at"]).to_pylist():
        part = a["part_id"]
        members[part].add(a["account_id"])
        key = (a["created_at"], a["account_id"])
        anchor[part] = min(anchor.get(part, key), key)
    ids, events = ring_ids.assign(
        {p: frozenset(m) for p, m in members.items()}, {p: k[1] for p, k in anchor.items()},
        previous.rings if previous else None,
    )

    bridges_out, bridged_rings, ring_bridges = _bridges(bridges_table, ids)
    fast = _fast_parts(parts_table, settings)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("f_accounts", accounts)
        con.register("f_components", facts.components.append_column(
            "ord", pa.array(range(facts.components.num_rows), pa.int64())))
        con.register("f_fast", pa.table({"part_id": list(fast), "fast_growing": [True] * len(fast),
                                         "reason": list(fast.values())},
                                        schema=pa.schema([("part_id", pa.string()), ("fast_growing", pa.bool_()),
                                                          ("reason", pa.string())])))
        con.register("f_rings", pa.table({
            "part_id": list(members),
            "ring_id": [ids[p] for p in members],
            "ring_entities": [parts[p]["entity_count"] for p in members],
            "ring_identifiers": [sum(parts[p][f"{k}_count"] for k in ("device", "card", "ip", "email", "phone"))
                                 for p in members],
            "ring_size": [parts[p]["account_count"] for p in members],
        }, schema=pa.schema([("part_id", pa.string()), ("ring_id", pa.string()), ("ring_entities", pa.int64()),
                             ("ring_identifiers", pa.int64()), ("ring_size", pa.int64())])))
        con.register("f_bridged", pa.table({"account_id": list(bridged_rings),
                                            "bridged": ["|".join(r) for r in bridged_rings.values()]},
                                           schema=pa.schema([("account_id", pa.string()), ("bridged", pa.string())])))
        con.execute(_SIGNATURE_SQL)
        con.execute(_COMPONENT_SQL)
        distinct = con.sql(f"SELECT DISTINCT {', '.join(_SIGNATURE)} FROM f_sig").to_arrow_table()
        con.register("f_scores", _scores(distinct, settings))
        signals = con.sql(_SIGNALS_SQL).to_arrow_table()
        signals = pa.Table.from_arrays([signals[f.name].cast(f.type) for f in SIGNALS], schema=SIGNALS)
        if previous is not None:
            con.register("f_previous", pa.table({"account_id": previous.accounts}))
            new_sql = ("SELECT component_id, count(*) AS n FROM f_accounts "
                       "ANTI JOIN f_previous USING (account_id) GROUP BY component_id")
        else:
            new_sql = "SELECT NULL::VARCHAR AS component_id, NULL::BIGINT AS n WHERE false"
        components = con.sql(_COMPONENTS_OUT_SQL.format(new=new_sql,
                                                        has_previous="true" if previous else "false")).to_arrow_table()
        components = pa.Table.from_arrays([components[f.name].cast(f.type) for f in COMPONENTS], schema=COMPONENTS)
        accounts_in_rings, bridge_accounts = con.execute(
            "SELECT count(ring_id), count(*) FILTER (WHERE is_bridge) FROM f_sig").fetchall()[0]
    finally:
        con.close()
    risk, risk_features = None, None
    if labels is not None and settings.learn_from_labels:
        signals, risk, risk_features = _learned_risk(signals, facts, labels, settings)
    rings = sorted(({**{k: v for k, v in parts[p].items() if k != "part_id"}, "ring_id": ids[p],
                     "bridge_account_ids": sorted(ring_bridges.get(ids[p], ()))} for p in members),
                   key=lambda r: r["ring_id"])
    hubs = [{**h, "reason": f"seen on {h['entity_count']} entities (hub above {facts.hub_threshold})"}
            for h in facts.hubs.to_pylist()]
    counts = {
        "accounts": signals.num_rows, "rings": len(rings), "accounts_in_rings": int(accounts_in_rings),
        "bridge_accounts": int(bridge_accounts), "hubs": len(hubs),
        "fast_growing_components": int(pc.sum(components["fast_growing"]).as_py() or 0),
        "ring_events": len(events),
    }
    return Outputs(
        signals=signals, rings=pa.Table.from_pylist(rings, RINGS),
        hubs=pa.Table.from_pylist(hubs, HUBS), ring_events=pa.Table.from_pylist([e.row() for e in events], RING_EVENTS),
        components=components, bridges=bridges_out, counts=counts, risk=risk, risk_features=risk_features,
        rejected=tuple(replace(o, part_ids=tuple(sorted(ids[p] for p in o.part_ids if p in ids)))
                       for o in outcomes),
    )


def _learned_risk(signals: pa.Table, facts: Facts, labels: pa.Table,
                  settings: DetectSettings) -> tuple[pa.Table, dict[str, Any], pa.Table | None]:
    """signals with learned risk_score and reasons, what was done (manifest), the per-account features."""
    from .labels import decisions
    from .learned import learn

    decided: Decisions = decisions(labels, facts.as_of, signals["account_id"])
    learned = learn(signals, facts, decided, settings)
    if learned is None:
        return signals, {"model": "default weights", "decisions": decided.counts(),
                         "reason": f"fewer than {settings.label_min_decisions} abusive or benign decisions "
                                   "as of as-of"}, None
    names = signals.column_names
    signals = signals.set_column(names.index("risk_score"), "risk_score", learned.risk_score)
    signals = signals.set_column(names.index("reasons"), "reasons", learned.reasons)
    return signals, learned.manifest, learned.features


# Every account with what its risk score depends on; accounts sharing these values share score and reasons.
_SIGNATURE = ("ring_id", "ring_entities", "ring_identifiers", "is_bridge", "bridged", "fast_growing",
              "growth_reason", "shared_identifier_count", "entity_accounts", "entity_emails", "entity_disputed")

# Fast growth is a ring's (its members and associates), so a benign spike of sign-ups on one venue's wifi,
# which is no evidence, does not make its component fast; a component is fast when one of its rings is.
_SIGNATURE_SQL = """
CREATE TEMP TABLE f_sig AS
SELECT a.account_id, a.entity_id, a.component_id, c.account_count AS component_size,
       r.ring_id, coalesce(r.ring_size, 0) AS ring_size, a.shared_identifier_count, a.is_bridge,
       c.growth_7d, coalesce(f.fast_growing, false) AS fast_growing,
       coalesce(r.ring_entities, 0) AS ring_entities, coalesce(r.ring_identifiers, 0) AS ring_identifiers,
       coalesce(b.bridged, '') AS bridged, coalesce(f.reason, '') AS growth_reason,
       a.entity_accounts, a.entity_emails, a.entity_disputed
FROM f_accounts a
JOIN f_components c USING (component_id)
LEFT JOIN f_rings r ON r.part_id = a.part_id
LEFT JOIN f_fast f ON f.part_id = a.grows_with
LEFT JOIN f_bridged b USING (account_id)
"""

_COMPONENT_SQL = """
CREATE TEMP TABLE f_comp AS
WITH fast AS (SELECT component_id, bool_or(fast_growing) AS fast_growing FROM f_sig GROUP BY component_id)
SELECT c.component_id, c.entity_count, c.account_count, c.growth_1d, c.growth_7d, c.growth_30d, c.ord,
       coalesce(f.fast_growing, false) AS fast_growing
FROM f_components c LEFT JOIN fast f USING (component_id)
"""

_SIGNALS_SQL = """
SELECT s.account_id, s.entity_id, s.component_id, s.component_size, s.ring_id, s.ring_size,
       s.shared_identifier_count, s.is_bridge, s.growth_7d, s.fast_growing, k.risk_score, k.reasons
FROM f_sig s JOIN f_scores k
  ON s.ring_id IS NOT DISTINCT FROM k.ring_id AND s.ring_entities = k.ring_entities
 AND s.ring_identifiers = k.ring_identifiers AND s.is_bridge = k.is_bridge AND s.bridged = k.bridged
 AND s.fast_growing = k.fast_growing AND s.growth_reason = k.growth_reason
 AND s.shared_identifier_count = k.shared_identifier_count AND s.entity_accounts = k.entity_accounts
 AND s.entity_emails = k.entity_emails AND s.entity_disputed = k.entity_disputed
ORDER BY s.account_id
"""

_COMPONENTS_OUT_SQL = """
WITH rings_of AS (
    SELECT component_id, list_sort(list(DISTINCT ring_id)) AS ring_ids FROM f_sig
    WHERE ring_id IS NOT NULL GROUP BY component_id
), new_accounts AS ({new})
SELECT c.component_id, c.entity_count, c.account_count, c.growth_1d, c.growth_7d, c.growth_30d, c.fast_growing,
       CASE WHEN {has_previous} THEN coalesce(n.n, 0) END AS new_since_previous,
       coalesce(r.ring_ids, []::VARCHAR[]) AS ring_ids
FROM f_comp c LEFT JOIN rings_of r USING (component_id) LEFT JOIN new_accounts n USING (component_id)
WHERE c.entity_count >= 2 OR c.fast_growing
ORDER BY c.ord
"""


def _fast_parts(parts: pa.Table, settings: DetectSettings) -> dict[str, str]:
    """ring part id -> growth reason for the fast-growing rings."""
    out: dict[str, str] = {}
    for p in parts.to_pylist():
        is_fast, reason = fast_growth({**p, "account_count": p["growth_accounts"], "growth_7d": p["growth_7d_with"]},
                                      settings)
        if is_fast:
            out[p["part_id"]] = reason
    return out


def _scores(distinct: pa.Table, settings: DetectSettings) -> pa.Table:
    """Risk score and reasons for each distinct signature (the same `score` per account as ever)."""
    rows = distinct.to_pylist()
    risks: list[float] = []
    reasons: list[list[str]] = []
    for r in rows:
        risk, why = score(AccountSignals(
            ring_id=r["ring_id"], ring_entities=r["ring_entities"], ring_identifiers=r["ring_identifiers"],
            is_bridge=r["is_bridge"], bridged_rings=tuple(r["bridged"].split("|")) if r["bridged"] else (),
            fast_growing=r["fast_growing"], growth_reason=r["growth_reason"],
            shared_identifier_count=r["shared_identifier_count"], entity_accounts=r["entity_accounts"],
            entity_emails=r["entity_emails"], entity_disputed=r["entity_disputed"],
        ), settings)
        risks.append(risk)
        reasons.append(why)
    return distinct.append_column("risk_score", pa.array(risks, pa.float64())).append_column(
        "reasons", pa.array(reasons, pa.list_(pa.string())))


def _bridges(table: pa.Table, ids: dict[str, str]) -> tuple[pa.Table, dict[str, tuple[str, ...]], dict[str, set[str]]]:
    rows = []
    bridged: dict[str, set[str]] = defaultdict(set)  # account -> rings it bridges
    ring_bridges: dict[str, set[str]] = defaultdict(set)  # ring -> bridge accounts
    for b in table.to_pylist():
        rings = sorted({ids[p] for p in b["part_ids"] if p in ids})
        rows.append({k: b[k] for k in ("bridge_kind", "bridge_value", "component_id", "split_sizes",
                                       "account_ids", "via")} | {"ring_ids": rings})
        for a in b["account_ids"]:
            bridged[a].update(rings)
            for r in rings:
                ring_bridges[r].add(a)
    return (pa.Table.from_pylist(rows, BRIDGES), {a: tuple(sorted(r)) for a, r in bridged.items()}, ring_bridges)


# Ring counts over its members; growth over its members and the entities growing with it (associates).
_PART_STATS_SQL = """
WITH growth AS (
    SELECT g.part_id, count(*) AS growth_accounts,
           count(*) FILTER (WHERE a.created_at > $as_of - INTERVAL 1 DAY) AS growth_1d,
           count(*) FILTER (WHERE a.created_at > $as_of - INTERVAL 7 DAY) AS growth_7d,
           count(*) FILTER (WHERE a.created_at > $as_of - INTERVAL 30 DAY) AS growth_30d
    FROM f_grows_with g JOIN f_acc a USING (entity_id) GROUP BY g.part_id
)
SELECT e.part_id, count(DISTINCT a.entity_id) AS entity_count, count(*) AS account_count,
       min(a.created_at) AS first_seen, max(a.last_seen) AS last_seen,
       count(*) FILTER (WHERE a.created_at > $as_of - INTERVAL 7 DAY) AS ring_growth_7d,
       any_value(g.growth_accounts) AS growth_accounts, any_value(g.growth_1d) AS growth_1d,
       any_value(g.growth_7d) AS growth_7d, any_value(g.growth_30d) AS growth_30d
FROM f_part_of e JOIN f_acc a USING (entity_id) JOIN growth g USING (part_id)
GROUP BY e.part_id
"""


def weigh(facts: Facts, settings: DetectSettings) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The rings and bridges the evidence supports (evidence.py): the backend's accounts with part_id and
    is_bridge, the rings (facts.PARTS plus growth_1d and growth_30d) and the bridges (facts.BRIDGES)."""
    import duckdb

    ev = evidence.analyse(facts.edges, facts.entities, facts.accounts, settings)
    bridge_entities = {b.entity_id for b in ev.bridges}
    ents = facts.accounts["entity_id"]
    pairs = pa.schema([("entity_id", pa.string()), ("part_id", pa.string())])
    part_of = pa.table({"entity_id": list(ev.entity_part), "part_id": list(ev.entity_part.values())}, schema=pairs)
    grows_with = {**ev.associates, **ev.entity_part}
    grows = pa.table({"entity_id": list(grows_with), "part_id": list(grows_with.values())}, schema=pairs)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("f_acc", facts.accounts)
        con.register("f_part_of", part_of)
        con.register("f_grows_with", grows)
        cur = con.execute(_PART_STATS_SQL, {"as_of": facts.as_of})
        names = [d[0] for d in cur.description or ()]
        stats = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
        bridge_accounts: dict[str, list[str]] = defaultdict(list)
        for account_id, entity_id in con.execute(
                "SELECT account_id, entity_id FROM f_acc WHERE list_contains($e, entity_id) ORDER BY account_id",
                {"e": sorted(bridge_entities)}).fetchall():
            bridge_accounts[entity_id].append(account_id)
        component_of = dict(con.execute(
            "SELECT DISTINCT entity_id, component_id FROM f_acc WHERE list_contains($e, entity_id)",
            {"e": sorted(bridge_entities)}).fetchall())
    finally:
        con.close()
    accounts = facts.accounts.append_column(
        "part_id", pa.array([ev.entity_part.get(e) for e in ents.to_pylist()], pa.string())).append_column(
        "grows_with", pa.array([grows_with.get(e) for e in ents.to_pylist()], pa.string()))
    accounts = accounts.append_column("is_bridge", pc.is_in(ents, pa.array(sorted(bridge_entities), pa.string())))
    accounts = accounts.cast(F.WEIGHED_ACCOUNTS)
    parts = [{**{k: stats[r.part_id][k] for k in ("entity_count", "account_count", "first_seen", "last_seen",
                                                   "growth_accounts", "growth_1d", "growth_30d")},
              "growth_7d": stats[r.part_id]["ring_growth_7d"], "growth_7d_with": stats[r.part_id]["growth_7d"],
              "part_id": r.part_id, **{f"{k}_count": r.counts.get(k, 0) for k in ("device", "card", "ip", "email",
                                                                                 "phone")}}
             for r in ev.rings]
    parts_schema = pa.schema([*F.PARTS, ("growth_accounts", pa.int64()), ("growth_1d", pa.int64()),
                              ("growth_7d_with", pa.int64()), ("growth_30d", pa.int64())])
    bridges = sorted(({
        "bridge_kind": "entity", "bridge_value": b.entity_id, "component_id": component_of[b.entity_id],
        "split_sizes": list(b.split_sizes), "account_ids": bridge_accounts[b.entity_id],
        "via": [f"{k}:{v}" for k, v in b.via], "part_ids": list(b.part_ids),
    } for b in ev.bridges), key=lambda b: (b["component_id"], b["bridge_value"]))
    return accounts, pa.Table.from_pylist(parts, parts_schema), pa.Table.from_pylist(bridges, F.BRIDGES)
