"""Where a report or a metrics row reads from: a detection folder (signals, rings, hubs, detect_manifest.json),
the run folder behind it when there is one (manifest, model, links, er.duckdb) and the enforcement decisions.

A folder given by the user is one of:
- a run folder of `er run` (it holds its own detection: signals.parquet and detect_manifest.json);
- a dated export of `er detect`; its run folder is the manifest's `inputs.run_dir` when that is still a run
  folder (`er detect --from RUN`), else none (detection on the graph: the report leaves out what needs it).

Only the exported files and the published (with --pseudonymise: hashed) tables are read, so a report shows no
identifier the exports do not already show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, Problem
from ..runfolder import Manifest, RunPaths, is_run_folder

DETECT_MANIFEST = "detect_manifest.json"  # detect/output.py: MANIFEST (not imported: it pulls in all of detect)
SIGNALS = "signals.parquet"


@dataclass(frozen=True)
class Detection:
    """A detection output folder and what it came from."""

    folder: Path
    manifest: dict[str, Any]  # detect_manifest.json as written (detect/core.py: manifest)
    as_of: datetime
    run: Path | None  # the run folder whose data was scored, when it is at hand
    run_manifest: Manifest | None

    @property
    def detection_id(self) -> str:
        return str(self.manifest.get("detection_id") or "")

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or "")

    def table(self, name: str, columns: list[str] | None = None) -> pa.Table | None:
        """<name>.parquet of the detection folder, or None when it has none."""
        path = self.folder / f"{name}.parquet"
        return pq.read_table(path, columns=columns) if path.is_file() else None

    def signals(self, columns: list[str] | None = None) -> pa.Table:
        table = self.table("signals", columns)
        if table is None:  # open_detection checked it; a folder emptied since is still bad input
            raise InputError([Problem(str(self.folder), None, None, "a detection folder with signals.parquet",
                                      "no signals.parquet")])
        return table


def _bad(path: Path, found: str) -> InputError:
    return InputError([Problem(str(path), None, None, "a run folder of `er run` or an export folder of `er detect` "
                               f"(with {SIGNALS} and {DETECT_MANIFEST})", found)])


def open_detection(path: Path) -> Detection:
    """The detection at `path` (a run folder or an `er detect` export); InputError (exit 2) when it is neither."""
    if not path.is_dir():
        raise _bad(path, "no folder at this path")
    manifest_path = path / DETECT_MANIFEST
    if not manifest_path.is_file() or not (path / SIGNALS).is_file():
        missing = [n for n in (SIGNALS, DETECT_MANIFEST) if not (path / n).is_file()]
        raise _bad(path, f"no {' and no '.join(missing)}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError([Problem(str(manifest_path), None, None, "the JSON `er detect` wrote",
                                  f"{type(exc).__name__}: {str(exc)[:120]}")]) from exc
    as_of = _time(manifest.get("as_of") if isinstance(manifest, dict) else None)
    if as_of is None:
        raise InputError([Problem(str(manifest_path), None, "as_of", "an ISO-8601 time",
                                  repr(manifest.get("as_of") if isinstance(manifest, dict) else manifest)[:80])])
    run = _run_folder(path, manifest)
    return Detection(folder=path, manifest=manifest, as_of=as_of, run=run,
                     run_manifest=Manifest.read(RunPaths(run).manifest) if run is not None else None)


def _run_folder(path: Path, manifest: dict[str, Any]) -> Path | None:
    if is_run_folder(path):
        return path
    given = (manifest.get("inputs") or {}).get("run_dir")
    if isinstance(given, str) and is_run_folder(Path(given)):
        return Path(given)
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_labels(run: Path | None) -> pa.Table | None:
    """The enforcement decisions (detect/labels.RAW) of a run folder, or None when there is none or it has none."""
    if run is None or not RunPaths(run).db.is_file():
        return None
    from ..detect.labels import read_labels as read_run_labels

    return read_run_labels(run)
