"""The run folder: what `er run` writes, as a type. Its file names (`RunPaths`), its manifest (`Manifest`) and
`open(path)`, the one check that a folder is a run folder of ours.

    run = runfolder.open(Path("out/run"))        # InputError (exit 2) naming the file and what is wrong
    run.manifest.run_id, run.manifest.as_of       # a frozen Manifest
    con = open_run_db(run.paths.db)               # er.duckdb

Every reader (`er load`, `er neo4j import`, `er detect --from`, `er forget`, incremental runs, evaluation) and
the one writer (pipeline.run) go through here, so a file is named once and a manifest key is read in one place.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError, Problem

DB = "er.duckdb"
MANIFEST = "manifest.json"
MODEL = "model.json"
# Tables `er run` exports as <name>.csv and <name>.parquet (export/tables.py).
ENTITIES, LINKS, RESOLUTION_HUBS = "entities", "links", "resolution_hubs"
# Every review decision in force and what it did in this run (review/audit.py; empty without decisions).
REVIEW_AUDIT = "review_audit"
RUN_EXPORTS = (ENTITIES, LINKS, RESOLUTION_HUBS, REVIEW_AUDIT)
# What a folder needs to be read as a run folder.
REQUIRED = (MANIFEST, DB)
RUN_ID_PREFIX = "run-"


@dataclass(frozen=True)
class RunPaths:
    """The files of the run folder at `root`."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / DB

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def model(self) -> Path:
        return self.root / MODEL

    def export(self, name: str, fmt: str = "parquet") -> Path:
        """An exported table: export("entities") is entities.parquet, export("links", "csv") links.csv."""
        return self.root / f"{name}.{fmt}"

    @property
    def entities(self) -> Path:
        return self.export(ENTITIES)

    @property
    def links(self) -> Path:
        return self.export(LINKS)

    @property
    def review_audit(self) -> Path:
        """The audit trail of review decisions (`er review`) as applied by this run."""
        return self.export(REVIEW_AUDIT)

    @property
    def signals(self) -> Path:
        """The in-process detection's per-account signals (detect/), the previous detection of a later run."""
        return self.export("signals")


@dataclass(frozen=True)
class ModelEntry:
    """The manifest's `model`: the model file the run used (or "model.json" when trained in the run), its
    hash, whether it was trained in the run, and the prior (an incremental run on top needs it)."""

    path: str | None = None
    sha256: str | None = None
    trained_in_run: bool = False
    prior: float | None = None


@dataclass(frozen=True)
class Manifest:
    """manifest.json. run_id and as_of are required; the rest is what pipeline.run writes, optional on read so
    a hand-made manifest (tests, a run folder of an earlier version) still opens."""

    run_id: str
    as_of: datetime
    started_at: datetime | None = None
    inputs: dict[str, dict[str, str | None]] = field(default_factory=dict)  # name -> path, sha256
    row_counts: dict[str, int] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    model: ModelEntry = field(default_factory=ModelEntry)
    engine: str | None = None  # "duckdb" or "spark": what standardised and scored (None: an earlier version's)
    previous_run: str | None = None
    incremental: dict[str, Any] | None = None  # base_run_id, affected_accounts, pairs_scored, hubs_and_shared
    detection_id: str | None = None
    pseudonymised: dict[str, str] | None = None  # algorithm, key_id, schema (pseudonym.manifest_entry)
    versions: dict[str, str] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    forgotten: tuple[dict[str, Any], ...] = ()  # `er forget`: at, accounts, reason (never the ids)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order pipeline.run writes them ("forgotten" only once there is one)."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out["started_at"] = self.started_at.isoformat() if self.started_at else None
        out["forgotten"] = list(out["forgotten"])
        if not self.forgotten:
            del out["forgotten"]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_dict(cls, data: Any, where: Path | str) -> Manifest:
        """Validate `data` (parsed JSON); InputError naming `where` and every missing or malformed key."""
        problems: list[Problem] = []

        def bad(key: str, expected: str, found: Any) -> None:
            shown = "no such key" if found is _MISSING else f"{type(found).__name__} {str(found)[:80]!r}"
            problems.append(Problem(f"{where}, key {key}", None, None, expected, shown))

        if not isinstance(data, dict):
            raise InputError([Problem(str(where), None, None, "the manifest `er run` wrote (a JSON object with "
                                      "run_id and as_of)", f"JSON {type(data).__name__}")])
        run_id = data.get("run_id", _MISSING)
        if not (isinstance(run_id, str) and run_id.startswith(RUN_ID_PREFIX)):
            bad("run_id", f"the run's id (text starting {RUN_ID_PREFIX!r})", run_id)
        as_of = _time(data, "as_of", bad, required=True)
        started = _time(data, "started_at", bad, required=False)
        for key, kind in _OPTIONAL.items():
            value = data.get(key)
            if value is not None and not isinstance(value, kind):
                bad(key, f"a JSON {_JSON_NAMES[kind]} or null", value)
        model = data.get("model") or {}
        prior = model.get("prior") if isinstance(model, dict) else None
        if prior is not None and (isinstance(prior, bool) or not isinstance(prior, int | float)):
            bad("model.prior", "a number", prior)
        if problems:
            raise InputError(problems)
        entry = model if isinstance(model, dict) else {}
        return cls(
            run_id=run_id, as_of=as_of, started_at=started,
            inputs=data.get("inputs") or {}, row_counts=data.get("row_counts") or {},
            thresholds=data.get("thresholds") or {},
            model=ModelEntry(path=entry.get("path"), sha256=entry.get("sha256"),
                             trained_in_run=bool(entry.get("trained_in_run")), prior=prior),
            engine=data.get("engine"), previous_run=data.get("previous_run"), incremental=data.get("incremental"),
            detection_id=data.get("detection_id"), pseudonymised=data.get("pseudonymised"),
            versions=data.get("versions") or {}, phase_seconds=data.get("phase_seconds") or {},
            forgotten=tuple(data.get("forgotten") or ()),
        )

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read and validate manifest.json at `path` (InputError naming the file when it is not one of ours)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError([Problem(str(path), None, None, "the manifest `er run` wrote", "no such file")]) from exc
        except OSError as exc:  # a folder of that name, no permission
            raise InputError([Problem(str(path), None, None, "the manifest `er run` wrote",
                                      f"unreadable ({exc.strerror})")]) from exc
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise InputError([Problem(str(path), None, None, "the manifest `er run` wrote (JSON with run_id and "
                                      "as_of)", f"{type(exc).__name__}: {str(exc)[:120]}")]) from exc
        return cls.from_dict(data, path)

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")


class _Missing:
    pass


_MISSING = _Missing()
_OPTIONAL: dict[str, type] = {"inputs": dict, "row_counts": dict, "thresholds": dict, "model": dict,
                              "engine": str, "previous_run": str, "incremental": dict, "detection_id": str,
                              "pseudonymised": dict, "versions": dict, "phase_seconds": dict, "forgotten": list}
_JSON_NAMES: dict[type, str] = {dict: "object", str: "string", list: "array"}


def _time(data: dict[str, Any], key: str, bad: Any, *, required: bool) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            bad(key, "an ISO-8601 time", value)
        return None
    if not isinstance(value, str):
        return bad(key, "an ISO-8601 time", value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return bad(key, "an ISO-8601 time", value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # without an offset: UTC, as settings.parse_time


@dataclass(frozen=True)
class RunFolder:
    """An opened run folder: its paths and its validated manifest."""

    paths: RunPaths
    manifest: Manifest


def check(path: Path, needed: tuple[str, ...] = REQUIRED) -> RunPaths:
    """The folder's paths, after checking it holds `needed` (InputError naming what is missing)."""
    paths = RunPaths(path)
    missing = [name for name in needed if not (path / name).is_file()]
    if missing:
        found = "no folder at this path" if not path.exists() else f"no {' and no '.join(missing)}"
        raise InputError([Problem(str(path), None, None,
                                  f"a run folder from `er run` ({' and '.join(needed)})", found)])
    return paths


def open(path: Path, needed: tuple[str, ...] = REQUIRED) -> RunFolder:
    """Open the run folder at `path`: InputError (exit 2) unless it holds `needed` and a valid manifest."""
    paths = check(path, needed)
    return RunFolder(paths, Manifest.read(paths.manifest))


def is_run_folder(path: Path) -> bool:
    """Whether `path` holds a manifest of ours (a run id); no other check, nothing raised."""
    try:
        Manifest.read(path / MANIFEST)
    except InputError:
        return False
    return True
