"""python -m entity_resolution.demo --out DIR --accounts N --seed S [--format csv|parquet|jsonl]"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from entity_resolution.demo.generator import FORMATS, generate

app = typer.Typer(add_completion=False, help="Write seeded synthetic identity data with ground truth.")


@app.command()
def main(
    out: Annotated[Path, typer.Option(help="Directory to write into (created if missing).")],
    accounts: Annotated[int, typer.Option(help="Number of accounts (at least 1000).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed and size give byte-identical files.")] = 7,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "csv",
) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}, got {fmt!r}", param_hint="--format")
    if accounts < 1000:
        raise typer.BadParameter(f"expected at least 1000, got {accounts}", param_hint="--accounts")
    started = time.perf_counter()
    paths = generate(out, n_accounts=accounts, seed=seed, fmt=fmt)
    typer.echo(f"wrote {accounts:,} accounts (seed {seed}) in {time.perf_counter() - started:.1f} s:")
    for name, path in vars(paths).items():
        typer.echo(f"  {name:16} {path}")


if __name__ == "__main__":
    app()
