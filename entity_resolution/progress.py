"""Progress reporting shared by the stages and the CLI: one callback type and one phase timer.

A stage takes `progress: ProgressFn | None` and reports each phase twice: when it starts (done=False, with an
optional message saying what it is doing) and when it has finished (done=True). The CLI renders the calls; the
library never prints. Row counts of a Neo4j load and the managed server's log lines are reported apart
(graph/loader.py, graph/server/): they are not phases.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressFn(Protocol):
    """progress(phase, done, message): done=False when the phase starts, True when it has finished."""

    def __call__(self, phase: str, done: bool, message: str = "") -> None: ...


class PhaseTimer:
    """Times named phases (seconds rounded to the millisecond, also for a phase that failed) and reports their
    start and successful end to an optional ProgressFn."""

    def __init__(self, progress: ProgressFn | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self._progress = progress

    @contextmanager
    def phase(self, name: str, message: str = "") -> Iterator[None]:
        if self._progress:
            self._progress(name, False, message)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)
        if self._progress:  # not reached when the phase raised: a failed phase is never shown as done
            self._progress(name, True)
