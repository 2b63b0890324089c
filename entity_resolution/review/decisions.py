"""The review decisions file: what reviewers and appeals decided, which every later `er run` applies.

One JSON object a line (the forget list's pattern, forget/forget_list.py: the user's data folder, setting
`review_decisions`, replaced atomically under a lock, owner-only), oldest first:

    {"decision_id": "D-…", "kind": "pair", "answer": "no_match", "account_ids": ["a1", "a2"],
     "reviewer": "ana", "decided_at": "2026-12-05T12:00:00+00:00", "note": "…", "source": "review",
     "run_id": "run-…", "ring_id": null, "identifiers": [], "entity_ids": ["E-…"]}

kind / answer: pair match | no_match (must-link / cannot-link), ring confirm | reject, account abusive |
benign (a label; source "appeal" with origin appeal_upheld / appeal_overturned). The latest decision on a
subject (the pair, the ring's members, the account) wins. A damaged file is refused, never skipped: skipping
it would silently undo reviewers' work.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..export.atomic import write_jsonl_atomic

ANSWERS: dict[str, tuple[str, ...]] = {
    "pair": ("match", "no_match"),
    "ring": ("confirm", "reject"),
    "account": ("abusive", "benign"),
}
SOURCES = ("review", "appeal")
# An appeal's outcome as a label origin (docs/data-contract.md): upheld keeps the ban, overturned takes it back.
APPEAL_ORIGIN = {"abusive": "appeal_upheld", "benign": "appeal_overturned"}
REVIEW_ORIGIN = "manual_review"


@dataclass(frozen=True)
class Decision:
    kind: str
    answer: str
    account_ids: tuple[str, ...]
    reviewer: str
    decided_at: datetime
    note: str = ""
    source: str = "review"
    run_id: str | None = None
    ring_id: str | None = None
    identifiers: tuple[str, ...] = ()  # a ring's binding identifiers ("kind:value") when it was decided
    entity_ids: tuple[str, ...] = ()  # the accounts' entities in the run the reviewer saw
    decision_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.decision_id:
            object.__setattr__(self, "decision_id", _decision_id(self))

    @property
    def subject(self) -> tuple[str, frozenset[str]]:
        """What a later decision replaces: the same kind about the same accounts (a ring: the same id)."""
        if self.kind == "ring" and self.ring_id:
            return (self.kind, frozenset({self.ring_id}))
        return (self.kind, frozenset(self.account_ids))

    @property
    def origin(self) -> str:
        """The label origin of an account decision."""
        return APPEAL_ORIGIN[self.answer] if self.source == "appeal" else REVIEW_ORIGIN

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["decided_at"] = self.decided_at.isoformat()
        out["account_ids"] = list(self.account_ids)
        out["identifiers"] = list(self.identifiers)
        out["entity_ids"] = list(self.entity_ids)
        return out


def _decision_id(d: Decision) -> str:
    key = json.dumps([d.kind, d.answer, list(d.account_ids), d.ring_id, d.reviewer, d.decided_at.isoformat(),
                      d.note, d.source])
    return "D-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def make(kind: str, answer: str, account_ids: Iterable[str], reviewer: str | None, when: datetime, *,
         note: str = "", source: str = "review", where: str = "decision", **extra: Any) -> Decision:
    """A checked Decision: InputError (naming `where`) for an unknown answer, no reviewer, too few accounts."""
    ids = tuple(sorted(dict.fromkeys(a.strip() for a in account_ids if a.strip())))
    problems: list[Problem] = []
    if answer not in ANSWERS.get(kind, ()):
        allowed = ", ".join(a for k in ANSWERS for a in ANSWERS[k])
        problems.append(Problem(where, None, "answer", f"one of {allowed} for a {kind}", repr(answer)))
    need = {"pair": 2, "account": 1}.get(kind)
    if need is not None and len(ids) != need:
        problems.append(Problem(where, None, "account_ids", f"{need} distinct account id(s) for a {kind}",
                                ", ".join(ids) or "none"))
    if kind == "ring" and not ids:
        problems.append(Problem(where, None, "account_ids", "the ring's member accounts", "none"))
    if not reviewer or not reviewer.strip() or "\n" in reviewer:
        problems.append(Problem(where, None, "reviewer", "a reviewer name (--reviewer or ER_REVIEWER)",
                                repr(reviewer)))
    if "\n" in note:
        problems.append(Problem(where, None, "note", "one line of text", repr(note[:60])))
    if source not in SOURCES:
        problems.append(Problem(where, None, "source", " or ".join(SOURCES), repr(source)))
    if problems:
        raise InputError(problems)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return Decision(kind=kind, answer=answer, account_ids=ids, reviewer=(reviewer or "").strip(), decided_at=when,
                    note=note.strip(), source=source, **extra)


def _from_json(entry: Any, path: Path, line: int) -> Decision:
    def bad(column: str, expected: str, found: Any) -> InputError:
        return InputError([Problem(str(path), line, column, expected, repr(found)[:80])])

    if not isinstance(entry, dict):
        raise bad("decision", "a JSON object written by `er review`", entry)
    try:
        when = datetime.fromisoformat(str(entry.get("decided_at")))
    except ValueError as exc:
        raise bad("decided_at", "an ISO-8601 time", entry.get("decided_at")) from exc
    ids = entry.get("account_ids")
    if not isinstance(ids, list) or not all(isinstance(a, str) for a in ids):
        raise bad("account_ids", "a list of account ids", ids)
    extra = {k: entry.get(k) for k in ("run_id", "ring_id")}
    extra |= {k: tuple(str(v) for v in entry.get(k) or ()) for k in ("identifiers", "entity_ids")}
    try:
        return make(str(entry.get("kind")), str(entry.get("answer")), ids, entry.get("reviewer"), when,
                    note=str(entry.get("note") or ""), source=str(entry.get("source") or "review"),
                    where=f"{path} line {line}", decision_id=str(entry.get("decision_id") or ""), **extra)
    except InputError as exc:
        raise InputError([Problem(str(path), line, p.column, p.expected, p.found) for p in exc.problems]) from exc


def read(path: Path) -> list[Decision]:
    """Every decision in the file, oldest first; [] when there is no file. InputError for a damaged line."""
    if not path.is_file():
        return []
    out: list[Decision] = []
    problems: list[Problem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(_from_json(json.loads(line), path, n))
        except json.JSONDecodeError:
            problems.append(Problem(str(path), n, None, "a JSON object written by `er review`", repr(line[:60])))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def in_force(decisions: Iterable[Decision]) -> list[Decision]:
    """The latest decision on each subject (by decided_at, then file order), in the order they were made."""
    latest: dict[tuple[str, frozenset[str]], Decision] = {}
    for d in sorted(decisions, key=lambda d: d.decided_at):  # stable: file order breaks ties
        latest.pop(d.subject, None)
        latest[d.subject] = d
    return list(latest.values())


def record(path: Path, new: Iterable[Decision]) -> int:
    """Append the decisions (the file replaced atomically, owner-only, under a lock so two reviewers at once
    lose nothing); return how many were new (a decision already in the file, same id, is not added twice)."""
    with _locked(path):
        entries = read(path)
        known = {d.decision_id for d in entries}
        added = [d for d in new if d.decision_id not in known]
        if added:
            _write(path, [*entries, *added])
        return len(added)


def forget_accounts(path: Path, ids: Iterable[str]) -> int:
    """`er forget`: drop the pair and account decisions naming a forgotten account and take it out of rings'
    member lists (a ring left with fewer than two members goes). Returns the decisions changed or dropped."""
    gone = set(ids)
    if not path.is_file() or not gone:
        return 0
    with _locked(path):
        entries = read(path)
        kept: list[Decision] = []
        for d in entries:
            if not gone & set(d.account_ids):
                kept.append(d)
            elif d.kind == "ring" and len(set(d.account_ids) - gone) >= 2:
                kept.append(replace(d, account_ids=tuple(a for a in d.account_ids if a not in gone), entity_ids=()))
        changed = len(entries) - sum(1 for d in kept if d in entries)
        if changed:
            _write(path, kept)
        return changed


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when the process dies
        yield


def _write(path: Path, entries: list[Decision]) -> None:
    write_jsonl_atomic(path, (d.to_json() for d in entries))
