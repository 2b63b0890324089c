"""The figures of a run report, read from a detection folder and its run folder (sources.py): counts, the
model's match weights, the distribution of match probabilities, ring sizes and growth, top rings, hubs and the
point-in-time label quality. Aggregation runs in DuckDB over the Parquet exports, so a large run costs a few
scans, not a Python loop per account."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..runfolder import RunPaths
from .quality import LabelQuality, label_quality
from .sources import Detection, read_labels

TOP_RINGS = 10
TOP_HUBS = 15
GROWTH_RINGS = 6  # rings drawn one by one in the growth chart; the others are summed
PROBABILITY_BINS = 50
# risk_score at or above which an account is counted as high-risk: the HighRisk mark of the graph
# (detect/marks.py), not imported from there because that module needs the Neo4j driver.
HIGH_RISK = 0.8


@dataclass(frozen=True)
class MatchWeight:
    comparison: str
    level: str
    weight: float  # log2(m / u): the Bayes factor of the level, in bits


@dataclass(frozen=True)
class Ring:
    ring_id: str
    accounts: int
    entities: int
    shared: str  # "4 devices, 3 cards, 1 IP"
    growth_7d: int
    first_seen: datetime | None
    last_seen: datetime | None
    bridges: int
    reasons: list[str]  # its highest-risk member's top reasons


@dataclass(frozen=True)
class ReportData:
    title: str
    detection: Detection
    counts: dict[str, Any]  # figure -> value, in the order shown
    prior_weight: float | None = None
    match_weights: list[MatchWeight] = field(default_factory=list)
    probability_bins: list[tuple[float, int]] = field(default_factory=list)  # (bin start, links)
    weight_bins: list[tuple[float, int]] = field(default_factory=list)  # (whole bits, links)
    ring_sizes: list[int] = field(default_factory=list)
    growth: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)  # ring -> (week, sign-ups)
    top_rings: list[Ring] = field(default_factory=list)
    hubs: list[dict[str, Any]] = field(default_factory=list)
    quality: LabelQuality | None = None
    notes: list[str] = field(default_factory=list)  # what is left out, and why


def collect(det: Detection, *, labels_from: Path | None = None) -> ReportData:
    """Every figure of the report of `det`; labels_from: a run folder whose decisions to use instead of the
    detection's own run folder's."""
    import duckdb

    notes: list[str] = []
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        signals = det.signals(["account_id", "ring_id", "risk_score", "reasons", "is_bridge", "fast_growing"])
        con.register("r_signals", signals)
        counts = _counts(det, con)
        rings = det.table("rings")
        top, sizes = ([], []) if rings is None else _rings(con, rings)
        hubs = det.table("hubs")
        hub_rows = [] if hubs is None else _hubs(con, hubs)
        prior: float | None = None
        weights: list[MatchWeight] = []
        bins: list[tuple[float, int]] = []
        weight_bins: list[tuple[float, int]] = []
        growth: dict[str, list[tuple[datetime, int]]] = {}
        if det.run is None:
            notes.append("The model, the match probabilities and ring growth by sign-up week need the run folder "
                         "this detection scored; it is not at hand (detection on the graph, or the folder moved).")
        else:
            run_prior = det.run_manifest.model.prior if det.run_manifest is not None else None
            prior, weights = match_weights(RunPaths(det.run).model, run_prior)
            bins, weight_bins = _link_bins(con, RunPaths(det.run).links)
            growth = ring_growth(con, det, [r.ring_id for r in top[:GROWTH_RINGS]])
        labels = read_labels(labels_from or det.run)
        quality = label_quality(signals, labels, det.as_of) if labels is not None else None
        if quality is None:
            notes.append("No enforcement decision known at the as-of: no label quality figures.")
    finally:
        con.close()
    title = f"Run report: {det.run_id or det.detection_id}"
    return ReportData(title=title, detection=det, counts=counts, prior_weight=prior, match_weights=weights,
                      probability_bins=bins, weight_bins=weight_bins, ring_sizes=sizes, growth=growth,
                      top_rings=top, hubs=hub_rows, quality=quality, notes=notes)


def _counts(det: Detection, con: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"detection": det.detection_id, "backend": det.manifest.get("backend"),
                           "as of": det.as_of.isoformat()}
    if det.run_manifest is not None:
        rows = det.run_manifest.row_counts
        out.update({"run": det.run_manifest.run_id, "run as of": det.run_manifest.as_of.isoformat()})
        for key in ("accounts_rows", "devices_rows", "payments_rows", "labels_rows", "entities", "links",
                    "same_person_links", "largest_entity"):
            if key in rows:
                out[key.replace("_rows", " rows").replace("_", " ")] = rows[key]
    for key, value in (det.manifest.get("counts") or {}).items():
        out[f"detection: {key.replace('_', ' ')}"] = value
    ((risky,),) = con.execute("SELECT count(*) FILTER (WHERE risk_score >= $t) FROM r_signals",
                              {"t": HIGH_RISK}).fetchall()
    out[f"detection: accounts with risk >= {HIGH_RISK}"] = int(risky)
    return out


def match_weights(model_path: Path, prior: float | None = None) -> tuple[float | None, list[MatchWeight]]:
    """The prior's and every comparison level's match weight, as Splink computes them from the model JSON
    (its parameter records: log2 m/u with its clamping); null levels (weight 0 by definition) are left out.
    prior: the probability the run actually used (the manifest's: a run re-estimates it for its own size,
    match/resolve.py), else the model's."""
    if not model_path.is_file():
        return None, []
    from splink import SettingsCreator

    records = SettingsCreator.from_path_or_dict(str(model_path)).get_settings("duckdb") \
        .core_model_settings.parameters_as_detailed_records
    prior_weight = math.log2(prior / (1 - prior)) if prior is not None and 0 < prior < 1 else None
    out = []
    for r in records:
        if r.comparison_name == "probability_two_random_records_match":
            prior_weight = r.log2_bayes_factor if prior_weight is None else prior_weight
        elif not r.is_null_level and r.m_probability is not None and r.u_probability is not None:
            out.append(MatchWeight(str(r.comparison_name), str(r.label_for_charts), float(r.log2_bayes_factor)))
    return prior_weight, out


def _link_bins(con: Any, links: Path) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
    """Links per match-probability bin and per whole bit of match weight (the probabilities of a good model
    crowd next to 1, where the weights still spread)."""
    if not links.is_file():
        return [], []
    source = {"path": str(links)}
    prob = con.execute("SELECT least(floor(match_probability * $n), $n - 1) AS b, count(*) FROM read_parquet($path) "
                       "GROUP BY b ORDER BY b", {"n": PROBABILITY_BINS, **source}).fetchall()
    weight = con.execute("SELECT floor(match_weight) AS b, count(*) FROM read_parquet($path) GROUP BY b ORDER BY b",
                         source).fetchall()
    return ([(float(b) / PROBABILITY_BINS, int(c)) for b, c in prob], [(float(b), int(c)) for b, c in weight])


_RINGS_SQL = """
SELECT r.ring_id, r.account_count, r.entity_count, r.device_count, r.card_count, r.ip_count, r.email_count,
       r.phone_count, r.growth_7d, r.first_seen, r.last_seen, len(coalesce(r.bridge_account_ids, [])) AS bridges,
       (SELECT s.reasons FROM r_signals s WHERE s.ring_id = r.ring_id
        ORDER BY s.risk_score DESC, s.account_id LIMIT 1) AS reasons
FROM r_rings r
ORDER BY r.account_count DESC, r.ring_id
LIMIT $n
"""


def _rings(con: Any, rings: pa.Table) -> tuple[list[Ring], list[int]]:
    con.register("r_rings", rings)
    top = []
    for r in con.execute(_RINGS_SQL, {"n": TOP_RINGS}).fetchall():
        kinds = zip(("device", "card", "IP", "e-mail", "phone"), r[3:8], strict=True)
        shared = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds if n)
        top.append(Ring(ring_id=r[0], accounts=int(r[1]), entities=int(r[2]), shared=shared or "-",
                        growth_7d=int(r[8] or 0), first_seen=r[9], last_seen=r[10], bridges=int(r[11]),
                        reasons=list(r[12] or [])[:4]))
    sizes = [int(n) for n in rings["account_count"].to_pylist()]
    return top, sizes


def _hubs(con: Any, hubs: pa.Table) -> list[dict[str, Any]]:
    con.register("r_hubs", hubs)
    return list(con.sql("SELECT * FROM r_hubs ORDER BY entity_count DESC, kind, value LIMIT $n",
                        params={"n": TOP_HUBS}).to_arrow_table().to_pylist())


def ring_growth(con: Any, det: Detection, ring_ids: list[str]) -> dict[str, list[tuple[datetime, int]]]:
    """Weekly sign-ups of ring members up to the as-of: each of `ring_ids`, then every other ring summed."""
    from ..pseudonym import open_run_db

    assert det.run is not None
    run = open_run_db(RunPaths(det.run).db)
    try:
        created = run.sql("SELECT account_id, created_at FROM std_accounts").to_arrow_table()
    finally:
        run.close()
    con.register("r_created", created)
    rows = con.execute(
        "SELECT CASE WHEN list_contains($top, s.ring_id) THEN s.ring_id ELSE 'other rings' END AS ring, "
        "date_trunc('week', c.created_at) AS week, count(*) FROM r_signals s JOIN r_created c USING (account_id) "
        "WHERE s.ring_id IS NOT NULL AND c.created_at <= $as_of GROUP BY ring, week ORDER BY ring, week",
        {"top": ring_ids, "as_of": det.as_of}).fetchall()
    out: dict[str, list[tuple[datetime, int]]] = {}
    for ring, week, n in rows:
        out.setdefault(ring, []).append((week, int(n)))
    return out
