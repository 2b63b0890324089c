"""Resolution on the realistic world (issue 11 item 3): families and ring identities stay apart, a person's own
accounts still merge. Seed 104 is held out of all tuning (tuning used seeds 1-3); the figures below were
measured once on it and asserted with margins (docs/signals.md, "Resolution: shared values and the identity
veto")."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from world_support import run_world

from entity_resolution.evaluate import score_run

pytestmark = pytest.mark.slow

SEED = 104  # held out: never used to choose a parameter
ACCOUNTS = 5_000
# Measured once (2026-12-04): cluster precision 0.9989, recall 0.9898, largest entity 4; of the false pairs 1 in
# one household, 0 in one ring (884 true pairs). Before issue 11 precision was 0.85-0.95 on such worlds.
PRECISION = 0.99
RECALL = 0.975  # today's recall on the realistic world before this change: 0.97-0.98; it must not collapse
HOUSEHOLD_PAIRS = 5
RING_PAIRS = 2


@pytest.fixture(scope="module")
def world_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return run_world(tmp_path_factory.mktemp("world"), seed=SEED, accounts=ACCOUNTS)


def test_precision_and_recall_on_a_held_out_world(world_run: tuple[Path, Path]) -> None:
    world, run_dir = world_run
    scores = score_run(run_dir, world / "truth.parquet")
    assert scores.cluster_precision >= PRECISION, scores
    assert scores.cluster_recall >= RECALL, scores
    assert scores.largest_entity <= 6, scores


def test_households_and_rings_are_not_merged(world_run: tuple[Path, Path]) -> None:
    """Pairs of accounts put in one entity that belong to two members of one household or two identities of
    one ring: these were 302 of 303 false merges before (seed 101, 10,000 accounts)."""
    world, run_dir = world_run
    con = duckdb.connect()
    con.read_parquet(str(world / "truth.parquet")).create_view("truth")
    con.read_parquet(str(run_dir / "entities.parquet")).create_view("entities")
    household, ring = con.execute("""
        WITH e AS (SELECT * FROM entities JOIN truth USING (account_id))
        SELECT count(*) FILTER (WHERE a.household_id = b.household_id),
               count(*) FILTER (WHERE a.ring_id = b.ring_id)
        FROM e a JOIN e b ON a.entity_id = b.entity_id AND a.account_id < b.account_id
        WHERE a.person_id <> b.person_id
    """).fetchall()[0]
    households = con.execute("SELECT count(DISTINCT household_id) FROM truth").fetchall()[0][0]
    assert households >= 50  # the world has families to keep apart
    assert household <= HOUSEHOLD_PAIRS
    assert ring <= RING_PAIRS


def test_shared_landlines_and_voip_numbers_are_found(world_run: tuple[Path, Path]) -> None:
    world, run_dir = world_run
    con = duckdb.connect()
    con.execute("ATTACH $p AS run (READ_ONLY)", {"p": str(run_dir / "er.duckdb")})
    con.read_parquet(str(world / "truth.parquet")).create_view("truth")
    # whose phones were found shared: a household's landline or a ring's VoIP number
    families, rings = con.execute("""
        WITH holders AS (
            SELECT s.value, t.household_id, t.ring_id
            FROM run.resolution_shared s JOIN run.std_accounts a ON s.kind = 'phone' AND a.phone_e164 = s.value
            JOIN truth t USING (account_id)
        )
        SELECT count(*) FILTER (WHERE household), count(*) FILTER (WHERE ring)
        FROM (SELECT value, count(DISTINCT household_id) = 1 AND count(household_id) = count(*) AS household,
                     count(DISTINCT ring_id) = 1 AND count(ring_id) = count(*) AS ring
              FROM holders GROUP BY value)
    """).fetchall()[0]
    assert families > 0 and rings > 0, (families, rings)
    # every shared value is out of the profiles, as hubs are
    leaked = con.execute("""
        SELECT count(*) FROM run.profiles p JOIN run.resolution_shared s ON s.kind = 'phone' AND s.value = p.phone
    """).fetchall()[0][0]
    assert leaked == 0
