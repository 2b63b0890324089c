"""Rejected rings (detect/rejected.py): the same group is not flagged again; new members or new shared
identifiers are new evidence and flag it again."""

from __future__ import annotations

import pyarrow as pa

from entity_resolution.detect.rejected import RejectedRing, apply

ACCOUNTS = pa.table({
    "account_id": ["a1", "a2", "a3", "b1", "b2", "b3"],
    "entity_id": ["E1", "E2", "E3", "F1", "F2", "F3"],
    "part_id": ["P-1", "P-1", "P-1", "P-2", "P-2", "P-2"],
    "grows_with": ["P-1", "P-1", "P-1", "P-2", "P-2", "P-2"],
})
PARTS = pa.table({"part_id": ["P-1", "P-2"], "entity_count": [3, 3]})
EDGES = pa.table({
    "entity_id": ["E1", "E2", "E3", "E1", "E2", "F1", "F2", "F3"],
    "kind": ["card", "card", "card", "device", "device", "card", "card", "card"],
    "value": ["c1", "c1", "c1", "d1", "d1", "c9", "c9", "c9"],
})


def test_same_group_without_new_evidence_is_not_flagged() -> None:
    r = RejectedRing("D-1", "R-1", frozenset({"a1", "a2", "a3"}), frozenset({"card:c1", "device:d1"}))
    accounts, parts, outcomes = apply(ACCOUNTS, PARTS, EDGES, [r])
    assert parts["part_id"].to_pylist() == ["P-2"]
    assert accounts["part_id"].to_pylist()[:3] == [None, None, None]
    assert accounts["grows_with"].to_pylist()[:3] == [None, None, None]
    assert accounts["part_id"].to_pylist()[3:] == ["P-2"] * 3
    assert [o.status for o in outcomes] == ["suppressed"]


def test_a_shrunk_group_is_still_the_same() -> None:
    r = RejectedRing("D-1", "R-1", frozenset({"a1", "a2", "a3", "a4"}), frozenset({"card:c1", "device:d1",
                                                                                   "ip:x"}))
    _, parts, outcomes = apply(ACCOUNTS, PARTS, EDGES, [r])
    assert parts.num_rows == 1 and outcomes[0].status == "suppressed"


def test_a_new_member_is_new_evidence() -> None:
    r = RejectedRing("D-1", "R-1", frozenset({"a1", "a2"}), frozenset({"card:c1", "device:d1"}))
    accounts, parts, outcomes = apply(ACCOUNTS, PARTS, EDGES, [r])
    assert parts.num_rows == 2 and accounts.equals(ACCOUNTS)
    assert outcomes[0].status == "reflagged" and outcomes[0].new_accounts == ("a3",)


def test_a_new_shared_identifier_is_new_evidence() -> None:
    r = RejectedRing("D-1", "R-1", frozenset({"a1", "a2", "a3"}), frozenset({"card:c1"}))
    _, parts, outcomes = apply(ACCOUNTS, PARTS, EDGES, [r])
    assert parts.num_rows == 2
    assert outcomes[0].status == "reflagged" and outcomes[0].new_identifiers == ("device:d1",)


def test_a_ring_gone_is_absent() -> None:
    r = RejectedRing("D-1", "R-1", frozenset({"z1", "z2"}), frozenset())
    _, parts, outcomes = apply(ACCOUNTS, PARTS, EDGES, [r])
    assert parts.num_rows == 2 and outcomes[0].status == "absent"
