"""Is a process still running? Shared by the managed Neo4j server and the stale-temporary clean-up."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path


def alive(pid: int) -> bool:
    """True while pid runs: a zombie counts as gone (and is reaped if it is our own exited child), and someone
    else's process we may not signal counts as alive."""
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own exited child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        proc_stat = Path(f"/proc/{pid}/stat").read_text()
        return proc_stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True
