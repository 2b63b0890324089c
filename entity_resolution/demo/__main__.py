"""python -m entity_resolution.demo --out DIR --accounts N --seed S [--format csv|parquet|jsonl] [--world realistic]"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from entity_resolution.demo.generator import FORMATS, generate
from entity_resolution.demo.world import MIN_ACCOUNTS, generate_world

WORLDS = ("default", "realistic")

app = typer.Typer(add_completion=False, help="Write seeded synthetic identity data with ground truth.")


@app.command()
def main(
    out: Annotated[Path, typer.Option(help="Directory to write into (created if missing).")],
    accounts: Annotated[int, typer.Option(help="Number of accounts (at least 1000).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed and size give byte-identical files.")] = 7,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "csv",
    world: Annotated[
        str,
        typer.Option(help="default: the planted scenarios of docs/demo-data.md; realistic: plus the benign "
                     "look-alikes of a real platform, sizes drawn per seed (at least 2000 accounts)."),
    ] = "default",
) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}, got {fmt!r}", param_hint="--format")
    if world not in WORLDS:
        raise typer.BadParameter(f"expected one of {', '.join(WORLDS)}, got {world!r}", param_hint="--world")
    minimum = MIN_ACCOUNTS if world == "realistic" else 1000
    if accounts < minimum:
        raise typer.BadParameter(f"expected at least {minimum}, got {accounts}", param_hint="--accounts")
    started = time.perf_counter()
    if world == "realistic":
        world_paths = generate_world(out, n_accounts=accounts, seed=seed, fmt=fmt)
        written = {**vars(world_paths.files), "lookalikes": world_paths.lookalikes,
                   "lookalikes_csv": world_paths.lookalikes_csv, "params": world_paths.params}
    else:
        written = vars(generate(out, n_accounts=accounts, seed=seed, fmt=fmt))
    typer.echo(f"wrote {accounts:,} accounts (seed {seed}, {world} world) in {time.perf_counter() - started:.1f} s:")
    for name, path in written.items():
        typer.echo(f"  {name:16} {path}")


if __name__ == "__main__":
    app()
