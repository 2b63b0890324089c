"""`er review` decisions act on the next run (issue 13 acceptance): a cannot-link splits an entity and the
audit trail says so, a must-link joins two, a rejected ring is not flagged again until new evidence arrives
(also through an incremental run), account answers and appeals become labels, pairs train m."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution import pipeline, runfolder
from entity_resolution.cli import app
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.ingest import Inputs
from entity_resolution.review import decisions as store
from entity_resolution.settings import Settings

runner = CliRunner()


def _inputs(data: GeneratedPaths) -> Inputs:
    return Inputs(accounts=data.accounts, devices=data.devices, payments=data.payments, labels=data.labels)


def _env(decisions: Path) -> dict[str, str]:
    return {"ER_REVIEW_DECISIONS": str(decisions), "ER_REVIEWER": "ana"}


def _entities(run: Path) -> dict[str, str]:
    t = pq.read_table(run / "entities.parquet")
    return dict(zip(t["account_id"].to_pylist(), t["entity_id"].to_pylist(), strict=True))


def _audit(run: Path) -> list[dict[str, Any]]:
    return pq.read_table(runfolder.RunPaths(run).review_audit).to_pylist()


def _rings(run: Path) -> dict[str, set[str]]:
    t = pq.read_table(run / "signals.parquet")
    out: dict[str, set[str]] = {}
    for a, r in zip(t["account_id"].to_pylist(), t["ring_id"].to_pylist(), strict=True):
        if r is not None:
            out.setdefault(r, set()).add(a)
    return out


@pytest.fixture(scope="module")
def base(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with no decisions (an empty audit trail)."""
    out = tmp_path_factory.mktemp("review") / "base"
    settings = Settings(review_decisions=out.parent / "none.jsonl")
    pipeline.run(_inputs(small_data), out, settings)
    return out


def test_base_run_has_an_empty_audit_trail(base: Path) -> None:
    assert _audit(base) == []
    assert (base / "review_audit.csv").is_file()


def test_cannot_link_splits_must_link_joins_and_the_audit_says_so(
        base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    ents = _entities(base)
    members: dict[str, list[str]] = {}
    for a, e in sorted(ents.items()):
        members.setdefault(e, []).append(a)
    big = next(m for m in members.values() if len(m) >= 3)
    split_a, split_b = big[0], big[-1]
    singles = [m[0] for m in members.values() if len(m) == 1]
    join_a, join_b = singles[0], singles[1]
    decisions = tmp_path / "state" / "review-decisions.jsonl"
    result = runner.invoke(app, ["-q", "review", "--from", str(base), "--decide", f"no-match:{split_a},{split_b}",
                                 "--decide", f"match:{join_a},{join_b}", "--note", "checked by phone"],
                           env=_env(decisions))
    assert result.exit_code == 0, result.output
    recorded = store.read(decisions)
    assert {(d.kind, d.answer, d.reviewer, d.note) for d in recorded} == {
        ("pair", "no_match", "ana", "checked by phone"), ("pair", "match", "ana", "checked by phone")}
    assert all(d.run_id and d.run_id.startswith("run-") for d in recorded)

    after = tmp_path / "after"
    pipeline.run(_inputs(small_data), after, Settings(review_decisions=decisions), previous=base)
    now = _entities(after)
    assert now[split_a] != now[split_b]
    assert now[join_a] == now[join_b]
    assert len(now) == len(ents)  # every account still in exactly one entity
    audit = {tuple(r["account_ids"]): r for r in _audit(after)}
    cut = audit[tuple(sorted((split_a, split_b)))]
    assert cut["status"] == "split" and cut["reviewer"] == "ana" and cut["note"] == "checked by phone"
    assert set(cut["entity_ids_now"]) == {now[split_a], now[split_b]}
    assert cut["entity_ids_at_decision"] == [ents[split_a], ents[split_b]]
    joined = audit[tuple(sorted((join_a, join_b)))]
    assert joined["status"] == "joined" and joined["entity_ids_now"] == [now[join_a]] * 2
    manifest = json.loads((after / "manifest.json").read_text())
    assert manifest["row_counts"]["review_decisions"] == 2
    with duckdb.connect(str(after / "er.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM review_constraints WHERE applied").fetchall()[0][0] == 2


def _new_member_files(folder: Path, base: Path, data: GeneratedPaths, card: str) -> Inputs:
    """One new account (a stranger's name and e-mail) that pays with `card`: a new member for its ring."""
    folder.mkdir()
    as_of = runfolder.open(base).manifest.as_of
    when = (as_of + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    acc = pq.read_table(data.accounts).slice(0, 1).to_pylist()[0]
    acc.update(account_id="acct_review_new", created_at=when, email="zq.newcomer@example.org",
               full_name="Zebulon Quartermaine", phone=None, date_of_birth="1971-03-04", signup_ip="10.9.8.7")
    pq.write_table(pa.Table.from_pylist([acc], pq.read_schema(data.accounts)), folder / "accounts.parquet")
    dev = pq.read_table(data.devices).slice(0, 1).to_pylist()[0]
    dev.update(account_id="acct_review_new", observed_at=when, device_id="review-new-device", ip="10.9.8.7")
    pq.write_table(pa.Table.from_pylist([dev], pq.read_schema(data.devices)), folder / "devices.parquet")
    pay = pq.read_table(data.payments).slice(0, 1).to_pylist()[0]
    pay.update(account_id="acct_review_new", observed_at=when, card_fingerprint=card, disputed=False)
    pq.write_table(pa.Table.from_pylist([pay], pq.read_schema(data.payments)), folder / "payments.parquet")
    return Inputs(accounts=folder / "accounts.parquet", devices=folder / "devices.parquet",
                  payments=folder / "payments.parquet")


def test_rejected_ring_is_not_flagged_again_until_new_evidence(
        base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    rings = _rings(base)
    with duckdb.connect(str(base / "er.duckdb"), read_only=True) as con:
        # a ring bound by a card: a new account paying with it brings new evidence
        ring_id, card = next(
            (r, cards[0][0]) for r, m in sorted(rings.items())
            if (cards := con.execute(
                "SELECT value FROM identifier_observations WHERE kind = 'card' AND list_contains($m, account_id) "
                "GROUP BY value HAVING count(DISTINCT account_id) >= 2 ORDER BY value", {"m": sorted(m)}).fetchall()))
    decisions = tmp_path / "review-decisions.jsonl"
    result = runner.invoke(app, ["-q", "review", "--from", str(base), "--decide", f"reject:{ring_id}",
                                 "--note", "a family"], env=_env(decisions))
    assert result.exit_code == 0, result.output
    [rejection] = store.read(decisions)
    assert set(rejection.account_ids) == rings[ring_id] and f"card:{card}" in rejection.identifiers

    settings = Settings(review_decisions=decisions)
    again = tmp_path / "again"
    pipeline.run(_inputs(small_data), again, settings, previous=base)
    flagged = _rings(again)
    assert not any(m <= rings[ring_id] for m in flagged.values())  # the group is not flagged again
    signals = pq.read_table(again / "signals.parquet").to_pylist()
    assert all(s["ring_id"] is None for s in signals if s["account_id"] in rings[ring_id])
    [row] = _audit(again)
    assert row["status"] == "suppressed" and row["ring_id"] == ring_id

    # new evidence through an incremental run: a new account pays with the ring's card
    new = _new_member_files(tmp_path / "new", again, small_data, card)
    grown = tmp_path / "grown"
    pipeline.run(new, grown, settings, previous=again, incremental=True)
    flagged = _rings(grown)
    holder = next(m for m in flagged.values() if "acct_review_new" in m)
    assert holder & rings[ring_id]
    [row] = _audit(grown)
    assert row["status"] == "reflagged" and "acct_review_new" in row["new_accounts"]


def test_incremental_run_honours_a_cannot_link(base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    ents = _entities(base)
    members: dict[str, list[str]] = {}
    for a, e in sorted(ents.items()):
        members.setdefault(e, []).append(a)
    pair = next(m for m in members.values() if len(m) == 2)
    decisions = tmp_path / "d.jsonl"
    store.record(decisions, [store.make("pair", "no_match", pair, "ana", runfolder.open(base).manifest.as_of)])
    card = pq.read_table(small_data.payments).slice(0, 1).to_pylist()[0]["card_fingerprint"]
    new = _new_member_files(tmp_path / "new", base, small_data, card)
    inc = tmp_path / "inc"
    pipeline.run(new, inc, Settings(review_decisions=decisions), previous=base, incremental=True)
    now = _entities(inc)
    assert now[pair[0]] != now[pair[1]]
    assert _audit(inc)[0]["status"] == "split"


def test_interactive_review_reads_answers_from_stdin(base: Path, tmp_path: Path) -> None:
    decisions = tmp_path / "d.jsonl"
    args = ["review", "--from", str(base), "--kind", "pair", "--kind", "account", "--limit", "1"]
    result = runner.invoke(app, args, input="x\nn\nnot the same person\nb\n\n", env=_env(decisions))
    assert result.exit_code == 0, result.output
    assert "match probability" in result.output and "answer m, n, s or q" in result.output
    made = store.read(decisions)
    assert [(d.kind, d.answer) for d in made] == [("pair", "no_match"), ("account", "benign")]
    assert made[0].note == "not the same person" and made[0].reviewer == "ana"
    # what is decided leaves the queue; quitting keeps what was answered
    again = runner.invoke(app, [*args, "--list", "--format", "json"], env=_env(decisions))
    keys = {i["key"] for i in json.loads(again.output)}
    assert "|".join(made[0].account_ids) not in keys and made[1].account_ids[0] not in keys


def test_review_without_a_reviewer_is_bad_input(base: Path, tmp_path: Path) -> None:
    decisions = tmp_path / "d.jsonl"
    result = runner.invoke(app, ["review", "--from", str(base), "--limit", "1"], input="q\n",
                           env={"ER_REVIEW_DECISIONS": str(decisions), "ER_REVIEWER": ""})
    assert result.exit_code == 2
    assert "reviewer" in result.output and not decisions.exists()


def test_import_checks_every_row_and_records_nothing_on_a_bad_one(base: Path, tmp_path: Path) -> None:
    ents = sorted(_entities(base))
    file = tmp_path / "appeals.csv"
    file.write_text("decision,subject,note,reviewer,decided_at\n"
                    f"appeal-overturned,{ents[0]},refund proven,bo,2026-01-02T00:00:00Z\n"
                    "appeal-maybe,acct_x,,bo,\n"
                    f"match,{ents[1]},,bo,yesterday\n"
                    "benign,acct_not_there,,,\n")
    decisions = tmp_path / "d.jsonl"
    result = runner.invoke(app, ["review", "--from", str(base), "--import", str(file)], env=_env(decisions))
    assert result.exit_code == 2
    assert "row 2" in result.output and "row 3" in result.output and "acct_not_there" in result.output
    assert "Traceback" not in result.output and not decisions.exists()


def test_appeals_feed_back_as_labels_and_report_false_positives(
        base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    rings = _rings(base)
    members = sorted(next(iter(sorted(rings.items())))[1])
    file = tmp_path / "appeals.jsonl"
    file.write_text(json.dumps({"decision": "appeal-overturned", "subject": members[0], "reviewer": "bo",
                                "decided_at": "2026-01-02T00:00:00Z", "note": "shared flat"}) + "\n"
                    + json.dumps({"decision": "appeal-upheld", "subject": members[1], "reviewer": "bo"}) + "\n")
    decisions = tmp_path / "d.jsonl"
    result = runner.invoke(app, ["-q", "review", "--from", str(base), "--import", str(file)], env=_env(decisions))
    assert result.exit_code == 0, result.output
    after = tmp_path / "after"
    pipeline.run(_inputs(small_data), after, Settings(review_decisions=decisions), previous=base)
    with duckdb.connect(str(after / "er.duckdb"), read_only=True) as con:
        origins = dict(con.execute("SELECT account_id, origin FROM in_labels WHERE list_contains($m, account_id) "
                                   "AND origin LIKE 'appeal%'", {"m": members[:2]}).fetchall())
    assert origins == {members[0]: "appeal_overturned", members[1]: "appeal_upheld"}
    assert {r["status"] for r in _audit(after)} == {"label_added"}
    report = runner.invoke(app, ["review", "--from", str(after), "--appeals", "--format", "json"],
                           env=_env(decisions))
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["appeals"] >= 2 and members[0] in {f["account_id"] for f in data["false_positives"]}
    assert members[1] not in {f["account_id"] for f in data["false_positives"]}
    ring = next(s for s in data["signals"] if s["signal"] == "ring")
    assert ring["overturned"] >= 1 and ring["appealed"] >= 2


def test_train_estimates_m_from_match_pairs(base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    truth = pq.read_table(small_data.truth).to_pylist()
    ents = _entities(base)
    by_person: dict[str, list[str]] = {}
    for t in truth:
        if t["account_id"] in ents:
            by_person.setdefault(t["person_id"], []).append(t["account_id"])
    pairs = [sorted(m)[:2] for m in by_person.values() if len(m) >= 2][:25]
    decisions = tmp_path / "d.jsonl"
    when = runfolder.open(base).manifest.as_of
    store.record(decisions, [store.make("pair", "match", p, "ana", when) for p in pairs])
    model = tmp_path / "trained.json"
    too_many = runner.invoke(app, ["review", "--from", str(base), "--train", "--model-out", str(model),
                                   "--min-pairs", "1000"], env=_env(decisions))
    assert too_many.exit_code == 2 and not model.exists()
    result = runner.invoke(app, ["-q", "review", "--from", str(base), "--train", "--model-out", str(model)],
                           env=_env(decisions))
    assert result.exit_code == 0, result.output
    trained = json.loads(model.read_text())
    old = json.loads((base / "model.json").read_text())
    m_new = [lv.get("m_probability") for c in trained["comparisons"] for lv in c["comparison_levels"]]
    m_old = [lv.get("m_probability") for c in old["comparisons"] for lv in c["comparison_levels"]]
    assert m_new != m_old and all(m is None or m > 0 for m in m_new)
    out = tmp_path / "with_trained"
    pipeline.run(_inputs(small_data), out, Settings(review_decisions=tmp_path / "none.jsonl", model_path=model))
    assert len(_entities(out)) == len(ents)


def test_er_detect_honours_a_rejected_ring(base: Path, tmp_path: Path) -> None:
    rings = _rings(base)
    ring_id = sorted(rings)[0]
    decisions = tmp_path / "d.jsonl"
    assert runner.invoke(app, ["-q", "review", "--from", str(base), "--decide", f"reject:{ring_id}"],
                         env=_env(decisions)).exit_code == 0
    out = tmp_path / "exports"
    result = runner.invoke(app, ["-q", "detect", "--from", str(base), "--out", str(out)], env=_env(decisions))
    assert result.exit_code == 0, result.output
    flagged = _rings(out / "latest")
    assert not any(m <= rings[ring_id] for m in flagged.values())
    assert len(flagged) == len(rings) - 1


def test_forget_removes_accounts_from_decisions_and_the_audit(
        base: Path, small_data: GeneratedPaths, tmp_path: Path) -> None:
    from entity_resolution.forget import forget

    members: dict[str, list[str]] = {}
    for a, e in sorted(_entities(base).items()):
        members.setdefault(e, []).append(a)
    a, b = next(m for m in members.values() if len(m) == 2)
    settings = Settings(review_decisions=tmp_path / "d.jsonl", forget_list=tmp_path / "forget.jsonl")
    store.record(settings.review_decisions, [store.make("pair", "no_match", [a, b], "ana",
                                                       runfolder.open(base).manifest.as_of)])
    run = tmp_path / "run"
    pipeline.run(_inputs(small_data), run, settings, previous=base)
    assert _audit(run)[0]["account_ids"] == [a, b]
    forget([a], [run], settings, graph=False)
    assert store.read(settings.review_decisions) == []
    assert all(a not in r["account_ids"] for r in _audit(run))
    assert a not in (run / "review_audit.csv").read_text()
