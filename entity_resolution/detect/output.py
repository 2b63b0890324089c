"""Writing detection outputs (CSV + Parquet) without ever leaving a half-written file, and reading them back."""

from __future__ import annotations

import json
import os
import secrets
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import EntityResolutionError
from ..export.tables import write_csv
from .finish import Previous

MANIFEST = "detect_manifest.json"
# Lists become one text cell in CSV: ids joined by "|", reasons by "; ".
_CSV_JOIN = {"reasons": "; "}


def csv_view(table: pa.Table) -> pa.Table:
    cols = []
    for name in table.column_names:
        col = table[name]
        if pa.types.is_list(col.type):
            sep = _CSV_JOIN.get(name, "|")
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), sep)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def write_tables(folder: Path, tables: Mapping[str, pa.Table], manifest: Mapping[str, Any],
                 parquet_only: Mapping[str, pa.Table] | None = None) -> list[Path]:
    """Write <name>.parquet and <name>.csv for each table (only the .parquet for parquet_only tables) and the
    manifest into folder.

    Every file is written under a hidden temporary name first and renamed into place only once all of them
    are complete (the manifest last), so a crash leaves the previous files, never a truncated one.
    """
    token = secrets.token_hex(4)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, table in tables.items():
            for suffix in (".parquet", ".csv"):
                final = folder / f"{name}{suffix}"
                tmp = folder / f".{name}{suffix}.tmp-{token}"
                if suffix == ".parquet":
                    pq.write_table(table, tmp)
                else:
                    write_csv(csv_view(table), tmp)
                staged.append((tmp, final))
        for name, table in (parquet_only or {}).items():
            final = folder / f"{name}.parquet"
            tmp = folder / f".{name}.parquet.tmp-{token}"
            pq.write_table(table, tmp)
            staged.append((tmp, final))
        final = folder / MANIFEST
        tmp = folder / f".{MANIFEST}.tmp-{token}"
        tmp.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        staged.append((tmp, final))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    return [final for _, final in staged]


def read_previous(folder: Path) -> Previous:
    """Rings and scored accounts of an earlier detection (a run folder or an `er detect` export)."""
    path = folder / "signals.parquet"
    if not path.is_file():
        raise EntityResolutionError(f"{folder} holds no signals.parquet: not a detection output to compare with")
    table = pq.read_table(path, columns=["account_id", "ring_id"])
    members = table.filter(pc.fill_null(pc.not_equal(table["ring_id"], ""), False))
    rings: dict[str, set[str]] = defaultdict(set)
    for account_id, ring_id in zip(members["account_id"].to_pylist(), members["ring_id"].to_pylist(), strict=True):
        rings[ring_id].add(account_id)
    return Previous(source=str(folder), rings={r: frozenset(m) for r, m in rings.items()},
                    accounts=table["account_id"].combine_chunks().cast(pa.string()))
