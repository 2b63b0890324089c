"""`er demo`: generate the synthetic data set, run the pipeline on it, score it against the ground truth."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from ..evaluate import score_run
from ..ingest import Inputs
from ..pipeline import ProgressFn, RunResult, run
from ..settings import Settings


def run_demo(
    out: Path,
    settings: Settings,
    *,
    size: int = 10_000,
    seed: int = 7,
    train: bool = False,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> tuple[RunResult, dict[str, float | int]]:
    from ..export.guard import check_demo_out
    from ..pseudonym import key_from_settings
    from .generator import MIN_ACCOUNTS, generate

    if size < MIN_ACCOUNTS:
        raise InputError([Problem("--size", None, None,
                                  f"at least {MIN_ACCOUNTS:,} accounts (the demo plants every scenario once)",
                                  str(size))])
    if settings.pseudonymise:
        key_from_settings(settings)  # no key: stop before the demo data is written (run() checks it again)
    check_demo_out(out, force=force)  # before generating: never overwrite files that are not ours
    if progress:
        progress("generate demo data", False)
    paths = generate(out / "input", n_accounts=size, seed=seed, fmt="csv")
    if progress:
        progress("generate demo data", True)
    inputs = Inputs(paths.accounts, paths.devices, paths.payments, paths.labels)
    result = run(inputs, out / "run", settings, train_first=train, force=force, progress=progress)
    scores = score_run(out / "run", paths.truth)
    return result, scores.as_dict()
