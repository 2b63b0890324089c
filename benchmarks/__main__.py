"""Entry point: python -m benchmarks accuracy | resolution [--size N]."""

from __future__ import annotations

import argparse
import json
import platform
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


SUITES = {"accuracy": _accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    result = SUITES[args.suite](args)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {"suite": args.suite, "size": args.size, "at": stamp, "machine": platform.platform(),
              "result": result}
    path = RESULTS / f"{args.suite}-{args.size}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
