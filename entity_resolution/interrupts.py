"""SIGINT and SIGTERM stop a command cleanly: the same unwinding as Ctrl-C, so every atomic folder and
temporary file is removed on the way out, then the exit code a shell expects (130, 143).

Python's default SIGTERM ends the process at once, leaving hidden temporaries behind. Here both signals raise
KeyboardInterrupt in the main thread (DuckDB and the Neo4j driver already stop on it; DuckDB reports it as its
own "Query interrupted" error, which is why the signal is also recorded). Further signals during the unwinding
are recorded but do not interrupt the clean-up.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


@dataclass
class Received:
    signum: int | None = None
    armed: bool = True  # False once the work is over: a late signal must not turn a finished command into a failure

    def disarm(self) -> None:
        self.armed = False

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)


@contextmanager
def stop_on_signals() -> Iterator[Received]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt once and are recorded in the result."""
    received = Received()

    def handler(signum: int, frame: FrameType | None) -> None:
        if not received.armed:
            return
        first = received.signum is None
        received.signum = received.signum or signum
        if first:
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
