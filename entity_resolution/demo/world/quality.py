"""How well a run folder does on the realistic world: every figure of the detection_quality benchmark
(benchmarks/detection_quality.py describes them), scored in DuckDB against the world's truth files, so a
million accounts take seconds.

    figures = score_world(run_dir, world_dir)   # world_dir: where generate_world wrote (parquet truth files)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

RING_MATCH = 0.5  # Jaccard on accounts for a reported ring to count as a planted one
STABLE_DAYS = 30  # a planted ring with no sign-up in this many days before as-of should not be fast-growing


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


# Views the queries below read (registered by score_world): truth, truth_rings, lookalikes, labels, signals,
# created (account_id, created_at from the run's std_accounts). SQL, so a million accounts score in seconds.
RINGS_SQL = """
WITH planted AS (SELECT ring_id, account_id FROM truth WHERE ring_id IS NOT NULL),
reported AS (SELECT ring_id, account_id FROM signals WHERE ring_id IS NOT NULL),
p_size AS (SELECT ring_id, count(*) AS n FROM planted GROUP BY ring_id),
r_size AS (SELECT ring_id, count(*) AS n FROM reported GROUP BY ring_id),
overlap AS (
    SELECT p.ring_id AS planted_id, r.ring_id AS reported_id, count(*) AS shared
    FROM planted p JOIN reported r USING (account_id) GROUP BY ALL
),
pairs AS (
    SELECT o.planted_id, o.reported_id, o.shared / (ps.n + rs.n - o.shared) AS jaccard
    FROM overlap o JOIN p_size ps ON ps.ring_id = o.planted_id JOIN r_size rs ON rs.ring_id = o.reported_id
),
benign_share AS (
    SELECT r.ring_id, avg((NOT t.is_abusive)::INT) AS share FROM reported r JOIN truth t USING (account_id) GROUP BY ALL
)
SELECT
    (SELECT count(*) FROM p_size),
    (SELECT count(*) FROM r_size),
    (SELECT count(*) FROM (SELECT planted_id FROM pairs GROUP BY ALL HAVING max(jaccard) >= $match)),
    (SELECT count(*) FROM (SELECT reported_id FROM pairs GROUP BY ALL HAVING max(jaccard) >= $match)),
    (SELECT count(*) FROM benign_share WHERE share > 0.5)
"""

BENIGN_IN_RINGS_SQL = """
SELECT count(*) FROM truth JOIN signals USING (account_id) WHERE NOT is_abusive AND signals.ring_id IS NOT NULL
"""

# Benign accounts placed in a ring, per look-alike kind they have ('untagged' for none).
BENIGN_BY_KIND_SQL = """
SELECT coalesce(l.kind, 'untagged') AS kind, count(DISTINCT t.account_id) AS accounts
FROM truth t JOIN signals s USING (account_id) LEFT JOIN lookalikes l USING (account_id)
WHERE NOT t.is_abusive AND s.ring_id IS NOT NULL
GROUP BY ALL ORDER BY accounts DESC, kind
"""

FLAGS_SQL = """
WITH ring_end AS (
    SELECT t.ring_id, any_value(r.kind) AS kind, max(c.created_at) AS last_signup
    FROM truth t JOIN truth_rings r USING (ring_id) JOIN created c USING (account_id)
    GROUP BY ALL
),
a AS (
    SELECT t.account_id, t.is_abusive, t.is_bridge, s.is_bridge AS flagged, s.fast_growing AS fast,
           e.kind AS ring_kind, e.last_signup,
           EXISTS (SELECT 1 FROM lookalikes l WHERE l.account_id = t.account_id AND l.kind = 'event_wifi') AS guest
    FROM truth t JOIN signals s USING (account_id) LEFT JOIN ring_end e ON e.ring_id = t.ring_id
)
SELECT
    count(*) FILTER (WHERE NOT is_abusive),
    count(*),
    count(*) FILTER (WHERE flagged),
    count(*) FILTER (WHERE is_bridge),
    count(*) FILTER (WHERE flagged AND is_bridge),
    avg(fast::INT) FILTER (WHERE ring_kind = 'burst'),
    count(*) FILTER (WHERE fast AND NOT is_abusive),
    count(*) FILTER (WHERE fast AND guest),
    count(*) FILTER (WHERE fast AND ring_kind <> 'burst' AND last_signup <= $cutoff)
FROM a
"""

# Risk on the accounts that carry no label: ROC-AUC (average ranks for ties) and precision at k.
RISK_SQL = """
WITH u AS (
    SELECT s.account_id, s.{score}::DOUBLE AS score, t.is_abusive AS positive
    FROM signals s JOIN truth t USING (account_id)
    WHERE s.account_id NOT IN (SELECT account_id FROM labels)
),
ranked AS (
    SELECT positive, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS r FROM u
),
top AS (SELECT positive, row_number() OVER (ORDER BY score DESC, account_id) AS k FROM u),
n AS (SELECT count(*) FILTER (WHERE positive) AS pos, count(*) FILTER (WHERE NOT positive) AS neg FROM u)
SELECT
    (SELECT pos + neg FROM n),
    (SELECT pos FROM n),
    (SELECT (sum(r) FILTER (WHERE positive) - any_value(pos) * (any_value(pos) + 1) / 2.0)
            / nullif(any_value(pos) * any_value(neg), 0) FROM ranked, n),
    (SELECT avg(positive::INT) FROM top WHERE k <= 100),
    (SELECT avg(positive::INT) FROM top, n WHERE k <= n.pos)
"""


def score_world(run_dir: Path, world_dir: Path) -> dict[str, Any]:
    """Every figure of the detection_quality benchmark for one run folder of one world."""
    import duckdb

    from entity_resolution.dbutil import one_row
    from entity_resolution.evaluate import score_run
    from entity_resolution.runfolder import open as open_run_folder

    er = score_run(run_dir, world_dir / "truth.parquet")
    as_of = open_run_folder(run_dir).manifest.as_of
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for view, name in (
            ("truth", "truth"),
            ("truth_rings", "truth_rings"),
            ("lookalikes", "truth_lookalikes"),
            ("labels", "labels"),
        ):
            con.read_parquet(str(world_dir / f"{name}.parquet")).create_view(view)
        signals = con.read_parquet(str(run_dir / "signals.parquet"))
        signals.select("account_id, ring_id, is_bridge, fast_growing, risk_score, component_size").create_view(
            "signals_only"
        )
        # With labels the risk is learned (docs/signals.md); risk_features keeps the default-weight score beside it.
        learned = run_dir / "risk_features.parquet"
        if learned.is_file():
            con.read_parquet(str(learned)).select("account_id, default_risk_score").create_view("default_risk")
        else:
            con.sql("SELECT account_id, risk_score AS default_risk_score FROM signals_only").create_view("default_risk")
        con.sql("SELECT * FROM signals_only JOIN default_risk USING (account_id)").create_view("signals")
        run_db = duckdb.connect(str(run_dir / "er.duckdb"), read_only=True)
        try:
            created = run_db.sql("SELECT account_id, created_at FROM std_accounts").to_arrow_table()
        finally:
            run_db.close()
        con.register("created", created)
        planted, reported, found, right, benign_rings = one_row(con, RINGS_SQL, {"match": RING_MATCH})
        by_kind = con.execute(BENIGN_BY_KIND_SQL).fetchall()
        flags = one_row(con, FLAGS_SQL, {"cutoff": as_of - timedelta(days=STABLE_DAYS)})
        benign, accounts, flagged, bridges, both, burst_fast, benign_fast, guest_fast, stable_fast = flags
        unlabelled, abusive, auc, p100, p_r = one_row(con, RISK_SQL.format(score="risk_score"))
        cc_auc = one_row(con, RISK_SQL.format(score="component_size"))[2]
        default = one_row(con, RISK_SQL.format(score="default_risk_score"))
        in_rings = one_row(con, BENIGN_IN_RINGS_SQL)[0]
    finally:
        con.close()
    f1 = _ratio(2 * er.cluster_precision * er.cluster_recall, er.cluster_precision + er.cluster_recall)
    nan = float("nan")
    return {
        "accounts": accounts,
        "benign_accounts": benign,
        "er_precision": er.cluster_precision,
        "er_recall": er.cluster_recall,
        "er_f1": f1,
        "largest_entity": er.largest_entity,
        "planted_rings": planted,
        "reported_rings": reported,
        "ring_recall": _ratio(found, planted),
        "ring_precision": _ratio(right, reported),
        "benign_rings": benign_rings,
        "benign_in_rings": in_rings,
        "benign_in_rings_share": _ratio(in_rings, benign),
        "benign_in_rings_by_kind": {k: {"accounts": v, "share_of_benign": _ratio(v, benign)} for k, v in by_kind},
        "bridges_flagged": flagged,
        "bridges_planted": bridges,
        "bridge_precision": _ratio(both, flagged),
        "bridge_recall": _ratio(both, bridges),
        "burst_fast_share": nan if burst_fast is None else float(burst_fast),
        "benign_fast": benign_fast,
        "event_guest_fast": guest_fast,
        "stable_ring_fast": stable_fast,
        "unlabelled_accounts": unlabelled,
        "unlabelled_abusive": abusive,
        "risk_auc": nan if auc is None else float(auc),
        "risk_learned": learned.is_file(),
        # The default-weight score of the same run (the risk_score itself without labels).
        "default_auc": nan if default[2] is None else float(default[2]),
        "default_precision_at_100": nan if default[3] is None else float(default[3]),
        "default_precision_at_r": nan if default[4] is None else float(default[4]),
        # The baseline the issue compares with: connected components with hubs removed, scored by size.
        "component_size_auc": nan if cc_auc is None else float(cc_auc),
        "precision_at_100": nan if p100 is None else float(p100),
        "precision_at_r": nan if p_r is None else float(p_r),
    }
