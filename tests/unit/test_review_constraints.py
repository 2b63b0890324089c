"""Reviewers' pair decisions in the clustering (match/constraints.py): cannot-links split, must-links join."""

from __future__ import annotations

from entity_resolution.match.constraints import cluster


def _groups(membership: list[int]) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for node, comp in enumerate(membership):
        out.setdefault(comp, set()).add(node)
    return {frozenset(g) for g in out.values()}


def test_no_constraints_is_connected_components() -> None:
    out = cluster(4, [(0, 1), (2, 3)], [0.99, 0.97], [], [])
    assert _groups(out.membership) == {frozenset({0, 1}), frozenset({2, 3})}
    assert out.membership == out.model_membership


def test_cannot_link_cuts_the_weakest_link_on_the_path() -> None:
    # chain 0-1-2-3: the link 1-2 is the weakest, so a cannot-link between 0 and 3 cuts there
    edges = [(0, 1), (1, 2), (2, 3)]
    out = cluster(5, edges, [0.999, 0.96, 0.99], [], [(0, 3)])
    assert _groups(out.membership) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4})}
    assert _groups(out.model_membership) == {frozenset({0, 1, 2, 3}), frozenset({4})}


def test_cannot_link_in_a_triangle_leaves_no_path() -> None:
    out = cluster(3, [(0, 1), (1, 2), (0, 2)], [0.99, 0.98, 0.97], [], [(0, 2)])
    assert out.membership[0] != out.membership[2]
    assert len(_groups(out.membership)) == 2


def test_must_link_joins_and_untouched_components_stay() -> None:
    out = cluster(6, [(0, 1), (2, 3), (4, 5)], [0.99] * 3, [(1, 2)], [])
    assert _groups(out.membership) == {frozenset({0, 1, 2, 3}), frozenset({4, 5})}


def test_must_link_that_would_join_a_cannot_linked_pair_is_skipped() -> None:
    # must 0-1 and must 1-2, cannot 0-2: the second must-link cannot hold
    out = cluster(3, [], [], [(0, 1), (1, 2)], [(0, 2)])
    assert out.membership[0] == out.membership[1] != out.membership[2]
    assert out.skipped_must == {(1, 2)}


def test_must_link_beats_model_links() -> None:
    # the reviewer said 0 and 2 are one person and 0 and 1 are not: 1 leaves, 0 and 2 join
    out = cluster(3, [(0, 1), (1, 2)], [0.99, 0.99], [(0, 2)], [(0, 1)])
    assert out.membership[0] == out.membership[2] != out.membership[1]
