"""Split a data set into a baseline and the newest accounts, for incremental runs (tests and benchmarks)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..ingest import Inputs

SPLIT_SQL = {
    "accounts": "SELECT a.* FROM read_parquet($src) a JOIN split_ids s USING (account_id) WHERE s.is_new = $new",
    "devices": "SELECT d.* FROM read_parquet($src) d JOIN split_ids s USING (account_id) WHERE s.is_new = $new",
    "payments": "SELECT p.* FROM read_parquet($src) p JOIN split_ids s USING (account_id) WHERE s.is_new = $new",
}


def split_newest(inputs: Inputs, share: float, base_dir: Path, new_dir: Path) -> tuple[Inputs, Inputs]:
    """Write the accounts created last (`share` of them) with their devices and payments to new_dir, the rest
    to base_dir (parquet). Input files must be parquet."""
    base_dir.mkdir(parents=True, exist_ok=True)
    new_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            """CREATE TEMP TABLE split_ids AS
            SELECT account_id,
                   row_number() OVER (ORDER BY created_at DESC, account_id DESC) <= $n AS is_new
            FROM read_parquet($src)""",
            {"src": str(inputs.accounts),
             "n": round(share * con.execute("SELECT count(*) FROM read_parquet($src)",
                                             {"src": str(inputs.accounts)}).fetchall()[0][0])},
        )
        sources = {"accounts": inputs.accounts, "devices": inputs.devices, "payments": inputs.payments}
        for folder, is_new in ((base_dir, False), (new_dir, True)):
            for name, src in sources.items():
                con.sql(SPLIT_SQL[name], params={"src": str(src), "new": is_new}).to_parquet(
                    str(folder / f"{name}.parquet"))
    return (Inputs(base_dir / "accounts.parquet", base_dir / "devices.parquet", base_dir / "payments.parquet"),
            Inputs(new_dir / "accounts.parquet", new_dir / "devices.parquet", new_dir / "payments.parquet"))
