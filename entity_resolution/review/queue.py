"""The review queue of a run folder: the decisions the engine is least sure of, each with its evidence.

Four kinds, in this order (docs/review.md, "The queue"):
- pair: two accounts whose match weight lies within `margin` bits of the match threshold's weight, or that
  pass the threshold with a personal weight within `margin` bits of its floor; nearest first. Answers
  match / no_match.
- ring: rings with at most ring_min_entities + 1 entities or ring_min_identifiers + 1 shared identifiers,
  the fewest first. Answers confirm / reject.
- bridge: entities whose removal splits a ring (bridges.parquet). Answers abusive / benign (its accounts).
- account: the highest risk_score accounts without any label. Answers abusive / benign.
Anything with a decision in force (the same pair, ring or account) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import runfolder
from ..errors import InputError, Problem
from ..match.model import INFRA_COMPARISONS, PERSONAL_COMPARISONS
from .decisions import Decision

if TYPE_CHECKING:
    import duckdb

KINDS = ("pair", "ring", "bridge", "account")
# What each kind of item is answered with, and the kind of decision the answer records.
ANSWERS = {"pair": ("match", "no_match"), "ring": ("confirm", "reject"), "bridge": ("abusive", "benign"),
           "account": ("abusive", "benign")}
DECISION_KIND = {"pair": "pair", "ring": "ring", "bridge": "account", "account": "account"}
DEFAULT_MARGIN = 2.0  # bits either side of the threshold's match weight (a factor of 4 in the odds)
DEFAULT_LIMIT = 10  # items of each kind


@dataclass(frozen=True)
class Item:
    kind: str
    key: str  # "a|b" for a pair, the ring id, the bridge entity id, the account id
    account_ids: tuple[str, ...]
    why: str  # why it is in the queue
    evidence: dict[str, Any] = field(default_factory=dict)
    ring_id: str | None = None
    identifiers: tuple[str, ...] = ()  # a ring's binding identifiers ("kind:value")
    entity_ids: tuple[str, ...] = ()

    @property
    def answers(self) -> tuple[str, ...]:
        return ANSWERS[self.kind]


def threshold_weight(probability: float) -> float:
    """The match weight (log2 of the Bayes factor, prior included) of a match probability."""
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def _decided(decisions: list[Decision]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for d in decisions:
        if d.kind == "pair":
            out.add(("pair", "|".join(d.account_ids)))
        elif d.kind == "ring":
            out.add(("ring", d.ring_id or ""))
        else:
            out.add(("account", d.account_ids[0]))
    return out


def build(run_dir: Path, decisions: list[Decision], *, kinds: tuple[str, ...] = KINDS,
          limit: int = DEFAULT_LIMIT, margin: float = DEFAULT_MARGIN) -> list[Item]:
    """The queue of the run folder at run_dir, leaving out what `decisions` (in force) already decided."""
    from ..pseudonym import open_run_db

    unknown = [k for k in kinds if k not in KINDS]
    if unknown or limit < 1 or not margin > 0:
        raise InputError([Problem("er review", None, None,
                                  f"--kind among {', '.join(KINDS)}, --limit >= 1, --margin > 0",
                                  f"--kind {','.join(kinds)} --limit {limit} --margin {margin}")])
    run = runfolder.open(run_dir, (runfolder.MANIFEST, runfolder.DB, "signals.parquet", "rings.parquet",
                                   "bridges.parquet"))
    done = _decided(decisions)
    con = open_run_db(run.paths.db)
    try:
        _register_exports(con, run.paths.root)
        items: list[Item] = []
        if "pair" in kinds:
            items += _take(_pairs(con, run.manifest.thresholds, margin, limit + len(done)), done, limit)
        params = _detect_parameters(run.paths.root)
        if "ring" in kinds:
            items += _take(_rings(con, params, limit + len(done)), done, limit)
        if "bridge" in kinds:
            items += _take(_bridges(con, limit + len(done)), done, limit)
        if "account" in kinds:
            items += _take(_accounts(con, limit + len(done)), done, limit)
    finally:
        con.close()
    return items


def _take(items: Iterator[Item], done: set[tuple[str, str]], limit: int) -> list[Item]:
    out = []
    for item in items:
        key = ("account", item.account_ids[0]) if item.kind in ("bridge", "account") and len(item.account_ids) == 1 \
            else (item.kind, item.key)
        if key in done or (item.kind == "bridge" and all(("account", a) in done for a in item.account_ids)):
            continue
        out.append(item)
        if len(out) == limit:
            break
    return out


def _register_exports(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """The detection's exports as tables q_signals, q_rings, q_bridges."""
    import pyarrow.parquet as pq

    for name in ("signals", "rings", "bridges"):
        con.register(f"q_{name}", pq.read_table(root / f"{name}.parquet"))


def _detect_parameters(root: Path) -> dict[str, Any]:
    import json

    path = root / "detect_manifest.json"
    try:
        params = json.loads(path.read_text(encoding="utf-8")).get("parameters") or {}
    except (OSError, ValueError, AttributeError):
        params = {}
    from ..detect.settings import DetectSettings

    defaults = DetectSettings()
    return {k: params.get(k, getattr(defaults, k)) for k in ("ring_min_entities", "ring_min_identifiers")}


_PAIRS_SQL = """
SELECT * FROM (
    SELECT unique_id_l, unique_id_r, match_probability, match_weight, personal_weight, same_person, identity_veto,
           least(abs(match_weight - $wt),
                 CASE WHEN match_probability >= $t THEN abs(personal_weight - $pw) ELSE 'inf'::DOUBLE END)
               AS distance
    FROM predictions
) WHERE distance <= $margin
ORDER BY distance, unique_id_l, unique_id_r
LIMIT $n
"""

_ACCOUNT_SQL = """
SELECT a.account_id, a.full_name_raw AS name, a.email_raw AS email, a.phone_e164 AS phone,
       a.date_of_birth::VARCHAR AS date_of_birth, a.postcode, a.country, a.created_at::VARCHAR AS created_at,
       e.entity_id, e.entity_size
FROM std_accounts a JOIN entities e USING (account_id)
WHERE list_contains($ids, a.account_id)
ORDER BY a.account_id
"""


def _account_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    cur = con.execute(_ACCOUNT_SQL, {"ids": ids})
    names = [d[0] for d in cur.description or ()]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _shared(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[str]:
    """The identifiers ("kind:value") two or more of these accounts used."""
    return [r[0] for r in con.execute(
        "SELECT kind || ':' || value FROM identifier_observations WHERE list_contains($ids, account_id) "
        "GROUP BY kind, value HAVING count(DISTINCT account_id) >= 2 ORDER BY kind, value", {"ids": ids}).fetchall()]


def _pairs(con: duckdb.DuckDBPyConnection, thresholds: dict[str, float], margin: float, n: int) -> Iterator[Item]:
    t = float(thresholds.get("match_threshold", 0.95))
    pw = float(thresholds.get("min_personal_weight", 4.0))
    cur = con.execute(_PAIRS_SQL, {"wt": threshold_weight(t), "t": t, "pw": pw, "margin": margin, "n": n})
    names = [d[0] for d in cur.description or ()]
    for row in [dict(zip(names, r, strict=True)) for r in cur.fetchall()]:
        a, b = row["unique_id_l"], row["unique_id_r"]
        weights = _comparison_weights(con, a, b)
        accounts = _account_rows(con, [a, b])
        side = "above" if row["match_weight"] >= threshold_weight(t) else "below"
        why = (f"match weight {row['match_weight']:.2f} is {abs(row['match_weight'] - threshold_weight(t)):.2f} "
               f"bits {side} the threshold's ({threshold_weight(t):.2f}, p={t}); personal weight "
               f"{row['personal_weight']:.2f} (floor {pw})")
        yield Item("pair", f"{a}|{b}", (a, b), why, {
            "match_probability": row["match_probability"], "match_weight": row["match_weight"],
            "personal_weight": row["personal_weight"], "same_person": row["same_person"],
            "identity_veto": row["identity_veto"], "comparisons": weights, "accounts": accounts,
            "shared_identifiers": _shared(con, [a, b])},
            entity_ids=tuple(accounts[x]["entity_id"] for x in (a, b) if x in accounts))


def _comparison_weights(con: duckdb.DuckDBPyConnection, a: str, b: str) -> dict[str, float]:
    """Each comparison's match weight for the pair (its level's weight plus any term-frequency adjustment)."""
    cur = con.execute("SELECT * FROM predictions WHERE unique_id_l = $a AND unique_id_r = $b", {"a": a, "b": b})
    names = [d[0] for d in cur.description or ()]
    row = dict(zip(names, cur.fetchall()[0], strict=True))
    return {name: float(row[f"mw_{name}"] or 0.0) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
            for name in (*PERSONAL_COMPARISONS, *INFRA_COMPARISONS) if f"mw_{name}" in row}


def ring_members(con: duckdb.DuckDBPyConnection, ring_id: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT account_id FROM q_signals WHERE ring_id = $r ORDER BY account_id",
                                      {"r": ring_id}).fetchall()]


def ring_item(con: duckdb.DuckDBPyConnection, row: dict[str, Any], why: str) -> Item:
    members = ring_members(con, row["ring_id"])
    identifiers = _binding(con, members)
    accounts = _account_rows(con, members)
    return Item("ring", row["ring_id"], tuple(members), why, {
        "entity_count": row["entity_count"], "account_count": row["account_count"],
        "counts": {k: row[f"{k}_count"] for k in ("device", "card", "ip", "email", "phone")},
        "first_seen": str(row["first_seen"]), "last_seen": str(row["last_seen"]),
        "binding_identifiers": identifiers, "accounts": accounts,
    }, ring_id=row["ring_id"], identifiers=tuple(identifiers),
        entity_ids=tuple(sorted({a["entity_id"] for a in accounts.values()})))


def _binding(con: duckdb.DuckDBPyConnection, members: list[str]) -> list[str]:
    """Identifiers two or more of the members' entities used: what binds the ring (detect/rejected.py)."""
    return [r[0] for r in con.execute(
        "SELECT o.kind || ':' || o.value FROM identifier_observations o JOIN entities e USING (account_id) "
        "WHERE list_contains($ids, o.account_id) GROUP BY o.kind, o.value "
        "HAVING count(DISTINCT e.entity_id) >= 2 ORDER BY 1", {"ids": members}).fetchall()]


def _rings(con: duckdb.DuckDBPyConnection, params: dict[str, Any], n: int) -> Iterator[Item]:
    cur = con.execute("""
        SELECT *, device_count + card_count + ip_count + email_count + phone_count AS identifiers FROM q_rings
        WHERE entity_count <= $e + 1 OR device_count + card_count + ip_count + email_count + phone_count <= $i + 1
        ORDER BY entity_count + identifiers, ring_id LIMIT $n
    """, {"e": params["ring_min_entities"], "i": params["ring_min_identifiers"], "n": n})
    names = [d[0] for d in cur.description or ()]
    for row in [dict(zip(names, r, strict=True)) for r in cur.fetchall()]:
        yield ring_item(con, row, (
            f"{row['entity_count']} entities sharing {row['identifiers']} identifiers: near the minimum of a ring "
            f"({params['ring_min_entities']} entities, {params['ring_min_identifiers']} identifiers)"))


def _bridges(con: duckdb.DuckDBPyConnection, n: int) -> Iterator[Item]:
    cur = con.execute("SELECT * FROM q_bridges ORDER BY bridge_value LIMIT $n", {"n": n})
    names = [d[0] for d in cur.description or ()]
    for row in [dict(zip(names, r, strict=True)) for r in cur.fetchall()]:
        accounts = _account_rows(con, list(row["account_ids"]))
        yield Item("bridge", row["bridge_value"], tuple(row["account_ids"]), (
            f"removing entity {row['bridge_value']} splits {', '.join(row['ring_ids']) or 'a ring'} into groups "
            f"of {', '.join(map(str, row['split_sizes']))} entities"),
            {"via": list(row["via"]), "ring_ids": list(row["ring_ids"]), "split_sizes": list(row["split_sizes"]),
             "accounts": accounts}, entity_ids=(row["bridge_value"],))


def _accounts(con: duckdb.DuckDBPyConnection, n: int) -> Iterator[Item]:
    cur = con.execute("""
        SELECT account_id, risk_score, reasons, ring_id, is_bridge, fast_growing FROM q_signals
        WHERE account_id NOT IN (SELECT account_id FROM in_labels)
        ORDER BY risk_score DESC, account_id LIMIT $n
    """, {"n": n})
    names = [d[0] for d in cur.description or ()]
    for row in [dict(zip(names, r, strict=True)) for r in cur.fetchall()]:
        accounts = _account_rows(con, [row["account_id"]])
        yield Item("account", row["account_id"], (row["account_id"],),
                   f"risk score {row['risk_score']:.3f}, no label yet",
                   {"risk_score": row["risk_score"], "reasons": list(row["reasons"] or []), "ring_id": row["ring_id"],
                    "is_bridge": row["is_bridge"], "fast_growing": row["fast_growing"], "accounts": accounts},
                   ring_id=row["ring_id"],
                   entity_ids=tuple(a["entity_id"] for a in accounts.values()))


def find_ring(run_dir: Path, ring_id: str) -> Item:
    """The ring `ring_id` of the run folder as a queue item (members, binding identifiers), for --decide."""
    from ..pseudonym import open_run_db

    run = runfolder.open(run_dir, (runfolder.MANIFEST, runfolder.DB, "signals.parquet", "rings.parquet",
                                   "bridges.parquet"))
    con = open_run_db(run.paths.db)
    try:
        _register_exports(con, run.paths.root)
        cur = con.execute("SELECT * FROM q_rings WHERE ring_id = $r", {"r": ring_id})
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        if not rows:
            raise InputError([Problem(str(run.paths.root / "rings.parquet"), None, "ring_id",
                                      "a ring id of this run", repr(ring_id))])
        return ring_item(con, rows[0], "named by --decide")
    finally:
        con.close()


def account_entities(run_dir: Path, ids: list[str]) -> dict[str, str]:
    """account -> entity in the run folder (accounts not in it are left out)."""
    from ..pseudonym import open_run_db

    run = runfolder.open(run_dir)
    con = open_run_db(run.paths.db)
    try:
        return dict(con.execute("SELECT account_id, entity_id FROM entities WHERE list_contains($ids, account_id)",
                                {"ids": ids}).fetchall())
    finally:
        con.close()
