"""The library API the CLI calls: validate, train, run (ingest -> match -> export)."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .checksum import file_sha256
from .dbutil import scalar
from .errors import InputError, Problem, ResourceError
from .export.atomic import atomic_dir
from .export.guard import check_run_out
from .export.tables import write_table
from .ingest import Inputs
from .progress import PhaseTimer, ProgressFn
from .pseudonym import key_from_settings, manifest_entry, publish
from .runfolder import DB, MANIFEST, MODEL, Manifest, ModelEntry, RunPaths
from .settings import Settings, parse_time

if TYPE_CHECKING:
    import duckdb

    from .detect.settings import DetectSettings
    from .graph.loader import LoadResult
    from .graph.loader import ProgressFn as RowProgressFn
    from .ingest.read import InputSummary
    from .review.apply import ReviewInputs
    from .spark.engine import SparkEngine


@dataclass
class RunResult:
    run_id: str
    out_dir: Path
    as_of: str
    counts: dict[str, int]
    phase_seconds: dict[str, float] = field(default_factory=dict)
    model_path: Path | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. report.html could not be written


def _connect(path: str, settings: Settings) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(path)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    if settings.memory_limit:
        con.execute("SET memory_limit = $m", {"m": settings.memory_limit})
    if settings.spill_dir is not None:
        con.execute("SET temp_directory = $d", {"d": str(settings.spill_dir)})
    return con


@contextmanager
def _memory_errors(settings: Settings) -> Iterator[None]:
    """DuckDB out of memory (raised as itself, or wrapped in Splink's SQL error) -> an error that says which
    settings help, instead of a page of SQL. The run folder is not written (atomic_dir cleans up first)."""
    import duckdb

    try:
        yield
    except Exception as exc:  # only DuckDB's out-of-memory is translated; everything else is re-raised as it was
        chain: list[BaseException] = []
        cause: BaseException | None = exc
        while cause is not None and len(chain) < 10:
            chain.append(cause)
            cause = cause.__cause__ or cause.__context__
        if not any(isinstance(c, duckdb.OutOfMemoryException) or "Out of Memory Error" in str(c) for c in chain):
            raise
        limit = settings.memory_limit or "DuckDB's default (80% of RAM)"
        raise ResourceError(
            f"DuckDB ran out of memory under memory_limit {limit}; nothing was written. Raise memory_limit "
            f"(ER_MEMORY_LIMIT), score pairs in slices (predict_chunks, now {settings.predict_chunks}), use fewer "
            "threads, or point spill_dir at a disk with more room (docs/performance.md, Bounded memory)."
        ) from exc


def validate(inputs: Inputs) -> InputSummary:
    """Check the data contract only; raise InputError listing every problem."""
    from .ingest.read import validate as _validate

    return _validate(inputs)


def _apply_as_of(con: duckdb.DuckDBPyConnection, as_of: datetime) -> None:
    """Forget everything observed after as_of, so a run as of a past date sees only what was known then.

    An as-of before every account would leave nothing to resolve: that is bad input, naming --as-of."""
    first = scalar(con, "SELECT min(created_at) FROM in_accounts")
    if first is not None and as_of < first:
        raise InputError([Problem("--as-of", None, None,
                                  f"a time at or after the first account's created_at ({first.isoformat()})",
                                  as_of.isoformat())])
    con.execute("DELETE FROM in_accounts WHERE created_at > $t", {"t": as_of})
    for table in ("in_devices", "in_payments"):
        con.execute(
            f"DELETE FROM {table} WHERE observed_at > $t "
            "OR account_id NOT IN (SELECT account_id FROM in_accounts)",
            {"t": as_of},
        )
    con.execute("DELETE FROM in_labels WHERE account_id NOT IN (SELECT account_id FROM in_accounts)")


def _parse_as_of(value: str | datetime | None, newest: datetime | None) -> datetime:
    """--as-of (text or a time; without an offset: UTC), else the newest timestamp of the input."""
    if value is None:
        if newest is None:
            raise InputError([Problem("accounts", None, "created_at", "at least one timestamp", "none")])
        return newest
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InputError([Problem("--as-of", None, None, "an ISO-8601 timestamp", repr(value))]) from exc


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "entity_resolution": __version__}
    for pkg in ("splink", "duckdb", "pyarrow", "phonenumbers", "email-validator", "neo4j", "pyspark"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _engine(settings: Settings) -> AbstractContextManager[SparkEngine | None]:
    """None for the DuckDB engine; for --engine spark the run's Spark session (entity_resolution/spark/)."""
    if settings.engine != "spark":
        return nullcontext()
    from .spark.engine import spark_engine

    return spark_engine(settings)


def _prepare(con: duckdb.DuckDBPyConnection, inputs: Inputs, settings: Settings, as_of: str | datetime | None,
             phases: PhaseTimer, review: ReviewInputs | None = None,
             engine: SparkEngine | None = None) -> tuple[Any, datetime]:
    from .forget.forget_list import apply_at_ingest
    from .ingest.read import load_inputs
    from .ingest.standardise import standardise
    from .match.profiles import build_profiles

    with phases.phase("validate"):
        summary = load_inputs(con, inputs)
        apply_at_ingest(con, settings.forget_list)  # `er forget`: forgotten accounts never enter a run
        when = _parse_as_of(as_of, summary.max_timestamp)
        _apply_as_of(con, when)
        if review is not None:
            from .review.apply import add_labels

            add_labels(con, review)  # `er review`: account decisions are labels, decided when they were made
    with phases.phase("standardise"):
        standardise(con) if engine is None else engine.standardise(con)
        build_profiles(con, settings.hub_min_accounts)
    return summary, when


def train(inputs: Inputs, model_out: Path, settings: Settings, *, as_of: str | datetime | None = None,
          force: bool = False, progress: ProgressFn | None = None) -> RunResult:
    """Estimate a model from the inputs and save it as JSON at model_out (replaced only if it is a model)."""
    from .export.guard import check_model_out
    from .match.resolve import train_model

    check_model_out(model_out, force=force)

    phases = PhaseTimer(progress)
    con = _connect(":memory:", settings)
    try:
        summary, when = _prepare(con, inputs, settings, as_of, phases)
        with phases.phase("train"):
            train_model(con, model_out, max_pairs=settings.train_max_pairs, seed=settings.seed)
    finally:
        con.close()
    return RunResult(
        run_id="train", out_dir=model_out.parent, as_of=when.isoformat(),
        counts=dict(summary.rows), phase_seconds=phases.seconds, model_path=model_out,
    )


def run(inputs: Inputs, out_dir: Path, settings: Settings, *, as_of: str | datetime | None = None,
        train_first: bool = False, previous: Path | None = None, incremental: bool = False,
        force: bool = False, progress: ProgressFn | None = None,
        detect_settings: DetectSettings | None = None) -> RunResult:
    """Resolve the inputs into entities and write the run folder atomically.

    out_dir must be new, empty or an earlier run folder of ours; force replaces anything else except a folder
    that holds an input (export/guard.py).

    incremental: the inputs hold only records new since `previous` (a run folder); they are resolved against
    it without scoring its old pairs again (match/incremental.py).
    detect_settings: the in-process detection's parameters (DetectSettings.load); None means the defaults.
    """
    from .match.entities import assign_entity_ids

    out_dir = out_dir.expanduser()
    # A run folder's own model.json may be reused (`--model RUN/model.json --out RUN`): the new folder gets a copy.
    own_model = settings.model_path.expanduser().resolve() == RunPaths(out_dir.resolve()).model
    model_given = None if own_model else settings.model_path
    check_run_out(out_dir, [*inputs.files().values(), model_given], force=force)
    started = datetime.now(UTC)
    phases = PhaseTimer(progress)
    prev_entities = RunPaths(previous).entities if previous is not None else None
    if prev_entities is not None and not prev_entities.is_file():
        raise InputError([Problem(str(previous), None, None, "a run folder with entities.parquet",
                                  "no entities.parquet")])
    key = None
    if settings.pseudonymise:  # before anything is written: no key, no run (exit 2)
        key = key_from_settings(settings)
    base: Manifest | None = None
    if incremental:
        base = _incremental_base(previous, settings, train_first, as_of)
    from .review.apply import for_run

    review = for_run(settings)  # `er review` decisions; a damaged file stops the run here, before any write

    if settings.engine == "spark" and incremental:
        raise InputError([Problem("--incremental", None, None, "--engine duckdb (incremental runs score on "
                                  "DuckDB; docs/spark.md)", "--engine spark")])
    with _memory_errors(settings), _engine(settings) as engine, atomic_dir(out_dir, "run") as tmp:
        out = RunPaths(tmp)
        db = out.db
        if base is not None and previous is not None:
            shutil.copyfile(RunPaths(previous).db, db)
        con = _connect(str(db), settings)
        try:
            if base is not None and previous is not None:
                summary, when, counts, model_path, extra = _resolve_incremental(
                    con, inputs, settings, previous, base, phases, review)
            else:
                summary, when = _prepare(con, inputs, settings, as_of, phases, review, engine)
                model_path = settings.model_path
                if train_first:
                    with phases.phase("train"):
                        model_path = out.model
                        _train(con, model_path, settings)
                with phases.phase("predict"):
                    counts = (_predict(con, model_path, settings, constraints=review.constraints) if engine is None
                              else engine.predict(con, model_path, review.constraints))
                extra = {}
            checksums = summary.sha256
            digest = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode()).hexdigest()[:8]
            run_id = f"run-{started:%Y%m%dT%H%M%SZ}-{digest}"
            with phases.phase("cluster"):
                assign_entity_ids(con, str(prev_entities) if prev_entities else None)
            if key is None:
                publish(con, None)  # an incremental run's copied database may hold an earlier run's hashes
            else:
                with phases.phase("pseudonymise"):  # from here on, this connection reads hashed identifiers
                    publish(con, key)
            with phases.phase("write"):
                if model_path != out.model:
                    shutil.copyfile(model_path, out.model)  # a run folder carries its model
                n_entities = write_table(con, "SELECT account_id, entity_id, entity_size FROM entities "
                                         "ORDER BY account_id", tmp / "entities")
                n_links = _write_links(con, tmp)
                write_table(con, "SELECT kind, value, account_count FROM resolution_hubs "
                            "ORDER BY kind, account_count DESC, value", tmp / "resolution_hubs")
                n_distinct = scalar(con, "SELECT count(DISTINCT entity_id) FROM entities")
                from .review import audit

                effects = audit.pair_effects(con, review)
                _drop_scratch(con)
        finally:
            con.close()
        with phases.phase("detect"):
            from .detect import compute_signals

            prev = previous if previous is not None and RunPaths(previous).signals.is_file() else None
            detection = compute_signals(tmp, detect_settings, previous=prev, run_id=run_id, run_as_of=when,
                                        rejected=review.rejected)
        effects |= audit.ring_effects(review, detection.outputs.rejected, detection.outputs.signals)
        audit.write(tmp, audit.table(review.decisions, effects))  # every decision and what it did here
        counts_out = {
            **{f"{k}_rows": v for k, v in summary.rows.items()},
            "entities": int(n_distinct),
            "accounts": n_entities,
            "links": n_links,
            "same_person_links": counts.same_person_links,
            "largest_entity": counts.largest_entity,
            **{f"detect_{k}": v for k, v in detection.counts.items()},
            "review_decisions": len(review.decisions),
        }
        Manifest(
            run_id=run_id,
            as_of=when,
            started_at=started,
            inputs={name: {"path": str(p), "sha256": checksums.get(name)} for name, p in inputs.files().items()},
            row_counts=counts_out,
            thresholds=_thresholds(settings),
            model=ModelEntry(path=str(model_path) if model_path != out.model else MODEL,
                             sha256=file_sha256(out.model), trained_in_run=train_first, prior=counts.prior),
            engine=settings.engine,
            previous_run=str(previous) if previous else None,
            incremental=extra or None,
            detection_id=detection.detection_id,
            pseudonymised=manifest_entry(key),
            versions=_package_versions(),
            phase_seconds=phases.seconds,
        ).write(out.manifest)
        with phases.phase("report"):  # after the manifest: the report reads the folder as a reader would
            from .report import try_write_report

            _, report_warning = try_write_report(tmp)
    return RunResult(run_id=run_id, out_dir=out_dir, as_of=when.isoformat(), counts=counts_out,
                     phase_seconds=phases.seconds,
                     model_path=RunPaths(out_dir).model if train_first else model_path,
                     warnings=[report_warning] if report_warning else [])


def _thresholds(settings: Settings) -> dict[str, Any]:
    return {
        "match_threshold": settings.match_threshold,
        "cluster_threshold": settings.cluster_threshold,
        "link_floor": settings.link_floor,
        "min_personal_weight": settings.min_personal_weight,
        "hub_min_accounts": settings.hub_min_accounts,
    }


def _train(con: duckdb.DuckDBPyConnection, model_path: Path, settings: Settings) -> None:
    from .match.resolve import train_model

    train_model(con, model_path, max_pairs=settings.train_max_pairs, seed=settings.seed)


def _predict(con: duckdb.DuckDBPyConnection, model_path: Path, settings: Settings, pinned: Any = None,
             constraints: Any = None) -> Any:
    from .match.resolve import predict_and_cluster

    return predict_and_cluster(
        con, model_path, link_floor=settings.link_floor, match_threshold=settings.match_threshold,
        cluster_threshold=settings.cluster_threshold, min_personal_weight=settings.min_personal_weight,
        pinned=pinned, constraints=constraints, chunks=settings.predict_chunks,
    )


def _incremental_base(previous: Path | None, settings: Settings, train_first: bool,
                      as_of: str | datetime | None) -> Manifest:
    """The baseline run's manifest, after checking an incremental run can build on it."""
    def refuse(expected: str, found: str) -> InputError:
        return InputError([Problem("--incremental", None, None, expected, found)])

    if previous is None:
        raise refuse("--previous RUN_DIR (the run to add to)", "no previous run")
    if train_first:
        raise refuse("the baseline's model (no --train)", "--train")
    if as_of is not None:
        raise refuse("no --as-of (an incremental run is as of its newest record)", f"--as-of {as_of}")
    missing = [name for name in (MANIFEST, DB, MODEL) if not (previous / name).is_file()]
    if missing:
        raise refuse(f"a run folder made by this version ({MANIFEST}, {DB}, {MODEL})",
                     f"{previous} lacks {', '.join(missing)}")
    base = Manifest.read(RunPaths(previous).manifest)
    if base.thresholds != _thresholds(settings):
        raise refuse(f"the baseline's thresholds {base.thresholds or None}", str(_thresholds(settings)))
    if not base.model.prior:
        raise refuse("a baseline that recorded its prior", f"none in its {MANIFEST}")
    return base


def _resolve_incremental(con: duckdb.DuckDBPyConnection, inputs: Inputs, settings: Settings, previous: Path,
                         base: Manifest, phases: PhaseTimer,
                         review: ReviewInputs) -> tuple[Any, datetime, Any, Path, dict[str, Any]]:
    from .forget.forget_list import apply_at_ingest
    from .ingest.read import load_inputs
    from .ingest.standardise import standardise
    from .match import incremental as inc
    from .match.resolve import Pinned

    with phases.phase("validate"):
        con.execute("CREATE OR REPLACE TEMP TABLE known_accounts AS SELECT account_id FROM std_accounts")
        summary = load_inputs(con, inputs, known_accounts="known_accounts")
        apply_at_ingest(con, settings.forget_list)
        from .review.apply import add_labels

        add_labels(con, review, incremental=True)  # the baseline's accounts may be reviewed too
        base_as_of = base.as_of
        when = max(base_as_of, summary.max_timestamp) if summary.max_timestamp else base_as_of
    with phases.phase("standardise"):
        recount_all = inc.set_base_aside(con)
        standardise(con)
        inc.append_new_rows(con)
        hubs = inc.hubs_and_shared(con, settings.hub_min_accounts, recount_all)
        affected = inc.affected_accounts(con)
        inc.refresh_profiles(con)
    with phases.phase("predict"):
        pairs = inc.block_pairs(con)
        model_path = RunPaths(previous).model
        # Reviewers' pair decisions act in the clustering, over every same-person link, kept or new: an
        # incremental run honours them exactly as a full run does.
        counts = _predict(con, model_path, settings, Pinned(
            prior=float(base.model.prior or 0), blocked_pairs="inc_pairs", kept_predictions="inc_kept"),
            constraints=review.constraints)
        inc.drop_scratch(con)
    extra = {"base_run_id": base.run_id, "affected_accounts": affected, "pairs_scored": pairs,
             "hubs_and_shared": hubs}
    return summary, when, counts, model_path, extra


def resolve_pinned(inputs: Inputs, previous: Path, db_path: Path, settings: Settings) -> None:
    """Resolve all of `inputs` from scratch into the database at db_path (entities, predictions), scoring every
    blocked pair with `previous`'s prior and term-frequency tables: the reference an incremental run on top of
    `previous` must equal exactly (tests and the incremental benchmark check it)."""
    from .match.entities import assign_entity_ids
    from .match.model import TF_COLUMNS
    from .match.resolve import Pinned

    base = RunPaths(previous)
    prior = float(Manifest.read(base.manifest).model.prior or 0)
    con = _connect(str(db_path), settings)
    try:
        _prepare(con, inputs, settings, None, PhaseTimer())
        con.execute("ATTACH $path AS base (READ_ONLY)", {"path": str(base.db)})
        for column in TF_COLUMNS:
            con.execute(f"CREATE OR REPLACE TABLE tf_{column} AS SELECT * FROM base.tf_{column}")
        con.execute("DETACH base")
        _predict(con, base.model, settings, Pinned(prior=prior))
        assign_entity_ids(con, str(base.entities))
    finally:
        con.close()


def _write_links(con: duckdb.DuckDBPyConnection, tmp: Path) -> int:
    return write_table(
        con,
        "SELECT unique_id_l AS account_id_l, unique_id_r AS account_id_r, match_probability, match_weight, "
        "personal_weight, same_person FROM predictions ORDER BY account_id_l, account_id_r",
        tmp / "links",
    )


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the evidence tables in er.duckdb; drop Splink's cached intermediates."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '__splink%'"
    ).fetchall()
    for (name,) in rows:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute("CHECKPOINT")


def result_dict(result: RunResult) -> dict[str, Any]:
    return asdict(result)


def load(run_dir: Path, settings: Settings, *, progress: RowProgressFn | None = None,
         since: Path | None = None) -> LoadResult:
    """Load a run folder into Neo4j (the configured server, else the managed one)."""
    from .graph.connection import graph_session
    from .graph.loader import load_run

    with graph_session(settings) as driver:
        return load_run(driver, run_dir, database=settings.neo4j_database, batch_size=settings.batch_size,
                        progress=progress, since=since)
