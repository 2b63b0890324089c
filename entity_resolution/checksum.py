"""The SHA-256 of a file's bytes, as recorded in manifests (input files, the model)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex digest of the file's bytes as stored (a .gz file's compressed bytes), read 1 MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
