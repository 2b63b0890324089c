"""The same run without one source: resolution and detection again, on a copy, with one input left out.

`what` is a source (`payments`, `devices`: its file is replaced by an empty one) or an optional column of the
accounts, devices or payments contract (`phone`, `signup_ip`, `ip`, `disputed`, ...: emptied in every row).
The inputs are the run's own typed input tables (er.duckdb's in_*, as of its as-of), so the rerun needs
neither the original files nor write access to the run folder: everything is written under `work` (a
temporary folder the caller owns and removes). The rerun uses the run's model, thresholds and as-of and the
detection's parameters, so leaving the source out is the only difference.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..runfolder import open as open_run_folder

SOURCES = ("accounts", "devices", "payments")
DROPPABLE_SOURCES = ("payments", "devices")  # accounts are what is scored: they cannot be left out


@dataclass(frozen=True)
class Without:
    what: str  # a source or a column
    source: str  # the source it belongs to
    column: str | None  # None: the whole source


def parse(what: str) -> Without:
    """What `--without` names; InputError listing the choices when it names nothing we can leave out."""
    from ..ingest.read import SOURCES as CONTRACT

    if what in DROPPABLE_SOURCES:
        return Without(what, what, None)
    for source in SOURCES:
        for col in CONTRACT[source]:
            if col.name == what and not col.required:
                return Without(what, source, what)
    optional = sorted({c.name for s in SOURCES for c in CONTRACT[s] if not c.required})
    raise InputError([Problem("--without", None, None,
                              f"payments, devices or an optional input column ({', '.join(optional)})", repr(what))])


def _export_sql(source: str, blank: str | None, empty: bool) -> str:
    """The run's in_<source> as text columns in the contract's own spelling (times as ISO-8601 UTC), with the
    column `blank` emptied, or no rows. Names are the contract's (ingest/read.py SOURCES), never input."""
    from ..ingest.read import SOURCES as CONTRACT

    cols = []
    for col in CONTRACT[source]:
        name = '"' + col.name + '"'
        if col.name == blank:
            cols.append(f"NULL::VARCHAR AS {name}")
        elif col.rule is not None and col.rule.expected.startswith("an ISO-8601 timestamp"):
            cols.append(f"strftime({name} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS {name}")
        else:
            cols.append(f"CAST({name} AS VARCHAR) AS {name}")
    return f"SELECT {', '.join(cols)} FROM main.in_{source}" + (" LIMIT 0" if empty else "")


def write_inputs(run_dir: Path, leave_out: Without, folder: Path) -> dict[str, Path]:
    """The run's inputs as Parquet files in folder, with leave_out applied; name -> path (labels included)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(run_dir / "er.duckdb"), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        paths = {}
        for source in SOURCES:
            blank = leave_out.column if leave_out.source == source else None
            empty = leave_out.column is None and leave_out.source == source
            path = folder / f"{source}.parquet"
            con.sql(_export_sql(source, blank, empty)).write_parquet(str(path))
            paths[source] = path
        if con.execute("SELECT count(*) FROM main.in_labels").fetchall()[0][0]:
            path = folder / "labels.parquet"
            con.sql("SELECT account_id, label, strftime(decided_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') "
                    "AS decided_at, origin FROM main.in_labels").write_parquet(str(path))
            paths["labels"] = path
    finally:
        con.close()
    return paths


def rerun(run_dir: Path, leave_out: Without, work: Path, config: Path | None = None) -> Path:
    """Resolve and detect the run's inputs without leave_out into work/run; returns that run folder."""
    from ..detect.settings import DetectSettings
    from ..ingest import Inputs
    from ..pipeline import run as run_pipeline
    from ..settings import Settings, parse_time
    from .scored import _detect_manifest

    run = open_run_folder(run_dir)
    if run.manifest.incremental:
        # an incremental run's in_* tables hold only the records new to it
        raise InputError([Problem(str(run_dir), None, None, "a full run (not --incremental) for --without",
                                  "an incremental run")])
    paths = write_inputs(run_dir, leave_out, work / "input")
    thresholds: dict[str, Any] = {k: v for k, v in run.manifest.thresholds.items() if k in _THRESHOLDS}
    settings = replace(Settings.load(config), model_path=run.paths.model, pseudonymise=False, **thresholds)
    params = dict(_detect_manifest(run_dir).get("parameters") or {})
    as_of = params.pop("as_of", None)
    known = set(DetectSettings.__dataclass_fields__)
    detect = DetectSettings(**{k: v for k, v in params.items() if k in known},
                            as_of=parse_time(as_of) if as_of else None)
    out = work / "run"
    run_pipeline(Inputs(accounts=paths["accounts"], devices=paths["devices"], payments=paths["payments"],
                        labels=paths.get("labels")), out, settings, as_of=run.manifest.as_of, detect_settings=detect)
    return out


_THRESHOLDS = ("match_threshold", "cluster_threshold", "link_floor", "min_personal_weight", "hub_min_accounts")
