"""Components of small hand-made entity-identifier graphs."""

from __future__ import annotations

from entity_resolution.detect.structure import components, tagged


def test_separate_components_get_ids_from_their_smallest_entity() -> None:
    edges = [("E-b2", "device", "d1"), ("E-b1", "device", "d1"), ("E-x9", "card", "c1"), ("E-x3", "card", "c1")]
    entity_component, ident_component = components(edges)
    assert entity_component == {"E-b2": "C-b1", "E-b1": "C-b1", "E-x9": "C-x3", "E-x3": "C-x3"}
    assert ident_component == {("device", "d1"): "C-b1", ("card", "c1"): "C-x3"}
    assert tagged("P-", "E-abc") == "P-abc" and tagged("C-", "plain") == "C-plain"


def test_a_chain_through_identifiers_of_several_kinds_is_one_component() -> None:
    # e3 - card - e1 - device - e2 - ip - e0: one component, named after e0, with every identifier on it
    edges = [("E-e3", "card", "c"), ("E-e1", "card", "c"), ("E-e1", "device", "d"), ("E-e2", "device", "d"),
             ("E-e2", "ip", "i"), ("E-e0", "ip", "i"), ("E-z9", "phone", "p"), ("E-z8", "phone", "p")]
    entity_component, ident_component = components(edges)
    assert {entity_component[e] for e in ("E-e0", "E-e1", "E-e2", "E-e3")} == {"C-e0"}
    assert entity_component["E-z9"] == "C-z8"
    assert set(ident_component.values()) == {"C-e0", "C-z8"}
    assert ident_component[("card", "c")] == "C-e0"


def test_no_edges_no_components() -> None:
    assert components([]) == ({}, {})
