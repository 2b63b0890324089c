"""The embedded backend: detection facts from a run folder's er.duckdb, with DuckDB and igraph.

Only data observed at or before as_of is used: accounts created after it and identifier uses first seen
after it are left out before anything is counted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import EntityResolutionError, InputError, Problem
from ..pseudonym import open_run_db
from ..runfolder import Manifest, RunPaths
from ..runfolder import open as open_run_folder
from ..tables import IDENTIFIER_OBSERVATIONS, require_tables
from . import facts as F
from .incremental import EDGE_SCHEMA, PreviousState, StructureResult, read_state
from .incremental import full as full_structure
from .incremental import incremental as incremental_structure
from .settings import DetectSettings

BACKEND = "in-process"


def read_manifest(run_dir: Path) -> Manifest:
    """The run folder's manifest (runfolder.open: InputError unless it is a run folder of ours)."""
    return open_run_folder(run_dir).manifest


def resolve_as_of(settings: DetectSettings, run_as_of: datetime) -> datetime:
    if settings.as_of is None:
        return run_as_of
    if settings.as_of > run_as_of:
        raise InputError([Problem("--as-of", None, None,
                                  f"a time at or before the run's as-of {run_as_of.isoformat()} (the run holds "
                                  "no data past it)", settings.as_of.isoformat())])
    return settings.as_of


def accounts_sql() -> str:
    return """
    CREATE TEMP TABLE d_acc AS
    SELECT a.account_id, e.entity_id, a.created_at
    FROM std_accounts a JOIN entities e USING (account_id)
    WHERE a.created_at <= getvariable('as_of')
    """


def uses_sql() -> str:
    """Every account-identifier use as of as_of, aggregated from identifier_observations as the Neo4j loader's
    used_* steps are (graph/loader.py `used_sql`).

    An account's e-mail and phone are one observation each (observations.py): they pass through without
    grouping, and the entity is joined afterwards: the same rows as grouping everything, at a fraction of the
    hashing. Their observed_at is the account's created_at, already bounded by d_acc."""
    return """
    CREATE TEMP TABLE d_uses AS
    WITH grouped AS (
        SELECT account_id, kind, value, min(observed_at) AS first_seen, max(observed_at) AS last_seen,
               count(*) FILTER (WHERE disputed) AS disputed
        FROM identifier_observations
        WHERE kind NOT IN ('email', 'phone') AND observed_at <= getvariable('as_of')
        GROUP BY account_id, kind, value
    ), own AS (
        SELECT account_id, kind, value, observed_at AS first_seen, observed_at AS last_seen, 0::BIGINT AS disputed
        FROM identifier_observations WHERE kind IN ('email', 'phone')
    ), raw AS (SELECT * FROM grouped UNION ALL SELECT * FROM own)
    SELECT r.account_id, a.entity_id, r.kind, r.value, r.first_seen, r.last_seen, r.disputed
    FROM raw r JOIN d_acc a USING (account_id)
    """


def degrees_sql() -> str:
    """Identifiers on two or more entities. Most identifiers have a single account (an e-mail, a phone, a
    personal device): counting accounts first leaves the distinct-entity count to the few that remain."""
    return """
    CREATE TEMP TABLE d_deg AS
    WITH multi AS (SELECT kind, value FROM d_uses GROUP BY kind, value HAVING count(*) >= 2)
    SELECT kind, value, count(DISTINCT entity_id) AS entity_count, count(*) AS account_count
    FROM d_uses JOIN multi USING (kind, value)
    GROUP BY kind, value HAVING count(DISTINCT entity_id) >= 2
    """


def shared_edges_sql() -> str:
    return """
    SELECT DISTINCT u.entity_id, u.kind, u.value
    FROM d_uses u JOIN d_deg d USING (kind, value)
    WHERE d.entity_count <= getvariable('hub_threshold')
    ORDER BY ALL
    """


def account_facts_sql() -> str:
    return """
    WITH per_account AS (
        SELECT u.account_id, count(*) AS shared_identifier_count
        FROM d_uses u JOIN d_ident i USING (kind, value)
        GROUP BY u.account_id
    ), per_entity AS (
        SELECT entity_id, count(*) AS entity_accounts FROM d_acc GROUP BY entity_id
    ), entity_uses AS (
        SELECT entity_id, count(DISTINCT value) FILTER (WHERE kind = 'email') AS entity_emails,
               sum(disputed) AS entity_disputed
        FROM d_uses WHERE kind IN ('email', 'card') GROUP BY entity_id
    ), last_use AS (
        SELECT account_id, max(last_seen) AS last_seen FROM d_uses GROUP BY account_id
    )
    SELECT a.account_id, a.entity_id, a.created_at, greatest(a.created_at, l.last_seen) AS last_seen,
           coalesce(s.component_id,
                    'C-' || CASE WHEN starts_with(a.entity_id, 'E-') THEN a.entity_id[3:] ELSE a.entity_id END)
               AS component_id,
           coalesce(p.shared_identifier_count, 0) AS shared_identifier_count,
           e.entity_accounts, coalesce(x.entity_emails, 0) AS entity_emails,
           coalesce(x.entity_disputed, 0)::BIGINT AS entity_disputed
    FROM d_acc a
    LEFT JOIN d_ent s USING (entity_id)
    LEFT JOIN per_account p USING (account_id)
    JOIN per_entity e USING (entity_id)
    LEFT JOIN entity_uses x USING (entity_id)
    LEFT JOIN last_use l USING (account_id)
    ORDER BY a.account_id
    """


def components_sql() -> str:
    return """
    SELECT component_id, count(DISTINCT entity_id) AS entity_count, count(*) AS account_count,
           count(*) FILTER (WHERE created_at > getvariable('as_of') - INTERVAL 1 DAY) AS growth_1d,
           count(*) FILTER (WHERE created_at > getvariable('as_of') - INTERVAL 7 DAY) AS growth_7d,
           count(*) FILTER (WHERE created_at > getvariable('as_of') - INTERVAL 30 DAY) AS growth_30d
    FROM d_facts GROUP BY component_id ORDER BY component_id
    """


def entities_sql() -> str:
    """Entities with a shared non-hub identifier: how many distinct identifiers they used."""
    return """
    WITH linked AS (SELECT DISTINCT entity_id FROM d_edges)
    SELECT u.entity_id, count(DISTINCT (u.kind, u.value)) AS identifier_count
    FROM d_uses u JOIN linked USING (entity_id)
    GROUP BY u.entity_id ORDER BY u.entity_id
    """


def hubs_sql() -> str:
    return """
    SELECT kind, value, entity_count, account_count FROM d_deg
    WHERE entity_count > getvariable('hub_threshold')
    ORDER BY entity_count DESC, kind, value
    """


def compute_facts(run_dir: Path, settings: DetectSettings, *, run_id: str | None = None,
                  run_as_of: datetime | None = None) -> F.Facts:
    """Detection facts for the run folder, computed in memory (the oracle for the Neo4j backend).

    run_id and run_as_of default to the folder's manifest.json."""
    return compute(run_dir, settings, run_id=run_id, run_as_of=run_as_of)[0]


def compute(run_dir: Path, settings: DetectSettings, *, run_id: str | None = None,
            run_as_of: datetime | None = None, previous: Path | None = None,
            incremental: bool = True) -> tuple[F.Facts, StructureResult]:
    """The facts, and the structure they came from (saved for the next run to reuse).

    previous: an earlier detection folder; when it holds a saved structure and incremental is set, the
    components without any change are taken from it instead of being analysed again (see incremental.py)."""
    if run_id is None or run_as_of is None:
        manifest = read_manifest(run_dir)
        run_id = run_id or manifest.run_id
        run_as_of = run_as_of or manifest.as_of
    elif not RunPaths(run_dir).db.is_file():
        raise EntityResolutionError(f"{run_dir} holds no er.duckdb")
    as_of = resolve_as_of(settings, run_as_of)
    prev_state: PreviousState | str
    if previous is None:
        prev_state = "no previous detection"
    elif not incremental:
        prev_state = "incremental structure disabled"
    else:
        prev_state = read_state(previous, settings)
    con = open_run_db(RunPaths(run_dir).db)  # scratch tables are TEMP; identifiers hashed if pseudonymised
    try:
        require_tables(con, ["std_accounts", "entities", IDENTIFIER_OBSERVATIONS], RunPaths(run_dir).db)
        con.execute("SET VARIABLE as_of = $t::TIMESTAMPTZ", {"t": as_of})
        con.execute(accounts_sql())
        con.execute(uses_sql())
        con.execute(degrees_sql())
        degrees = [int(r[0]) for r in con.execute("SELECT entity_count FROM d_deg").fetchall()]
        threshold = settings.hub_threshold(degrees)
        con.execute("SET VARIABLE hub_threshold = $v", {"v": threshold})
        edges = con.sql(shared_edges_sql()).to_arrow_table().cast(EDGE_SCHEMA)
        if isinstance(prev_state, PreviousState):
            structure = incremental_structure(con, edges, prev_state, settings)
        else:
            structure = full_structure(edges, settings, prev_state)
        con.register("d_ent_arrow", structure.entities())
        con.register("d_ident_arrow", structure.identifiers())
        con.execute("CREATE TEMP TABLE d_ent AS SELECT * FROM d_ent_arrow")
        con.execute("CREATE TEMP TABLE d_ident AS SELECT * FROM d_ident_arrow")
        accounts = con.sql(account_facts_sql()).to_arrow_table().cast(F.ACCOUNTS)
        con.register("d_facts_arrow", accounts)
        con.execute("CREATE TEMP TABLE d_facts AS SELECT * FROM d_facts_arrow")
        components = con.sql(components_sql()).to_arrow_table().cast(F.COMPONENTS)
        hubs = con.sql(hubs_sql()).to_arrow_table().cast(F.HUBS)
        con.register("d_edges", edges)
        entities = con.sql(entities_sql()).to_arrow_table().cast(F.ENTITIES)
    finally:
        con.close()
    facts = F.Facts(run_id=run_id, as_of=as_of, backend=BACKEND, hub_threshold=threshold,
                    accounts=accounts, components=components, hubs=hubs, edges=edges.cast(F.EDGES),
                    entities=entities)
    return facts, structure

