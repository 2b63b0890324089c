"""The realistic demo world: the default generator's people, rings and noise, plus the benign look-alikes a
real platform has and abuse that tries to look benign, with every size and share drawn per seed.

    paths = generate_world(Path("world_out"), n_accounts=10_000, seed=101, fmt="parquet")

Same input contract and files as `generator.generate` (accounts, devices, payments, labels, truth,
truth_rings), plus `truth_lookalikes` (one row per account and benign look-alike group it belongs to, with the
group's kind) and `world.json` (the parameters drawn for this seed). Same seed and size give the same files.
docs/demo-data.md ("The realistic world") describes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from entity_resolution.demo.generator import FORMATS, GeneratedPaths, build_tables, write_table
from entity_resolution.demo.identity import render_identity
from entity_resolution.demo.labels import make_labels
from entity_resolution.demo.layout import Layout
from entity_resolution.demo.people import make_people
from entity_resolution.demo.world.activity import build_world_activity, shared_phones
from entity_resolution.demo.world.layout import MIN_ACCOUNTS, plan_world
from entity_resolution.demo.world.params import WorldParams, draw_params

__all__ = ["MIN_ACCOUNTS", "WorldPaths", "draw_params", "generate_world", "world_params"]


@dataclass(frozen=True)
class WorldPaths:
    files: GeneratedPaths  # the same files as the default generator writes
    lookalikes: Path  # truth_lookalikes.parquet: account_id, group_id, kind
    lookalikes_csv: Path
    params: Path  # world.json: the parameters drawn for this seed


def world_params(seed: int) -> WorldParams:
    """The parameters the world of this seed is drawn with (independent of its size)."""
    return draw_params(np.random.default_rng(np.random.SeedSequence(seed).spawn(8)[7]))


def generate_world(out_dir: Path, n_accounts: int = 10_000, seed: int = 101, fmt: str = "csv") -> WorldPaths:
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    params = draw_params(streams[7])
    layout = plan_world(streams[0], n_accounts, params)
    people = make_people(streams[1], layout.people)
    identity = render_identity(streams[2], people, layout.person, layout.mode)
    identity = shared_phones(streams[6], layout, identity, params)
    activity = build_world_activity(streams[3], layout, identity.moved, params)
    labels = make_labels(streams[4], layout)
    tables = build_tables(streams[5], layout, people, identity, activity, labels)
    tables["truth_lookalikes"] = _lookalike_table(layout, tables["accounts"]["account_id"])

    out_dir.mkdir(parents=True, exist_ok=True)
    files = GeneratedPaths(
        **{name: out_dir / f"{name}.{fmt}" for name in ("accounts", "devices", "payments", "labels")},
        **{name: out_dir / f"{name}.parquet" for name in ("truth", "truth_rings")},
        truth_csv=out_dir / "truth.csv",
        truth_rings_csv=out_dir / "truth_rings.csv",
    )
    paths = WorldPaths(
        files, out_dir / "truth_lookalikes.parquet", out_dir / "truth_lookalikes.csv", out_dir / "world.json"
    )
    for name in ("accounts", "devices", "payments", "labels"):
        write_table(tables[name], getattr(files, name), fmt)
    for name in ("truth", "truth_rings", "truth_lookalikes"):
        write_table(tables[name], out_dir / f"{name}.parquet", "parquet")
        write_table(tables[name], out_dir / f"{name}.csv", "csv")
    record = {"seed": seed, "n_accounts": n_accounts, "params": params.as_dict()}
    paths.params.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return paths


def _lookalike_table(layout: Layout, account_id: pa.Array) -> pa.Table:
    """One row per (account, benign look-alike group): an account can be in several (office, flat, NAT)."""
    members = [g.members for g in layout.groups]
    sizes = [len(m) for m in members]
    index = np.concatenate(members) if members else np.zeros(0, np.int64)
    return pa.table(
        {
            "account_id": account_id.take(pa.array(index)),
            "group_id": pa.array(np.repeat([g.group_id for g in layout.groups], sizes).astype(str), pa.string()),
            "kind": pa.array(np.repeat([g.kind for g in layout.groups], sizes).astype(str), pa.string()),
        }
    )
