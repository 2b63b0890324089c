"""The forget list: SHA-256 hashes of forgotten account ids, which every later run drops at ingest.

One JSON object a line: {"account_sha256", "forgotten_at", "reason"}. It stores hashes, never the ids, so the
list itself holds no personal data; `printf %s ID | sha256sum` checks whether an id is on it. It lives in the
user's data folder (setting `forget_list`), not in a run folder, so every run applies it wherever --out points.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dbutil import scalar
from ..errors import InputError, Problem
from ..export.atomic import write_jsonl_atomic

if TYPE_CHECKING:
    import duckdb

_HEX64 = re.compile(r"[0-9a-f]{64}")


def account_hash(account_id: str) -> str:
    """SHA-256 of the UTF-8 id, lower-case hex: what DuckDB's sha256() gives, so ingest can match it in SQL."""
    return hashlib.sha256(account_id.encode("utf-8")).hexdigest()


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The list's entries, oldest first; [] when the file does not exist. A damaged list is refused, never
    skipped: ignoring it would bring forgotten accounts back."""
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            entry = None
        digest = entry.get("account_sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            problems.append(Problem(str(path), n, "account_sha256",
                                    'a JSON object with "account_sha256": 64 lower-case hex digits',
                                    repr(line[:60])))
            continue
        entries.append(entry)
    if problems:
        raise InputError(problems)
    return entries


def read_hashes(path: Path) -> set[str]:
    return {e["account_sha256"] for e in read_entries(path)}


def record(path: Path, hashes: Iterable[str], reason: str, when: datetime) -> int:
    """Add the hashes not yet on the list (replacing the file atomically, owner-only); return how many were new.
    Two `er forget` at once take turns (a lock file next to the list), so neither loses the other's entries."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when the process dies
        return _record(path, hashes, reason, when)


def _record(path: Path, hashes: Iterable[str], reason: str, when: datetime) -> int:
    entries = read_entries(path)
    known = {e["account_sha256"] for e in entries}
    new = [h for h in dict.fromkeys(hashes) if h not in known]
    if not new:
        return 0
    entries += [{"account_sha256": h, "forgotten_at": when.isoformat(), "reason": reason} for h in new]
    write_jsonl_atomic(path, entries)
    return len(new)


# The typed input tables of ingest (ingest/__init__.py); every one is keyed by account_id.
INPUT_TABLES = ("in_accounts", "in_devices", "in_payments", "in_labels")


def apply_at_ingest(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Delete the rows of forgotten accounts from the freshly read inputs, before anything else uses them.
    Returns the number of accounts dropped."""
    hashes = read_hashes(path)
    if not hashes:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE forget_hashes AS SELECT unnest($h::VARCHAR[]) AS h",
                {"h": sorted(hashes)})
    dropped = int(scalar(con, "SELECT count(*) FROM in_accounts WHERE sha256(account_id) IN "
                              "(SELECT h FROM forget_hashes)"))
    for table in INPUT_TABLES:  # our own table names
        # Rebuilt, not DELETEd from: deleted rows would stay in the database file's blocks.
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} "
                    "WHERE sha256(account_id) NOT IN (SELECT h FROM forget_hashes)")
    con.execute("DROP TABLE forget_hashes")
    return int(dropped)
