"""May this `--out` be written? Never replace, or write into, what is not ours.

A run folder is replaced whole, so `er run --out X` may only name a new path, an empty folder or an earlier run
folder of ours (a manifest.json with a run id, and nothing but our own files). Anything else needs `--force`,
and even then a folder that holds an input, the current directory or the home folder is never replaced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError, Problem
from ..runfolder import is_run_folder as has_our_manifest

# Every name a run folder of ours holds (pipeline.run, detection in-process, er.duckdb's write-ahead log).
# tests/integration/test_output_safety.py checks that a fresh run folder holds nothing else.
_RUN_FILE = re.compile(
    r"^(?:(?:entities|links|resolution_hubs|review_audit|signals|rings|hubs|ring_events|components|bridges)\.(?:csv|parquet)"
    r"|(?:detect_state_\w+|risk_features)\.parquet|(?:manifest|detect_manifest|model)\.json|er\.duckdb(?:\.wal)?"
    r"|report\.html)$"  # report/render.py
)
# What the demo generator writes into DEMO/input (entity_resolution/demo/generator.py), in any input format.
_DEMO_INPUT_FILE = re.compile(
    r"^(?:(?:accounts|devices|payments|labels)\.(?:csv|parquet|jsonl)|truth(?:_rings|_lookalikes)?\.(?:csv|parquet)"
    r"|world\.json)$"
)
# An `er detect --out ROOT` export root: dated folders, the `latest` link, the hidden temporaries of a run.
_EXPORT_ENTRY = re.compile(r"^(?:\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d+)?|latest|\..+\.tmp-.+|\..+\.old-.+)$")
_SHOWN = 5


def _refuse(out: Path, expected: str, found: str) -> InputError:
    return InputError([Problem("--out", None, None, expected, f"{out}: {found}")])


def _names(paths: Iterable[Path]) -> str:
    names = sorted(p.name for p in paths)
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def is_run_folder(path: Path) -> bool:
    """A folder `er run` wrote: its manifest.json is one of ours (runfolder.is_run_folder)."""
    return path.is_dir() and has_our_manifest(path)


def foreign_run_files(path: Path) -> list[Path]:
    """Entries of a run folder that `er run` did not write (a user's notes, an input file, a sub-folder)."""
    return [p for p in path.iterdir() if not (_RUN_FILE.match(p.name) and p.is_file() and not p.is_symlink())]


def _never_replaced(out: Path, inputs: Iterable[Path | None]) -> None:
    """Refuse, even with --force, to replace a folder holding an input, the working folder or the home folder."""
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    for protected, what in ((cwd, "the current folder"), (home, "the home folder")):
        if out == protected or out in protected.parents:
            raise _refuse(out, "a folder of its own for the run (never replaced: it would delete "
                          f"{what})", f"holds {what}")
    inside = [p for p in inputs if p is not None and (p.resolve() == out or out in p.resolve().parents)]
    if inside:
        raise _refuse(out, "a folder that does not hold the inputs (it is replaced whole)",
                      f"holds input {_names(inside)}")


def check_run_out(out: Path, inputs: Iterable[Path | None], *, force: bool = False) -> None:
    """Raise InputError unless `er run` may replace `out` with a run folder."""
    out = out.expanduser().resolve()
    _never_replaced(out, inputs)
    if not (out.exists() or out.is_symlink()) or force:
        return
    if not out.is_dir() or out.is_symlink():
        raise _refuse(out, "a new path or a run folder (--force replaces it)", "an existing file")
    entries = list(out.iterdir())
    if not entries:
        return
    if not is_run_folder(out):
        raise _refuse(out, "a new path, an empty folder or a run folder of ours (--force replaces it)",
                      f"a folder of other files ({_names(entries)})")
    foreign = foreign_run_files(out)
    if foreign:
        raise _refuse(out, "a run folder holding only what `er run` writes (--force replaces it)",
                      f"also holds {_names(foreign)}")


def check_demo_out(out: Path, *, force: bool = False) -> None:
    """`er demo --out D` writes D/input (generated files) and D/run (a run folder); the rest of D is left alone."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise _refuse(out, "a folder for the demo", "an existing file")
    inputs = out / "input"
    check_run_out(out / "run", [inputs / "accounts.csv"], force=force)
    if inputs.exists() and not force:
        if not inputs.is_dir():
            raise _refuse(inputs, "a folder for the generated demo input (--force replaces it)", "a file")
        foreign = [p for p in inputs.iterdir() if not (_DEMO_INPUT_FILE.match(p.name) or p.name.startswith("."))]
        if foreign:
            raise _refuse(inputs, "a demo input folder holding only generated files (--force overwrites them)",
                          f"also holds {_names(foreign)}")


def check_export_root(root: Path, *, force: bool = False) -> None:
    """`er detect --out ROOT` adds dated folders and a `latest` link to ROOT; it must be a folder of ours."""
    root = root.expanduser().resolve()
    if not root.exists():
        return
    if not root.is_dir():
        raise _refuse(root, "a folder for dated exports", "an existing file")
    latest = root / "latest"
    if latest.exists() and not latest.is_symlink():
        raise _refuse(root, "an export root whose `latest` is our link", "`latest` is a file or folder of yours")
    foreign = [p for p in root.iterdir() if not _EXPORT_ENTRY.match(p.name)]
    if foreign and not force:
        raise _refuse(root, "a new path, an empty folder or an `er detect` export root (--force writes into it)",
                      f"a folder of other files ({_names(foreign)})")


def check_model_out(path: Path, *, force: bool = False) -> None:
    """`er train --model-out F` replaces F only if F is a Splink model JSON (or with --force), never a folder."""
    path = path.expanduser().resolve()
    if not path.exists():
        return
    if not path.is_file():
        raise InputError([Problem("--model-out", None, None, "a file path for the model JSON", f"{path}: a folder")])
    if force:
        return
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        model = None
    if not (isinstance(model, dict) and "comparisons" in model):
        raise InputError([Problem("--model-out", None, None, "a new path or a Splink model JSON to replace "
                                  "(--force replaces any file)", f"{path}: a file that is not a model")])
