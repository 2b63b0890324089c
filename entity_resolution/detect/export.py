"""Scheduled exports: `er detect --out ROOT` writes ROOT/<UTC time>/ complete or not at all, one run at a time.

- A lock (fcntl, on ROOT's sibling `.ROOT.lock`) makes an overlapping run fail at once with LockedError
  (exit code 3); the kernel drops the lock when its holder dies, so a killed run never blocks the next one.
- The folder is built as a hidden temporary sibling and renamed into place when complete; temporaries left
  by a killed run are removed by the next run (under the lock).
- ROOT/latest is a symlink to the newest complete export, replaced atomically.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..errors import LockedError
from ..export.atomic import atomic_dir, is_stale_temporary
from ..processes import alive
from .core import DetectResult
from .output import MANIFEST

EXIT_LOCKED = 3
LATEST = "latest"
_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d+)?$")
_LATEST_TMP = re.compile(r"^\.latest\.tmp-\d+$")


def lock_path(out_root: Path) -> Path:
    out_root = out_root.resolve()
    return out_root.parent / f".{out_root.name}.lock"


@contextmanager
def export_lock(out_root: Path) -> Iterator[Path]:
    """Hold the export lock of out_root, or raise LockedError naming the process that holds it."""
    path = lock_path(out_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LockedError(
                f"another `er detect` (pid {holder}) is writing to {out_root}; nothing was done. "
                f"Lock file: {path}"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def exports(out_root: Path) -> list[Path]:
    """Complete export folders under out_root, oldest first."""
    if not out_root.is_dir():
        return []
    return sorted(p for p in out_root.iterdir()
                  if p.is_dir() and not p.is_symlink() and _FOLDER.match(p.name) and (p / MANIFEST).is_file())


def newest_export(out_root: Path) -> Path | None:
    found = exports(out_root)
    return found[-1] if found else None


def _clean_stale(out_root: Path) -> list[Path]:
    """Remove what killed runs left in out_root: temporaries of ours whose process is gone, `latest` links."""
    removed = []
    for p in out_root.iterdir():
        if is_stale_temporary(p):
            shutil.rmtree(p, ignore_errors=True)
        elif p.is_symlink() and _LATEST_TMP.match(p.name) and not alive(int(p.name.rsplit("-", 1)[1])):
            p.unlink()
        else:
            continue
        removed.append(p)
    return removed


def _point_latest(out_root: Path, folder: Path) -> None:
    link = out_root / LATEST
    tmp = out_root / f".{LATEST}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.name)
    os.replace(tmp, link)


def run_export(out_root: Path, produce: Callable[[Path], DetectResult], *, now: datetime | None = None) -> DetectResult:
    """Under the lock, build a dated folder with produce(tmp_folder) and publish it atomically."""
    out_root = out_root.resolve()
    with export_lock(out_root):
        out_root.mkdir(parents=True, exist_ok=True)
        _clean_stale(out_root)
        stamp = f"{(now or datetime.now(UTC)):%Y-%m-%dT%H%M%SZ}"
        folder = out_root / stamp
        n = 1
        while folder.exists():
            n += 1
            folder = out_root / f"{stamp}-{n}"
        with atomic_dir(folder, "detect") as tmp:
            result = produce(tmp)
        _point_latest(out_root, folder)
    return replace(result, out_dir=folder, files=[folder / f.name for f in result.files])
