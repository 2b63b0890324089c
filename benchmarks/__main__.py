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


def _accuracy(_: argparse.Namespace) -> dict[str, object]:
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
    Console().print(table)
    return out


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
