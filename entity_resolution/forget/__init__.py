"""Erasure (`er forget`): remove accounts' personal data from the graph, the run folder and future runs.

    result = forget(["acct_1"], [Path("out/run")], settings)

Order matters: the ids go on the forget list first (so no later run brings them back even if a step below
fails), then each folder is rewritten, then the graph. Every step is idempotent: running it again finishes
an interrupted erasure. docs/operations.md describes the guarantees and their limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from .forget_list import account_hash, record
from .run_folder import FolderResult, check_folders, forbidden_values, scrub_folder

if TYPE_CHECKING:
    from neo4j import Driver

    from ..settings import Settings
    from .graph import GraphForgetResult

DEFAULT_REASON = "erasure request"


@dataclass(frozen=True)
class ForgetResult:
    requested: int
    newly_listed: int  # ids not on the forget list before
    found_in_runs: int  # ids present in a folder's er.duckdb
    forget_list: Path
    folders: list[FolderResult] = field(default_factory=list)
    graph: GraphForgetResult | None = None


def read_ids(path: Path) -> list[str]:
    """Account ids from a file: one a line, blank lines skipped, an optional first line `account_id`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError([Problem(str(path), None, None, "a file of account ids, one a line",
                                  "no such file")]) from exc
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), None, None, "UTF-8 text", f"undecodable byte at {exc.start}")]) from exc
    ids = [line.strip() for line in lines]
    if ids and ids[0] == "account_id":
        ids = ids[1:]
    return [i for i in ids if i]


def forget(ids: list[str], folders: list[Path], settings: Settings, *, reason: str = DEFAULT_REASON,
           graph: bool = True, driver: Driver | None = None, when: datetime | None = None) -> ForgetResult:
    """Forget the accounts: forget list, then every folder in `folders`, then (unless graph=False) Neo4j.

    driver: an open driver to use; by default one is opened from settings (the managed server or neo4j_uri).
    """
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted:
        raise InputError([Problem("account ids", None, None, "at least one account id (arguments or --file)",
                                  "none")])
    if not reason.strip() or "\n" in reason:
        raise InputError([Problem("--reason", None, None, "one line of text (no personal data)", repr(reason))])
    folders = list(dict.fromkeys(f.resolve() for f in folders))  # the same folder twice is rewritten once
    check_folders(folders)
    when = when or datetime.now(UTC)
    hashes = [account_hash(i) for i in wanted]
    forbidden, found = forbidden_values(folders, frozenset(wanted))  # reads only: bad folders stop us here
    newly = record(settings.forget_list, hashes, reason, when)
    from ..review.decisions import forget_accounts

    forget_accounts(settings.review_decisions, wanted)  # `er review` decisions name accounts by id
    results = [scrub_folder(f, forbidden, when, reason) for f in folders]
    graph_result = None
    if graph:
        graph_result = _graph(wanted, hashes, when, reason, settings, driver)
    return ForgetResult(len(wanted), newly, len(found), settings.forget_list, results, graph_result)


def _graph(ids: list[str], hashes: list[str], when: datetime, reason: str, settings: Settings,
           driver: Driver | None) -> GraphForgetResult:
    from ..graph.connection import connect
    from .graph import forget_in_graph

    own = driver is None
    drv = connect(settings) if driver is None else driver
    try:
        return forget_in_graph(drv, ids, hashes, when, reason, database=settings.neo4j_database)
    finally:
        if own:
            drv.close()
