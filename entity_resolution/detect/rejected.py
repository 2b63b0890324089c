"""Rings reviewers rejected (`er review`): not flagged again without new evidence (docs/review.md).

A rejected ring is remembered as its member accounts and its binding identifiers ("kind:value": identifiers
two or more of its entities used) when it was rejected. A later ring is the same group **without new
evidence** when every one of its accounts was a member then and every identifier binding it now was binding
it then: it is not flagged (its accounts get no ring, so no ring contribution to risk). Anything more is new
evidence and the ring is flagged again: an account that was not a member (a new sign-up joining the group,
or another entity brought in), or a shared identifier the reviewer did not see (a new device, card, phone,
e-mail or IP the members now share). A group that shrank or lost identifiers is still the same group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class RejectedRing:
    decision_id: str
    ring_id: str | None
    accounts: frozenset[str]
    identifiers: frozenset[str]


@dataclass(frozen=True)
class RingOutcome:
    """What a rejection did in this detection: status suppressed (same group, no new evidence), reflagged
    (the group has new evidence) or absent (no ring holds any of its accounts)."""

    decision_id: str
    status: str
    part_ids: tuple[str, ...]
    detail: str  # counts only: ids and values go in the two lists (so `er forget` can scrub them)
    new_accounts: tuple[str, ...] = ()
    new_identifiers: tuple[str, ...] = ()


def binding_identifiers(accounts: pa.Table, edges: pa.Table) -> dict[str, frozenset[str]]:
    """part_id -> the identifiers ("kind:value") used by two or more of the part's entities."""
    part_of = {e: p for e, p in zip(accounts["entity_id"].to_pylist(), accounts["part_id"].to_pylist(), strict=True)
               if p is not None}
    users: dict[tuple[str, str], set[str]] = defaultdict(set)  # (part, ident) -> entities
    for e, kind, value in zip(edges["entity_id"].to_pylist(), edges["kind"].to_pylist(), edges["value"].to_pylist(),
                              strict=True):
        part = part_of.get(e)
        if part is not None:
            users[(part, f"{kind}:{value}")].add(e)
    out: dict[str, set[str]] = defaultdict(set)
    for (part, ident), es in users.items():
        if len(es) >= 2:
            out[part].add(ident)
    return {p: frozenset(v) for p, v in out.items()}


def apply(accounts: pa.Table, parts: pa.Table, edges: pa.Table,
          rejected: Sequence[RejectedRing]) -> tuple[pa.Table, pa.Table, list[RingOutcome]]:
    """accounts (finish.weigh's, with part_id and grows_with) and parts without the rings rejected and not
    re-evidenced; what happened to each rejection."""
    if not rejected or parts.num_rows == 0:
        return accounts, parts, [RingOutcome(r.decision_id, "absent", (), "no ring holds any of its accounts")
                                 for r in rejected]
    members: dict[str, set[str]] = defaultdict(set)
    for a, p in zip(accounts["account_id"].to_pylist(), accounts["part_id"].to_pylist(), strict=True):
        if p is not None:
            members[p].add(a)
    binding = binding_identifiers(accounts, edges)
    drop: set[str] = set()
    outcomes: list[RingOutcome] = []
    for r in rejected:
        touched = sorted(p for p, m in members.items() if m & r.accounts)
        if not touched:
            outcomes.append(RingOutcome(r.decision_id, "absent", (), "no ring holds any of its accounts"))
            continue
        new_accounts: set[str] = set()
        new_idents: set[str] = set()
        for p in touched:
            accounts_p = members[p] - r.accounts
            idents_p = binding.get(p, frozenset()) - r.identifiers
            if not accounts_p and not idents_p:
                drop.add(p)
            new_accounts |= accounts_p
            new_idents |= idents_p
        if new_accounts or new_idents:
            outcomes.append(RingOutcome(
                r.decision_id, "reflagged", tuple(touched),
                f"new evidence: {len(new_accounts)} new account(s), {len(new_idents)} new shared identifier(s)",
                tuple(sorted(new_accounts)), tuple(sorted(new_idents))))
        else:
            outcomes.append(RingOutcome(r.decision_id, "suppressed", tuple(touched),
                                        "same group, no new evidence: not flagged"))
    if not drop:
        return accounts, parts, outcomes
    gone = pa.array(sorted(drop), pa.string())
    names = accounts.column_names
    for column in ("part_id", "grows_with"):
        col = accounts[column]
        accounts = accounts.set_column(names.index(column), column,
                                       pc.if_else(pc.is_in(col, gone), pa.scalar(None, pa.string()), col))
    parts = parts.filter(pc.invert(pc.is_in(parts["part_id"], gone)))
    return accounts, parts, outcomes
