"""A third-party score (device intelligence, e-mail reputation, ...): read and check the file, join it to the
run's accounts, judge it alone, and measure what it adds to our signals.

The file (docs/data-contract.md, "Vendor scores"): CSV, Parquet or JSON Lines with exactly one key column,
`account_id`, `email`, `device`, `ip` or `card`, and a numeric `score` (higher: riskier); other columns are
ignored. Keys are standardised as ingest standardises that kind (pseudonym.standardise_value: e-mails
canonical, IPs normalised, device ids and cards trimmed); in a pseudonymised run a key may also be the
pseudonym (the 64-hex HMAC the exports carry), matched against the run's published identifiers. An account
takes the mean score of the identifiers it used (any use, as of the run); accounts without one are
"not covered".

Lift: two cross-validated logistic regressions of the same family as the learned risk (detect/learned.py:
standardised features, L2, folds by entity), one on our signals, one on our signals plus the vendor score
(and a not-covered indicator); the difference of their out-of-fold ROC-AUCs, with a paired bootstrap
interval over the judged accounts. The interval covers which accounts were drawn, not refitting the models.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from . import metrics
from .quality import Options
from .scored import Scored

KEYS = ("account_id", "email", "device", "ip", "card")
SCORE = "score"
MAX_EXAMPLES = 20
# Shuffles of the vendor scores for the permutation check of the lift (p-values in steps of 1/50).
PERMUTATIONS = 49
_PSEUDONYM = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class VendorScores:
    path: str
    key: str  # which of KEYS
    rows: int
    keys_matched: int  # distinct standardised keys found in the run
    key_scores: np.ndarray  # per distinct standardised key, its score (the mean over its spellings)
    links: list[tuple[str, int]]  # (account id, key index): the account used that key's identifier

    @property
    def scores(self) -> dict[str, float]:
        """account id -> score (the mean of its identifiers')."""
        accounts = np.array(sorted({a for a, _ in self.links}), dtype=object)
        return dict(zip(accounts.tolist(), self.values(accounts).tolist(), strict=True))

    def values(self, accounts: np.ndarray, key_scores: np.ndarray | None = None) -> np.ndarray:
        """Each account's score (NaN: not covered), from key_scores (default the file's; the permutation check
        hands in shuffled ones)."""
        ks = self.key_scores if key_scores is None else key_scores
        pos = {a: i for i, a in enumerate(accounts.tolist())}
        rows = [(pos[a], k) for a, k in self.links if a in pos]
        total, count = np.zeros(len(accounts)), np.zeros(len(accounts))
        if rows:
            at, kk = np.array(rows).T
            np.add.at(total, at, ks[kk])
            np.add.at(count, at, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1.0), np.nan)


def _read(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows (values as read) of a CSV, Parquet or JSON Lines file."""
    import duckdb

    from ..ingest.read import FORMAT_NAMES, Collector, _check_file

    found = Collector(MAX_EXAMPLES)
    fmt = _check_file(path, found)
    if fmt is None:
        raise InputError(found.problems)
    con = duckdb.connect()
    try:
        if fmt == "csv":
            rel = con.read_csv(str(path), all_varchar=True, header=True)
        elif fmt == "parquet":
            rel = con.read_parquet(str(path))
        else:
            rel = con.read_json(str(path), format="newline_delimited")
        names = list(rel.columns)
        rows = rel.to_arrow_table().to_pylist()
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise InputError([Problem(str(path), None, None, f"a readable {FORMAT_NAMES[fmt]} file", first)]) from exc
    finally:
        con.close()
    return names, rows


def read_vendor(path: Path, run_dir: Path) -> VendorScores:
    """Read, check and join a vendor file to the run's accounts; InputError with every problem (file, row,
    column, expected, found) and nothing joined when there is one."""
    from ..pseudonym import standardise_value

    names, rows = _read(path)
    where = str(path)
    keys = [k for k in KEYS if k in names]
    problems: list[Problem] = []
    if len(keys) != 1:
        problems.append(Problem(where, None, None, f"exactly one key column of {', '.join(KEYS)}",
                                f"columns {', '.join(names)[:200]}" if not keys else f"key columns {', '.join(keys)}"))
    if SCORE not in names:
        problems.append(Problem(where, None, SCORE, "a column of numeric scores", f"columns {', '.join(names)[:200]}"))
    if problems:
        raise InputError(problems)
    key = keys[0]
    pseudonymised = _is_pseudonymised(run_dir)
    found: dict[tuple[str, str], list[Problem]] = {}
    counts: dict[tuple[str, str], int] = {}

    def bad(row: int, column: str, expected: str, shown: str) -> None:
        counts[(column, expected)] = counts.get((column, expected), 0) + 1
        examples = found.setdefault((column, expected), [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(Problem(where, row, column, expected, shown))

    clean: list[tuple[str, float]] = []
    first_row: dict[str, int] = {}
    for i, r in enumerate(rows, start=1):
        raw, value = r.get(key), _number(r.get(SCORE))
        text = None if raw is None else str(raw).strip()
        if value is None:
            bad(i, SCORE, "a finite number", repr(r.get(SCORE)) if r.get(SCORE) is not None else "an empty value")
        if not text:
            bad(i, key, "a value", "an empty value")
            continue
        std = text if key == "account_id" else standardise_value(text, key).get(key)
        # in a pseudonymised run 64 hex digits are a pseudonym (a device id or card could in principle be one too:
        # both readings are looked up)
        hashed = "pseudonym:" + text.lower() if pseudonymised and _PSEUDONYM.fullmatch(text.lower()) else None
        if std is None and hashed is None:
            expected = f"a valid {key}" + (" or its pseudonym (64 hex digits)" if pseudonymised else "")
            bad(i, key, expected, repr(text[:80]))
            continue
        # a key twice is ambiguous; two spellings of one identifier (case, plus-tags) are not: their mean counts
        if text in first_row:
            bad(i, key, "a unique key", f"{text[:80]!r} again (first at row {first_row[text]})")
            continue
        first_row[text] = i
        if value is not None:
            clean.extend((k, value) for k in (std, hashed) if k is not None)
    if counts:
        listed = [p for ps in found.values() for p in ps]
        listed.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise InputError(listed, sum(counts.values()))
    # Several spellings of one identifier, or several identifiers of one account: the mean of their scores. A
    # maximum rises with the number of values, so even random scores would seem to find ring members, who use
    # many devices and e-mail variants (measured: a random e-mail score "added" 0.05 AUC points on the
    # realistic world's seed 2 under a maximum).
    sums: dict[str, list[float]] = {}
    for std, value in clean:
        sums.setdefault(std, []).append(value)
    best = {k: float(np.mean(v)) for k, v in sums.items()}
    keys_std = list(best)
    links, matched = _join(keys_std, key, run_dir)
    return VendorScores(path=where, key=key, rows=len(rows), keys_matched=matched,
                        key_scores=np.array([best[k] for k in keys_std], dtype=np.float64), links=links)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(str(value).strip()) if isinstance(value, str) else float(value)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def _is_pseudonymised(run_dir: Path) -> bool:
    from ..runfolder import Manifest, RunPaths

    return bool(Manifest.read(RunPaths(run_dir).manifest).pseudonymised)


# Standardised keys against the raw identifiers (main) and pseudonyms against the published ones (pseudo).
_JOIN_SQL = """
SELECT DISTINCT o.account_id, v.i
FROM vendor_keys v JOIN main.identifier_observations o ON o.kind = $kind AND o.value = v.key
"""
_JOIN_PSEUDO_SQL = """
SELECT DISTINCT o.account_id, v.i
FROM vendor_keys v JOIN pseudo.identifier_observations o ON o.kind = $kind AND 'pseudonym:' || o.value = v.key
"""


def _join(keys: list[str], key: str, run_dir: Path) -> tuple[list[tuple[str, int]], int]:
    """(account id, key index) for every account that used a key's identifier as of the run; and how many keys
    reached some account."""
    import duckdb
    import pyarrow as pa

    if key == "account_id":
        import pyarrow.parquet as pq

        known = set(pq.read_table(run_dir / "signals.parquet", columns=["account_id"])["account_id"].to_pylist())
        direct = [(k, i) for i, k in enumerate(keys) if k in known]
        return direct, len(direct)
    from ..pseudonym import is_published

    con = duckdb.connect(str(run_dir / "er.duckdb"), read_only=True)
    try:
        con.register("vendor_keys", pa.table({"key": keys, "i": list(range(len(keys)))}))
        queries = [_JOIN_SQL, _JOIN_PSEUDO_SQL] if is_published(con) else [_JOIN_SQL]
        links = sorted({(a, int(i)) for sql in queries for a, i in con.execute(sql, {"kind": key}).fetchall()})
    finally:
        con.close()
    return links, len({i for _, i in links})


def judge_vendor(vendor: VendorScores, scored: Scored, run_dir: Path, opts: Options) -> dict[str, Any]:
    """Coverage, the vendor score's own figures on the judged accounts it covers, and its lift on ours."""
    import pyarrow.parquet as pq

    all_accounts = pq.read_table(run_dir / "signals.parquet", columns=["account_id"])["account_id"].to_pylist()
    values = vendor.values(scored.account_id)
    covered = ~np.isnan(values)
    out: dict[str, Any] = {
        "file": vendor.path, "key": vendor.key, "rows": vendor.rows, "keys_matched": vendor.keys_matched,
        "accounts_covered": len(vendor.scores), "accounts": len(all_accounts),
        "judged_covered": int(covered.sum()), "judged": scored.n,
    }
    if covered.sum() >= 2:
        y = scored.y[covered]
        k = opts.k if opts.k is not None else max(int(y.sum()), 1)
        w = metrics.Resamples(int(covered.sum()), opts.resamples, opts.seed)
        est = metrics.estimates(values[covered], np.zeros(int(covered.sum()), dtype=bool), y, w, k)
        out["alone"] = {m: est[m].as_dict() for m in ("roc_auc", "pr_auc", "precision_at_k")}
    out["lift"] = lift(vendor, scored, opts)
    return out


def _out_of_fold(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each account's probability from the model fitted on the other folds (0 where a fold's training holds one
    kind of decision only)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..detect.learned import C

    out = np.zeros(len(y))
    for f in np.unique(folds):
        test, train = folds == f, folds != f
        if len(set(y[train].tolist())) < 2:
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))
        model.fit(x[train], y[train])
        out[test] = model.predict_proba(x[test])[:, 1]
    return out


def _with_vendor(ours: np.ndarray, values: np.ndarray) -> np.ndarray:
    covered = ~np.isnan(values)
    fill = float(np.nanmedian(values)) if covered.any() else 0.0
    return np.column_stack([ours, np.where(covered, values, fill), (~covered).astype(np.float64)])


def lift(vendor: VendorScores, scored: Scored, opts: Options) -> dict[str, Any]:
    """Out-of-fold ROC-AUC of our signals with and without the vendor score, the difference, its paired
    bootstrap interval, and a permutation check: the gain must also beat what the same scores shuffled over
    the file's keys gain (PERMUTATIONS shuffles; a gain they reach more than 1 time in 20 is not lift; keys,
    not accounts, are shuffled, so accounts sharing a key still share a score, as they do in the file). The
    interval alone covers which accounts were drawn, not the luck of a fit: a random score came out
    "significant" on it on 1 of 8 development runs (docs/evidence.md)."""
    from ..detect.learned import folds_of
    from ..detect.settings import DetectSettings

    y = scored.y
    values = vendor.values(scored.account_id)
    if not 0 < y.sum() < len(y):
        return {"line": "no lift measurable: the judged accounts hold one kind of decision only",
                "significant": False}
    ours = np.column_stack([_transform(v) for v in scored.signals.values()])
    folds = folds_of(scored.entity_id, DetectSettings().label_folds)
    base, augmented = _out_of_fold(ours, y, folds), _out_of_fold(_with_vendor(ours, values), y, folds)
    w = metrics.Resamples(len(y), opts.resamples, opts.seed)
    none = np.zeros(len(y), dtype=bool)
    k = opts.k_for(scored)
    base_pt = metrics.point(base, none, y, k)["roc_auc"]
    with_pt = metrics.point(augmented, none, y, k)["roc_auc"]
    diff = metrics.weighted(augmented, none, y, w, k)["roc_auc"] - metrics.weighted(base, none, y, w, k)["roc_auc"]
    est = metrics.interval(diff, with_pt - base_pt)
    rng = np.random.default_rng(opts.seed)
    null = np.array([metrics.point(_out_of_fold(_with_vendor(ours, vendor.values(
        scored.account_id, rng.permutation(vendor.key_scores))), y, folds), none, y, k)["roc_auc"] - base_pt
        for _ in range(PERMUTATIONS)])
    p_value = float((1 + np.sum(null >= est.value)) / (PERMUTATIONS + 1))
    significant = bool(est.low > 0 and p_value <= 0.05)
    ci = f"(95% CI {100 * est.low:+.2f}..{100 * est.high:+.2f}; permutation p = {p_value:.2f})"
    line = (f"adds {100 * est.value:.2f} AUC points {ci}" if significant
            else f"no significant lift: {100 * est.value:+.2f} AUC points {ci}")
    return {"model": "logistic regression (scikit-learn, L2), cross-validated by entity",
            "folds": len(np.unique(folds)), "roc_auc_ours": round(base_pt, 4),
            "roc_auc_with_vendor": round(with_pt, 4), "change": est.as_dict(), "permutations": PERMUTATIONS,
            "permutation_p": round(p_value, 4), "significant": significant, "line": line}


def _transform(v: np.ndarray) -> np.ndarray:
    """Counts on a log scale, as detect/learned.py does (scores and yes/no values stay as they are)."""
    if np.all(v == np.round(v)) and v.max(initial=0) > 1:
        return np.sign(v) * np.log1p(np.abs(v))
    return v
