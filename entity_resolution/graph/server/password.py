"""The managed server's password: generated once into a private file, read from it, never printed."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ...errors import GraphError


def ensure_password(path: Path) -> str:
    """Return the stored password, generating one (mode 600, folder 700) on first use."""
    path = path.expanduser()
    private_folder(path.parent)
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return read_password(path)
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    return password


def private_folder(folder: Path) -> None:
    """Create the password's folder as 700, or take group and other access away from an existing one of ours.

    Left alone: a folder of another user, a shared sticky folder such as /tmp and the home folder itself (the
    file is 600 in any case, created with O_EXCL so a planted link cannot redirect it).
    """
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)  # mkdir's mode only applies to the last part, and through the umask
        return
    st = folder.stat()
    shared = st.st_mode & stat.S_ISVTX or folder.resolve() == Path.home().resolve()
    if st.st_mode & 0o077 and st.st_uid == os.getuid() and not shared:
        folder.chmod(stat.S_IMODE(st.st_mode) & 0o700)


def read_password(path: Path) -> str:
    try:
        password = path.expanduser().read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise GraphError(f"password file {path} is missing; `er neo4j start` creates it") from exc
    if len(password) < 8:
        raise GraphError(f"password file {path}: Neo4j needs at least 8 characters")
    return password
