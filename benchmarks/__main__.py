"""Entry point: python -m benchmarks accuracy | resolution | graph_load | detection | all [--size N].

Each suite runs our path and its baselines on the same data in the same process run, prints a table (our
figure, the baseline's, the ratio) and writes JSON to benchmarks/results/<suite>-<size>-<stamp>.json.
Graph suites use the managed Neo4j named by the ER_NEO4J_* environment variables (`er neo4j start`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def _accuracy(args: argparse.Namespace) -> dict[str, object]:
    from .febrl import run_ours, run_recordlinkage_ecm

    out: dict[str, object] = {}
    table = Table(title="Accuracy (pairwise)")
    for col in ("data set", "method", "precision", "recall", "F1", "best F1", "ratio best F1 vs baseline"):
        table.add_column(col)
    for name in ("febrl4", "febrl3"):
        ours = run_ours(name)
        ecm = run_recordlinkage_ecm(name)
        out[name] = {"ours": ours, "recordlinkage_ecm": ecm}
        table.add_row(name, "ours (Splink recipe)", f"{ours['precision']:.4f}", f"{ours['recall']:.4f}",
                      f"{ours['f1']:.4f}", f"{ours['best_f1']:.4f}", f"{ours['best_f1'] / ecm['f1']:.4f}")
        table.add_row(name, "recordlinkage ECM", f"{ecm['precision']:.4f}", f"{ecm['recall']:.4f}",
                      f"{ecm['f1']:.4f}", "", "1.0000")
    demo = _demo_accuracy(args.size)
    out["demo"] = demo
    table.add_row(f"demo {args.size:,}", "ours (er run, default model)", f"{demo['cluster_precision']:.4f}",
                  f"{demo['cluster_recall']:.4f}", "", "", "")
    Console().print(table)
    Console().print("demo rows are cluster-level (pairs implied by entities); FEBRL rows are pairwise links")
    return out


def _demo_accuracy(size: int) -> dict[str, object]:
    import tempfile

    from entity_resolution.demo.generator import generate
    from entity_resolution.evaluate import score_run
    from entity_resolution.ingest import Inputs
    from entity_resolution.pipeline import run
    from entity_resolution.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp) / "input", n_accounts=size, seed=7, fmt="parquet")
        result = run(Inputs(paths.accounts, paths.devices, paths.payments), Path(tmp) / "run", Settings())
        scores = score_run(Path(tmp) / "run", paths.truth).as_dict()
    return {**scores, "phase_seconds": result.phase_seconds}


def _resolution(args: argparse.Namespace) -> dict[str, object]:
    from .resolution import run_suite

    return run_suite(args.size, repeat=args.repeat)


def _graph_load(args: argparse.Namespace) -> dict[str, object]:
    from .graph_load import run_suite

    return run_suite(args.size, repeat=args.repeat, naive_rows=args.naive_rows, py2neo_rows=args.py2neo_rows)


def _detection(args: argparse.Namespace) -> dict[str, object]:
    from .detection import run_suite

    return run_suite(args.size, repeat=args.repeat)


SUITES = {"accuracy": _accuracy, "resolution": _resolution, "graph_load": _graph_load, "detection": _detection}


def _write(suite: str, args: argparse.Namespace, result: dict[str, object], seconds: float) -> Path:
    from .common import machine

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {"suite": suite, "size": args.size, "at": stamp, "seconds": round(seconds, 1),
              "command": "python -m benchmarks " + " ".join(sys.argv[1:]), "machine": machine(),
              "platform": platform.platform(), "result": result}
    path = RESULTS / f"{suite}-{args.size}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("suite", choices=[*sorted(SUITES), "all"])
    parser.add_argument("--size", type=int, default=10_000, help="accounts in the synthetic data set")
    parser.add_argument("--repeat", type=int, default=1, help="repeats per contender; the fastest is reported")
    parser.add_argument("--naive-rows", type=int, default=5_000,
                        help="graph_load: rows the one-MERGE-per-row baseline loads (a slice of every step) "
                             "before its time is extrapolated to the whole graph (0: the whole graph)")
    parser.add_argument("--py2neo-rows", type=int, default=20_000,
                        help="graph_load: the same for the py2neo bulk baseline (0: the whole graph)")
    args = parser.parse_args()
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    for suite in suites:
        start = time.perf_counter()
        result = SUITES[suite](args)
        path = _write(suite, args, result, time.perf_counter() - start)
        print(f"{suite}: {time.perf_counter() - start:.0f} s, wrote {path}")


if __name__ == "__main__":
    main()
