"""Components, bridges and ring parts on small hand-made entity-identifier graphs."""

from __future__ import annotations

from entity_resolution.detect.structure import analyse, tagged


def _ring(prefix: str, n: int, kind: str, idents: list[str]) -> list[tuple[str, str, str]]:
    """n entities, each on every identifier: no member is a cut point."""
    return [(f"E-{prefix}{i}", kind, ident) for i in range(n) for ident in idents]


def test_coordinator_between_two_rings_is_the_bridge() -> None:
    edges = _ring("a", 6, "device", ["dA1", "dA2"]) + _ring("b", 6, "card", ["cB1", "cB2"])
    edges += [("E-c0", "device", "dA1"), ("E-c0", "card", "cB1")]
    s = analyse(edges, min_part=5)
    assert s.bridge_entities == {"E-c0"}
    assert len(set(s.entity_component.values())) == 1
    assert set(s.entity_component.values()) == {"C-a0"}
    entity_bridge = next(b for b in s.bridges if b.kind == "entity")
    assert entity_bridge.value == "E-c0"
    assert entity_bridge.split_sizes == (6, 6)
    assert entity_bridge.via == (("card", "cB1"), ("device", "dA1"))
    # the rings are separate parts; the coordinator joins one of them (tie on links and size: smaller id)
    assert s.entity_part["E-a3"] == "P-a0" and s.entity_part["E-b3"] == "P-b0"
    assert s.entity_part["E-c0"] == "P-a0"
    assert set(entity_bridge.part_ids) == {"P-a0", "P-b0"}
    # the two identifiers the coordinator uses are bridging identifiers too, naming it as the bridge entity
    ident_bridges = {(b.kind, b.value): b for b in s.bridges if b.kind != "entity"}
    assert set(ident_bridges) == {("device", "dA1"), ("card", "cB1")}
    assert all(b.entity_ids == ("E-c0",) for b in ident_bridges.values())


def test_bridge_joins_the_part_it_shares_most_with() -> None:
    edges = _ring("a", 6, "device", ["dA1", "dA2"]) + _ring("b", 6, "card", ["cB1", "cB2"])
    edges += [("E-z0", "device", "dA1"), ("E-z0", "card", "cB1"), ("E-z0", "card", "cB2")]
    s = analyse(edges, min_part=5)
    assert s.entity_part["E-z0"] == "P-b0"


def test_small_sides_do_not_make_a_bridge() -> None:
    # a weak member hanging off one identifier, and a pair hanging off a linker: parts below min_part
    edges = [*_ring("a", 6, "device", ["d1", "d2"]), ("E-w0", "device", "d1")]
    edges += [("E-l0", "device", "d2"), ("E-l0", "ip", "i9"), ("E-p0", "ip", "i9")]
    s = analyse(edges, min_part=5)
    assert s.bridge_entities == frozenset()
    assert s.bridges == ()
    assert len(set(s.entity_part.values())) == 1


def test_shared_identifier_between_two_groups_is_reported_but_flags_nobody() -> None:
    # device X used by two members of each group: X splits them, but every user keeps its own side
    edges = _ring("a", 6, "card", ["cA1", "cA2"]) + _ring("b", 6, "card", ["cB1", "cB2"])
    edges += [("E-a0", "device", "X"), ("E-a1", "device", "X"), ("E-b0", "device", "X"), ("E-b1", "device", "X")]
    s = analyse(edges, min_part=5)
    assert s.bridge_entities == frozenset()
    (bridge,) = s.bridges
    assert (bridge.kind, bridge.value, bridge.split_sizes, bridge.entity_ids) == ("device", "X", (6, 6), ())
    assert len(set(s.entity_part.values())) == 1  # not cut: one ring


def test_separate_components_get_ids_from_their_smallest_entity() -> None:
    edges = [("E-b2", "device", "d1"), ("E-b1", "device", "d1"), ("E-x9", "card", "c1"), ("E-x3", "card", "c1")]
    s = analyse(edges, min_part=5)
    assert s.entity_component == {"E-b2": "C-b1", "E-b1": "C-b1", "E-x9": "C-x3", "E-x3": "C-x3"}
    assert s.ident_component[("card", "c1")] == "C-x3"
    assert tagged("P-", "E-abc") == "P-abc" and tagged("C-", "plain") == "C-plain"
