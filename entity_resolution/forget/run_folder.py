"""Rewrite a run folder (or an `er detect` export) without the forgotten accounts.

What goes: every row keyed by a forgotten account id (in er.duckdb and in every Parquet and CSV export), the
ids inside list cells (ring bridge accounts, bridge account lists), and any row or list element holding an
identifier value that only forgotten accounts used (device ids, card fingerprints, IPs, e-mails, phones,
names). Aggregates computed with them (entity sizes, ring counts, term frequencies of shared values) stay as
computed: they are counts, not personal data. Each file is written under a hidden temporary name and renamed
over the old one; er.duckdb is rebuilt into a fresh file (deleted rows would otherwise survive in free
blocks) and replaced last, so a run interrupted half-way finds the accounts again and finishes the job.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from ..export.tables import FORMULA_START
from ..runfolder import DB, MANIFEST, Manifest
from ..tables import ENTITIES, STD_TABLES, require_tables

if TYPE_CHECKING:
    pass

# Columns that hold account ids, in er.duckdb and in the exports.
ID_COLUMNS = frozenset({"account_id", "account_id_l", "account_id_r", "unique_id", "unique_id_l", "unique_id_r"})
# Cells export/tables.py quoted as text start with ' and then one of these (OWASP CSV injection).
_FORMULA = re.compile(FORMULA_START)


def _uses_sql() -> str:
    """(account_id, kind, value) for every identifying value a run stores about an account."""
    return """
        SELECT account_id, 'email' AS kind, email_canonical AS value FROM old.std_accounts
        UNION ALL SELECT account_id, 'email', email_raw FROM old.std_accounts
        UNION ALL SELECT account_id, 'phone', phone_e164 FROM old.std_accounts
        UNION ALL SELECT account_id, 'phone', phone_raw FROM old.std_accounts
        UNION ALL SELECT account_id, 'name', full_name_raw FROM old.std_accounts
        UNION ALL SELECT account_id, 'name', name_norm FROM old.std_accounts
        UNION ALL SELECT account_id, 'ip', signup_ip FROM old.std_accounts
        UNION ALL SELECT account_id, 'device', device_id FROM old.std_devices
        UNION ALL SELECT account_id, 'ip', ip FROM old.std_devices
        UNION ALL SELECT account_id, 'card', card_fingerprint FROM old.std_payments
        UNION ALL SELECT account_id, 'name', cardholder_name_norm FROM old.std_payments
    """


@dataclass(frozen=True)
class Forbidden:
    """What may not remain: the ids, and the identifier values only those accounts used."""

    ids: frozenset[str]
    values: frozenset[str]  # bare values, "kind:value" (as in detection's `via` lists), ids of emptied entities

    @property
    def all(self) -> frozenset[str]:
        return self.ids | self.values


def is_run_folder(folder: Path) -> bool:
    return (folder / MANIFEST).is_file() or (folder / "detect_manifest.json").is_file()


def check_folders(folders: list[Path]) -> None:
    problems = [Problem(str(f), None, None, "a run folder (manifest.json) or an `er detect` export "
                        "(detect_manifest.json)", "neither" if f.is_dir() else "no such folder")
                for f in folders if not is_run_folder(f)]
    if problems:
        raise InputError(problems)


def forbidden_values(folders: list[Path], ids: frozenset[str]) -> tuple[Forbidden, frozenset[str]]:
    """The ids and the values only they used (read from each folder's er.duckdb); and which ids were found."""
    import duckdb

    values: set[str] = set()
    found: set[str] = set()
    for folder in folders:
        db = folder / DB
        if not db.is_file():
            continue
        with duckdb.connect() as con:
            con.execute("ATTACH $p AS old (READ_ONLY)", {"p": str(db)})
            require_tables(con, (*STD_TABLES, ENTITIES), db, catalog="old")
            if (folder / MANIFEST).is_file():
                Manifest.read(folder / MANIFEST)  # rewritten below: a broken one stops us before any write
            con.execute("CREATE TEMP TABLE forget_ids AS SELECT unnest($ids::VARCHAR[]) AS id", {"ids": sorted(ids)})
            found |= {r[0] for r in con.execute(
                "SELECT account_id FROM old.std_accounts WHERE account_id IN (SELECT id FROM forget_ids)").fetchall()}
            rows = con.execute(
                f"SELECT kind, value FROM ({_uses_sql()}) WHERE value IS NOT NULL GROUP BY kind, value "
                "HAVING bool_and(account_id IN (SELECT id FROM forget_ids))").fetchall()  # our own SQL
            # entities all of whose accounts go: their ids are hashes of a forgotten id (match/entities.py)
            gone = con.execute(
                "SELECT entity_id FROM old.entities GROUP BY entity_id "
                "HAVING bool_and(account_id IN (SELECT id FROM forget_ids))").fetchall()
        for kind, value in rows:
            values |= {value, f"{kind}:{value}"}
        values |= {r[0] for r in gone}
    return Forbidden(ids, frozenset(values)), frozenset(found)


@dataclass(frozen=True)
class FolderResult:
    folder: Path
    files_rewritten: list[str]
    rows_removed: int


def scrub_folder(folder: Path, forbidden: Forbidden, when: datetime, reason: str) -> FolderResult:
    """Rewrite every export in `folder` without the forbidden ids and values (see the module docstring)."""
    token = secrets.token_hex(4)
    staged: list[tuple[Path, Path]] = []
    removed = 0
    try:
        for path in sorted(folder.glob("*.parquet")):
            n = _scrub_parquet(path, forbidden, _tmp(path, token))
            if n is not None:
                staged.append((_tmp(path, token), path))
                removed += n
        for path in sorted(folder.glob("*.csv")):
            n = _scrub_csv(path, forbidden, _tmp(path, token))
            if n is not None:
                staged.append((_tmp(path, token), path))
                removed += n if not path.with_suffix(".parquet").is_file() else 0  # counted once, by its Parquet
        db = folder / DB
        db_removed = _rebuild_duckdb(db, forbidden, _tmp(db, token)) if db.is_file() else 0
        if staged or db_removed:
            manifest = folder / MANIFEST
            if manifest.is_file():
                data = Manifest.read(manifest)
                entry = {"at": when.isoformat(), "accounts": len(forbidden.ids), "reason": reason}
                replace(data, forgotten=(*data.forgotten, entry)).write(_tmp(manifest, token))
                staged.append((_tmp(manifest, token), manifest))
            if db.is_file():  # last: until it is replaced, a rerun finds the accounts again
                staged.append((_tmp(db, token), db))
                removed += db_removed
        else:
            _tmp(db, token).unlink(missing_ok=True)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        _tmp(folder / DB, token).unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    rewritten = [final.name for _, final in staged]
    if staged and (folder / "report.html").is_file():  # its counts and charts still include the accounts
        from ..report import try_write_report

        written, _ = try_write_report(folder)
        if written is None:  # a stale report would still show them: better none (`er report` writes it again)
            (folder / "report.html").unlink()
        rewritten.append("report.html")
    return FolderResult(folder, rewritten, removed)


def _tmp(path: Path, token: str) -> Path:
    return path.with_name(f".{path.name}.tmp-forget-{token}")


def _scrub_parquet(path: Path, forbidden: Forbidden, tmp: Path) -> int | None:
    """Write the filtered table to tmp; the number of rows removed, or None when nothing had to change."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    value_set = pa.array(sorted(forbidden.all), pa.string())
    keep = pa.array([True] * table.num_rows, pa.bool_())
    columns = list(table.columns)
    changed = False
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            hit = pc.fill_null(pc.is_in(col, value_set=value_set), False)
            keep = pc.and_(keep, pc.invert(hit))
        elif pa.types.is_list(field.type) and pa.types.is_string(field.type.value_type):
            flat = pc.list_flatten(col)
            if len(flat) and pc.any(pc.is_in(flat, value_set=value_set)).as_py():
                cleaned = [None if v is None else [x for x in v if x not in forbidden.all] for v in col.to_pylist()]
                columns[i] = pa.chunked_array([pa.array(cleaned, field.type)])
                changed = True
    dropped = table.num_rows - pc.sum(pc.cast(keep, pa.int64())).as_py() if table.num_rows else 0
    if not dropped and not changed:
        return None
    out = pa.Table.from_arrays(columns, schema=table.schema).filter(keep)
    pq.write_table(out, tmp)
    return int(dropped)


def _bare(cell: str) -> str:
    """The value behind a CSV cell that export/tables.py quoted as text (a leading ' before a formula start)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell[1:]) else cell


def _safe(value: str) -> str:
    """An edited list cell whose new first element starts like a formula is quoted as text, as the exporter does."""
    return value if value.startswith("'") or not _FORMULA.match(value) else "'" + value


def _records(path: Path) -> Iterator[tuple[list[str], str]]:
    """(parsed cells, raw text) of each CSV record, so untouched records are copied byte for byte."""
    with path.open(newline="", encoding="utf-8") as fh:
        raw: list[str] = []

        def lines() -> Iterator[str]:
            for line in fh:
                raw.append(line)
                yield line

        for cells in csv.reader(lines()):
            text = "".join(raw)
            raw.clear()
            yield cells, text


def _raw_cells(text: str) -> list[str]:
    """Split one raw CSV record into its cells as written (quotes kept)."""
    body = text.rstrip("\r\n")
    cells, start, quoted = [], 0, False
    for i, ch in enumerate(body):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            cells.append(body[start:i])
            start = i + 1
    cells.append(body[start:])
    return cells


def _list_columns(path: Path) -> frozenset[str]:
    """The columns that hold lists (written "a|b|c"): from the Parquet twin's schema, else by name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    twin = path.with_suffix(".parquet")
    if twin.is_file():
        return frozenset(f.name for f in pq.read_schema(twin) if pa.types.is_list(f.type))
    return frozenset()


def _scrub_csv(path: Path, forbidden: Forbidden, tmp: Path) -> int | None:
    """Drop records with a forbidden cell; take forbidden ids out of list cells ("a|b|c"). None: no change."""
    bad = forbidden.all
    lists = _list_columns(path)
    out: list[str] = []
    dropped = 0
    changed = False
    is_list: list[bool] = []
    for n, (cells, text) in enumerate(_records(path)):
        if n == 0:
            is_list = [c in lists or c.endswith("_ids") for c in cells]
            out.append(text)
            continue
        if any(_bare(c) in bad for c, listed in zip(cells, is_list, strict=False) if not listed):
            dropped += 1
            continue
        edits = {}
        for i, c in enumerate(cells):
            if (i < len(is_list) and is_list[i]) or "|" in c:
                parts = c.split("|")
                kept = [p for p in parts if _bare(p) not in bad]
                if len(kept) != len(parts):
                    edits[i] = _safe("|".join(kept))
        if edits:
            raw = _raw_cells(text)
            if len(raw) != len(cells):  # not our writer's CSV: write the record fresh
                raw = ['"' + c.replace('"', '""') + '"' for c in cells]
            for i, value in edits.items():
                raw[i] = '"' + value.replace('"', '""') + '"'
            text = ",".join(raw) + text[len(text.rstrip("\r\n")):]
            changed = True
        out.append(text)
    if not dropped and not changed:
        return None
    tmp.write_text("".join(out), encoding="utf-8", newline="")
    return dropped


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rebuild_duckdb(db: Path, forbidden: Forbidden, tmp: Path) -> int:
    """Copy every table of db into a fresh database at tmp without the forbidden rows; return rows removed.

    Rows keyed by a forgotten id go; in term-frequency tables (tf_<column>), values only forgotten accounts had
    in `profiles`; in other tables without an id column, rows holding a forbidden value.
    """
    import duckdb

    tmp.unlink(missing_ok=True)
    removed = 0
    with duckdb.connect(str(tmp)) as con:
        con.execute("ATTACH $p AS old (READ_ONLY)", {"p": str(db)})
        con.execute("CREATE TEMP TABLE forget_ids AS SELECT unnest($v::VARCHAR[]) AS v", {"v": sorted(forbidden.ids)})
        con.execute("CREATE TEMP TABLE forget_values AS SELECT unnest($v::VARCHAR[]) AS v",
                    {"v": sorted(forbidden.all)})
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' AND schema_name = 'main' "
            "ORDER BY table_name").fetchall()]
        columns: dict[str, dict[str, str]] = {t: {} for t in tables}
        for table, column, kind in con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                "WHERE database_name = 'old' AND schema_name = 'main' ORDER BY table_name, column_index").fetchall():
            columns[table][column] = kind
        profiles = columns.get("profiles", {})
        for table in tables:
            cols = columns[table]
            ids = [c for c in cols if c in ID_COLUMNS]
            conds = [f"{_q(c)} IN (SELECT v FROM temp.forget_ids)" for c in ids]
            value_col = table[3:] if table.startswith("tf_") else None
            if not ids and value_col in cols and value_col in profiles:
                # a value of the forgotten profiles that no other profile has
                conds.append(
                    f"{_q(value_col)} IN (SELECT {_q(value_col)} FROM old.profiles "
                    "WHERE unique_id IN (SELECT v FROM temp.forget_ids)) "
                    f"AND {_q(value_col)} NOT IN (SELECT {_q(value_col)} FROM old.profiles "
                    f"WHERE unique_id NOT IN (SELECT v FROM temp.forget_ids) AND {_q(value_col)} IS NOT NULL)")
            elif not ids:
                conds += [f"{_q(c)} IN (SELECT v FROM temp.forget_values)" for c, k in cols.items() if k == "VARCHAR"]
            where = f" WHERE NOT coalesce({' OR '.join(conds)}, false)" if conds else ""
            # table and column names come from our own database file, quoted
            con.execute(f"CREATE TABLE main.{_q(table)} AS SELECT * FROM old.main.{_q(table)}{where}")
            before = con.execute(f"SELECT count(*) FROM old.main.{_q(table)}").fetchone()
            after = con.execute(f"SELECT count(*) FROM main.{_q(table)}").fetchone()
            removed += int(before[0] if before else 0) - int(after[0] if after else 0)
        con.execute("DETACH old")
        con.execute("CHECKPOINT")
    return removed
