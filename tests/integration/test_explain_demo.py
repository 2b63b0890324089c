"""`er explain` on demo data with ground truth (acceptance of issue 13, Explain).

Each case generates a demo data set (two seeds of the default world and one of the realistic world, labels
included), runs the whole pipeline (resolution and in-process detection) and explains from the run folder alone:
- a planted duplicate pair (ground truth: one person; the run linked them): Splink's waterfall adds up to the
  score the run stored, the personal weight is the run's, the verdict is "same person";
- a planted ring (a detected ring whose members are mostly one truth ring): its members, the identifiers that bind
  every member entity, the timeline, its events and every contribution to each member's risk;
- two members of that ring in different entities: not one person, and an evidence path through shared identifiers
  (no hub) joins them.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution.cli.main import app
from entity_resolution.demo.generator import generate
from entity_resolution.demo.world import generate_world
from entity_resolution.explain import Evidence, explain_account, explain_pair, explain_ring
from entity_resolution.explain.contributions import DEFAULT
from entity_resolution.ingest import Inputs
from entity_resolution.pipeline import run
from entity_resolution.settings import Settings

CASES = [("default", 3), ("default", 11), ("realistic", 5)]
SIZE = 2_000
MIN_RING_OVERLAP = 0.5  # Jaccard of the detected ring's accounts and the truth ring's


def _build(kind: str, seed: int, base: Path) -> tuple[Path, Path]:
    if kind == "default":
        paths = generate(base / "input", n_accounts=SIZE, seed=seed, fmt="parquet")
    else:
        paths = generate_world(base / "input", n_accounts=SIZE, seed=seed, fmt="parquet").files
    run(Inputs(paths.accounts, paths.devices, paths.payments, paths.labels), base / "run", Settings())
    return base / "run", paths.truth


@pytest.fixture(scope="module", params=CASES, ids=[f"{k}-{s}" for k, s in CASES])
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kind, seed = request.param
    run_dir, truth_path = _build(kind, seed, tmp_path_factory.mktemp(f"explain_{kind}_{seed}"))
    truth = {r["account_id"]: r for r in pq.read_table(truth_path).to_pylist()}
    return {"run": run_dir, "truth": truth}


def _linked_true_pair(run_dir: Path, truth: dict[str, dict[str, Any]]) -> tuple[str, str, float]:
    """A planted duplicate the run linked: (a, b, personal weight the run stored), the lowest-weight one."""
    with duckdb.connect(str(run_dir / "er.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT unique_id_l, unique_id_r, personal_weight FROM predictions WHERE same_person "
                           "ORDER BY match_weight, unique_id_l, unique_id_r").fetchall()
    for a, b, personal in rows:
        if truth[a]["person_id"] == truth[b]["person_id"]:
            return b, a, float(personal)  # given the wrong way round on purpose: explain must not care
    raise AssertionError("no planted duplicate pair was linked")


def _planted_ring(run_dir: Path, truth: dict[str, dict[str, Any]]) -> str:
    """The detected ring that best matches a truth ring (Jaccard of accounts)."""
    signals = pq.read_table(run_dir / "signals.parquet", columns=["account_id", "ring_id"]).to_pylist()
    detected: dict[str, set[str]] = {}
    for r in signals:
        if r["ring_id"]:
            detected.setdefault(r["ring_id"], set()).add(r["account_id"])
    planted: dict[str, set[str]] = {}
    for a, t in truth.items():
        if t["ring_id"]:
            planted.setdefault(t["ring_id"], set()).add(a)
    best, best_score = None, 0.0
    for ring_id, members in sorted(detected.items()):
        top, _ = Counter(truth[a]["ring_id"] for a in members).most_common(1)[0]
        if top is None:
            continue
        score = len(members & planted[top]) / len(members | planted[top])
        if score > best_score:
            best, best_score = ring_id, score
    assert best is not None and best_score >= MIN_RING_OVERLAP, f"no detected ring matches a truth ring: {best_score}"
    return best


def test_explains_a_planted_duplicate_pair(case: dict[str, Any]) -> None:
    a, b, stored_personal = _linked_true_pair(case["run"], case["truth"])
    with Evidence.open(case["run"]) as ev:
        p = explain_pair(ev, a, b)
    assert (p.account_a, p.account_b) == (a, b)
    assert p.scored_in_run and p.same_person and p.same_entity and p.found_by_blocking
    assert p.verdict.startswith("same person")
    assert p.run_match_weight is not None and p.match_weight == pytest.approx(p.run_match_weight, abs=1e-6)
    assert p.personal_weight == pytest.approx(stored_personal, abs=1e-5)
    assert p.steps[0].comparison == "Prior" and p.steps[-1].comparison == "Final score"
    # the waterfall adds up: prior + every comparison (and term-frequency adjustment) = the final weight
    assert sum(s.match_weight for s in p.steps[:-1]) == pytest.approx(p.steps[-1].match_weight, abs=1e-6)
    assert p.prior == pytest.approx(p.steps[0].bayes_factor / (1 + p.steps[0].bayes_factor))
    assert 1 / (1 + 2 ** -p.match_weight) == pytest.approx(p.match_probability, rel=1e-9)
    agreeing = {s.comparison for s in p.steps[1:-1] if s.match_weight > 0}
    assert agreeing & {"first_name", "last_name", "email", "phone", "dob"}, "a same-person link rests on identity"
    assert p.path is None, "directly linked: no path needed"
    for s in p.shared:
        assert s.accounts >= 2 and s.entities >= 1


def test_explains_a_planted_ring(case: dict[str, Any]) -> None:
    ring_id = _planted_ring(case["run"], case["truth"])
    with Evidence.open(case["run"]) as ev:
        r = explain_ring(ev, ring_id)
    signals = pq.read_table(case["run"] / "signals.parquet", columns=["account_id", "ring_id", "risk_score"])
    expected = {row["account_id"]: row["risk_score"] for row in signals.to_pylist() if row["ring_id"] == ring_id}
    assert {m.account_id for m in r.members} == set(expected)
    assert r.summary["account_count"] == len(expected)
    # every member entity is bound to the others by an identifier that two or more members used
    entity_of = {m.account_id: m.entity_id for m in r.members}
    bound = {entity_of[a] for b in r.bindings for a in b.members}
    assert bound == set(entity_of.values())
    assert all(len(b.members) >= 2 and b.accounts >= len(b.members) for b in r.bindings)
    assert [j.members_so_far for j in r.timeline] == list(range(1, len(r.members) + 1))
    created = [j.created_at for j in r.timeline]
    assert created == sorted(created)
    assert any(j.shares_with_earlier for j in r.timeline[1:]), "later members join through earlier ones' identifiers"
    assert any(e.ring_id == ring_id for e in r.events), "the detection records the ring's events"
    learned_checked: list[str] = []
    for m in r.members:
        risk = m.risk
        assert risk.risk_score == pytest.approx(expected[m.account_id])
        assert risk.complete and risk.contributions
        if risk.model == DEFAULT:
            assert any(ring_id in c.reason for c in risk.contributions)
            combined = 1 - math.prod(1 - c.contribution for c in risk.contributions)
            assert combined == pytest.approx(risk.risk_score, abs=0.02)  # reasons round each share to 2 places
        elif risk.intercept is not None:  # learned, unlabelled: every log-odds contribution is there
            logit = risk.intercept + sum(c.contribution for c in risk.contributions)
            assert 1 / (1 + math.exp(-logit)) == pytest.approx(risk.risk_score, abs=1e-3)
            learned_checked.append(m.account_id)
    if r.risk_model != DEFAULT:
        assert learned_checked, "an unlabelled member's learned score is rebuilt from its contributions"


def test_two_ring_members_are_joined_by_an_evidence_path(case: dict[str, Any]) -> None:
    ring_id = _planted_ring(case["run"], case["truth"])
    with Evidence.open(case["run"]) as ev:
        r = explain_ring(ev, ring_id)
        first = r.members[0]
        other = next(m for m in reversed(r.members) if m.entity_id != first.entity_id)
        p = explain_pair(ev, first.account_id, other.account_id)
    assert not p.same_person and not p.same_entity
    assert p.path is not None and p.path.hops >= 1
    walk = [p.path.steps[0].from_account] + [s.to_account for s in p.path.steps]
    assert walk[0] == first.account_id and walk[-1] == other.account_id
    assert all(s.from_account == walk[i] for i, s in enumerate(p.path.steps))
    for s in p.path.steps:
        assert s.via == "link" or (s.accounts is not None and s.accounts >= 2)


def test_cli_json_chart_and_bad_input(case: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    a, b, _ = _linked_true_pair(case["run"], case["truth"])
    chart = tmp_path / "waterfall.html"
    done = runner.invoke(app, ["explain", "--from", str(case["run"]), a, b, "--format", "json", "--chart", str(chart)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["same_person"] is True and data["steps"][-1]["comparison"] == "Final score"
    html = chart.read_text(encoding="utf-8")
    assert "<script src" not in html, "the chart opens offline: Vega is bundled"
    assert "Final score" in html and "Starting match weight (prior)" in html
    ring_id = _planted_ring(case["run"], case["truth"])
    text = runner.invoke(app, ["explain", "--from", str(case["run"]), "--ring", ring_id])
    assert text.exit_code == 0 and "Identifiers that bind them" in text.stdout
    acct = runner.invoke(app, ["explain", "--from", str(case["run"]), "--account", a, "--format", "json"])
    assert acct.exit_code == 0 and json.loads(acct.stdout)["account_id"] == a
    missing = tmp_path / "never.html"
    for args in (["--ring", "R-no-such-ring"], ["--account", "acct_no_such"],
                 [a, "acct_no_such", "--chart", str(missing)], [a], [a, b, "--ring", ring_id],
                 ["--account", a, "--chart", str(missing)]):
        bad = runner.invoke(app, ["explain", "--from", str(case["run"]), *args])
        assert bad.exit_code == 2, (args, bad.output)
        assert "Traceback" not in bad.output
    assert not missing.exists(), "bad input writes nothing"
    again = runner.invoke(app, ["explain", "--from", str(case["run"]), a, b, "--chart", str(chart)])
    assert again.exit_code == 2, "an existing chart file is not replaced without --force"


def test_account_explanation_lists_its_links_and_identifiers(case: dict[str, Any]) -> None:
    a, b, _ = _linked_true_pair(case["run"], case["truth"])
    with Evidence.open(case["run"]) as ev:
        acct = explain_account(ev, a)
    assert b in acct.entity_accounts and a in acct.entity_accounts
    assert any(link.other_account_id == b and link.same_person for link in acct.links)
    assert {i.kind for i in acct.identifiers} >= {"email", "device"}
    assert acct.signals is not None and acct.risk is not None


def test_a_pseudonymised_run_is_explained_without_raw_identifiers(tmp_path: Path) -> None:
    """Identifiers reach every output of a pseudonymised run only as hashes: so does the explanation."""
    import re

    paths = generate(tmp_path / "input", n_accounts=SIZE, seed=3, fmt="parquet")
    done = CliRunner().invoke(app, ["-q", "run", "--accounts", str(paths.accounts), "--devices", str(paths.devices),
                                    "--payments", str(paths.payments), "--out", str(tmp_path / "run"),
                                    "--pseudonymise"], env={"ER_PSEUDONYM_KEY": "explain-test-key-0123456789"})
    assert done.exit_code == 0, done.output
    with duckdb.connect(str(tmp_path / "run" / "er.duckdb"), read_only=True) as con:
        a, b = con.execute("SELECT unique_id_l, unique_id_r FROM main.predictions WHERE same_person "
                           "ORDER BY match_weight DESC LIMIT 1").fetchall()[0]
        raw = {v for (v,) in con.execute("SELECT value FROM main.identifier_observations WHERE account_id IN ($a, $b)",
                                         {"a": a, "b": b}).fetchall()}
    with Evidence.open(tmp_path / "run") as ev:
        text = json.dumps([explain_pair(ev, a, b).to_dict(), explain_account(ev, a).to_dict()], default=str)
    assert not [v for v in raw if v in text], "no raw e-mail, phone, device, card or IP in the explanation"
    with Evidence.open(tmp_path / "run") as ev:
        acct = explain_account(ev, a)
    assert acct.identifiers and all(re.fullmatch(r"[0-9a-f]{64}", i.value) for i in acct.identifiers)
