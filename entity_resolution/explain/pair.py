"""Why two accounts are (or are not) one person: Splink's waterfall for the pair, the identifiers they share and,
when no same-person link joins them, the shortest evidence path between them.

The waterfall is computed by Splink itself (`linker.inference.score_pair`, then Splink's waterfall records) from
the run's saved model (model.json), the run's prior (manifest model.prior) and the two accounts' matching profiles
(er.duckdb `profiles`: standardised, hub values left out) with the run's term-frequency tables (tf_<column>). So it
is the score the run gave the pair when it was scored (checked against `predictions`), and the score it would
have had when blocking never paired them or it fell below the link floor.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..match.model import PERSONAL_COMPARISONS, TF_COLUMNS
from .path import EvidencePath, evidence_path

if TYPE_CHECKING:
    from .sources import Evidence


@dataclass(frozen=True)
class WaterfallStep:
    """One bar of Splink's waterfall: the prior, a comparison's level, its term-frequency adjustment, or the
    final score. match_weight is the bar's log2 Bayes factor; values are the pair's (A's and B's) inputs."""

    comparison: str  # "Prior", a comparison's output column, "tf_<comparison>", "Final score"
    label: str
    level: int | None  # the comparison vector value (gamma); -1 is the null level
    value_a: str
    value_b: str
    m_probability: float | None
    u_probability: float | None
    bayes_factor: float
    match_weight: float
    description: str | None


@dataclass(frozen=True)
class SharedIdentifier:
    kind: str  # email, phone, device, card, ip
    value: str
    accounts: int  # accounts of the run that used it
    entities: int  # entities those accounts belong to
    note: str | None  # why matching or detection leave it out (a hub, a value different people share)


@dataclass(frozen=True)
class PairExplanation:
    run_id: str
    account_a: str
    account_b: str
    entity_a: str
    entity_b: str
    steps: tuple[WaterfallStep, ...]  # Splink's waterfall, prior first, final score last
    prior: float  # probability that two random accounts are one person, as the run used it
    match_weight: float
    match_probability: float
    personal_weight: float  # the weight of personal attributes alone (names, e-mail, phone, birth date)
    identity_veto: bool  # clearly different first names and no shared birth date (match/identity.py)
    same_person: bool  # the run's gate: probability >= match_threshold, personal weight, no veto
    scored_in_run: bool  # the pair is in the run's predictions (blocked and above the link floor)
    run_match_weight: float | None  # the run's stored score (None when not scored)
    found_by_blocking: bool  # whether a blocking rule of the run pairs them
    thresholds: dict[str, float]
    verdict: str
    shared: tuple[SharedIdentifier, ...]
    path: EvidencePath | None  # when no same-person link joins them directly

    @property
    def same_entity(self) -> bool:
        return self.entity_a == self.entity_b

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["same_entity"] = self.same_entity
        out["path"] = self.path.to_dict() if self.path else None
        return out


HUB_NOTE, DETECTION_HUB_NOTE = "hub", "detection hub"

_PREDICTION_SQL = """
SELECT match_weight, same_person FROM predictions
WHERE unique_id_l = $l AND unique_id_r = $r
"""

_ENTITY_SQL = "SELECT account_id, entity_id FROM entities WHERE account_id IN ($a, $b)"

_SHARED_SQL = """
WITH a AS (SELECT DISTINCT kind, value FROM identifier_observations WHERE account_id = $a),
     b AS (SELECT DISTINCT kind, value FROM identifier_observations WHERE account_id = $b)
SELECT o.kind, o.value, count(DISTINCT o.account_id) AS accounts, count(DISTINCT e.entity_id) AS entities
FROM a JOIN b USING (kind, value)
JOIN identifier_observations o USING (kind, value)
JOIN entities e ON e.account_id = o.account_id
GROUP BY o.kind, o.value
ORDER BY entities, accounts, o.kind, o.value
"""


def _tf_sql(column: str) -> str:
    # column comes from match.model.TF_COLUMNS (our own names); the values are parameters
    return f"SELECT * FROM tf_{column} WHERE {column} IN (SELECT unnest($values))"


def hub_notes(ev: Evidence) -> dict[tuple[str, str], str]:
    """(kind, value) -> why it is left out: resolution hubs and shared values (matching) and detection hubs."""
    notes: dict[tuple[str, str], str] = {}
    for r in ev.rows("SELECT kind, value, account_count FROM resolution_hubs"):
        notes[(r["kind"], r["value"])] = f"{HUB_NOTE} ({r['account_count']} accounts): not matched on"
    if "resolution_shared" not in _missing(ev, "resolution_shared"):
        for r in ev.rows("SELECT kind, value, account_count FROM resolution_shared"):
            notes.setdefault((r["kind"], r["value"]), "different people share it: not matched on")
    if ev.detection is not None:
        hubs = ev.detection.table("hubs", ["kind", "value", "reason"])
        if hubs is not None:
            for kind, value, reason in zip(*(hubs[c].to_pylist() for c in ("kind", "value", "reason")), strict=True):
                notes.setdefault((kind, value), f"{DETECTION_HUB_NOTE}: {reason}")
    return notes


def _missing(ev: Evidence, name: str) -> list[str]:
    from ..tables import missing_tables

    return missing_tables(ev.con, [name])


def _hubs(notes: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """The identifiers an evidence path must not go through: hubs, not the values different people share."""
    return {k for k, note in notes.items() if note.startswith((HUB_NOTE, DETECTION_HUB_NOTE))}


def _score(ev: Evidence, left: str, right: str) -> tuple[dict[str, Any], list[dict[str, Any]], Any, bool]:
    """Splink's scored record for (left, right), its waterfall records, the chart and the identity veto."""
    import duckdb
    from splink import DuckDBAPI, Linker

    from ..match.identity import identity_veto_sql
    from ..match.resolve import SPLINK_LOG_LEVEL, load_model

    model = load_model(ev.run.paths.model)
    if ev.run.manifest.model.prior:
        model["probability_two_random_records_match"] = ev.run.manifest.model.prior
    profiles = ev.con.sql("SELECT * FROM main.profiles WHERE unique_id IN ($l, $r) ORDER BY unique_id",
                          params={"l": left, "r": right}).to_arrow_table()
    mem = duckdb.connect()  # Splink writes tables of its own: never into the run's database
    try:
        mem.register("pair_profiles_arrow", profiles)
        mem.execute("CREATE TABLE pair_profiles AS SELECT * FROM pair_profiles_arrow")
        mem.execute("CREATE TABLE pair_left AS SELECT * FROM pair_profiles WHERE unique_id = $l", {"l": left})
        mem.execute("CREATE TABLE pair_right AS SELECT * FROM pair_profiles WHERE unique_id = $r", {"r": right})
        rows = profiles.to_pylist()
        for column in TF_COLUMNS:
            values = [row[column] for row in rows if row.get(column) is not None]
            tf = ev.con.sql(_tf_sql(column), params={"values": values}).to_arrow_table()
            mem.register(f"tf_{column}_arrow", tf)
            mem.execute(f"CREATE TABLE tf_{column} AS SELECT * FROM tf_{column}_arrow")  # our own names
        db_api = DuckDBAPI(connection=mem)
        linker = Linker(db_api.register("pair_profiles", dataset_display_name="pair_profiles"), model,
                        log_level=SPLINK_LOG_LEVEL)
        for column in TF_COLUMNS:
            linker.table_management.register_term_frequency_lookup(
                db_api.register(f"tf_{column}", dataset_display_name=f"tf_{column}"), column)
        scored = linker.inference.score_pair(db_api.register("pair_left", dataset_display_name="pair_left"),
                                             db_api.register("pair_right", dataset_display_name="pair_right"),
                                             include_found_by_blocking_rules=True)
        record = scored.as_record_list()[0]
        veto_sql = identity_veto_sql("{}_l", "{}_r")
        veto = bool(mem.execute(f"SELECT {veto_sql} FROM {scored.physical_name}").fetchall()[0][0])  # ours
        # A pseudonymised run shows identifiers only as hashes outside er.duckdb: the waterfall then shows weights
        # and levels, not the compared values (Splink's remove_sensitive_data).
        chart = linker.visualisations.waterfall_chart([record], filter_nulls=False,
                                                      remove_sensitive_data=bool(ev.run.manifest.pseudonymised))
        records: Any = chart.raw_records  # Splink's waterfall records (dicts)
        waterfall = [dict(r) for r in records]
        return record, waterfall, chart, veto
    finally:
        mem.close()


def _text(value: Any) -> str:
    return "" if value is None or value == "None" else str(value)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def explain_pair(ev: Evidence, a: str, b: str) -> PairExplanation:
    """The evidence that accounts a and b are, or are not, one person (InputError for an unknown account)."""
    explanation, _ = _explain(ev, a, b)
    return explanation


def explain_pair_with_chart(ev: Evidence, a: str, b: str) -> tuple[PairExplanation, str]:
    """explain_pair and Splink's waterfall chart of the pair as one self-contained HTML page (Vega bundled: it
    opens offline). The chart hides bars of weight 0 (null levels), as Splink's default does."""
    explanation, chart = _explain(ev, a, b)
    chart.filter_nulls = True
    return explanation, str(chart.to_html(inline=True))


def _explain(ev: Evidence, a: str, b: str) -> tuple[PairExplanation, Any]:
    from ..errors import InputError, Problem

    if a == b:
        raise InputError([Problem("ACCOUNT_B", None, None, "an account other than ACCOUNT_A", repr(b))])
    ev.check_accounts(a, b)
    left, right = sorted((a, b))  # Splink scores a dedupe pair with the smaller id on the left, as predictions
    record, waterfall, chart, veto = _score(ev, left, right)
    a_is_left = a == left
    steps = []
    for w in waterfall:
        value_l, value_r = _text(w.get("value_l")), _text(w.get("value_r"))
        steps.append(WaterfallStep(
            comparison=str(w["column_name"]), label=str(w["label_for_charts"]),
            level=w.get("comparison_vector_value"),
            value_a=value_l if a_is_left else value_r, value_b=value_r if a_is_left else value_l,
            m_probability=_float(w.get("m_probability")), u_probability=_float(w.get("u_probability")),
            bayes_factor=float(w["bayes_factor"]), match_weight=float(w["log2_bayes_factor"]),
            description=w.get("bayes_factor_description")))
    # the run's personal weight (match/resolve.py): personal comparisons with their term-frequency adjustments
    personal = sum(s.match_weight for s in steps if s.comparison.removeprefix("tf_") in PERSONAL_COMPARISONS)
    thresholds = {k: float(v) for k, v in ev.run.manifest.thresholds.items()}
    stored = ev.rows(_PREDICTION_SQL, {"l": left, "r": right})
    probability = float(record["match_probability"])
    weight = float(record["match_weight"])
    if stored:
        same_person = bool(stored[0]["same_person"])
    else:  # the run's gate (match/resolve.py), had the pair been scored
        same_person = (probability >= thresholds.get("match_threshold", 0.95)
                       and personal >= thresholds.get("min_personal_weight", 0.0) and not veto)
    entities = {r["account_id"]: r["entity_id"] for r in ev.rows(_ENTITY_SQL, {"a": a, "b": b})}
    notes = hub_notes(ev)
    shared = tuple(SharedIdentifier(r["kind"], r["value"], int(r["accounts"]), int(r["entities"]),
                                    notes.get((r["kind"], r["value"])))
                   for r in ev.rows(_SHARED_SQL, {"a": a, "b": b}))
    linked = bool(stored) and same_person
    path = None if linked else evidence_path(ev, a, b, _hubs(notes))
    found = bool(record.get("found_by_blocking_rules"))
    explanation = PairExplanation(
        run_id=ev.run.manifest.run_id, account_a=a, account_b=b, entity_a=entities[a], entity_b=entities[b],
        steps=tuple(steps), prior=_prior(steps), match_weight=weight, match_probability=probability,
        personal_weight=round(personal, 6), identity_veto=veto, same_person=same_person,
        scored_in_run=bool(stored), run_match_weight=_float(stored[0]["match_weight"]) if stored else None,
        found_by_blocking=found, thresholds=thresholds,
        verdict=_verdict(bool(stored), found, same_person, probability, personal, veto, thresholds,
                         entities[a] == entities[b], path),
        shared=shared, path=path)
    return explanation, chart


def _prior(steps: list[WaterfallStep]) -> float:
    """The prior as a probability, from the waterfall's first bar (its Bayes factor, prior / (1 - prior))."""
    bf = steps[0].bayes_factor
    return bf / (1.0 + bf)


def _verdict(scored: bool, found: bool, same_person: bool, probability: float, personal: float, veto: bool,
             t: dict[str, float], same_entity: bool, path: EvidencePath | None) -> str:
    match_t, personal_t = t.get("match_threshold", 0.95), t.get("min_personal_weight", 0.0)
    if scored and same_person:
        head = (f"same person: linked by Splink (probability {probability:.4f} >= {match_t}, personal weight "
                f"{personal:.1f} >= {personal_t})")
    else:
        why = []
        if probability < match_t:
            why.append(f"probability {probability:.4f} < {match_t}")
        if personal < personal_t:
            why.append(f"personal weight {personal:.1f} < {personal_t} (shared infrastructure cannot make one "
                       "person)")
        if veto:
            why.append("identity veto: clearly different first names without one birth date")
        if not scored:
            why.append("not scored in the run: " + ("no blocking rule pairs them" if not found
                                                     else "scored below the link floor"))
        head = "no same-person link: " + "; ".join(why or ["see the waterfall"])
        if scored and same_person is False and not why:
            head = "no same-person link"
    if same_entity and not (scored and same_person):
        head += "; one entity through other accounts' links"
    elif not same_entity:
        head += "; different entities"
    if path is not None:
        head += f"; evidence path of {path.hops} step(s)"
    elif not (scored and same_person):
        head += "; no evidence path within reach (hub identifiers are not followed)"
    return head
