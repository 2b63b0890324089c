"""Detection on the realistic world (issue 11 item 2): rings and bridges on the strength of evidence, benign
look-alikes (offices, households, kiosks, event wifi, NAT and VPN exits) left out, and the Neo4j backend
equal to the in-process one on it. Seed 105 is held out of all tuning (tuning used seeds 1-3); the figures
below were measured once on it and are asserted with margins (docs/signals.md, "Evidence")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from world_support import run_world

from entity_resolution.demo.world.quality import score_world
from entity_resolution.detect import compute_signals
from entity_resolution.detect.graph import detect_graph
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import wipe

pytestmark = pytest.mark.slow

SEED = 105  # held out: never used to choose a parameter
ACCOUNTS = 5_000
# Measured once (2026-12-05): 15 planted rings, 15 reported, ring recall and precision 0.93 (14 of 15), no benign
# account in a ring (of 4,672), bridges 2 of 3 flagged right and 2 of 3 found (0.67 / 0.67: the 0.9 is not
# met on this seed, see docs/signals.md), 90 % of the burst fast-growing, no quiet ring fast, default-weight
# ROC-AUC 0.964. Before issue 11 ring precision was 0.46-0.71 and 2.8-5.8 % of benign accounts sat in rings.
RING_RECALL = 0.85
RING_PRECISION = 0.85
BENIGN_IN_RINGS = 0.005  # share of benign accounts (issue target; measured 0)
BRIDGE_PRECISION = 0.6
BRIDGE_RECALL = 0.6
BURST_FAST = 0.8


@pytest.fixture(scope="module")
def world_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return run_world(tmp_path_factory.mktemp("world_detect"), seed=SEED, accounts=ACCOUNTS)


def test_rings_and_bridges_on_a_held_out_world(world_run: tuple[Path, Path]) -> None:
    world, run_dir = world_run
    scores = score_world(run_dir, world)
    print({k: v for k, v in scores.items() if not isinstance(v, dict)})  # the measured figures (pytest -s)
    assert scores["ring_recall"] >= RING_RECALL, scores
    assert scores["ring_precision"] >= RING_PRECISION, scores
    assert scores["benign_in_rings_share"] <= BENIGN_IN_RINGS, scores
    assert scores["bridge_precision"] >= BRIDGE_PRECISION, scores
    assert scores["bridge_recall"] >= BRIDGE_RECALL, scores
    assert scores["burst_fast_share"] >= BURST_FAST, scores
    assert scores["stable_ring_fast"] == 0, scores
    assert scores["benign_fast"] == 0, scores


@pytest.fixture
def loaded_world(neo4j_driver: neo4j.Driver, world_run: tuple[Path, Path]) -> Iterator[Path]:
    wipe(neo4j_driver)
    load_run(neo4j_driver, world_run[1])
    yield world_run[1]
    wipe(neo4j_driver)


def test_both_backends_find_the_same_rings_on_the_world(neo4j_driver: neo4j.Driver, loaded_world: Path,
                                                        tmp_path: Path) -> None:
    """The evidence rules run once, in the shared finishing step, on facts each backend computed on its own:
    the outputs are equal row for row, on data with every kind of benign look-alike."""
    (tmp_path / "oracle").mkdir()
    (tmp_path / "graph").mkdir()
    oracle = compute_signals(loaded_world, out_dir=tmp_path / "oracle")
    assert oracle.outputs.rings.num_rows > 0 and oracle.outputs.bridges.num_rows > 0
    graph = detect_graph(neo4j_driver, tmp_path / "graph", use_gds=True, write=False)
    for name in ("signals", "rings", "hubs", "components", "bridges", "ring_events"):
        a, b = getattr(oracle.outputs, name), getattr(graph.outputs, name)
        assert a.schema == b.schema, name
        assert a.equals(b), f"{name} differ ({a.num_rows} vs {b.num_rows} rows)"
