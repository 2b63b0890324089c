"""Bounded memory: `pipeline.run` unbounded (the baseline) and under DuckDB memory limits, each in its own spawned
process (peak RSS = that process's VmHWM), on the same cached data.

A limit bounds DuckDB's buffer pool, not the Python side (Splink's settings, pyarrow tables in detection), so
the peak stays above the limit by what those hold; the table says by how much. Each bounded run spills into a
folder of its own and scores pairs in `chunks` slices; entities and links must equal the unbounded run's.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Row, in_child, inputs, say, show


def one_run(size: int, out: str, limit: str | None, chunks: int, spill: str | None) -> dict[str, Any]:
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    paths = inputs(size)
    settings = Settings(memory_limit=limit, predict_chunks=chunks, spill_dir=Path(spill) if spill else None)
    start = time.perf_counter()
    result = run(paths, Path(out), settings)
    return {"wall_s": round(time.perf_counter() - start, 3), "phase_seconds": dict(result.phase_seconds),
            "entities": result.counts["entities"], "links": result.counts["links"]}


def run_suite(size: int, limits: tuple[str, ...], chunks: int) -> dict[str, Any]:
    inputs(size)  # generate before measuring
    work = Path(tempfile.mkdtemp(prefix="er-memory-bench-"))
    try:
        say(f"{size:,} accounts, unbounded")
        free, free_peak = in_child(one_run, size, str(work / "free"), None, 1, None)
        shutil.rmtree(work / "free")
        rows: list[Row] = [Row("peak memory, unbounded", free_peak / 2**30, "unbounded", free_peak / 2**30, "GiB"),
                           Row("wall time, unbounded", free["wall_s"], "unbounded", free["wall_s"], "s")]
        out: dict[str, Any] = {"unbounded": {**free, "peak_bytes": free_peak}, "chunks": chunks}
        for limit in limits:
            say(f"{size:,} accounts, memory_limit {limit}, {chunks} chunks")
            spill = work / f"spill-{limit}"
            try:
                bounded, peak = in_child(one_run, size, str(work / limit), limit, chunks, str(spill))
            except Exception as exc:  # a limit too small for the data: recorded, the other limits still run
                say(f"memory_limit {limit}: {str(exc).splitlines()[0][:200]}")
                rows.append(Row(f"peak memory, memory_limit {limit}", float("nan"), "unbounded", free_peak / 2**30,
                                "GiB", note="failed: out of memory"))
                out[limit] = {"failed": str(exc).splitlines()[0][:500]}
                continue
            same = (bounded["entities"], bounded["links"]) == (free["entities"], free["links"])
            rows += [Row(f"peak memory, memory_limit {limit}", peak / 2**30, "unbounded", free_peak / 2**30, "GiB",
                         note="same entities and links" if same else "DIFFERENT entities/links"),
                     Row(f"wall time, memory_limit {limit}", bounded["wall_s"], "unbounded", free["wall_s"], "s")]
            out[limit] = {**bounded, "peak_bytes": peak, "same_as_unbounded": same}
            shutil.rmtree(work / limit, ignore_errors=True)
        show(f"Bounded memory, {size:,} accounts (pipeline.run end to end)", rows)
        out["rows"] = [r.as_dict() for r in rows]
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
