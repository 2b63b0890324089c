"""Review and appeals (`er review`, docs/review.md): a queue of the decisions the engine is least sure of,
reviewers' answers kept in a decisions file under the user's data folder, and what every later `er run`
does with them (cannot-links split entities, must-links join them, rejected rings stay unflagged without
new evidence, account answers become labels), with an audit trail in each run folder.

    items = review.queue(run_dir, settings)
    ctx = review.context(run_dir, settings)
    review.record(settings, decide.from_item(items[0], "no_match", "different people", ctx))
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from .. import runfolder
from ..settings import Settings
from . import decisions as store
from .decide import Context, now
from .decisions import Decision
from .queue import DEFAULT_LIMIT, DEFAULT_MARGIN, KINDS, Item, build

__all__ = ["KINDS", "Context", "Decision", "Item", "context", "in_force", "queue", "record"]


def in_force(settings: Settings) -> list[Decision]:
    """The latest decision on each subject in the settings' decisions file."""
    return store.in_force(store.read(settings.review_decisions))


def queue(run_dir: Path, settings: Settings, *, kinds: tuple[str, ...] = KINDS, limit: int = DEFAULT_LIMIT,
          margin: float = DEFAULT_MARGIN) -> list[Item]:
    """The review queue of a run folder, without what is already decided."""
    return build(run_dir, in_force(settings), kinds=kinds, limit=limit, margin=margin)


def context(run_dir: Path, settings: Settings, when: datetime | None = None) -> Context:
    """Who decides (settings.reviewer: --reviewer or ER_REVIEWER), when, about which run folder."""
    run = runfolder.open(run_dir)
    return Context(run_dir=run.paths.root, run_id=run.manifest.run_id, reviewer=settings.reviewer,
                   when=when or now())


def record(settings: Settings, decisions: Iterable[Decision]) -> int:
    """Add decisions to the decisions file; the number that were new."""
    return store.record(settings.review_decisions, decisions)
