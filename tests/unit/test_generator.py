"""The synthetic generator: deterministic, valid under the data contract, and honest about its scenarios."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution.demo.__main__ import app
from entity_resolution.demo.generator import GeneratedPaths, generate
from entity_resolution.demo.layout import REFERENCE_MS, plan

N = 2_000
COLUMNS = {
    "accounts": [
        "account_id", "created_at", "email", "full_name", "phone", "date_of_birth", "postcode", "country",
        "signup_ip",
    ],
    "devices": ["account_id", "observed_at", "device_id", "ip", "user_agent"],
    "payments": [
        "account_id", "observed_at", "card_fingerprint", "card_bin", "card_last4", "cardholder_name",
        "billing_postcode", "billing_country", "disputed",
    ],
    "labels": ["account_id", "label", "decided_at", "origin"],
    "truth": ["account_id", "person_id", "is_abusive", "scenario", "ring_id", "household_id", "is_bridge", "group_id"],
    "truth_rings": [
        "ring_id", "kind", "is_abusive", "member_count", "joined_via", "bridged_to", "coordinator_account_id",
    ],
}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$")
REFERENCE = datetime.fromtimestamp(REFERENCE_MS / 1000, tz=UTC)


def read_text(path: Path) -> dict[str, list[str]]:
    """A CSV file as columns of raw text ('' for empty), exactly as written."""
    header = path.open(encoding="utf-8").readline().strip().replace('"', "").split(",")
    convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False)
    return pa_csv.read_csv(path, convert_options=convert).to_pydict()


def parse(ts: str) -> datetime:
    """ISO-8601 as written by the generator; timestamps without an offset are UTC."""
    value = datetime.fromisoformat(ts)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPaths:
    return generate(tmp_path_factory.mktemp("gen") / "a", n_accounts=N, seed=11, fmt="csv")


@pytest.fixture(scope="module")
def data(run: GeneratedPaths) -> dict[str, dict[str, list[str]]]:
    return {name: read_text(getattr(run, f"{name}_csv" if name.startswith("truth") else name)) for name in COLUMNS}


@pytest.fixture(scope="module")
def truth(data: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, str]]:
    t = data["truth"]
    return {a: {k: t[k][i] for k in t} for i, a in enumerate(t["account_id"])}


def test_same_seed_same_bytes(run: GeneratedPaths, tmp_path: Path) -> None:
    again = generate(tmp_path / "b", n_accounts=N, seed=11, fmt="csv")
    for name, path in vars(run).items():
        assert path.read_bytes() == getattr(again, name).read_bytes(), name


def test_other_seed_other_data(run: GeneratedPaths, tmp_path: Path) -> None:
    other = generate(tmp_path / "c", n_accounts=N, seed=12, fmt="csv")
    assert other.accounts.read_bytes() != run.accounts.read_bytes()


def test_exact_columns(data: dict[str, dict[str, list[str]]], run: GeneratedPaths) -> None:
    for name, columns in COLUMNS.items():
        assert list(data[name]) == columns, name
    assert pq.read_schema(run.truth).names == COLUMNS["truth"]
    assert pq.read_schema(run.truth_rings).names == COLUMNS["truth_rings"]


def test_accounts_are_valid_under_the_contract(data: dict[str, dict[str, list[str]]]) -> None:
    acc = data["accounts"]
    assert len(acc["account_id"]) == N == len(set(acc["account_id"]))
    for column in ("account_id", "created_at", "email"):
        assert all(v.strip() for v in acc[column]), column
    assert all(ISO.match(v) for v in acc["created_at"])
    for dob in acc["date_of_birth"]:
        assert dob == "" or (re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob) and datetime.strptime(dob, "%Y-%m-%d"))
    assert all(re.fullmatch(r"[A-Za-z]{2}", c) for c in acc["country"])
    assert sum(v == "" for v in acc["date_of_birth"]) < 0.1 * N  # messy, not empty


def test_every_event_belongs_to_an_account(data: dict[str, dict[str, list[str]]]) -> None:
    ids = set(data["accounts"]["account_id"])
    for name in ("devices", "payments", "labels"):
        assert set(data[name]["account_id"]) <= ids, name
    assert set(data["devices"]["account_id"]) == ids  # everyone signed up from some device
    assert 1.0 <= len(data["devices"]["account_id"]) / N <= 3.0
    assert 0.5 <= len(data["payments"]["account_id"]) / N <= 1.0


def test_identifiers_are_strings_and_keep_leading_zeros(data: dict[str, dict[str, list[str]]], tmp_path: Path) -> None:
    pay = data["payments"]
    assert all(re.fullmatch(r"\d{6}", b) for b in pay["card_bin"])
    assert all(re.fullmatch(r"\d{4}", x) for x in pay["card_last4"])
    assert any(b.startswith("0") for b in pay["card_bin"])
    assert any(x.startswith("0") for x in pay["card_last4"])
    assert any(p.startswith("0") for p in data["accounts"]["postcode"])
    assert set(pay["disputed"]) == {"true", "false"}
    parquet = generate(tmp_path / "p", n_accounts=N, seed=11, fmt="parquet")
    for name in ("accounts", "devices", "payments", "labels"):
        schema = pq.read_schema(getattr(parquet, name))
        for field in schema:
            expected = pa.bool_() if field.name == "disputed" else pa.string()
            assert field.type == expected, (name, field.name)
    assert pq.read_table(parquet.payments).num_rows == len(pay["account_id"])  # same data in every format


def test_jsonl_holds_the_same_rows(data: dict[str, dict[str, list[str]]], tmp_path: Path) -> None:
    paths = generate(tmp_path / "j", n_accounts=N, seed=11, fmt="jsonl")
    accounts = pa_json.read_json(paths.accounts)
    assert accounts.column_names == COLUMNS["accounts"]
    assert accounts["account_id"].to_pylist() == data["accounts"]["account_id"]
    assert pa_json.read_json(paths.payments)["disputed"].type == pa.bool_()


def test_timestamps_are_iso_mixed_and_in_order(
    data: dict[str, dict[str, list[str]]], truth: dict[str, dict[str, str]]
) -> None:
    created = {a: parse(t) for a, t in zip(data["accounts"]["account_id"], data["accounts"]["created_at"], strict=True)}
    texts = data["accounts"]["created_at"] + data["devices"]["observed_at"]
    assert all(ISO.match(t) for t in texts + data["payments"]["observed_at"] + data["labels"]["decided_at"])
    assert any(t.endswith("Z") for t in texts) and any(t.endswith("+01:00") for t in texts)
    assert any("." in t for t in texts) and any(not t.endswith("Z") and "+" not in t for t in texts)
    for name, column in (("devices", "observed_at"), ("payments", "observed_at"), ("labels", "decided_at")):
        for account, ts in zip(data[name]["account_id"], data[name][column], strict=True):
            assert created[account] <= parse(ts) <= REFERENCE, (name, account, ts)
    newest = max(created.values())
    assert REFERENCE - timedelta(days=2) < newest <= REFERENCE
    assert newest - min(created.values()) > timedelta(days=500)


def test_every_scenario_is_present_at_sensible_size(truth: dict[str, dict[str, str]]) -> None:
    scenarios = Counter(t["scenario"] for t in truth.values())
    expected = {
        "benign": (0.30, 0.70), "common_name": (0.005, 0.05), "reregistration": (0.08, 0.25),
        "ban_evasion": (0.002, 0.02), "household": (0.01, 0.06), "hub_ip_user": (0.12, 0.24),
        "hub_device_user": (0.01, 0.05), "test_card_user": (0.01, 0.04), "lookalike_benign": (0.01, 0.10),
        "device_farm": (0.015, 0.06), "card_testing": (0.008, 0.05), "coordinator": (0.0, 0.01),
        "burst": (0.008, 0.03),
    }  # fmt: skip
    assert set(scenarios) == set(expected)
    for name, (low, high) in expected.items():
        assert low * N <= scenarios[name] <= high * N, (name, scenarios[name])
    assert scenarios["coordinator"] >= 3
    abusive = sum(t["is_abusive"] == "true" for t in truth.values())
    assert 0.03 * N < abusive < 0.15 * N


def test_truth_is_consistent(truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]) -> None:
    by_ring: dict[str, list[str]] = defaultdict(list)
    by_person: dict[str, list[dict[str, str]]] = defaultdict(list)
    for t in truth.values():
        by_person[t["person_id"]].append(t)
        if t["ring_id"]:
            by_ring[t["ring_id"]].append(t["person_id"])
            assert t["is_abusive"] == "true"
    for ring, persons in by_ring.items():
        assert len(persons) == len(set(persons)) >= 5, ring  # synthetic identities: one person each
    rereg = [p for p, ts in by_person.items() if ts[0]["scenario"] == "reregistration"]
    assert rereg and all(2 <= len(by_person[p]) <= 4 for p in rereg)
    assert len(rereg) / len(by_person) == pytest.approx(0.08, abs=0.03)
    evaders = [ts for ts in by_person.values() if ts[0]["scenario"] == "ban_evasion"]
    assert evaders and all(len(ts) >= 2 and all(t["is_abusive"] == "true" for t in ts) for ts in evaders)
    assert all(len(ts) == 1 for ts in by_person.values() if ts[0]["scenario"] not in ("reregistration", "ban_evasion"))
    rings = {r: i for i, r in enumerate(data["truth_rings"]["ring_id"])}
    bridges = [t for t in truth.values() if t["is_bridge"] == "true"]
    assert len(bridges) >= 3 and all(t["scenario"] == "coordinator" for t in bridges)
    for t in bridges:
        row = rings[t["ring_id"]]
        assert data["truth_rings"]["coordinator_account_id"][row] == t["account_id"]
        assert data["truth_rings"]["bridged_to"][row] in rings


def test_households_share_a_home_but_are_different_people(
    truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]
) -> None:
    postcode = dict(zip(data["accounts"]["account_id"], data["accounts"]["postcode"], strict=True))
    homes: dict[str, list[str]] = defaultdict(list)
    for a, t in truth.items():
        if t["household_id"]:
            assert t["is_abusive"] == "false" and not t["ring_id"]
            homes[t["household_id"]].append(a)
    assert len(homes) >= 10
    for members in homes.values():
        assert 2 <= len(members) <= 4
        assert len({truth[a]["person_id"] for a in members}) == len(members)
        codes = sorted({re.sub(r"[\s-]", "", postcode[a]).upper() for a in members if postcode[a].strip()}, key=len)
        assert all(c.startswith(codes[0]) for c in codes), codes  # one home (a ZIP+4 extends its ZIP)


def test_hubs_are_shared_by_hundreds_at_ten_thousand() -> None:
    layout = plan(np.random.default_rng(0), 10_000)
    sizes: Counter[str] = Counter()
    for g in layout.groups:
        sizes[g.kind] += 1
        if g.kind == "hub_ip":
            assert len(g.members) >= 300, len(g.members)
        if g.kind in ("hub_device", "test_card"):
            assert len(g.members) >= 60
    assert sizes["hub_ip"] >= 3 and sizes["hub_device"] >= 1 and sizes["test_card"] >= 1
    assert sum(g.coordinator >= 0 for g in layout.rings) >= 3


def test_hub_groups_really_share_their_identifier(
    truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]
) -> None:
    column = {"hub_ip_user": ("devices", "ip"), "hub_device_user": ("devices", "device_id"),
              "test_card_user": ("payments", "card_fingerprint")}  # fmt: skip
    for scenario, (table, field) in column.items():
        groups: dict[str, set[str]] = defaultdict(set)
        for a, t in truth.items():
            if t["scenario"] == scenario:
                groups[t["group_id"]].add(a)
        users: dict[str, set[str]] = defaultdict(set)
        for a, value in zip(data[table]["account_id"], data[table][field], strict=True):
            users[value].add(a)
        for members in groups.values():
            assert max(len(members & accounts) for accounts in users.values()) == len(members) >= 0.005 * N


def test_rings_are_connected_and_bridged_only_through_the_coordinator(
    truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]
) -> None:
    """Honest rings: each planted ring is one component of the shared-identifier graph (hubs left out),
    and the two rings of a bridged pair fall apart when the coordinator is removed."""
    links: dict[str, set[str]] = defaultdict(set)
    for table, fields in (("devices", ("device_id", "ip")), ("payments", ("card_fingerprint",))):
        for field in fields:
            for a, value in zip(data[table]["account_id"], data[table][field], strict=True):
                links[f"{field}:{value}"].add(a)
    small = [accounts for accounts in links.values() if 2 <= len(accounts) <= 60]

    def components(skip: set[str]) -> dict[str, str]:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for accounts in small:
            kept = sorted(accounts - skip)
            for other in kept[1:]:
                parent[find(other)] = find(kept[0])
        return {a: find(a) for a in truth if a not in skip}

    rings: dict[str, set[str]] = defaultdict(set)
    for a, t in truth.items():
        if t["ring_id"]:
            rings[t["ring_id"]].add(a)
    comp = components(set())
    coordinators = {a for a, t in truth.items() if t["is_bridge"] == "true"}
    for ring, members in rings.items():
        assert len({comp[a] for a in members}) == 1, ring
    apart = components(coordinators)
    for ring, members in rings.items():
        roots = {apart[a] for a in members - coordinators}
        assert len(roots) == 1, ring
        inside = {a for a, root in apart.items() if root in roots}
        assert {truth[a]["ring_id"] for a in inside} == {ring}, ring


def test_labels_are_mostly_right_with_some_noise(
    truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]
) -> None:
    lab = data["labels"]
    assert 0.04 * N <= len(lab["account_id"]) <= 0.06 * N
    assert set(lab["label"]) == {"abusive", "benign"}
    assert set(lab["origin"]) <= {"enforcement", "appeal_upheld", "appeal_overturned", "manual_review"}
    agree = [
        (label == "abusive") == (truth[a]["is_abusive"] == "true")
        for a, label in zip(lab["account_id"], lab["label"], strict=True)
    ]
    assert 0.8 <= sum(agree) / len(agree) < 1.0
    for a, label, origin in zip(lab["account_id"], lab["label"], lab["origin"], strict=True):
        if origin == "appeal_overturned":
            assert label == "benign"
        if origin in ("enforcement", "appeal_upheld"):
            assert label == "abusive", a


def test_the_burst_is_recent_and_the_rest_is_not(
    truth: dict[str, dict[str, str]], data: dict[str, dict[str, list[str]]]
) -> None:
    created = {a: parse(t) for a, t in zip(data["accounts"]["account_id"], data["accounts"]["created_at"], strict=True)}
    newest = max(created.values())
    burst = [a for a, t in truth.items() if t["scenario"] == "burst"]
    recent = sum(newest - created[a] <= timedelta(days=7) for a in burst)
    assert recent >= 0.7 * len(burst) >= 0.7 * 25
    others = [a for a, t in truth.items() if t["scenario"] == "benign"]
    share = sum(newest - created[a] <= timedelta(days=7) for a in others) / len(others)
    assert share < 0.05


def test_common_names_collide_across_people(
    data: dict[str, dict[str, list[str]]], truth: dict[str, dict[str, str]]
) -> None:
    """The trap: distinct people with the very same (very common) full name."""
    names = {
        a: " ".join(n.lower().split())
        for a, n in zip(data["accounts"]["account_id"], data["accounts"]["full_name"], strict=True)
    }
    people_per_name: dict[str, set[str]] = defaultdict(set)
    for a, name in names.items():
        people_per_name[name].add(truth[a]["person_id"])
    trap = [a for a, t in truth.items() if t["scenario"] == "common_name"]
    assert sum(len(people_per_name[names[a]]) >= 2 for a in trap) >= 0.6 * len(trap)
    assert max(len(people_per_name[names[a]]) for a in trap) >= 3


def test_module_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--out", str(tmp_path), "--accounts", "1000", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "accounts.csv").is_file() and (tmp_path / "truth.parquet").is_file()
    assert runner.invoke(app, ["--out", str(tmp_path), "--accounts", "10"]).exit_code == 2
    assert runner.invoke(app, ["--out", str(tmp_path), "--format", "xml"]).exit_code == 2
