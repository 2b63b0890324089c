"""Neo4j detection (GDS and plain Cypher/APOC) agrees with the in-process oracle on the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from entity_resolution import pipeline
from entity_resolution.cli.detect import register
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.detect import compute_signals
from entity_resolution.detect.core import DetectResult
from entity_resolution.detect.export import LATEST, exports
from entity_resolution.detect.graph import detect_graph, has_gds
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.snapshot import wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings


@pytest.fixture(scope="module")
def loaded(neo4j_driver: neo4j.Driver, demo_data: GeneratedPaths,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DetectResult]]:
    """The demo run, detected in-process (the oracle) and loaded into an emptied graph."""
    run = tmp_path_factory.mktemp("detect_neo4j") / "run"
    pipeline.run(Inputs(demo_data.accounts, demo_data.devices, demo_data.payments), run, Settings())
    oracle = compute_signals(run, out_dir=tmp_path_factory.mktemp("oracle"))
    wipe(neo4j_driver)
    load_run(neo4j_driver, run)
    yield run, oracle
    wipe(neo4j_driver)


def _same(a: pa.Table, b: pa.Table, name: str) -> None:
    assert a.schema == b.schema, name
    if not a.equals(b):
        rows = [(x, y) for x, y in zip(a.to_pylist(), b.to_pylist(), strict=False) if x != y][:3]
        pytest.fail(f"{name} differ ({a.num_rows} vs {b.num_rows} rows), e.g. {rows}")


def _count(driver: neo4j.Driver, query: str, **params: object) -> int:
    records, _, _ = driver.execute_query(query, params)  # test-only queries, values as parameters
    return int(records[0][0])


def test_gds_then_cypher_match_the_oracle(neo4j_driver: neo4j.Driver, loaded: tuple[Path, DetectResult],
                                          tmp_path: Path) -> None:
    _, oracle = loaded
    assert has_gds(neo4j_driver, "neo4j"), "the managed server should have GDS"
    (tmp_path / "gds").mkdir()
    gds = detect_graph(neo4j_driver, tmp_path / "gds", use_gds=True)
    assert gds.backend == "neo4j-gds"
    # first detection in the graph: same rings, bridges, growth, signals and ids as in-process
    for name in ("signals", "rings", "hubs", "components", "bridges", "ring_events"):
        _same(getattr(oracle.outputs, name), getattr(gds.outputs, name), f"gds {name}")
    (tmp_path / "cypher").mkdir()
    plain = detect_graph(neo4j_driver, tmp_path / "cypher", use_gds=False)
    assert plain.backend == "neo4j-cypher"
    for name in ("signals", "rings", "hubs", "bridges"):
        _same(getattr(oracle.outputs, name), getattr(plain.outputs, name), f"cypher {name}")
    growth = ["component_id", "entity_count", "account_count", "growth_1d", "growth_7d", "growth_30d", "fast_growing"]
    _same(oracle.outputs.components.select(growth), plain.outputs.components.select(growth), "cypher growth")
    # ring ids carried over from the detection stored in the graph: nothing changed
    assert plain.outputs.ring_events.num_rows == 0


def test_results_are_written_back(neo4j_driver: neo4j.Driver, loaded: tuple[Path, DetectResult],
                                  tmp_path: Path) -> None:
    _, oracle = loaded
    result = detect_graph(neo4j_driver, tmp_path)
    rings = result.outputs.rings.num_rows
    members = result.counts["accounts_in_rings"]
    assert rings == oracle.outputs.rings.num_rows > 0
    assert _count(neo4j_driver, "MATCH (r:Ring) WHERE r.active AND r.detection_id = $d RETURN count(r)",
                  d=result.detection_id) == rings
    assert _count(neo4j_driver, "MATCH (:Account)-[m:IN_RING]->(:Ring) WHERE m.detection_id = $d RETURN count(m)",
                  d=result.detection_id) == members
    assert _count(neo4j_driver, "MATCH (a:Account) WHERE a.detection_run_id = $r RETURN count(a)",
                  r=result.run_id) == result.counts["accounts"]
    assert _count(neo4j_driver, "MATCH (a:Account) WHERE a.is_bridge RETURN count(a)") == result.counts[
        "bridge_accounts"]
    assert _count(neo4j_driver, "MATCH (e:Entity) WHERE e.is_bridge RETURN count(e)") > 0
    assert _count(neo4j_driver, "MATCH (i) WHERE i.hub_detection_id = $d RETURN count(i)",
                  d=result.detection_id) == result.counts["hubs"]
    # every account in a ring points at exactly one active ring, the one in its signals
    assert _count(neo4j_driver, "MATCH (a:Account) WHERE count { (a)-[:IN_RING]->() } > 1 RETURN count(a)") == 0
    assert _count(neo4j_driver, "MATCH (a:Account)-[:IN_RING]->(r:Ring) WHERE a.ring_id <> r.ring_id "
                                "RETURN count(a)") == 0


def test_er_detect_exports_from_the_graph(neo4j_driver: neo4j.Driver, loaded: tuple[Path, DetectResult],
                                          tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root."""

    register(app)
    _, oracle = loaded
    root = tmp_path / "exports"
    for _ in range(2):
        result = CliRunner().invoke(app, ["detect", "--out", str(root)])
        assert result.exit_code == 0, result.output
    _, second = exports(root)
    assert (root / LATEST).resolve() == second.resolve()
    _same(oracle.outputs.rings, pq.read_table(second / "rings.parquet"), "exported rings")
    assert pq.read_table(second / "ring_events.parquet").num_rows == 0  # diffed against the first export


def test_learned_risk_is_the_same_on_both_backends(neo4j_driver: neo4j.Driver, loaded: tuple[Path, DetectResult],
                                                   demo_data: GeneratedPaths, tmp_path: Path) -> None:
    """With labels, the learned risk (features from facts and from the shared edges each backend hands over)
    is the same row for row: the graph path reads its edges from SHARES, the in-process one from SQL."""
    import duckdb

    from entity_resolution.detect import DetectSettings
    from entity_resolution.detect.finish import finish
    from entity_resolution.detect.inprocess import compute_facts
    from entity_resolution.detect.labels import RAW

    run, _ = loaded
    labels = duckdb.sql("SELECT account_id, label, decided_at::TIMESTAMPTZ AS decided_at, origin "
                        "FROM read_csv($p, all_varchar = true)", params={"p": str(demo_data.labels)}
                        ).to_arrow_table().cast(RAW)
    settings = DetectSettings()
    facts = compute_facts(run, settings)
    assert facts.edges.num_rows > 0
    oracle = finish(facts, settings, None, labels)
    assert oracle.risk is not None and oracle.risk["model"].startswith("logistic regression")
    graph = detect_graph(neo4j_driver, tmp_path, settings, use_gds=True, write=False, labels=labels)
    _same(oracle.signals.select(["account_id", "risk_score", "reasons"]),
          graph.outputs.signals.select(["account_id", "risk_score", "reasons"]), "learned risk")
    assert any("learned from" in r[0] for r in graph.outputs.signals["reasons"].to_pylist() if r)
    assert graph.outputs.risk is not None and graph.outputs.risk["coefficients"] == oracle.risk["coefficients"]
    manifest = (tmp_path / "detect_manifest.json").read_text(encoding="utf-8")
    assert '"risk"' in manifest and (tmp_path / "risk_features.parquet").is_file()
