"""`er review --train`: re-estimate the model's m-probabilities from reviewers' "same person" pairs.

Splink's `estimate_m_from_pairwise_labels` counts, for each comparison, how often labelled matches fall in
each level, and sets m to those shares; u, the prior and term frequencies stay as they were (Splink ignores
a clerical score: every labelled pair is a match, so "no match" answers cannot be used here; they act as
cannot-links). Few labels give noisy m (a level no labelled pair reaches gets m = 0, a weight of -inf in
the next run otherwise): we need at least `min_pairs` of them, and levels the labels never reach keep the
model's m. The run folder's model and profiles are the starting point; the new model is written to
model_out, for `er run --model`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import runfolder
from ..errors import InputError, Problem
from .decisions import Decision

DEFAULT_MIN_PAIRS = 20


@dataclass(frozen=True)
class TrainResult:
    model_out: Path
    pairs_used: int
    pairs_not_in_run: int
    levels_changed: int


def _m_values(model: dict[str, Any]) -> dict[tuple[str, int], float | None]:
    out: dict[tuple[str, int], float | None] = {}
    for c in model.get("comparisons", []):
        for i, level in enumerate(c.get("comparison_levels", [])):
            if not level.get("is_null_level"):
                out[(c["output_column_name"], i)] = level.get("m_probability")
    return out


def train_m(run_dir: Path, decisions: list[Decision], model_out: Path, *,
            min_pairs: int = DEFAULT_MIN_PAIRS, force: bool = False) -> TrainResult:
    """Estimate m from the "match" pair decisions over the run's profiles; write the model to model_out."""
    import duckdb
    import pyarrow as pa

    from ..export.guard import check_model_out
    from ..match.resolve import load_model, make_linker

    run = runfolder.open(run_dir, (runfolder.MANIFEST, runfolder.DB, runfolder.MODEL))
    check_model_out(model_out, force=force)
    pairs = sorted({d.account_ids for d in decisions if d.kind == "pair" and d.answer == "match"})
    con = duckdb.connect()
    try:
        con.execute("ATTACH $p AS run (READ_ONLY)", {"p": str(run.paths.db)})
        con.execute("CREATE TABLE profiles AS SELECT * FROM run.profiles")
        con.execute("DETACH run")
        known = {r[0] for r in con.execute(
            "SELECT unique_id FROM profiles WHERE list_contains($ids, unique_id)",
            {"ids": sorted({a for p in pairs for a in p})}).fetchall()}
        usable = [p for p in pairs if p[0] in known and p[1] in known]
        if len(usable) < min_pairs:
            raise InputError([Problem("--train", None, None,
                                      f"at least {min_pairs} 'match' pair decisions on accounts of {run_dir}",
                                      f"{len(usable)} ({len(pairs) - len(usable)} more on accounts not in it)")])
        con.register("review_pair_labels", pa.table({
            "source_dataset_l": ["profiles"] * len(usable), "unique_id_l": [p[0] for p in usable],
            "source_dataset_r": ["profiles"] * len(usable), "unique_id_r": [p[1] for p in usable]}))
        con.execute("CREATE TABLE review_pair_labels_t AS SELECT * FROM review_pair_labels")
        base = load_model(run.paths.model)
        linker = make_linker(con, base)
        linker.training.estimate_m_from_pairwise_labels("review_pair_labels_t")
        tmp = model_out.with_suffix(".json.tmp")
        model_out.parent.mkdir(parents=True, exist_ok=True)
        trained: dict[str, Any] = linker.misc.save_model_to_json(str(tmp), overwrite=True)
    finally:
        con.close()
    before, after = _m_values(base), _m_values(trained)
    changed = 0
    for c in trained.get("comparisons", []):
        for i, level in enumerate(c.get("comparison_levels", [])):
            key = (c["output_column_name"], i)
            if key not in before:
                continue
            m = level.get("m_probability")
            if m is None or not m > 0:  # no labelled pair reached this level: keep the model's m
                level["m_probability"] = before[key]
            elif before[key] is None or abs(m - before[key]) > 1e-12:
                changed += 1
    tmp.write_text(json.dumps(trained, indent=2), encoding="utf-8")
    shutil.move(str(tmp), model_out)
    del after
    return TrainResult(model_out, len(usable), len(pairs) - len(usable), changed)
