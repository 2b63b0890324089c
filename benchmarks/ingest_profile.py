"""Where validation and standardisation spend their time: every SQL statement of the two phases, timed.

    python -m benchmarks.ingest_profile --size 1000000            # on-disk database, as `er run` uses
    python -m benchmarks.ingest_profile --size 1000000 --memory   # the same work in an in-memory database

Runs load_inputs, standardise and build_profiles (the pipeline's "validate" and "standardise" phases) on the
benchmark's cached input, with the connection wrapped so that each statement's wall time and process CPU time
(all DuckDB threads) are recorded. CPU time is the steadier figure on a shared machine: wall time moves with
other jobs' load, CPU time much less. The gap between the two database kinds is what writing the persistent
tables (in_*, std_*, identifier_observations, profiles) costs: DuckDB compresses them and reads them back
compressed; temporary and in-memory tables are neither (docs/performance.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import inputs


class _Timed:
    """A DuckDB connection whose execute/sql calls are timed; everything else passes through."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.log: list[tuple[float, float, str]] = []  # (wall s, cpu s, statement)

    def _timed(self, call: Callable[..., Any], sql: str, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        out = call(sql, *args, **kwargs)
        self.log.append((time.perf_counter() - wall, time.process_time() - cpu, " ".join(str(sql).split())))
        return out

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._con.execute, sql, *args, **kwargs)

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed(self._con.sql, sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def profile(size: int, memory: bool, top: int) -> None:
    import duckdb

    from entity_resolution.ingest.read import load_inputs
    from entity_resolution.ingest.standardise import standardise
    from entity_resolution.match.profiles import build_profiles
    from entity_resolution.settings import Settings

    paths = inputs(size)  # generated before timing
    with tempfile.TemporaryDirectory() as tmp:
        raw = duckdb.connect(":memory:" if memory else str(Path(tmp) / "er.duckdb"))
        raw.execute("SET TimeZone = 'UTC'")
        con = _Timed(raw)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("validate", lambda: load_inputs(con, paths)),  # type: ignore[arg-type]
            ("standardise", lambda: standardise(con)),  # type: ignore[arg-type]
            ("profiles + hubs", lambda: build_profiles(con, Settings().hub_min_accounts)),  # type: ignore[arg-type]
        ]
        total_wall = total_cpu = 0.0
        for name, step in steps:
            first = len(con.log)
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"== {name}: wall {wall:.2f} s, cpu {cpu:.2f} s")
            for w, c, sql in sorted(con.log[first:], key=lambda r: -r[1])[:top]:
                print(f"   wall {w:6.2f}  cpu {c:6.2f}  {sql[:100]}")
        print(f"== total: wall {total_wall:.2f} s, cpu {total_cpu:.2f} s ({'in-memory' if memory else 'on-disk'})")
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_profile", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="accounts in the synthetic data set")
    parser.add_argument("--memory", action="store_true", help="an in-memory database instead of a file")
    parser.add_argument("--top", type=int, default=12, help="statements listed per step, by CPU time")
    args = parser.parse_args()
    profile(args.size, args.memory, args.top)


if __name__ == "__main__":
    main()
