"""Decisions from a reviewer's answer to a queue item, from `--decide ANSWER:SUBJECT` and from a decisions
file (reviews or appeals), each checked before anything is recorded (docs/review.md).

ANSWER:SUBJECT forms (the same words in a file's `decision` column, with the subject in `subject`):
    match:A,B  no-match:A,B          two accounts are / are not the same person
    confirm:RING  reject:RING        a ring id of the run folder reviewed
    abusive:A  benign:A              an account
    appeal-upheld:A  appeal-overturned:A   an appeal's outcome (a label abusive / benign, origin appeal_*)
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..settings import parse_time
from .decisions import Decision, make
from .queue import DECISION_KIND, Item, account_entities, find_ring

# word -> (decision kind, answer, source)
WORDS: dict[str, tuple[str, str, str]] = {
    "match": ("pair", "match", "review"), "no-match": ("pair", "no_match", "review"),
    "confirm": ("ring", "confirm", "review"), "reject": ("ring", "reject", "review"),
    "abusive": ("account", "abusive", "review"), "benign": ("account", "benign", "review"),
    "appeal-upheld": ("account", "abusive", "appeal"), "appeal-overturned": ("account", "benign", "appeal"),
}


@dataclass(frozen=True)
class Context:
    """Who decides, when, about which run folder (its id goes on each decision)."""

    run_dir: Path
    run_id: str | None
    reviewer: str | None
    when: datetime


def from_item(item: Item, answer: str, note: str, ctx: Context) -> list[Decision]:
    """The decision(s) an answer to a queue item records: a bridge's answer is one per account."""
    kind = DECISION_KIND[item.kind]
    common: dict[str, Any] = {"note": note, "run_id": ctx.run_id, "where": f"answer to {item.kind} {item.key}"}
    if kind == "account":
        return [make("account", answer, [a], ctx.reviewer, ctx.when, entity_ids=item.entity_ids, **common)
                for a in item.account_ids]
    return [make(kind, answer, item.account_ids, ctx.reviewer, ctx.when, ring_id=item.ring_id,
                 identifiers=item.identifiers, entity_ids=item.entity_ids, **common)]


def from_text(text: str, note: str, ctx: Context, *, where: str = "--decide",
              reviewer: str | None = None, when: datetime | None = None) -> Decision:
    """One decision from "ANSWER:SUBJECT" (see the module docstring)."""
    word, sep, subject = text.partition(":")
    word = word.strip().lower().replace("_", "-")
    if not sep or word not in WORDS or not subject.strip():
        raise InputError([Problem(where, None, None, f"ANSWER:SUBJECT with ANSWER one of {', '.join(WORDS)}",
                                  repr(text))])
    kind, answer, source = WORDS[word]
    who, at = reviewer or ctx.reviewer, when or ctx.when
    common: dict[str, Any] = {"note": note, "source": source, "run_id": ctx.run_id, "where": where}
    if kind == "ring":
        ring = find_ring(ctx.run_dir, subject.strip())
        return make("ring", answer, ring.account_ids, who, at, ring_id=ring.ring_id,
                    identifiers=ring.identifiers, entity_ids=ring.entity_ids, **common)
    ids = [a.strip() for a in subject.split(",") if a.strip()]
    entities = account_entities(ctx.run_dir, ids)
    unknown = [a for a in ids if a not in entities]
    if unknown:
        raise InputError([Problem(where, None, None, f"account ids of the run folder {ctx.run_dir}",
                                  ", ".join(unknown))])
    return make(kind, answer, ids, who, at, entity_ids=tuple(entities[a] for a in sorted(set(ids))), **common)


FILE_COLUMNS = ("decision", "subject", "note", "reviewer", "decided_at")


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError([Problem(str(path), None, None, "a decisions file (CSV or JSON Lines)", "no such file")]) \
            from exc
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), None, None, "UTF-8 text", f"undecodable byte at {exc.start}")]) from exc
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    value = None
                if not isinstance(value, dict):
                    raise InputError([Problem(str(path), n, None, "a JSON object a line", repr(line[:60]))])
                rows.append(value)
        return rows
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("decision", "subject") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError([Problem(str(path), 0, ", ".join(missing), f"a header with {', '.join(FILE_COLUMNS)} "
                                  "(decision and subject required)", ", ".join(reader.fieldnames or []) or "none")])
    return list(reader)


def from_file(path: Path, ctx: Context) -> list[Decision]:
    """Every row of a decisions file (CSV with a header, or JSON Lines) as a decision; all problems at once.
    reviewer and decided_at per row, else the context's (--reviewer / ER_REVIEWER, now)."""
    out: list[Decision] = []
    problems: list[Problem] = []
    for n, row in enumerate(_rows(path), start=1):
        where = f"{path} row {n}"
        try:
            when = None
            if str(row.get("decided_at") or "").strip():
                try:
                    when = parse_time(str(row["decided_at"]))
                except ValueError as exc:
                    raise InputError([Problem(str(path), n, "decided_at", "an ISO-8601 time",
                                              repr(row["decided_at"]))]) from exc
            text = f"{str(row.get('decision') or '').strip()}:{str(row.get('subject') or '').strip()}"
            out.append(from_text(text, str(row.get("note") or ""), ctx, where=where,
                                 reviewer=str(row.get("reviewer") or "").strip() or None, when=when))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem(str(path), None, None, "at least one decision", "no rows")])
    return out


def now() -> datetime:
    return datetime.now(UTC)
