"""The one phase timer (entity_resolution.progress): what a stage reports and times."""

from __future__ import annotations

import pytest

from entity_resolution.progress import PhaseTimer


def test_phases_are_reported_at_start_and_end_and_timed() -> None:
    calls: list[tuple[str, bool, str]] = []
    timer = PhaseTimer(lambda phase, done, message="": calls.append((phase, done, message)))
    with timer.phase("ingest"):
        pass
    with timer.phase("import", "neo4j-admin database import full"):
        pass
    assert calls == [("ingest", False, ""), ("ingest", True, ""),
                     ("import", False, "neo4j-admin database import full"), ("import", True, "")]
    assert list(timer.seconds) == ["ingest", "import"]
    assert all(s >= 0 for s in timer.seconds.values())


def test_a_failed_phase_is_timed_but_never_shown_as_done() -> None:
    calls: list[tuple[str, bool]] = []
    timer = PhaseTimer(lambda phase, done, message="": calls.append((phase, done)))
    with pytest.raises(RuntimeError), timer.phase("stop"):
        raise RuntimeError("server did not stop")
    assert calls == [("stop", False)]
    assert "stop" in timer.seconds


def test_no_callback_is_fine() -> None:
    timer = PhaseTimer()
    with timer.phase("predict"):
        pass
    assert set(timer.seconds) == {"predict"}
