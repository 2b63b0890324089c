"""The Neo4j backend: the cypher/detect/*.cypher queries on the current graph, GDS when it is installed.

Steps (each a file in cypher/detect/): identifier degrees -> hubs -> SHARES links (the detection graph) ->
components (gds.wcc, else an APOC walk) -> facts (accounts, component growth, the shared edges and what each
linked entity uses). The shared finishing step (rings and bridges on the evidence, ring ids, risk: the same
Python for both backends) then runs and the results are written back:
Ring nodes, (:Account)-[:IN_RING]->(:Ring), signal properties on accounts and entities, all tagged with the
detection id and the run id, between a Detection node's start and its completion (see write_back). Working
properties (detect_*) and SHARES links stay until the next detection, so investigators can look at the graph
detection used.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from neo4j import Driver
from neo4j.exceptions import ClientError

from ..errors import GraphError
from ..graph.cypher import load_cypher
from ..progress import PhaseTimer, ProgressFn
from . import facts as F
from .core import DetectResult, detection_id, write_detection
from .finish import Outputs, Previous
from .marks import write_marks
from .rejected import RejectedRing
from .settings import DetectSettings

BATCH = 5000


def has_gds(driver: Driver, database: str) -> bool:
    """True when `RETURN gds.version()` works (the plugin is installed and allowed)."""
    try:
        driver.execute_query(load_cypher("detect/gds_version"), database_=database)
    except ClientError:
        return False
    return True


def _require_apoc(driver: Driver, database: str) -> None:
    try:
        driver.execute_query(load_cypher("detect/apoc_version"), database_=database)
    except ClientError as exc:
        raise GraphError("detection on Neo4j needs the APOC plugin (apoc.path.subgraphNodes); "
                         "the managed server (`er neo4j start`) installs it") from exc


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


class _Runner:
    def __init__(self, driver: Driver, database: str, progress: ProgressFn | None) -> None:
        self.driver, self.database = driver, database
        self.step = PhaseTimer(progress).phase  # with run.step("rings"): reported as a phase

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(load_cypher(name), params, database_=self.database)
        return [{k: _native(v) for k, v in r.items()} for r in records]

    def auto(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run in an auto-commit transaction (needed by CALL ... IN TRANSACTIONS)."""
        with self.driver.session(database=self.database) as session:
            result = session.run(load_cypher(name), params)
            return [{k: _native(v) for k, v in r.items()} for r in result]

    def columns(self, name: str, schema: pa.Schema, **params: Any) -> pa.Table:
        """A query returning one record of columns (a list per field of schema; timestamps as epoch
        microseconds), as an Arrow table: no per-row Python work on results of millions of rows."""
        records, _, _ = self.driver.execute_query(load_cypher(name), params, database_=self.database)
        (record,) = records  # aggregation without grouping keys: always exactly one record
        arrays = [pa.array(record[f.name], pa.int64()).cast(f.type) if pa.types.is_timestamp(f.type)
                  else pa.array(record[f.name], f.type) for f in schema]
        return pa.Table.from_arrays(arrays, schema=schema)

    def write_rows(self, name: str, rows: list[dict[str, Any]], **params: Any) -> None:
        query = load_cypher(name)
        for start in range(0, len(rows), BATCH):
            self.driver.execute_query(query, {"rows": rows[start:start + BATCH], **params}, database_=self.database)


def current_run(driver: Driver, database: str = "neo4j") -> tuple[str, datetime]:
    records, _, _ = driver.execute_query(load_cypher("detect/current_run"), database_=database)
    if not records:
        raise GraphError("the graph holds no completely loaded run: load one with `er load --from RUN`")
    as_of = _native(records[0]["as_of"])
    return str(records[0]["run_id"]), as_of.astimezone(UTC)


def previous_from_graph(driver: Driver, database: str = "neo4j") -> Previous | None:
    """The last detection written to the graph, or None when there was none."""
    run = _Runner(driver, database, None)
    accounts = frozenset(r["account_id"] for r in run.read("detect/previous_accounts"))
    if not accounts:
        return None
    rings = {r["ring_id"]: frozenset(r["account_ids"]) for r in run.read("detect/previous_rings")}
    return Previous(source="graph", rings=rings, accounts=pa.array(sorted(accounts), pa.string()))


def graph_facts(driver: Driver, settings: DetectSettings, *, det_id: str, database: str = "neo4j",
                use_gds: bool | None = None, progress: ProgressFn | None = None) -> F.Facts:
    """Run the detection queries on the graph and return the facts (working properties stay in the graph)."""
    _require_apoc(driver, database)
    gds = has_gds(driver, database) if use_gds is None else use_gds
    run = _Runner(driver, database, progress)
    run_id, run_as_of = current_run(driver, database)
    as_of = settings.as_of or run_as_of
    if as_of > run_as_of:
        raise GraphError(f"as_of {as_of.isoformat()} is after the loaded run's as_of {run_as_of.isoformat()}")
    graph_name = f"er-{det_id}"
    try:
        with run.step("reset"):
            run.auto("detect/reset_shares")
            run.auto("detect/reset_scratch")
        with run.step("hubs"):
            degrees = [int(r["entity_count"]) for r in run.auto("detect/identifier_degrees", as_of=as_of)]
            threshold = settings.hub_threshold(degrees)
            hubs = run.read("detect/hubs", threshold=threshold, detection_id=det_id)
            run.auto("detect/link_entities", as_of=as_of, threshold=threshold, detection_id=det_id)
        projected = False
        if gds:
            with run.step("projection"):  # its own phase: at scale it and the algorithm cost differently
                projected = _project(run, graph_name)
        with run.step("components"):
            if projected:
                run.read("detect/gds_components", graph=graph_name)
            elif not gds:
                run.auto("detect/apoc_components")
        with run.step("facts"):
            accounts = run.columns("detect/account_facts", F.ACCOUNTS, as_of=as_of)
            components = _component_growth(accounts, as_of)
            edges = run.columns("detect/shared_edges", F.EDGES, detection_id=det_id)
            entities = run.columns("detect/entity_identifiers", F.ENTITIES, as_of=as_of, detection_id=det_id)
    finally:
        if gds:
            _drop(run, graph_name)
    return F.Facts(
        run_id=run_id, as_of=as_of, backend="neo4j-gds" if gds else "neo4j-cypher", hub_threshold=threshold,
        accounts=accounts, components=components, hubs=F.table(hubs, F.HUBS), edges=edges, entities=entities,
    )


def _component_growth(accounts: pa.Table, as_of: datetime) -> pa.Table:
    """Size and growth of every component, from the account facts with the in-process SQL: the account rows
    already carry component, entity and sign-up time, so a second walk of MEMBER_OF in the graph is not needed."""
    import duckdb

    from .inprocess import components_sql

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET VARIABLE as_of = $t::TIMESTAMPTZ", {"t": as_of})
        con.register("d_facts", accounts)
        return con.sql(components_sql()).to_arrow_table().cast(F.COMPONENTS)
    finally:
        con.close()


def _project(run: _Runner, graph_name: str) -> bool:
    """Project the detection graph; False when it is empty (nothing is shared)."""
    rows = run.read("detect/gds_project", graph=graph_name)
    return bool(rows and rows[0]["nodes"])  # no rows to aggregate: GDS returns nulls, creates nothing


def _drop(run: _Runner, graph_name: str) -> None:
    run.read("detect/gds_drop", graph=graph_name)


def undo_unfinished(driver: Driver, database: str = "neo4j") -> list[str]:
    """Take back what detections that died during their write-back wrote; returns their ids.

    Their rings and memberships would otherwise pass for the previous detection's (ring ids, growth). Each step
    is idempotent and the Detection node goes last, so a kill during the undo only means undoing again.
    """
    run = _Runner(driver, database, None)
    ids = [r["detection_id"] for r in run.read("detect/incomplete_detections")]
    if ids:
        run.auto("detect/undo_ring_members", detection_ids=ids)
        run.auto("detect/undo_rings", detection_ids=ids)
        run.read("detect/undo_retired_rings", detection_ids=ids)
        run.auto("detect/undo_account_marks", detection_ids=ids)
        run.read("detect/forget_detections", detection_ids=ids)
    return ids


def write_back(driver: Driver, outputs: Outputs, facts: F.Facts, det_id: str, database: str = "neo4j",
               progress: ProgressFn | None = None, labels: pa.Table | None = None) -> None:
    """Rings, memberships and signal properties into the graph, tagged with the detection and run ids.

    Crash-safe: a Detection node marks the write-back as under way and then complete. The previous detection's
    memberships stay until this one is complete (the previous-detection queries read them by detection id),
    and undo_unfinished() takes back the writes of a detection that never completed.
    """
    run = _Runner(driver, database, progress)
    signals = outputs.signals.to_pylist()
    entities: dict[str, dict[str, Any]] = {}
    for s in signals:
        e = entities.setdefault(s["entity_id"], {"entity_id": s["entity_id"], "component_id": s["component_id"],
                                                 "ring_id": s["ring_id"], "is_bridge": False, "risk_score": 0.0})
        e["is_bridge"] = e["is_bridge"] or s["is_bridge"]
        e["risk_score"] = max(e["risk_score"], s["risk_score"])
    tags = {"detection_id": det_id, "run_id": facts.run_id}
    with run.step("write rings"):
        run.read("detect/begin_detection", **tags)
        run.write_rows("detect/write_rings", outputs.rings.to_pylist(), **tags)
    with run.step("write signals"):
        run.write_rows("detect/write_account_signals", signals, **tags)
        run.write_rows("detect/write_entity_signals", list(entities.values()), **tags)
    with run.step("complete"):
        run.read("detect/retire_rings", detection_id=det_id)
        run.read("detect/finish_detection", detection_id=det_id)
        # after completion: a kill here leaves stale memberships that nothing reads; the next detection removes them
        run.auto("detect/clear_ring_members", detection_id=det_id)
    with run.step("marks"):
        write_marks(driver, det_id, database)  # Browser labels (detect/marks.py)
        # the decisions detection was given, as of its as-of, for the members table ("labels known")
        run.read("detect/clear_known_labels")
        if labels is not None:
            from .labels import decisions

            known = decisions(labels, facts.as_of, outputs.signals["account_id"]).table.to_pylist()
            run.write_rows("detect/write_known_labels", [
                {"account_id": d["account_id"], "decision": "abusive" if d["abusive"] else "benign",
                 "origin": d["origin"]} for d in known], detection_id=det_id)


def detect_graph(driver: Driver, out_dir: Path, settings: DetectSettings | None = None, *, database: str = "neo4j",
                 previous: Path | None = None, use_gds: bool | None = None, write: bool = True,
                 progress: ProgressFn | None = None, inputs: dict[str, Any] | None = None,
                 labels: pa.Table | None = None, rejected: Sequence[RejectedRing] = ()) -> DetectResult:
    """Detect on the current graph, write the results back (unless write=False) and the files into out_dir.

    previous: an earlier export to diff against; without it, the last detection stored in the graph.
    labels: enforcement decisions (detect.labels.RAW, e.g. read_labels(run folder)) for a learned risk score.
    rejected: rings reviewers rejected (`er review`), not flagged again without new evidence.
    """
    from .output import read_previous

    started = datetime.now(UTC)
    settings = settings or DetectSettings()
    det_id = detection_id(started)
    if write:
        undo_unfinished(driver, database)
    prev = read_previous(previous) if previous is not None else previous_from_graph(driver, database)
    facts = graph_facts(driver, settings, det_id=det_id, database=database, use_gds=use_gds, progress=progress)
    result = write_detection(facts, settings, prev, out_dir, started, {"neo4j_database": database, **(inputs or {})},
                             det_id=det_id, labels=labels, rejected=rejected)
    if write:
        write_back(driver, result.outputs, facts, det_id, database, progress, labels)
    return result
