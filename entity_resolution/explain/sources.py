"""Where explanations read from: a run folder (its er.duckdb, manifest and model) and the detection that scored it
(the run folder's own in-process detection, or an `er detect` export folder or a folder of dated exports).

Unknown accounts and rings, a run folder without detection, a detection of another run: InputError (exit 2)
naming the file, what was expected and what was found. Nothing is ever written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from .. import runfolder
from ..errors import InputError, Problem
from ..tables import ENTITIES, IDENTIFIER_OBSERVATIONS, PREDICTIONS, PROFILES, RESOLUTION_HUBS, require_tables

if TYPE_CHECKING:
    import duckdb

DETECT_MANIFEST = "detect_manifest.json"  # detect/output.py MANIFEST (not imported: it pulls in detection)
SIGNALS, RINGS, BRIDGES, RING_EVENTS, HUBS = "signals", "rings", "bridges", "ring_events", "hubs"
RISK_FEATURES = "risk_features"  # learned risk's per-account features (Parquet only, with labels)


@dataclass(frozen=True)
class Detection:
    """One detection output folder: its manifest and the folder holding signals, rings, bridges, ring_events."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def detection_id(self) -> str:
        return str(self.manifest.get("detection_id") or self.folder.name)

    @property
    def as_of(self) -> str | None:
        value = self.manifest.get("as_of")
        return str(value) if value else None

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table | None:
        path = self.folder / f"{name}.parquet"
        return pq.read_table(path, columns=columns) if path.is_file() else None

    def require(self, name: str) -> pa.Table:
        found = self.table(name)
        if found is None:
            raise InputError([Problem(str(self.folder / f"{name}.parquet"), None, None,
                                      "the detection output `er detect` / `er run` writes", "no such file")])
        return found


def _detection(folder: Path) -> Detection | None:
    path = folder / DETECT_MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None, "the detection manifest (JSON)",
                                  f"{type(exc).__name__}: {str(exc)[:120]}")]) from exc
    if not isinstance(manifest, dict):
        raise InputError([Problem(str(path), None, None, "a JSON object", f"JSON {type(manifest).__name__}")])
    return Detection(folder, manifest)


def detections_in(path: Path) -> list[Detection]:
    """The detection at `path` (an export folder), or every dated export under it (an `er detect --out` root),
    oldest first. Empty when there is none."""
    from ..detect.export import exports

    one = _detection(path)
    if one is not None:
        return [one]
    return [d for d in (_detection(p) for p in exports(path)) if d is not None]


@dataclass
class Evidence:
    """An opened run folder with its detection (read-only). Use as a context manager, or call close()."""

    run: runfolder.RunFolder
    con: duckdb.DuckDBPyConnection
    detection: Detection | None
    history: list[Detection] = field(default_factory=list)  # the detections whose events count, oldest first

    @classmethod
    def open(cls, run_dir: Path, detection: Path | None = None) -> Evidence:
        """Open `run_dir`; detection from `detection` (an `er detect` export, or a root of dated exports: the newest
        is used and all of them give the ring's events across runs) or else the run folder's own."""
        from ..pseudonym import open_run_db

        run = runfolder.open(run_dir)
        history: list[Detection] = []
        own = _detection(run.paths.root)
        if own is not None:
            history.append(own)
        chosen = own
        if detection is not None:
            found = detections_in(detection)
            if not found:
                raise InputError([Problem(str(detection), None, None,
                                          f"an `er detect` export (with {DETECT_MANIFEST}) or a folder of them",
                                          "no folder at this path" if not detection.exists() else "none")])
            mine = [d for d in found if d.manifest.get("run_id") == run.manifest.run_id]
            if not mine:
                raise InputError([Problem(str(found[-1].folder / DETECT_MANIFEST), None, None,
                                          f"a detection of run {run.manifest.run_id}",
                                          f"run_id {found[-1].manifest.get('run_id')!r}")])
            chosen = mine[-1]
            # the events of that chain of detections (each diffed against the one before it); the run folder's own
            # in-process detection is a chain of its own and is left out
            history = [d for d in found if d.as_of is None or chosen.as_of is None or d.as_of <= chosen.as_of]
        con = open_run_db(run.paths.db)
        try:
            require_tables(con, (IDENTIFIER_OBSERVATIONS, PROFILES, PREDICTIONS, ENTITIES, RESOLUTION_HUBS),
                           run.paths.db)
        except BaseException:
            con.close()
            raise
        history.sort(key=lambda d: (d.as_of or "", d.detection_id))
        return cls(run, con, chosen, history)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Evidence:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- what every explanation needs -------------------------------------------------------------------

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts (values as parameters, never formatted into `sql`)."""
        cur = self.con.execute(sql, params or {})
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def require_detection(self, what: str) -> Detection:
        if self.detection is None:
            raise InputError([Problem(str(self.run.paths.root), None, None,
                                      f"a detection output for {what} (`er run` detects in-process; or pass "
                                      "--detection with an `er detect --from RUN` export)",
                                      f"no {DETECT_MANIFEST}")])
        return self.detection

    def check_accounts(self, *account_ids: str) -> None:
        """InputError naming every account id that is not in the run."""
        known = {r["account_id"] for r in self.rows(
            "SELECT account_id FROM entities WHERE account_id IN (SELECT unnest($ids))", {"ids": list(account_ids)})}
        missing = [a for a in account_ids if a not in known]
        if missing:
            raise InputError([Problem(f"{self.run.paths.db}, table entities", None, "account_id",
                                      "an account of this run", repr(a)) for a in missing])
