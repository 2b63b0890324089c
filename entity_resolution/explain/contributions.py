"""Every contribution to an account's risk score, from what detection wrote.

- Default weights (detect/risk.py): each reason ends in its contribution "(+0.60)" and the score is
  1 - prod(1 - c) over them; risk.score lists every contribution above 0, so the reasons are complete.
- Learned risk (detect/learned.py): the reasons keep only the four largest log-odds contributions; the detection's
  risk_features.parquet holds every feature's value and contribution (`contribution_<feature>`), read here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

DEFAULT = "default weights"
_CONTRIBUTION = re.compile(r"^(?P<reason>.*) \((?P<value>[+-]\d+(?:\.\d+)?)\)$", re.DOTALL)


@dataclass(frozen=True)
class Contribution:
    reason: str  # in words, with the value it rests on
    contribution: float  # default weights: a share c in 0..1; learned: log-odds
    feature: str | None = None  # learned risk: the feature's column name
    value: float | None = None  # learned risk: the feature's value for this account


@dataclass(frozen=True)
class RiskBreakdown:
    risk_score: float
    model: str  # "default weights" or the learned model's name
    combined_as: str  # how the contributions make the score
    headline: str | None  # learned risk: its first reason (decisions learned from, fold held out)
    contributions: tuple[Contribution, ...]  # every one, largest effect first
    complete: bool  # False when only the reasons (the largest contributions) were recorded
    # learned risk of an unlabelled account: the final model's intercept, so that
    # risk_score = 1 / (1 + exp(-(intercept + sum of contributions))); None when a fold's model scored it
    intercept: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_reasons(reasons: list[str]) -> tuple[str | None, list[Contribution]]:
    """Reasons written as "<words> (+0.42)" -> contributions; a first line without a number is the headline."""
    headline = None
    out = []
    for i, text in enumerate(reasons):
        m = _CONTRIBUTION.match(text)
        if m is None:
            if i == 0:
                headline = text
            continue
        out.append(Contribution(m["reason"], float(m["value"])))
    return headline, out


def breakdown(risk_score: float, reasons: list[str], risk_model: str | None,
              features: dict[str, Any] | None, intercept: float | None = None) -> RiskBreakdown:
    """An account's risk score taken apart. features: its row of risk_features.parquet (learned risk), or None;
    intercept: the learned model's on all decisions (detect_manifest risk.coefficients.intercept)."""
    from ..detect.learned import CONTRIBUTION_PREFIX, describe_feature

    headline, parsed = parse_reasons(reasons or [])
    model = risk_model or DEFAULT
    if model == DEFAULT or (headline or "").startswith("default-weight risk"):
        return RiskBreakdown(risk_score, DEFAULT, "1 - product of (1 - contribution)", headline,
                             tuple(sorted(parsed, key=lambda c: -abs(c.contribution))), True)
    if features is None:
        return RiskBreakdown(risk_score, model, "contributions in log-odds (the largest only)", headline,
                             tuple(parsed), False)
    found = []
    for name, value in features.items():
        if not name.startswith(CONTRIBUTION_PREFIX) or value is None:
            continue
        feature = name.removeprefix(CONTRIBUTION_PREFIX)
        raw = features.get(feature)
        if float(value) == 0.0:
            continue
        x = float(raw) if raw is not None else float("nan")
        found.append(Contribution(describe_feature(feature, x), round(float(value), 6), feature, x))
    found.sort(key=lambda c: (-abs(c.contribution), c.feature or ""))
    final_model = features.get("decision") is None  # unlabelled: scored by the model on all decisions
    return RiskBreakdown(risk_score, model, "contributions in log-odds, relative to an "
                         "average labelled account", headline, tuple(found), True,
                         intercept if final_model else None)


def feature_rows(table: pa.Table | None, account_ids: list[str]) -> dict[str, dict[str, Any]]:
    """risk_features rows of the given accounts, by account id ({} without the table)."""
    if table is None:
        return {}
    import pyarrow.compute as pc

    picked = table.filter(pc.is_in(table["account_id"], pa.array(account_ids, pa.string())))
    return {row["account_id"]: row for row in picked.to_pylist()}
