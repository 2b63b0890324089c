"""What install and process control share about a server home: its lock, its JSON files, the pid of its
running server, and the check that an outside tool (Java, Maven) is there.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ...errors import GraphError
from ...processes import alive
from .config import ENTRY_POINT, ServerPaths


@contextmanager
def locked(paths: ServerPaths) -> Iterator[None]:
    """Serialise install/start/stop on one home across processes."""
    paths.home.mkdir(parents=True, exist_ok=True)
    with paths.lock_file.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def running_pid(paths: ServerPaths) -> int | None:
    """PID of our server for this home, from state.json or Neo4j's own run/neo4j.pid; None if not running."""
    candidates: list[int] = []
    state = read_json(paths.state_file)
    if state and isinstance(state.get("pid"), int):
        candidates.append(state["pid"])
    with suppress(FileNotFoundError, ValueError):
        candidates.append(int((paths.run / "neo4j.pid").read_text().strip()))
    for pid in candidates:
        if _is_our_server(pid, paths.home):
            return pid
    return None


def _is_our_server(pid: int, home: Path) -> bool:
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc (macOS): trust the pid
    return ENTRY_POINT.encode() in cmdline and f"--home-dir={home}".encode() in cmdline


def check_tool(cmd: list[str], name: str, hint: str) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise GraphError(f"{name} not found as {cmd[0]!r}; install it ({hint})") from exc
    return result.stdout + result.stderr
