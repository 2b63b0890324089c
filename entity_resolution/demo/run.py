"""`er demo`: generate the synthetic data set, run the pipeline on it, score it against the ground truth."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from ..evaluate import score_run
from ..ingest import Inputs
from ..pipeline import RunResult, run
from ..progress import ProgressFn
from ..settings import Settings


def run_demo(
    out: Path,
    settings: Settings,
    *,
    size: int = 10_000,
    seed: int = 7,
    train: bool = False,
    force: bool = False,
    world: str = "default",
    progress: ProgressFn | None = None,
) -> tuple[RunResult, dict[str, float | int]]:
    """world: "default" (the tidy demo) or "realistic" (benign look-alikes and abuse that looks benign,
    entity_resolution/demo/world, docs/demo-data.md)."""
    from ..export.guard import check_demo_out
    from ..pseudonym import key_from_settings
    from . import generator
    from . import world as realistic

    minimum = {"default": generator.MIN_ACCOUNTS, "realistic": realistic.MIN_ACCOUNTS}
    if world not in minimum:
        raise InputError([Problem("--world", None, None, " or ".join(minimum), world)])
    if size < minimum[world]:
        raise InputError([Problem("--size", None, None,
                                  f"at least {minimum[world]:,} accounts (the demo plants every scenario once)",
                                  str(size))])
    if settings.pseudonymise:
        key_from_settings(settings)  # no key: stop before the demo data is written (run() checks it again)
    check_demo_out(out, force=force)  # before generating: never overwrite files that are not ours
    if progress:
        progress("generate demo data", False)
    if world == "realistic":
        paths = realistic.generate_world(out / "input", n_accounts=size, seed=seed, fmt="csv").files
    else:
        paths = generator.generate(out / "input", n_accounts=size, seed=seed, fmt="csv")
    if progress:
        progress("generate demo data", True)
    inputs = Inputs(paths.accounts, paths.devices, paths.payments, paths.labels)
    result = run(inputs, out / "run", settings, train_first=train, force=force, progress=progress)
    scores = score_run(out / "run", paths.truth)
    return result, scores.as_dict()
