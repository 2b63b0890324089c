"""Output folders are complete or absent: build in a hidden sibling folder, then swap it in.

The hidden siblings are named `.OUT.tmp-KIND-PID-STAMP` (and `.OUT.old-KIND-PID-STAMP` for the moment of the
swap). A run killed by SIGKILL or a power cut leaves its temporary behind; the next run on the same OUT removes
every such sibling whose process is gone (never a live one, so two runs side by side don't undo each other).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..processes import alive

# .OUT.tmp-run-12345-20261204T101010123456; the pid-less form is what versions before 0.2 left behind.
_SIBLING = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<kind>[a-z]+)-(?:(?P<pid>\d+)-)?\d{8}T\d+$")


def is_stale_temporary(path: Path) -> bool:
    """A hidden temporary of ours (see the module docstring) whose writer is no longer running."""
    m = _SIBLING.match(path.name)
    if not m or path.is_symlink() or not path.is_dir():
        return False
    return m["pid"] is None or not alive(int(m["pid"]))


def stale_siblings(out: Path) -> list[Path]:
    """Stale temporaries of ours next to `out`."""
    out = out.resolve()
    if not out.parent.is_dir():
        return []
    return [p for p in out.parent.iterdir()
            if p.name.startswith(f".{out.name}.") and is_stale_temporary(p)
            and _SIBLING.match(p.name)["name"] == out.name]  # type: ignore[index]


def _unwritable(out: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    existing = next((p for p in out.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        reason = f"{existing} is a file, not a folder"
    return InputError([Problem("--out", None, None, "a location where a folder can be written",
                               f"{out}: {reason}")])


@contextmanager
def atomic_dir(out: Path, kind: str) -> Iterator[Path]:
    """Yield a temp folder next to `out`; on success it replaces `out`, on any error (or signal) it is removed.

    Callers decide beforehand whether `out` may be replaced (export/guard.py); this only makes the swap atomic.
    """
    out = out.resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in stale_siblings(out):
            shutil.rmtree(stale, ignore_errors=True)
        tag = f"{kind}-{os.getpid()}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
        tmp = out.parent / f".{out.name}.tmp-{tag}"
        tmp.mkdir()
    except OSError as exc:  # under a file, read-only, /proc, no space: nothing was written
        raise _unwritable(out, exc) from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{tag}"
    moved = False
    try:
        if out.exists() or out.is_symlink():  # an earlier run, or what the user chose to replace with --force
            out.rename(old)
            moved = True
        tmp.rename(out)
    except BaseException:
        if moved and not out.exists():
            old.rename(out)  # put back what was there
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if moved:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Replace path with one JSON object per line, owner-readable only (0600: these lists name people's accounts),
    through a synced temporary beside it: a reader sees the old list or the new one, never half of either."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, sort_keys=True) + "\n" for row in rows)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
