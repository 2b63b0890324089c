"""Stable ring ids across detections and the events between them."""

from __future__ import annotations

from entity_resolution.detect.rings import assign, fresh_id


def _accounts(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i:02d}" for i in range(n))


def _anchors(parts: dict[str, frozenset[str]]) -> dict[str, str]:
    return {p: min(m) for p, m in parts.items()}


def test_first_detection_ids_come_from_the_anchor_and_every_ring_is_new() -> None:
    parts = {"P-1": _accounts("a", 5), "P-2": _accounts("b", 7)}
    ids, events = assign(parts, _anchors(parts), None)
    assert ids == {"P-1": fresh_id("a00"), "P-2": fresh_id("b00")}
    assert sorted(e.event for e in events) == ["new", "new"]
    assert ids == assign(parts, _anchors(parts), None)[0]  # deterministic


def test_a_ring_keeps_its_id_while_it_keeps_most_members() -> None:
    before = {"R-old": _accounts("a", 10)}
    grown = {"P-x": _accounts("a", 10) | _accounts("n", 3)}
    ids, events = assign(grown, _anchors(grown), before)
    assert ids == {"P-x": "R-old"}
    assert [(e.event, e.ring_id, e.accounts_before, e.accounts_after) for e in events] == [
        ("grown", "R-old", 10, 13)]
    shrunk = {"P-x": frozenset(sorted(_accounts("a", 10))[:6])}
    ids, events = assign(shrunk, _anchors(shrunk), before)
    assert ids == {"P-x": "R-old"} and [e.event for e in events] == ["shrunk"]
    same = {"P-x": _accounts("a", 10)}
    assert assign(same, _anchors(same), before)[1] == []


def test_losing_most_members_gives_a_new_id() -> None:
    before = {"R-old": _accounts("a", 10)}
    now = {"P-x": frozenset(sorted(_accounts("a", 10))[:5])}  # exactly half: not "most"
    ids, events = assign(now, _anchors(now), before)
    assert ids["P-x"] != "R-old"
    assert sorted(e.event for e in events) == ["dissolved", "new"]


def test_merge_keeps_the_biggest_contributor_and_records_the_other() -> None:
    before = {"R-big": _accounts("a", 10), "R-small": _accounts("b", 4)}
    now = {"P-x": _accounts("a", 10) | _accounts("b", 4)}
    ids, events = assign(now, _anchors(now), before)
    assert ids == {"P-x": "R-big"}
    merged = [e for e in events if e.event == "merged"]
    assert [(e.ring_id, e.related_ring_ids) for e in merged] == [("R-small", ("R-big",))]
    assert "R-small merged into R-big" in merged[0].detail


def test_split_is_one_event_naming_both_pieces() -> None:
    before = {"R-c": _accounts("a", 10)}
    members = sorted(_accounts("a", 10))
    now = {"P-1": frozenset(members[:6]), "P-2": frozenset(members[6:])}
    ids, events = assign(now, _anchors(now), before)
    assert ids["P-1"] == "R-c" and ids["P-2"] != "R-c"
    assert [(e.event, e.ring_id, set(e.related_ring_ids)) for e in events] == [
        ("split", "R-c", {"R-c", ids["P-2"]})]


def test_dissolved_ring_id_is_never_reused() -> None:
    anchor_of_old = "a00"
    before = {fresh_id(anchor_of_old): _accounts("a", 10)}
    # a different group now has the same anchor account: it must not take the dissolved ring's id
    now = {"P-x": frozenset({"a00", "z1", "z2", "z3"})}
    ids, events = assign(now, _anchors(now), before)
    assert ids["P-x"] != fresh_id(anchor_of_old)
    assert ids["P-x"].startswith(fresh_id(anchor_of_old) + "-")
    assert sorted(e.event for e in events) == ["dissolved", "new"]
