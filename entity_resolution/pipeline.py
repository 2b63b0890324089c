"""The library API the CLI calls: validate, train, run (ingest -> match -> export)."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .dbutil import scalar
from .errors import InputError, Problem
from .export.atomic import atomic_dir
from .export.tables import write_table
from .ingest import Inputs
from .settings import Settings

# progress(phase, done): called with done=False when a phase starts and done=True when it ends.
ProgressFn = Callable[[str, bool], None]


@dataclass
class RunResult:
    run_id: str
    out_dir: Path
    as_of: str
    counts: dict[str, int]
    phase_seconds: dict[str, float] = field(default_factory=dict)
    model_path: Path | None = None


class _Phases:
    def __init__(self, progress: ProgressFn | None) -> None:
        self.seconds: dict[str, float] = {}
        self._progress = progress

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if self._progress:
            self._progress(name, False)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        if self._progress:
            self._progress(name, True)


def _connect(path: str, settings: Settings) -> Any:
    import duckdb

    con = duckdb.connect(path)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    if settings.memory_limit:
        con.execute("SET memory_limit = $m", {"m": settings.memory_limit})
    return con


def validate(inputs: Inputs) -> Any:
    """Check the data contract only; raise InputError listing every problem."""
    from .ingest.read import validate as _validate

    return _validate(inputs)


def _apply_as_of(con: Any, as_of: datetime) -> None:
    """Forget everything observed after as_of, so a run as of a past date sees only what was known then."""
    con.execute("DELETE FROM in_accounts WHERE created_at > $t", {"t": as_of})
    for table in ("in_devices", "in_payments"):
        con.execute(
            f"DELETE FROM {table} WHERE observed_at > $t "
            "OR account_id NOT IN (SELECT account_id FROM in_accounts)",
            {"t": as_of},
        )
    con.execute("DELETE FROM in_labels WHERE account_id NOT IN (SELECT account_id FROM in_accounts)")


def _parse_as_of(value: str | datetime | None, newest: datetime | None) -> datetime:
    if value is None:
        if newest is None:
            raise InputError([Problem("accounts", None, "created_at", "at least one timestamp", "none")])
        return newest
    if isinstance(value, datetime):
        ts = value
    else:
        try:
            ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(
                [Problem("--as-of", None, None, "an ISO-8601 timestamp", repr(value))]
            ) from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "entity_resolution": __version__}
    for pkg in ("splink", "duckdb", "pyarrow", "phonenumbers", "email-validator", "neo4j"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _prepare(con: Any, inputs: Inputs, settings: Settings, as_of: str | datetime | None,
             phases: _Phases) -> tuple[Any, datetime]:
    from .ingest.read import load_inputs
    from .ingest.standardise import standardise
    from .match.profiles import build_profiles

    with phases.phase("validate"):
        summary = load_inputs(con, inputs)
        when = _parse_as_of(as_of, summary.max_timestamp)
        _apply_as_of(con, when)
    with phases.phase("standardise"):
        standardise(con)
        build_profiles(con, settings.hub_min_accounts)
    return summary, when


def train(inputs: Inputs, model_out: Path, settings: Settings, *, as_of: str | datetime | None = None,
          progress: ProgressFn | None = None) -> RunResult:
    """Estimate a model from the inputs and save it as JSON at model_out."""
    from .match.resolve import train_model

    phases = _Phases(progress)
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
        train_first: bool = False, previous: Path | None = None,
        progress: ProgressFn | None = None) -> RunResult:
    """Resolve the inputs into entities and write the run folder atomically."""
    from .match.entities import assign_entity_ids
    from .match.resolve import predict_and_cluster, train_model

    started = datetime.now(UTC)
    phases = _Phases(progress)
    checksums = {name: _sha256(p) for name, p in inputs.files().items() if p.is_file()}
    digest = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode()).hexdigest()[:8]
    run_id = f"run-{started:%Y%m%dT%H%M%SZ}-{digest}"
    prev_entities = previous / "entities.parquet" if previous is not None else None
    if prev_entities is not None and not prev_entities.is_file():
        raise InputError([Problem(str(previous), None, None, "a run folder with entities.parquet",
                                  "no entities.parquet")])

    with atomic_dir(out_dir, run_id) as tmp:
        con = _connect(str(tmp / "er.duckdb"), settings)
        try:
            summary, when = _prepare(con, inputs, settings, as_of, phases)
            model_path = settings.model_path
            if train_first:
                with phases.phase("train"):
                    model_path = tmp / "model.json"
                    train_model(con, model_path, max_pairs=settings.train_max_pairs, seed=settings.seed)
            with phases.phase("predict"):
                counts = predict_and_cluster(
                    con, model_path, link_floor=settings.link_floor,
                    match_threshold=settings.match_threshold, cluster_threshold=settings.cluster_threshold,
                    min_personal_weight=settings.min_personal_weight,
                )
            with phases.phase("cluster"):
                assign_entity_ids(con, str(prev_entities) if prev_entities else None)
            with phases.phase("write"):
                n_entities = write_table(con, "SELECT account_id, entity_id, entity_size FROM entities "
                                         "ORDER BY account_id", tmp / "entities")
                n_links = _write_links(con, tmp)
                write_table(con, "SELECT kind, value, account_count FROM resolution_hubs "
                            "ORDER BY kind, account_count DESC, value", tmp / "resolution_hubs")
                n_distinct = scalar(con, "SELECT count(DISTINCT entity_id) FROM entities")
                _drop_scratch(con)
        finally:
            con.close()
        with phases.phase("detect"):
            from .detect import compute_signals

            prev = previous if previous is not None and (previous / "signals.parquet").is_file() else None
            detection = compute_signals(tmp, previous=prev, run_id=run_id, run_as_of=when)
        counts_out = {
            **{f"{k}_rows": v for k, v in summary.rows.items()},
            "entities": int(n_distinct),
            "accounts": n_entities,
            "links": n_links,
            "same_person_links": counts.same_person_links,
            "largest_entity": counts.largest_entity,
            **{f"detect_{k}": v for k, v in detection.counts.items()},
        }
        manifest = {
            "run_id": run_id,
            "as_of": when.isoformat(),
            "started_at": started.isoformat(),
            "inputs": {name: {"path": str(p), "sha256": checksums.get(name)}
                       for name, p in inputs.files().items()},
            "row_counts": counts_out,
            "thresholds": {
                "match_threshold": settings.match_threshold,
                "cluster_threshold": settings.cluster_threshold,
                "link_floor": settings.link_floor,
                "min_personal_weight": settings.min_personal_weight,
                "hub_min_accounts": settings.hub_min_accounts,
            },
            "model": {"path": str(model_path), "sha256": _sha256(model_path), "trained_in_run": train_first},
            "previous_run": str(previous) if previous else None,
            "detection_id": detection.detection_id,
            "versions": _package_versions(),
            "phase_seconds": phases.seconds,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return RunResult(run_id=run_id, out_dir=out_dir, as_of=when.isoformat(), counts=counts_out,
                     phase_seconds=phases.seconds,
                     model_path=out_dir / "model.json" if train_first else model_path)


def _write_links(con: Any, tmp: Path) -> int:
    return write_table(
        con,
        "SELECT unique_id_l AS account_id_l, unique_id_r AS account_id_r, match_probability, match_weight, "
        "personal_weight, same_person FROM predictions ORDER BY account_id_l, account_id_r",
        tmp / "links",
    )


def _drop_scratch(con: Any) -> None:
    """Keep the evidence tables in er.duckdb; drop Splink's cached intermediates."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '__splink%'"
    ).fetchall()
    for (name,) in rows:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute("CHECKPOINT")


def result_dict(result: RunResult) -> dict[str, Any]:
    return asdict(result)


def load(run_dir: Path, settings: Settings, *, progress: Any = None) -> Any:
    """Load a run folder into Neo4j (the configured server, else the managed one)."""
    from .graph.connection import connect
    from .graph.loader import load_run

    driver = connect(settings)
    try:
        return load_run(driver, run_dir, database=settings.neo4j_database, batch_size=settings.batch_size,
                        progress=progress)
    finally:
        driver.close()
