"""Train, predict and cluster with Splink over the `profiles` table, inside the caller's DuckDB connection."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..dbutil import one_row, scalar
from ..errors import InputError, ModelError, Problem
from .constraints import Outcome, PairConstraints, cluster
from .identity import identity_veto_sql
from .model import (
    INFRA_COMPARISONS,
    PERSONAL_COMPARISONS,
    TF_COLUMNS,
    deterministic_rules,
    em_blocking_rules,
    prediction_blocking_rules,
    settings_creator,
)

# Splink narrates every step at INFO and warns about levels the data never shows (the IP-prefix level);
# the CLI shows its own progress and the manifest records the model.
SPLINK_LOG_LEVEL = "ERROR"


@dataclass(frozen=True)
class ResolveCounts:
    links: int  # pairs scored at or above the link floor
    same_person_links: int
    entities: int
    largest_entity: int
    prior: float = 0.0  # the probability that two random accounts match, as used for this run


@dataclass(frozen=True)
class Pinned:
    """Score with a baseline's statistics: its prior and its term-frequency tables (tf_<column>, already in the
    database) instead of estimating them from this run's data. An incremental run also scores only
    `blocked_pairs` (join_key_l, join_key_r, match_key) and takes the baseline's other pairs from
    `kept_predictions` (a table with the columns of `predictions`); without them every blocked pair is scored,
    which is what the incremental run is tested against."""

    prior: float
    blocked_pairs: str | None = None
    kept_predictions: str | None = None


def make_linker(con: duckdb.DuckDBPyConnection, settings: Any, tables: tuple[str, ...] = ("profiles",)) -> Any:
    """A Splink linker over tables already in `con` (one table: dedupe; two: link)."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    sdfs = [db_api.register(t, dataset_display_name=t) for t in tables]
    return Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=SPLINK_LOG_LEVEL)


def estimate(linker: Any, *, deterministic: list[Any], em_rules: list[Any], max_pairs: int, seed: int,
             recall: float = 0.7) -> None:
    """The training recipe shared by our model and the benchmarks: prior, u by sampling, m by EM."""
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)


PRIOR_RECALL = 0.7  # assumed share of true matches the deterministic rules catch


def train_model(
    con: duckdb.DuckDBPyConnection, out_path: Path, *, max_pairs: int, seed: int, recall: float = PRIOR_RECALL
) -> dict[str, Any]:
    """Estimate the account-profile model and save it as JSON (written to a temp file, then renamed).

    Raises InputError, before any Splink step, when the profiles cannot train a model (see check_trainable).
    """
    check_trainable(con)
    linker = make_linker(con, settings_creator())
    estimate(linker, deterministic=deterministic_rules(), em_rules=em_blocking_rules(), max_pairs=max_pairs,
             seed=seed, recall=recall)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".json.tmp")
    model: dict[str, Any] = linker.misc.save_model_to_json(str(tmp), overwrite=True)
    tmp.replace(out_path)
    return model


# Each rule below must find at least this many pairs of accounts: the prior needs deterministic matches (it
# divides by them) and every EM session needs pairs to count (Splink stops with EMTrainingException otherwise).
# One pair gives a degenerate estimate, but that is the data's fault, not a crash: we refuse only what fails.
MIN_TRAIN_PAIRS = 1


def _rule_sql(rule: Any) -> str:
    return str(rule.get_blocking_rule("duckdb").blocking_rule_sql)  # 'l."a" = r."a" AND ...', from model.py


def _rule_name(rule: Any) -> str:
    return "same " + " + ".join(re.findall(r'l\."(\w+)"', _rule_sql(rule)))


def _has_pairs_sql(rule_sql: str) -> str:
    # Stops at the first pair: a rule on a big input may block millions of pairs, and one answers the question.
    return f"""
        SELECT count(*) FROM (
            SELECT 1 FROM profiles AS l JOIN profiles AS r ON l.unique_id < r.unique_id AND ({rule_sql})
            LIMIT {MIN_TRAIN_PAIRS}
        )"""


def check_trainable(con: duckdb.DuckDBPyConnection) -> None:
    """Raise InputError naming the counts when the profiles are too few to train a model."""
    accounts = int(scalar(con, "SELECT count(*) FROM profiles"))
    short: list[str] = []
    if accounts >= 2:
        if not any(scalar(con, _has_pairs_sql(_rule_sql(r))) for r in deterministic_rules()):
            short.append("no pair for the prior's rules (" + ", ".join(map(_rule_name, deterministic_rules())) + ")")
        short += [f"no pair for the EM rule {_rule_name(r)}" for r in em_blocking_rules()
                  if not scalar(con, _has_pairs_sql(_rule_sql(r)))]
    if accounts < 2 or short:
        raise InputError([Problem(
            "training data", None, None,
            f"at least {MIN_TRAIN_PAIRS} pair(s) of accounts with the same email, with the same name and birth "
            "date, and with the same birth date and postcode (Splink advises thousands; or drop --train and "
            "use the shipped model)",
            "; ".join([f"{accounts} account(s)", *short]))])


def load_model(path: Path) -> dict[str, Any]:
    try:
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"model file {path} does not exist; train one with `er train`") from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"model file {path} is not valid JSON: {exc}") from exc
    names = {c.get("output_column_name") for c in model.get("comparisons", [])}
    missing = set(PERSONAL_COMPARISONS + INFRA_COMPARISONS) - names
    if missing:
        raise ModelError(
            f"model file {path} lacks comparison(s) {', '.join(sorted(missing))}; "
            "it was trained for another profile layout: retrain with `er train`"
        )
    # Blocking decides which pairs get scored, not how: it belongs to the engine version, so a model trained
    # before a blocking change still runs with the current rules (model files keep m, u and the comparisons).
    model["blocking_rules_to_generate_predictions"] = blocking_rules_dicts()
    return model


def blocking_rules_dicts() -> list[dict[str, Any]]:
    return [br.get_blocking_rule("duckdb").as_dict() for br in prediction_blocking_rules()]


def _weight_sql(names: tuple[str, ...], columns: set[str]) -> str:
    # Splink 5 keeps mw_<c> (the level's match weight) and, for comparisons with term-frequency
    # adjustments, mw_tf_adj_<c>; their sum is the comparison's contribution to the pair's match weight.
    terms = []
    for n in names:
        tf = f" + coalesce(mw_tf_adj_{n}, 0.0)" if f"mw_tf_adj_{n}" in columns else ""
        terms.append(f"coalesce(mw_{n}, 0.0){tf}")
    return " + ".join(terms)


def predictions_sql(pred_table: str, columns: set[str], link_floor_param: str = "$floor") -> str:
    personal = _weight_sql(PERSONAL_COMPARISONS, columns)
    infra = _weight_sql(INFRA_COMPARISONS, columns)
    return f"""
CREATE OR REPLACE TABLE predictions AS
SELECT *, ({personal}) AS personal_weight, ({infra}) AS infra_weight
FROM {pred_table}
WHERE match_probability >= {link_floor_param}
"""


def same_person_sql() -> str:
    """Mark every prediction (fresh or kept from a baseline) with identity_veto and same_person. The veto reads
    the compared values Splink keeps (retain_matching_columns: first_name_l, first_name_r, dob_l, ...)."""
    veto = identity_veto_sql("{}_l", "{}_r")
    return f"""
CREATE OR REPLACE TABLE predictions AS
SELECT *, (match_probability >= $threshold AND personal_weight >= $min_personal AND NOT identity_veto) AS same_person
FROM (SELECT *, {veto} AS identity_veto FROM predictions)
ORDER BY unique_id_l, unique_id_r
"""


def predict_and_cluster(
    con: duckdb.DuckDBPyConnection,
    model_path: Path,
    *,
    link_floor: float,
    match_threshold: float,
    cluster_threshold: float,
    min_personal_weight: float,
    pinned: Pinned | None = None,
    constraints: PairConstraints | None = None,
    chunks: int = 1,
) -> ResolveCounts:
    """Create `predictions` (pairs above the floor, with evidence) and `clusters` (account -> cluster).

    Also keeps the term-frequency tables used (tf_<column>) so a later incremental run can score alike.
    constraints: reviewers' must- and cannot-links, honoured by the clustering (match/constraints.py).
    """
    model = load_model(model_path)
    if pinned is not None:
        model["probability_two_random_records_match"] = pinned.prior
        linker = make_linker(con, model)
        _register_tf_tables(con, linker)
        if pinned.blocked_pairs:
            _register_blocked_pairs(con, linker, pinned.blocked_pairs)
    else:
        linker = make_linker(con, model)
        # m and u come from the saved model; the prior does not: the chance that two random accounts are one
        # person falls as the data grows (duplicates per account stay roughly constant while pairs grow
        # quadratically), so a prior trained on 10k accounts would be ~100x too high at 1M. Re-estimate it.
        # One account has no pairs at all: Splink would divide by zero; the model's prior is as good as any.
        if int(scalar(con, "SELECT count(*) FROM profiles")) >= 2:
            linker.training.estimate_probability_two_random_records_match(deterministic_rules(),
                                                                           recall=PRIOR_RECALL)
        if not linker._settings_obj._probability_two_random_records_match > 0:
            linker = make_linker(con, model)  # no deterministic match (tiny input): keep the model's prior
        _keep_tf_tables(con, linker)
    prior = float(linker._settings_obj._probability_two_random_records_match)
    if chunks > 1 and not (pinned is not None and pinned.blocked_pairs):
        # Slices of the left-hand accounts against all of them: the blocked-pair join is built one slice at a
        # time. An incremental run scores a table of pairs it registered, which Splink does not chunk; that
        # table holds only the pairs touching new accounts, so it is small anyway.
        pred = linker.inference.predict(threshold_match_probability=link_floor, num_chunks_left=chunks,
                                        num_chunks_right=1)
    else:
        pred = linker.inference.predict(threshold_match_probability=link_floor)
    columns = {str(c) for c in pred.as_duckdbpyrelation().columns}
    counts = finish_predictions(con, pred.physical_name, columns, link_floor=link_floor,
                                match_threshold=match_threshold, cluster_threshold=cluster_threshold,
                                min_personal_weight=min_personal_weight, prior=prior,
                                kept_predictions=pinned.kept_predictions if pinned is not None else None,
                                constraints=constraints)
    pred.drop_table_from_database_and_remove_from_cache()
    return counts


def finish_predictions(
    con: duckdb.DuckDBPyConnection,
    pred_table: str,
    columns: set[str],
    *,
    link_floor: float,
    match_threshold: float,
    cluster_threshold: float,
    min_personal_weight: float,
    prior: float,
    kept_predictions: str | None = None,
    constraints: PairConstraints | None = None,
) -> ResolveCounts:
    """From Splink's scored pairs (`pred_table`, with `columns`) to `predictions`, `same_person_edges` and
    `clusters`: one implementation for both engines (the Spark engine scores on Spark and hands its pairs over
    as a table, spark/score.py)."""
    con.execute(predictions_sql(pred_table, columns), {"floor": link_floor})
    if kept_predictions:
        # A baseline's pairs keep their scores; the veto and same_person are marked below for every pair alike.
        con.execute("INSERT INTO predictions BY NAME "
                    "SELECT COLUMNS(lambda c: c NOT IN ('same_person', 'identity_veto')) "
                    f"FROM {kept_predictions}")
    # Same person = a probable match that personal attributes alone support (names, email, phone, birth
    # date); shared devices, cards, IPs and postcode can tip a close call but never stand in for identity.
    # And never two clearly different first names without one birth date (identity.py): surname, address,
    # phone and devices are what a family shares, so no sum of their weights overrules that.
    con.execute(same_person_sql(), {"threshold": match_threshold, "min_personal": min_personal_weight})
    con.execute(
        """
        CREATE OR REPLACE TABLE same_person_edges AS
        SELECT unique_id_l, unique_id_r, match_probability, match_weight
        FROM predictions
        WHERE match_probability >= $threshold AND personal_weight >= $min_personal AND NOT identity_veto
        """,
        {"threshold": cluster_threshold, "min_personal": min_personal_weight},
    )
    _cluster(con, cluster_threshold, constraints)
    counts = _counts(con)
    return ResolveCounts(counts.links, counts.same_person_links, counts.entities, counts.largest_entity, prior)


def _keep_tf_tables(con: duckdb.DuckDBPyConnection, linker: Any) -> None:
    """Compute the term-frequency tables predict will use, and keep a copy as tf_<column>."""
    for column in TF_COLUMNS:
        tf = linker.table_management.compute_tf_table(column)
        con.execute(f"CREATE OR REPLACE TABLE tf_{column} AS SELECT * FROM {tf.physical_name}")


def _register_tf_tables(con: duckdb.DuckDBPyConnection, linker: Any) -> None:
    from splink import DuckDBAPI

    db_api = DuckDBAPI(connection=con)
    for column in TF_COLUMNS:
        linker.table_management.register_term_frequency_lookup(
            db_api.register(f"tf_{column}", dataset_display_name=f"tf_{column}"), column)


def _register_blocked_pairs(con: duckdb.DuckDBPyConnection, linker: Any, table: str) -> None:
    from splink import DuckDBAPI

    db_api = DuckDBAPI(connection=con)
    linker.table_management.register_blocked_pairs_for_predict(
        db_api.register(table, dataset_display_name="incremental_pairs"))


def _cluster(con: duckdb.DuckDBPyConnection, cluster_threshold: float,
             constraints: PairConstraints | None = None) -> None:
    """clusters(account_id, cluster_id): connected components of the same-person edges (every account, alone
    or not). igraph on integer ids: Splink's iterative SQL clustering took 7 s of this at 1M accounts, this 1 s.
    cluster_id is the component's smallest account_id, as Splink's.

    constraints: reviewers' must- and cannot-links (match/constraints.py); what each did is written to
    review_constraints (account_id_l, account_id_r, constraint_kind, model_together, applied) for the audit trail."""
    import pyarrow as pa

    del cluster_threshold  # same_person_edges holds only edges at or above it
    con.execute("CREATE OR REPLACE TEMP TABLE cluster_nodes AS "
                "SELECT unique_id, (row_number() OVER (ORDER BY unique_id) - 1)::BIGINT AS i FROM profiles")
    n = int(con.execute("SELECT count(*) FROM cluster_nodes").fetchall()[0][0])
    edges = con.execute("""
        SELECT l.i AS src, r.i AS dst, e.match_probability AS p FROM same_person_edges e
        JOIN cluster_nodes l ON l.unique_id = e.unique_id_l JOIN cluster_nodes r ON r.unique_id = e.unique_id_r
    """).fetchnumpy()
    pairs = list(zip(edges["src"].tolist(), edges["dst"].tolist(), strict=True))
    rows = _constraint_rows(con, constraints or PairConstraints())
    must = [(r[3], r[4]) for r in rows if r[2] == "must_link" and r[3] is not None and r[4] is not None]
    cannot = [(r[3], r[4]) for r in rows if r[2] == "cannot_link" and r[3] is not None and r[4] is not None]
    outcome = cluster(n, pairs, edges["p"].tolist(), must, cannot)
    con.register("cluster_membership", pa.table({"i": pa.array(range(n), pa.int64()),
                                                 "component": pa.array(outcome.membership, pa.int64())}))
    try:
        con.execute("""
            CREATE OR REPLACE TABLE clusters AS
            SELECT n.unique_id AS account_id, min(n.unique_id) OVER (PARTITION BY m.component) AS cluster_id
            FROM cluster_nodes n JOIN cluster_membership m USING (i)
        """)
    finally:
        con.unregister("cluster_membership")
        con.execute("DROP TABLE IF EXISTS cluster_nodes")
    _write_constraints(con, rows, outcome)


def _constraint_rows(con: duckdb.DuckDBPyConnection,
                     constraints: PairConstraints) -> list[tuple[str, str, str, int | None, int | None]]:
    """(account_l, account_r, constraint, node_l, node_r): node None for an account not in this run."""
    node = dict(con.execute(
        "SELECT unique_id, i FROM cluster_nodes WHERE list_contains($ids, unique_id)",
        {"ids": sorted({a for p in (*constraints.must, *constraints.cannot) for a in p})}).fetchall())
    return [(a, b, kind, node.get(a), node.get(b))
            for kind, pairs in (("must_link", constraints.must), ("cannot_link", constraints.cannot))
            for a, b in pairs]


def _write_constraints(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, int | None, int | None]],
                       outcome: Outcome) -> None:
    import pyarrow as pa

    def together(m: list[int], a: int | None, b: int | None) -> bool | None:
        return None if a is None or b is None else m[a] == m[b]

    table = pa.table({
        "account_id_l": [r[0] for r in rows], "account_id_r": [r[1] for r in rows],
        "constraint_kind": [r[2] for r in rows],
        "model_together": pa.array([together(outcome.model_membership, r[3], r[4]) for r in rows], pa.bool_()),
        "applied": pa.array([None if r[3] is None or r[4] is None
                             else not (r[2] == "must_link" and (r[3], r[4]) in outcome.skipped_must)
                             for r in rows], pa.bool_()),
    }, schema=pa.schema([("account_id_l", pa.string()), ("account_id_r", pa.string()),
                         ("constraint_kind", pa.string()), ("model_together", pa.bool_()), ("applied", pa.bool_())]))
    con.register("review_constraints_rows", table)
    try:
        con.execute("CREATE OR REPLACE TABLE review_constraints AS SELECT * FROM review_constraints_rows")
    finally:
        con.unregister("review_constraints_rows")


def _counts(con: duckdb.DuckDBPyConnection) -> ResolveCounts:
    row = one_row(
        con,
        """
        SELECT (SELECT count(*) FROM predictions),
               (SELECT count(*) FROM predictions WHERE same_person),
               (SELECT count(DISTINCT cluster_id) FROM clusters),
               (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM clusters GROUP BY cluster_id))
        """,
    )
    return ResolveCounts(*(int(v) for v in row))
