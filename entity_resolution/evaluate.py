"""Accuracy against ground truth (account_id -> person_id): pairwise and cluster-level precision/recall."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from .dbutil import one_row
from .runfolder import RunPaths


@dataclass(frozen=True)
class Scores:
    link_precision: float  # of 'same person' links, the share joining one true person
    link_recall: float  # of true same-person account pairs, the share joined directly by a link
    cluster_precision: float  # of account pairs put in one entity, the share that are one person
    cluster_recall: float  # of true same-person pairs, the share put in one entity
    largest_entity: int
    true_pairs: int
    predicted_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(self).items()}


SCORES_SQL = """
WITH t AS (SELECT account_id, person_id FROM truth),
e AS (SELECT account_id, entity_id FROM entities),
true_pairs AS (SELECT coalesce(sum(n * (n - 1) / 2), 0) AS n FROM (SELECT count(*) n FROM t GROUP BY person_id)),
pred_pairs AS (SELECT coalesce(sum(n * (n - 1) / 2), 0) AS n FROM (SELECT count(*) n FROM e GROUP BY entity_id)),
both_pairs AS (
    SELECT coalesce(sum(n * (n - 1) / 2), 0) AS n
    FROM (SELECT count(*) n FROM e JOIN t USING (account_id) GROUP BY entity_id, person_id)
),
l AS (
    SELECT tl.person_id = tr.person_id AS correct
    FROM links k
    JOIN t tl ON tl.account_id = k.account_id_l
    JOIN t tr ON tr.account_id = k.account_id_r
    WHERE k.same_person
)
SELECT
    (SELECT coalesce(avg(correct::INT), 1.0) FROM l),
    (SELECT count(*) FILTER (WHERE correct) FROM l) / greatest((SELECT n FROM true_pairs), 1),
    (SELECT n FROM both_pairs) / greatest((SELECT n FROM pred_pairs), 1),
    (SELECT n FROM both_pairs) / greatest((SELECT n FROM true_pairs), 1),
    (SELECT max(n) FROM (SELECT count(*) n FROM e GROUP BY entity_id)),
    (SELECT n FROM true_pairs),
    (SELECT n FROM pred_pairs)
"""


def score_run(run_dir: Path, truth_path: Path) -> Scores:
    """Score a run folder (entities.parquet, links.parquet) against a truth file with person_id."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        # Relations take the paths as values; no path is formatted into SQL.
        con.read_parquet(str(truth_path)).create_view("truth")
        run = RunPaths(run_dir)
        con.read_parquet(str(run.entities)).create_view("entities")
        con.read_parquet(str(run.links)).create_view("links")
        row = one_row(con, SCORES_SQL)
    finally:
        con.close()
    assert row is not None
    return Scores(float(row[0]), float(row[1]), float(row[2]), float(row[3]), int(row[4]), int(row[5]),
                  int(row[6]))
