"""Risk learned from enforcement decisions: a cross-fitted logistic regression on the detection's signals and on
proximity to enforced accounts (docs/signals.md, "Risk learned from labels").

- Features: every numeric or yes/no column of the signals and of the backend's per-account facts (so a column a
  backend adds flows in without a change here), the default-weight score, and proximity to decided accounts
  through the shared-identifier graph (its own entity, one hop over shared non-hub identifiers weighted by kind
  and specificity, its ring, its component), each counted without the account's own decision.
- Cross-fitting: labelled accounts fall into `label_folds` folds by a hash of their entity (a person's accounts
  share a fold). A labelled account is scored by a model trained on the other folds, with its fold's decisions
  hidden from everybody's proximity features too; so its own decision changes nothing of its score. Unlabelled
  accounts are scored by a model trained on all decisions.
- Reasons: the model's log-odds contributions (coefficient x standardised value, relative to an average
  labelled account), largest first, in words with the values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .facts import Facts
from .labels import Decisions
from .settings import DetectSettings

MODEL = "logistic regression (scikit-learn, L2)"
# Inverse regularisation strength of the logistic regression. Labels are noisy (wrong bans, abusers who won an
# appeal) and few (about 5 % of accounts): a strong penalty keeps one odd decision from moving a coefficient.
# Chosen on seeds 1-3 of the realistic world (docs/signals.md).
C = 0.01
# Evidence weight of one shared identifier of each kind in the one-hop proximity: an IP is shared by chance
# (home connections, offices, mobile carriers), a device, card, phone or e-mail address much less often.
KIND_WEIGHT = {"device": 1.0, "card": 1.0, "phone": 1.0, "email": 1.0, "ip": 0.5}
# Folds by entity: a person's other accounts are usually decided with it (a trivial leak), while ring-mates'
# decisions stay visible as they are for unlabelled accounts (docs/signals.md, measured there).
FOLD_KEY = "entity_id"
REASONS = 4  # contributions listed per account
MIN_CONTRIBUTION = 0.05  # smaller log-odds contributions are not worth a line
CONTRIBUTION_PREFIX = "contribution_"  # risk_features: the column of each feature's contribution

# Columns that are identifiers or text, never features; every other numeric or boolean column is one.
NOT_FEATURES = frozenset({"account_id", "entity_id", "component_id", "part_id", "ring_id", "created_at",
                          "risk_score", "reasons"})
PROXIMITY = ("entity_abusive", "entity_benign", "near_abusive", "near_benign", "ring_abusive", "ring_benign",
             "component_abusive", "component_benign")

_WORDS: dict[str, Callable[[float], str]] = {
    "in_ring": lambda v: "in a ring" if v else "in no ring",
    "component_size": lambda v: f"its component holds {v:.0f} accounts",
    "ring_size": lambda v: f"its ring holds {v:.0f} accounts",
    "shared_identifier_count": lambda v: f"{v:.0f} identifiers shared with other entities",
    "is_bridge": lambda v: "a bridge between groups" if v else "no bridge",
    "growth_7d": lambda v: f"its component gained {v:.0f} accounts in 7 days",
    "fast_growing": lambda v: "its component grows fast" if v else "its component does not grow fast",
    "default_risk_score": lambda v: f"default-weight risk {v:.2f}",
    "entity_accounts": lambda v: f"its entity holds {v:.0f} accounts",
    "entity_emails": lambda v: f"{v:.0f} e-mail addresses across its entity",
    "entity_disputed": lambda v: f"{v:.0f} disputed payments across its entity",
    "entity_abusive": lambda v: f"{v:.0f} other accounts of its entity enforced",
    "entity_benign": lambda v: f"{v:.0f} other accounts of its entity cleared",
    "near_abusive": lambda v: f"enforced accounts one shared identifier away (weighted {v:.2f})",
    "near_benign": lambda v: f"cleared accounts one shared identifier away (weighted {v:.2f})",
    "ring_abusive": lambda v: f"{v:.0f} enforced accounts in its ring outside its entity",
    "ring_benign": lambda v: f"{v:.0f} cleared accounts in its ring outside its entity",
    "component_abusive": lambda v: f"{v:.0f} enforced accounts in its component outside its entity",
    "component_benign": lambda v: f"{v:.0f} cleared accounts in its component outside its entity",
}


def describe_feature(name: str, value: float) -> str:
    """A feature and its value in words, as the reasons write it ("its ring holds 12 accounts")."""
    word = _WORDS.get(name)
    return word(value) if word else f"{name} = {value:g}"


@dataclass(frozen=True)
class Learned:
    risk_score: pa.Array  # float64, in the order of the signals
    reasons: pa.Array  # list<string>
    features: pa.Table  # per account: decision, fold, default score, learned score, feature values
    manifest: dict[str, Any]


def features_of(table: pa.Table) -> list[str]:
    """The numeric and yes/no columns of table that are features (identifiers and text left out)."""
    out = []
    for f in table.schema:
        if f.name in NOT_FEATURES:
            continue
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type):
            out.append(f.name)
    return out


def _transform(values: np.ndarray, integer: bool) -> np.ndarray:
    """Counts on a log scale (a ring of 40 is not ten times a ring of 4); other values as they are."""
    values = np.nan_to_num(values.astype(np.float64))
    return np.sign(values) * np.log1p(np.abs(values)) if integer else values


class _Graph:
    """Account -> entity, component, ring part; entity -> shared identifiers (with kind weight and degree)."""

    def __init__(self, signals: pa.Table, accounts: pa.Table, edges: pa.Table) -> None:
        entity_ids = signals["entity_id"].to_numpy(zero_copy_only=False)
        self.n = len(entity_ids)
        ent_names, self.entity = np.unique(entity_ids, return_inverse=True)
        _, self.component = np.unique(signals["component_id"].to_numpy(zero_copy_only=False), return_inverse=True)
        part_of = dict(zip(accounts["account_id"].to_pylist(), accounts["part_id"].to_pylist(), strict=True))
        ring = [part_of.get(a) if r is not None else None
                for a, r in zip(signals["account_id"].to_pylist(), signals["ring_id"].to_pylist(), strict=True)]
        names = sorted({p for p in ring if p is not None})
        index = {p: i for i, p in enumerate(names)}
        self.ring = np.array([index[p] if p is not None else -1 for p in ring], dtype=np.int64)
        self.n_entities, self.n_components, self.n_rings = len(ent_names), int(self.component.max()) + 1, len(names)
        # edges sorted so that float sums do not depend on the order a backend returned them in
        rows = sorted(zip(edges["entity_id"].to_pylist(), edges["kind"].to_pylist(), edges["value"].to_pylist(),
                          strict=True))
        ent_index = {e: i for i, e in enumerate(ent_names)}
        kept = [(ent_index[e], k, v) for e, k, v in rows if e in ent_index]
        idents: dict[tuple[str, str], int] = {}
        self.edge_entity = np.array([e for e, _, _ in kept], dtype=np.int64)
        self.edge_ident = np.array([idents.setdefault((k, v), len(idents)) for _, k, v in kept], dtype=np.int64)
        self.edge_weight = np.array([KIND_WEIGHT.get(k, 1.0) for _, k, _ in kept], dtype=np.float64)
        self.n_idents = len(idents)
        self.degree = np.bincount(self.edge_ident, minlength=self.n_idents).astype(np.float64)

    def proximity(self, label: np.ndarray) -> dict[str, np.ndarray]:
        """Proximity features for every account, from the visible decisions (label: 1 abusive, 0 benign,
        -1 none or hidden). No account's own decision counts towards its own features."""
        out: dict[str, np.ndarray] = {}
        for name, own in (("abusive", (label == 1).astype(np.float64)), ("benign", (label == 0).astype(np.float64))):
            per_entity = np.bincount(self.entity, own, minlength=self.n_entities)
            mine = per_entity[self.entity]  # decisions on the account's own entity, its own included
            out[f"entity_{name}"] = mine - own
            # one hop: for each shared identifier, the decided accounts of the other entities on it, spread over
            # those entities (a device on 2 entities says more than an IP on 40), weighted by kind
            on_ident = np.bincount(self.edge_ident, per_entity[self.edge_entity], minlength=self.n_idents)
            others = on_ident[self.edge_ident] - per_entity[self.edge_entity]
            spread = np.maximum(self.degree[self.edge_ident] - 1.0, 1.0)
            near = np.bincount(self.edge_entity, self.edge_weight * others / spread, minlength=self.n_entities)
            out[f"near_{name}"] = near[self.entity]
            in_ring = self.ring >= 0
            per_ring = np.bincount(self.ring[in_ring], own[in_ring], minlength=self.n_rings)
            out[f"ring_{name}"] = np.where(in_ring, per_ring[np.maximum(self.ring, 0)] - mine, 0.0)
            per_comp = np.bincount(self.component, own, minlength=self.n_components)
            out[f"component_{name}"] = per_comp[self.component] - mine
        return {k: np.maximum(out[k], 0.0) for k in PROXIMITY}


def folds_of(keys: np.ndarray, k: int) -> np.ndarray:
    """The fold of each account, from a hash of its FOLD_KEY value (its entity: a person's accounts share a
    fold); the folds do not depend on any decision (flipping a label moves nothing)."""
    cache: dict[str, int] = {}
    out = np.empty(len(keys), dtype=np.int64)
    for i, c in enumerate(keys):
        f = cache.get(c)
        if f is None:
            f = cache[c] = int(hashlib.md5(f"fold:{c}".encode(), usedforsecurity=False).hexdigest()[:8], 16) % k
        out[i] = f
    return out


def learn(signals: pa.Table, facts: Facts, decided: Decisions, settings: DetectSettings) -> Learned | None:
    """Learned risk for every account of signals (ordered as signals), or None when there are too few decisions
    of either kind (the default weights then apply; the caller says so)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if min(decided.abusive, decided.benign) < settings.label_min_decisions:
        return None
    accounts = facts.accounts
    extra = [c for c in features_of(accounts) if c not in signals.column_names]
    joined = _join(signals, accounts, extra)
    base_names = ["in_ring", *[c for c in features_of(signals)], "default_risk_score", *extra]
    base_cols = {"in_ring": np.array([r is not None for r in signals["ring_id"].to_pylist()], dtype=np.float64),
                 "default_risk_score": signals["risk_score"].to_numpy(zero_copy_only=False).astype(np.float64)}
    for name in base_names:
        if name not in base_cols:
            col = joined[name]
            base_cols[name] = np.nan_to_num(col.to_numpy(zero_copy_only=False).astype(np.float64))
    integer = {n for n in base_names if n in joined.column_names and pa.types.is_integer(joined.schema.field(n).type)}
    names = base_names + list(PROXIMITY)
    raw_base = np.column_stack([base_cols[n] for n in base_names])
    x_base = np.column_stack([_transform(base_cols[n], n in integer) for n in base_names])

    graph = _Graph(signals, accounts, facts.edges)
    label = np.full(graph.n, -1, dtype=np.int8)
    position = {a: i for i, a in enumerate(signals["account_id"].to_pylist())}
    for a, abusive in zip(decided.table["account_id"].to_pylist(), decided.table["abusive"].to_pylist(), strict=True):
        label[position[a]] = 1 if abusive else 0
    labelled = label >= 0
    k = settings.label_folds
    fold = np.where(labelled, folds_of(signals[FOLD_KEY].to_numpy(zero_copy_only=False), k), -1)

    score = np.zeros(graph.n)
    contrib = np.zeros((graph.n, len(names)))
    raw = np.zeros((graph.n, len(names)))
    model_of = np.full(graph.n, k, dtype=np.int64)  # k: the model on all decisions
    fold_rows: list[dict[str, Any]] = []
    coefficients: dict[str, float] = {}
    for f in [*range(k), k]:
        visible = label.copy()
        if f < k:
            visible[fold == f] = -1  # the fold's decisions are hidden from every proximity feature
        prox = graph.proximity(visible)
        x = np.column_stack([x_base, *(np.log1p(prox[p]) for p in PROXIMITY)])
        train = visible >= 0
        scored = (fold == f) if f < k else ~labelled
        y = visible[train]
        if f < k and not scored.any():
            continue
        if len(set(y.tolist())) < 2:  # one kind of decision only: no model; the default score stands
            score[scored] = base_cols["default_risk_score"][scored]
            model_of[scored] = -1
            fold_rows.append({"fold": f, "scored": int(scored.sum()), "trained_on": int(train.sum()),
                              "model": "default weights (one kind of decision in training)"})
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))
        model.fit(x[train], y)
        score[scored] = model.predict_proba(x[scored])[:, 1]
        scaler, lr = model[0], model[1]
        contrib[scored] = scaler.transform(x[scored]) * lr.coef_[0]
        raw[scored] = np.column_stack([raw_base[scored], *(prox[p][scored] for p in PROXIMITY)])
        model_of[scored] = f
        if f < k:
            fold_rows.append({"fold": f, "scored": int(scored.sum()), "trained_on": int(train.sum())})
        else:
            coefficients = {n: round(float(c), 4) for n, c in zip(names, lr.coef_[0], strict=True)}
            coefficients["intercept"] = round(float(lr.intercept_[0]), 4)
    score = np.round(score, 6)
    reasons = _reasons(score, contrib, raw, model_of, names, decided, facts, k)
    features = pa.table({
        "account_id": signals["account_id"],
        "decision": pa.array([None if v < 0 else ("abusive" if v == 1 else "benign") for v in label.tolist()],
                             pa.string()),
        "fold": pa.array([None if v < 0 else v for v in fold.tolist()], pa.int64()),
        "default_risk_score": signals["risk_score"],
        "risk_score": pa.array(score, pa.float64()),
        **{n: pa.array(raw[:, i], pa.float64()) for i, n in enumerate(names)},
        # every feature's log-odds contribution (the reasons list only the largest): `er explain` shows them all
        **{f"{CONTRIBUTION_PREFIX}{n}": pa.array(contrib[:, i], pa.float64()) for i, n in enumerate(names)},
    })
    manifest = {"model": MODEL, "C": C, "folds": k, "fold_key": FOLD_KEY, "features": names,
                "kind_weights": KIND_WEIGHT, "decisions": decided.counts(), "coefficients": coefficients,
                "fold_models": fold_rows}
    return Learned(risk_score=pa.array(score, pa.float64()), reasons=reasons, features=features, manifest=manifest)


def _join(signals: pa.Table, accounts: pa.Table, extra: list[str]) -> pa.Table:
    """signals with the backend's extra per-account columns, in the signals' order."""
    if not extra:
        return signals
    by_id = accounts.select(["account_id", *extra])
    index = {a: i for i, a in enumerate(by_id["account_id"].to_pylist())}
    take = pa.array([index[a] for a in signals["account_id"].to_pylist()], pa.int64())
    picked = by_id.take(take)
    out = signals
    for name in extra:
        out = out.append_column(name, picked[name])
    return out


def _reasons(score: np.ndarray, contrib: np.ndarray, raw: np.ndarray, model_of: np.ndarray, names: list[str],
             decided: Decisions, facts: Facts, k: int) -> pa.Array:
    """Reasons in words, computed once per distinct (model, feature values) and shared by the accounts that
    have them (most accounts share nothing and look alike)."""
    n_decisions = decided.table.num_rows
    as_of = facts.as_of.date().isoformat()
    key = np.column_stack([model_of.astype(np.float64), raw, contrib])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    texts: list[list[str]] = []
    for i in first.tolist():
        m = int(model_of[i])
        if m < 0:
            texts.append([f"default-weight risk {score[i]:.2f}: too few decisions of both kinds to learn from "
                          "without this account's own"])
            continue
        head = (f"risk {score[i]:.2f} learned from {n_decisions} decisions as of {as_of}"
                + (f" (its own decision held out: fold {m + 1} of {k})" if m < k else ""))
        order = np.argsort(-np.abs(contrib[i]), kind="stable")
        lines = [head]
        for j in order[:REASONS].tolist():
            c = float(contrib[i, j])
            if abs(c) < MIN_CONTRIBUTION:
                break
            word = _WORDS.get(names[j], lambda v, n=names[j]: f"{n} = {v:g}")
            lines.append(f"{word(float(raw[i, j]))} ({c:+.2f})")
        texts.append(lines)
    return pa.array([texts[j] for j in np.asarray(inverse).reshape(-1).tolist()], pa.list_(pa.string()))
