"""Shared by the suites: cached synthetic data and run folders, the machine, child processes, result tables.

Data comes from the demo generator (seed 11, a different seed from the one the default model was trained on)
and is cached per size under benchmarks/.cache/ (gitignored): input-<N>/ (the generator's files) and run-<N>/
(an `er run` folder with the saved default model), so graph and detection suites reuse one resolution.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 11
console = Console()
if not console.is_terminal:
    console = Console(width=160)  # logs and CI: keep the tables readable


def say(message: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")


def _cache_dir() -> Path:
    """benchmarks/.cache/, ignoring itself in git (data and run folders run to hundreds of MB)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.is_file():
        ignore.write_text("*\n", encoding="utf-8")
    return CACHE


def dataset(size: int) -> Any:
    """The generator's files for `size` accounts (parquet), generated once per size."""
    from entity_resolution.demo.generator import GeneratedPaths, generate

    folder = _cache_dir() / f"input-{size}"
    names = {"accounts": "accounts", "devices": "devices", "payments": "payments", "labels": "labels",
             "truth": "truth", "truth_rings": "truth_rings"}
    if not (folder / "done").is_file():
        say(f"generating {size:,} accounts into {folder}")
        if folder.exists():
            shutil.rmtree(folder)
        generate(folder, n_accounts=size, seed=SEED, fmt="parquet")
        (folder / "done").write_text("ok", encoding="utf-8")
    paths = {k: folder / f"{v}.parquet" for k, v in names.items()}
    return GeneratedPaths(**paths, truth_csv=folder / "truth.csv", truth_rings_csv=folder / "truth_rings.csv")


def inputs(size: int) -> Any:
    from entity_resolution.ingest import Inputs

    data = dataset(size)
    return Inputs(data.accounts, data.devices, data.payments)


def run_folder(size: int) -> Path:
    """An `er run` folder (default model, default settings) for `size` accounts, resolved once per size."""
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    folder = _cache_dir() / f"run-{size}"
    if not (folder / "manifest.json").is_file():
        say(f"resolving {size:,} accounts into {folder}")
        run(inputs(size), folder, Settings())
    return folder


def adopt_run(tmp_run: Path, size: int) -> None:
    """Keep a run folder a suite produced anyway as the cached one (when none is cached yet)."""
    folder = CACHE / f"run-{size}"
    if not (folder / "manifest.json").is_file() and (tmp_run / "manifest.json").is_file():
        if folder.exists():
            shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_run), folder)


def machine() -> dict[str, Any]:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count(),
            "memory_gib": round(pages / 2**30, 1), "load_average": [round(x, 2) for x in os.getloadavg()]}


def peak_rss() -> int:
    """This process's peak resident set in bytes. VmHWM belongs to the process image, so a spawned child does
    not inherit its parent's peak (ru_maxrss survives fork + exec and would report the parent's)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _measured(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int]:
    return fn(*args), peak_rss()


def in_child(fn: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """Run fn(*args) in a fresh spawned process; return its result and that process's peak RSS in bytes."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measured, fn, args).result()


@dataclass(frozen=True)
class Row:
    """One line of a suite table: our figure beside a baseline's and the ratio ours / baseline.

    goal: (">=", 3.0) or ("<=", 1.3) on that ratio, when the issue sets one.
    """

    measure: str
    ours: float
    baseline_name: str
    baseline: float
    unit: str
    goal: tuple[str, float] | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.ours and self.baseline else float("nan")

    @property
    def met(self) -> bool | None:
        if self.goal is None or self.ratio != self.ratio:
            return None
        op, value = self.goal
        return self.ratio >= value if op == ">=" else self.ratio <= value

    def as_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "ours": self.ours, "baseline_name": self.baseline_name,
                "baseline": self.baseline, "unit": self.unit, "ratio_ours_over_baseline": round(self.ratio, 3),
                "goal": f"{self.goal[0]} {self.goal[1]}" if self.goal else None, "goal_met": self.met,
                "note": self.note}


def fmt(value: float, unit: str) -> str:
    if value != value:
        return "-"
    if unit in ("s", "GiB"):
        return f"{value:,.2f} {unit}"
    return f"{value:,.0f} {unit}"


def show(title: str, rows: Sequence[Row]) -> None:
    table = Table(title=title)
    for col in ("measure", "ours", "baseline", "baseline figure", "ours / baseline", "goal", "note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        goal = "" if r.goal is None else f"{r.goal[0]} {r.goal[1]:g}: " + ("met" if r.met else "not met")
        table.add_row(r.measure, fmt(r.ours, r.unit), r.baseline_name, fmt(r.baseline, r.unit),
                      f"{r.ratio:.2f}", goal, r.note)
    console.print(table)
