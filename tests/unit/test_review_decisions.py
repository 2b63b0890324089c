"""The review decisions file (review/decisions.py): checked entries, the latest per subject wins, a damaged
file is refused, two writers lose nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from entity_resolution.errors import InputError
from entity_resolution.review import decisions as store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_record_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "review-decisions.jsonl"
    d = store.make("pair", "no_match", ["b", "a"], "ana", T0, note="different birth dates")
    assert store.record(path, [d]) == 1
    assert store.record(path, [d]) == 0  # the same decision is not added twice
    back = store.read(path)
    assert back == [d]
    assert back[0].account_ids == ("a", "b")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_latest_decision_on_a_subject_wins(tmp_path: Path) -> None:
    first = store.make("pair", "no_match", ["a", "b"], "ana", T0)
    later = store.make("pair", "match", ["b", "a"], "ben", T0 + timedelta(hours=1))
    other = store.make("account", "abusive", ["c"], "ana", T0)
    force = store.in_force([later, first, other])
    assert later in force and first not in force and other in force


@pytest.mark.parametrize(("kind", "answer", "ids", "reviewer", "column"), [
    ("pair", "confirm", ["a", "b"], "ana", "answer"),
    ("pair", "match", ["a"], "ana", "account_ids"),
    ("account", "abusive", ["a"], "", "reviewer"),
    ("ring", "reject", [], "ana", "account_ids"),
])
def test_bad_decisions_name_what_is_wrong(kind: str, answer: str, ids: list[str], reviewer: str,
                                          column: str) -> None:
    with pytest.raises(InputError) as err:
        store.make(kind, answer, ids, reviewer, T0)
    assert column in {p.column for p in err.value.problems}


def test_damaged_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    good = store.make("account", "benign", ["a"], "ana", T0)
    path.write_text(json.dumps(good.to_json()) + "\nnot json\n" + json.dumps({**good.to_json(), "kind": "x"}) + "\n")
    with pytest.raises(InputError) as err:
        store.read(path)
    assert [p.row for p in err.value.problems] == [2, 3]


def test_forget_takes_accounts_out_of_the_decisions(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    pair = store.make("pair", "match", ["a", "b"], "ana", T0)
    ring = store.make("ring", "reject", ["a", "c", "d"], "ana", T0, ring_id="R-1")
    small = store.make("ring", "reject", ["a", "e"], "ana", T0, ring_id="R-2")
    other = store.make("account", "benign", ["z"], "ana", T0)
    store.record(path, [pair, ring, small, other])
    assert store.forget_accounts(path, ["a"]) == 3
    left = store.read(path)
    assert '"a"' not in path.read_text()
    assert [(d.kind, d.account_ids) for d in left] == [("ring", ("c", "d")), ("account", ("z",))]
