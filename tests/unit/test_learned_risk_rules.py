"""Risk learned from enforcement decisions: the point-in-time rules, cross-fitting, proximity, determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from entity_resolution.detect import facts as F
from entity_resolution.detect.evaluate import roc_auc
from entity_resolution.detect.finish import SIGNALS
from entity_resolution.detect.labels import RAW, Decisions, decisions
from entity_resolution.detect.learned import PROXIMITY, learn
from entity_resolution.detect.settings import DetectSettings

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
S = DetectSettings()


def _raw(rows: list[tuple[str, str, datetime | None, str | None]]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(RAW.names, r, strict=True)) for r in rows], RAW)


def _decided(rows: list[tuple[str, str, datetime | None, str | None]], accounts: list[str]) -> dict[str, bool]:
    d = decisions(_raw(rows), AS_OF, pa.array(accounts))
    return dict(zip(d.table["account_id"].to_pylist(), d.table["abusive"].to_pylist(), strict=True))


def test_a_decision_after_as_of_is_ignored() -> None:
    before, after = AS_OF - timedelta(days=1), AS_OF + timedelta(seconds=1)
    rows = [("A", "abusive", before, "enforcement"), ("A", "benign", after, "appeal_overturned"),
            ("B", "abusive", after, "enforcement")]
    assert _decided(rows, ["A", "B"]) == {"A": True}  # B's ban and A's appeal come after as-of
    d = decisions(_raw(rows), AS_OF, pa.array(["A", "B"]))
    assert (d.given, d.after_as_of, d.undated) == (3, 2, 0)
    # at as-of exactly, the decision counts
    assert _decided([("B", "abusive", AS_OF, "enforcement")], ["B"]) == {"B": True}


def test_undated_decisions_and_unknown_accounts_are_ignored() -> None:
    rows = [("A", "abusive", None, "enforcement"), ("Z", "abusive", AS_OF, "enforcement")]
    d = decisions(_raw(rows), AS_OF, pa.array(["A", "B"]))
    assert d.table.num_rows == 0 and (d.undated, d.unknown_account) == (1, 1)


def test_appeal_overturned_means_benign_and_the_latest_decision_wins() -> None:
    t = AS_OF - timedelta(days=10)
    rows = [
        ("A", "abusive", t, "enforcement"), ("A", "abusive", t + timedelta(days=2), "appeal_overturned"),
        ("B", "benign", t, "manual_review"), ("B", "abusive", t + timedelta(days=1), "enforcement"),
        ("C", "abusive", t, "enforcement"), ("C", "benign", t, "manual_review"),  # same instant: the review wins
        ("D", "abusive", t, "enforcement"), ("D", "benign", t, "enforcement"),  # full tie: benign
        ("E", "abusive", t, "appeal_upheld"), ("E", "benign", t - timedelta(days=1), "manual_review"),
    ]
    assert _decided(rows, list("ABCDE")) == {"A": False, "B": True, "C": False, "D": False, "E": True}


# A small world: rings of abusive entities sharing two devices (and an IP with a benign neighbour), benign
# singletons and benign pairs sharing a home IP; decisions on a share of both, some of them wrong.
def _world(seed: int = 0) -> tuple[pa.Table, F.Facts, dict[str, bool]]:
    rng = np.random.default_rng(seed)
    signals, accounts, edges = [], [], []
    truth: dict[str, bool] = {}

    def add(entity: str, component: str, ring: str | None, n_accounts: int, abusive: bool, size: int) -> None:
        for j in range(n_accounts):
            a = f"A-{entity}-{j}"
            truth[a] = abusive
            shared = int(ring is not None) * 3 + int(component != f"C-{entity}")
            risk = (0.6 + 0.3 * rng.random()) if ring else 0.15 * rng.random()
            signals.append({"account_id": a, "entity_id": entity, "component_id": component, "component_size": size,
                            "ring_id": ring, "ring_size": size if ring else 0, "shared_identifier_count": shared,
                            "is_bridge": False, "growth_7d": int(rng.integers(0, 3)), "fast_growing": False,
                            "risk_score": round(risk, 6), "reasons": []})
            accounts.append({"account_id": a, "entity_id": entity, "created_at": AS_OF - timedelta(days=40),
                             "last_seen": AS_OF - timedelta(days=1),
                             "component_id": component, "part_id": f"P-{component[2:]}" if ring else None,
                             "is_bridge": False, "shared_identifier_count": shared, "entity_accounts": n_accounts,
                             "entity_emails": n_accounts, "entity_disputed": int(abusive and rng.random() < 0.3)})

    for r in range(25):
        comp = f"C-r{r}"
        members = [f"r{r}e{i}" for i in range(5)]
        for i, e in enumerate(members):
            add(e, comp, f"R-{r}", 1 + int(i == 0), True, 6)
            edges += [(e, "device", f"d{r}a"), (e, "device", f"d{r}b")]
        edges += [(members[0], "ip", f"ip{r}"), (f"n{r}", "ip", f"ip{r}")]
        add(f"n{r}", comp, None, 1, False, 6)  # a benign neighbour on the ring's IP
    for p in range(20):
        comp = f"C-p{p}"
        for e in (f"p{p}a", f"p{p}b"):
            add(e, comp, None, 1, False, 2)
            edges.append((e, "ip", f"home{p}"))
    for s in range(400):
        add(f"s{s}", f"C-s{s}", None, 1, False, 1)
    order = sorted(range(len(signals)), key=lambda i: signals[i]["account_id"])
    sig = pa.Table.from_pylist([signals[i] for i in order], SIGNALS)
    facts = F.Facts(run_id="run-x", as_of=AS_OF, backend="test", hub_threshold=50,
                    accounts=F.table([accounts[i] for i in order], F.WEIGHED_ACCOUNTS),
                    components=F.table([], F.COMPONENTS), hubs=F.table([], F.HUBS),
                    edges=F.table([dict(zip(F.EDGES.names, e, strict=True)) for e in edges], F.EDGES))
    labels = {}
    for a, abusive in truth.items():
        if rng.random() < (0.4 if abusive else 0.15):
            wrong = rng.random() < 0.08  # noisy: some bans wrong, some abusers won an appeal
            labels[a] = abusive != wrong
    return sig, facts, labels


def _decisions(labels: dict[str, bool]) -> Decisions:
    ids = sorted(labels)
    table = pa.table({"account_id": pa.array(ids, pa.string()), "abusive": pa.array([labels[a] for a in ids])})
    return Decisions(table=table, given=len(ids), after_as_of=0, undated=0, unknown_account=0)


def _scores(signals: pa.Table, learned_score: pa.Array) -> dict[str, float]:
    return dict(zip(signals["account_id"].to_pylist(), learned_score.to_pylist(), strict=True))


def test_own_label_never_changes_own_score() -> None:
    """Flip one labelled ring member's decision: its own score stays exactly the same, while accounts that
    did not carry the decision (unlabelled ones) do move: the decision is used, just never for itself."""
    signals, facts, labels = _world()
    base = learn(signals, facts, _decisions(labels), S)
    assert base is not None
    before = _scores(signals, base.risk_score)
    flipped_any = False
    for a in sorted(a for a in labels if a.startswith("A-r"))[:4]:
        flipped = learn(signals, facts, _decisions({**labels, a: not labels[a]}), S)
        assert flipped is not None
        after = _scores(signals, flipped.risk_score)
        assert after[a] == before[a], a
        unlabelled = [b for b in before if b not in labels]
        flipped_any |= any(after[b] != before[b] for b in unlabelled)
    assert flipped_any


def test_learned_score_ranks_abuse_and_explains_itself() -> None:
    signals, facts, labels = _world()
    learned = learn(signals, facts, _decisions(labels), S)
    assert learned is not None
    scores = _scores(signals, learned.risk_score)
    unlabelled = [a for a in scores if a not in labels]
    auc = roc_auc([scores[a] for a in unlabelled], [a.startswith("A-r") for a in unlabelled])
    assert auc > 0.99
    assert set(learned.manifest["features"]) >= {"in_ring", "default_risk_score", "entity_disputed", *PROXIMITY}
    reasons = dict(zip(signals["account_id"].to_pylist(), learned.reasons.to_pylist(), strict=True))
    unlabelled_member = next(a for a in sorted(scores) if a.startswith("A-r") and a not in labels)
    assert reasons[unlabelled_member][0].startswith(f"risk {scores[unlabelled_member]:.2f} learned from")
    assert any("enforced" in r or "in a ring" in r for r in reasons[unlabelled_member][1:])
    labelled_member = next(a for a in sorted(scores) if a.startswith("A-r") and a in labels)
    assert "its own decision held out" in reasons[labelled_member][0]


def test_proximity_counts_other_accounts_only() -> None:
    signals, facts, _ = _world()
    settings = replace(S, label_min_decisions=5)
    others = {**{f"A-s{s}-0": False for s in range(30)}, **{f"A-r{r}e1-0": True for r in range(1, 25)}}
    # the ring entity r0e0 holds two accounts: one enforced makes the other's entity_abusive 1, never its own
    a0, a1 = "A-r0e0-0", "A-r0e0-1"
    learned = learn(signals, facts, _decisions({a0: True, "A-r0e3-0": True, **others}), settings)
    assert learned is not None
    rows = {r["account_id"]: r for r in learned.features.to_pylist()}
    assert rows[a1]["entity_abusive"] == 1.0 and rows[a0]["entity_abusive"] == 0.0
    # the benign neighbour on the ring's IP sees the enforced account one hop away; a singleton does not
    assert rows["A-n0-0"]["near_abusive"] > 0 and rows["A-s99-0"]["near_abusive"] == 0
    assert rows["A-r0e2-0"]["ring_abusive"] == 2.0  # a0 and A-r0e3-0, outside its entity
    # an entity's accounts share a fold: scoring the labelled a1 hides a0's decision (the same person's)
    both = learn(signals, facts, _decisions({a0: True, a1: True, **others}), settings)
    assert both is not None
    rows = {r["account_id"]: r for r in both.features.to_pylist()}
    assert rows[a0]["fold"] == rows[a1]["fold"] and rows[a1]["entity_abusive"] == rows[a0]["entity_abusive"] == 0.0
    assert rows["A-r0e2-0"]["ring_abusive"] == 2.0  # an unlabelled ring-mate sees both


def test_deterministic_and_independent_of_edge_order() -> None:
    signals, facts, labels = _world()
    first = learn(signals, facts, _decisions(labels), S)
    shuffled = facts.edges.take(pa.array(np.random.default_rng(1).permutation(facts.edges.num_rows)))
    second = learn(signals, replace(facts, edges=shuffled), _decisions(labels), S)
    assert first is not None and second is not None
    assert first.risk_score.equals(second.risk_score) and first.reasons.equals(second.reasons)
    assert first.features.equals(second.features)


def test_new_per_account_facts_become_features() -> None:
    signals, facts, labels = _world()
    extra = pa.array([float(a.startswith("A-r")) for a in facts.accounts["account_id"].to_pylist()])
    accounts = facts.accounts.append_column("emulator_share", extra)
    learned = learn(signals, replace(facts, accounts=accounts), _decisions(labels), S)
    assert learned is not None and "emulator_share" in learned.manifest["features"]
    assert learned.manifest["coefficients"]["emulator_share"] > 0


def test_too_few_decisions_of_a_kind_means_default_weights() -> None:
    signals, facts, labels = _world()
    only_abusive = {a: True for a, v in labels.items() if v}
    assert learn(signals, facts, _decisions(only_abusive), S) is None


def test_label_settings_are_checked() -> None:
    from entity_resolution.errors import InputError

    with pytest.raises(InputError, match="label_folds"):
        DetectSettings.load(environ={"ER_DETECT_LABEL_FOLDS": "1"})
    assert DetectSettings.load(environ={"ER_DETECT_LEARN_FROM_LABELS": "false"}).learn_from_labels is False
