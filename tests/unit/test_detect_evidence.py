"""The evidence rules of detect/evidence.py on small hand-made graphs: each rule, and what it keeps apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from entity_resolution.detect import facts as F
from entity_resolution.detect.evidence import analyse
from entity_resolution.detect.settings import DetectSettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _run(edges: list[tuple[str, str, str]], identifiers: dict[str, int] | None = None,
         created: dict[str, datetime] | None = None, **settings: object):
    ents = sorted({e for e, _, _ in edges})
    counts = identifiers or {}
    when = created or {}
    entities = pa.table({"entity_id": ents, "identifier_count": [counts.get(e, 4) for e in ents]},
                        schema=F.ENTITIES)
    accounts = pa.table({"entity_id": ents,
                         "created_at": [when.get(e, T0 + timedelta(days=20 * n)) for n, e in enumerate(ents)]})
    table = pa.table({k: [r[i] for r in edges] for i, k in enumerate(("entity_id", "kind", "value"))},
                     schema=F.EDGES)
    return analyse(table, entities, accounts, DetectSettings(**settings))  # type: ignore[arg-type]


def _ring(prefix: str, n: int, devices: int = 2) -> list[tuple[str, str, str]]:
    """n entities cycling through shared devices and one card."""
    return [(f"E-{prefix}{i:02d}", "device", f"{prefix}-dev{i % devices}") for i in range(n)] + \
        [(f"E-{prefix}{i:02d}", "card", f"{prefix}-card") for i in range(n)]


def test_devices_and_a_card_shared_by_several_people_are_a_ring() -> None:
    ev = _run(_ring("a", 6))
    assert len(ev.rings) == 1 and len(ev.rings[0].entities) == 6
    assert ev.rings[0].counts == {"device": 2, "card": 1}


def test_ips_alone_are_not_a_ring() -> None:
    """An office with two exit IPs: weak evidence only, whatever its size."""
    office = [(f"E-o{i}", "ip", "exit0") for i in range(8)] + [(f"E-o{i}", "ip", "exit1") for i in range(4)]
    few = {f"E-o{i}": 2 for i in range(8)}  # people who live on those IPs (associates by share)
    assert _run(office, identifiers=few).rings == ()
    assert _run(office, identifiers=few, ring_min_strong=0).rings  # the same group, strong-evidence rule off


def test_an_ip_on_many_entities_is_no_evidence() -> None:
    """A NAT exit of 9 users joins nothing, even two groups that share a device each."""
    edges = [(f"E-n{i}", "ip", "nat") for i in range(9)]
    edges += [("E-n0", "device", "d1"), ("E-n1", "device", "d1"), ("E-n2", "device", "d2"), ("E-n3", "device", "d2")]
    ev = _run(edges)
    assert ("ip", "nat") not in ev.kept
    assert _run(edges, ip_max_entities=9).kept[("ip", "nat")] == "weak"


def test_households_are_not_rings_but_bigger_or_richer_groups_are() -> None:
    home = [(f"E-h{i}", k, f"h-{k}") for i in range(5) for k in ("ip", "device", "card", "phone")
            if k != "phone" or i > 0]  # one of them gives a mobile, not the landline
    assert _run(home).rings == ()  # five people, one of each: a family
    assert _run(home, household_max_entities=4).rings
    second = [*home, ("E-h0", "device", "h-device2"), ("E-h1", "device", "h-device2")]
    assert _run(second).rings  # two shared devices: more than a household holds


def test_a_kiosk_is_a_terminal_unless_its_users_came_in_a_wave() -> None:
    """12 strangers on one kiosk device and its store IP, signing up weeks apart: no evidence. The same on
    sign-ups within a day of each other: a burst on one device."""
    kiosk = [(f"E-k{i:02d}", "device", "kiosk") for i in range(12)] + \
        [(f"E-k{i:02d}", "card", f"card{i // 2}") for i in range(4)]  # two pairs share something else
    ev = _run(kiosk)
    assert ("device", "kiosk") not in ev.kept and len(ev.rings) == 0
    burst = {f"E-k{i:02d}": T0 + timedelta(hours=i) for i in range(12)}
    assert ("device", "kiosk") in _run(kiosk, created=burst).kept
    assert _run(kiosk, created=burst).rings


def test_a_device_whose_users_share_more_is_no_terminal() -> None:
    ring = [(f"E-r{i:02d}", "device", "farm") for i in range(12)] + \
        [(f"E-r{i:02d}", "card", f"card{i % 3}") for i in range(12)]
    ev = _run(ring)
    assert ev.kept[("device", "farm")] == "strong"
    assert len(ev.rings) == 1 and len(ev.rings[0].entities) == 12


def test_an_associate_stays_only_when_the_ring_holds_enough_of_its_identifiers() -> None:
    edges = [*_ring("a", 6), ("E-a00", "ip", "proxy"), ("E-x", "ip", "proxy")]
    assert "E-x" not in _run(edges, identifiers={"E-x": 5}).entity_part  # 1 of 5: a passer-by
    assert "E-x" in _run(edges, identifiers={"E-x": 2}).entity_part  # 1 of 2: lives on the ring's proxy


def test_a_coordinator_between_two_rings_is_a_bridge_and_a_cut_point_inside_one_ring_is_not() -> None:
    edges = _ring("a", 6) + _ring("b", 6) + [("E-c", "device", "a-dev0"), ("E-c", "card", "b-card")]
    ev = _run(edges)
    assert [b.entity_id for b in ev.bridges] == ["E-c"]
    assert len(ev.rings) == 2
    assert set(ev.bridges[0].part_ids) == {ev.entity_part["E-a00"], ev.entity_part["E-b00"]}
    # one side is six people on IPs only (no strong evidence): no ring of its own, so no bridge
    weak = _ring("a", 6) + [(f"E-w{i}", "ip", f"w{i % 2}") for i in range(6)] + \
        [("E-c", "device", "a-dev0"), ("E-c", "ip", "w0")]
    ev = _run(weak)
    assert ev.bridges == ()
    assert "E-w1" not in ev.entity_part  # the weak side does not join the ring either


def test_growth_associates_are_entities_on_an_identifier_mostly_the_rings() -> None:
    edges = _ring("a", 6) + [(f"E-a0{i}", "ip", "burst-ip") for i in range(5)] + [("E-y", "ip", "burst-ip")]
    ev = _run(edges, identifiers={"E-y": 6}, ip_max_entities=4)
    assert "E-y" not in ev.entity_part
    assert ev.associates["E-y"] == ev.entity_part["E-a00"]
