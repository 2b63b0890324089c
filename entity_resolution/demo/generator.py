"""Seeded synthetic identity data with ground truth: accounts, devices, payments, labels and truth.

    paths = generate(Path("demo_out"), n_accounts=10_000, seed=7, fmt="csv")

Same seed and size give byte-identical files. Everything is built column-wise with numpy and pyarrow, so
a million accounts take seconds, not minutes. docs/demo-data.md describes the scenarios.

Stages, each with its own random stream (so changing one stage does not reshuffle the others):
layout (who is who) -> people (true identities) -> identity (how each account writes them down)
-> activity (devices, IPs, cards, events) -> labels -> render and write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from entity_resolution.demo import formats as fm
from entity_resolution.demo import render as rd
from entity_resolution.demo.activity import Activity, build_activity
from entity_resolution.demo.identity import AccountIdentity, render_identity
from entity_resolution.demo.labels import ORIGINS, Labels, make_labels
from entity_resolution.demo.layout import SCENARIOS, Layout, plan
from entity_resolution.demo.people import People, make_people

FORMATS = ("csv", "parquet", "jsonl")
BENIGN_LINKS = {
    "hub_ip": "ip",
    "hub_device": "device",
    "test_card": "card",
    "campus_ip": "ip",
    "internet_cafe": "device|ip",
    "family_card": "card",
    # the realistic world's look-alikes (demo/world)
    "carrier_nat": "ip",
    "vpn_exit": "ip",
    "default_device": "device",
    "office": "ip",
    "office_2exits": "ip",
    "flatmates": "ip",
    "kiosk": "device|ip",
    "store_wifi": "ip",
    "event_wifi": "ip",
    "recycled_ip": "ip",
    "household_ip": "ip",
    "household_tablet": "device|ip",
    "household_card": "device|ip|card",
    "household_landline": "device|ip|card|phone",
    "own_accounts": "device|card|ip",
}


@dataclass(frozen=True)
class GeneratedPaths:
    accounts: Path
    devices: Path
    payments: Path
    labels: Path
    truth: Path  # parquet (typed booleans)
    truth_csv: Path
    truth_rings: Path  # parquet: one row per planted ring or benign look-alike group
    truth_rings_csv: Path


# The smallest data set that holds every planted scenario (layout.plan refuses fewer).
MIN_ACCOUNTS = 1000


def generate(out_dir: Path, n_accounts: int = 10_000, seed: int = 7, fmt: str = "csv") -> GeneratedPaths:
    """Write the five input-style files and the truth files into out_dir; return their paths."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    layout = plan(streams[0], n_accounts)
    people = make_people(streams[1], layout.people)
    identity = render_identity(streams[2], people, layout.person, layout.mode)
    activity = build_activity(streams[3], layout, identity.moved)
    labels = make_labels(streams[4], layout)
    tables = build_tables(streams[5], layout, people, identity, activity, labels)

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = GeneratedPaths(
        accounts=out_dir / f"accounts.{fmt}",
        devices=out_dir / f"devices.{fmt}",
        payments=out_dir / f"payments.{fmt}",
        labels=out_dir / f"labels.{fmt}",
        truth=out_dir / "truth.parquet",
        truth_csv=out_dir / "truth.csv",
        truth_rings=out_dir / "truth_rings.parquet",
        truth_rings_csv=out_dir / "truth_rings.csv",
    )
    for name in ("accounts", "devices", "payments", "labels"):
        write_table(tables[name], getattr(paths, name), fmt)
    for name in ("truth", "truth_rings"):
        write_table(tables[name], getattr(paths, name), "parquet")
        write_table(tables[name], getattr(paths, f"{name}_csv"), "csv")
    return paths


def build_tables(
    rng: np.random.Generator,
    layout: Layout,
    people: People,
    identity: AccountIdentity,
    activity: Activity,
    labels: Labels,
) -> dict[str, pa.Table]:
    n = layout.n
    account_id = fm.join("acct_", fm.digits(fm.unique_ints(rng, n, 10**9), 9))
    ip = rd.ip_strings(rng, activity.assets)

    accounts = pa.table(
        {  # the layout numbers accounts in sign-up order
            "account_id": account_id,
            "created_at": fm.timestamps(rng, layout.created),
            "email": identity.email,
            "full_name": identity.full_name,
            "phone": identity.phone,
            "date_of_birth": identity.date_of_birth,
            "postcode": identity.postcode,
            "country": identity.country,
            "signup_ip": ip.take(pa.array(activity.signup_ip)),
        }
    )

    dev_ids, family = rd.device_ids(rng, activity.assets)
    d_order = np.argsort(activity.dev_t, kind="stable")
    dev_key = activity.dev_device[d_order]
    devices = pa.table(
        {
            "account_id": account_id.take(pa.array(activity.dev_acc[d_order])),
            "observed_at": fm.timestamps(rng, activity.dev_t[d_order]),
            "device_id": dev_ids.take(pa.array(dev_key)),
            "ip": ip.take(pa.array(activity.dev_ip[d_order])),
            "user_agent": rd.user_agents(rng, family, dev_key),
        }
    )

    p_order = np.argsort(activity.pay_t, kind="stable")
    card = activity.pay_card[p_order]
    holder = activity.pay_holder[p_order]
    fingerprint, card_bin, last4 = rd.card_columns(rng, activity.assets, people)
    billing_postcode, billing_country = rd.billing_address(rng, people, holder)
    payments = pa.table(
        {
            "account_id": account_id.take(pa.array(activity.pay_acc[p_order])),
            "observed_at": fm.timestamps(rng, activity.pay_t[p_order]),
            "card_fingerprint": fingerprint.take(pa.array(card)),
            "card_bin": card_bin.take(pa.array(card)),
            "card_last4": last4.take(pa.array(card)),
            "cardholder_name": rd.cardholder_names(rng, people, holder),
            "billing_postcode": billing_postcode,
            "billing_country": billing_country,
            "disputed": pa.array(activity.pay_disputed[p_order]),
        }
    )

    l_order = np.argsort(labels.decided, kind="stable")
    label_table = pa.table(
        {
            "account_id": account_id.take(pa.array(labels.account[l_order])),
            "label": fm.where(labels.abusive[l_order], "abusive", "benign"),
            "decided_at": fm.timestamps(rng, labels.decided[l_order]),
            "origin": fm.take(ORIGINS, labels.origin[l_order]),
        }
    )
    truth = _truth(rng, layout, account_id)
    return {
        "accounts": accounts,
        "devices": devices,
        "payments": payments,
        "labels": label_table,
        "truth": truth,
        "truth_rings": _truth_rings(layout, activity, account_id),
    }


def _truth(rng: np.random.Generator, layout: Layout, account_id: pa.Array) -> pa.Table:
    person_numbers = rng.permutation(layout.people.n)  # ids that say nothing about the scenario
    rings = [g.group_id for g in layout.rings]
    groups = [g.group_id for g in layout.groups]

    def label(values: np.ndarray, names: list[str]) -> pa.Array:
        return fm.null_where(values < 0, fm.take(names or [""], np.maximum(values, 0)))

    return pa.table(
        {
            "account_id": account_id,
            "person_id": fm.join("person_", fm.digits(person_numbers[layout.person], 7)),
            "is_abusive": pa.array(layout.abusive),
            "scenario": fm.take(SCENARIOS, layout.scenario),
            "ring_id": label(layout.ring, rings),
            "household_id": fm.null_where(layout.household < 0, fm.join("hh_", fm.digits(layout.household + 1, 5))),
            "is_bridge": pa.array(layout.bridge),
            "group_id": label(layout.group, groups),
        }
    )


def _truth_rings(layout: Layout, activity: Activity, account_id: pa.Array) -> pa.Table:
    rows = []
    for r, g in enumerate(layout.rings):
        partner = layout.rings[g.bridged_to].group_id if g.bridged_to >= 0 else None
        coordinator = account_id[g.coordinator].as_py() if g.coordinator >= 0 else None
        rows.append((g.group_id, g.kind, True, len(g.members), activity.ring_links[r], partner, coordinator))
    for g in layout.groups:
        rows.append((g.group_id, g.kind, False, len(g.members), BENIGN_LINKS[g.kind], None, None))
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {
            "ring_id": pa.array(cols[0], pa.string()),
            "kind": pa.array(cols[1], pa.string()),
            "is_abusive": pa.array(cols[2], pa.bool_()),
            "member_count": pa.array(cols[3], pa.int64()),
            "joined_via": pa.array(cols[4], pa.string()),
            "bridged_to": pa.array(cols[5], pa.string()),
            "coordinator_account_id": pa.array(cols[6], pa.string()),
        }
    )


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write to a temporary name beside path, then rename (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "csv":
        import pyarrow.csv as pa_csv

        pa_csv.write_csv(table, tmp, pa_csv.WriteOptions(quoting_style="needed"))
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, tmp, compression="zstd")
    else:
        _write_jsonl(table, tmp)
    os.replace(tmp, path)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET threads = 1")  # one writer keeps row order and bytes identical run to run
        con.register("jsonl_rows", table)
        con.execute("COPY jsonl_rows TO $path (FORMAT json)", {"path": str(path)})
